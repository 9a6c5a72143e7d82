import type { JourneyContext } from '../journey.ts';

/**
 * Runs `body`, then always the `clean up` step. A clean-up failure fails the journey, but never
 * hides the failure that came first.
 */
export async function withCleanup<T>(ctx: JourneyContext, body: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let failed = false;
  try {
    return await body();
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    try {
      await ctx.step('clean up', cleanup);
    } catch (e) {
      if (!failed) throw e; // eslint-disable-line no-unsafe-finally
    }
  }
}
