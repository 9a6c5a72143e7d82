import type { JourneyResult } from '../src/core/records.ts';

/**
 * What a Playwright test attaches for the synthetics reporter: one attempt's record with its
 * labels. The reporter owns the format; the fixture that writes it imports it from here.
 */
export const ATTEMPT_ATTACHMENT = 'synthetic-attempt';
export type AttemptAttachment = Pick<JourneyResult, 'journey' | 'kind' | 'labels' | 'attempts'>;
