// The smallest sequence that kills a process through Playwright's connection, run as its own
// process: `node --import tsx test/support/handle-race.ts [--guard] [--times N]`.
//
// With tracing on, the server answers `evaluateHandle` only after its after-call snapshot, which
// waits for the page's main thread; the page makes itself busy right after answering, so the
// answer is held back while the context is closed beneath it. The close disposes the handle
// first; the answer then names a guid the client has dropped, and Playwright's client throws
// "Object with guid handle@… was not bound in the connection" from `Connection.dispatch`, outside
// every call. Without `--guard` the process dies of it; with it, the runner's guard notes the fault
// and the process goes on: it opens a page and evaluates in it after every race.
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../../src/core/chromium.ts';
import { guardBrowserLayer } from '../../src/runner/browser-guard.ts';

const guarded = process.argv.includes('--guard');
const timesAt = process.argv.indexOf('--times');
const times = timesAt > 0 ? Number(process.argv[timesAt + 1]) : 1;
let faults = 0;
if (guarded) {
  guardBrowserLayer({
    onBrowserFault: (message) => {
      faults += 1;
      console.log(`browser fault noted: ${message}`);
    },
    onBug: (e) => {
      console.log(`bug: ${String(e)}`);
      process.exit(70);
    },
  });
}

const browser = await chromium.launch({ executablePath: findChromium(process.env.CHROMIUM_PATH), args: CHROMIUM_ARGS });
for (let i = 0; i < times; i++) {
  const context = await browser.newContext();
  await context.tracing.start({ snapshots: true, screenshots: false, sources: false });
  const page = await context.newPage();
  await page.setContent('<p>race</p>');
  const pending = page.evaluateHandle(() => {
    setTimeout(() => {
      const end = Date.now() + 1_500;
      while (Date.now() < end);
    }, 0);
    return document.body;
  });
  pending.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  await context.close();
  // The answer comes once the page's busy second is over and the snapshot gives up.
  await new Promise((r) => setTimeout(r, 2_000));
  const after = await browser.newContext();
  const value = await (await after.newPage()).evaluate(() => 6 * 7);
  await after.close();
  console.log(`race ${i + 1}: survived, the browser still answers (${value})`);
}
await browser.close();
console.log(`faults noted: ${faults}`);
