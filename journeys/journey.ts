import type { Page } from '@playwright/test';
import type { ApiClient } from '../fixtures/api-client.ts';
import type { GuardResponse } from '../fixtures/browser-tagging.ts';
import type { StepFn, UserTimingName } from '../fixtures/recorder.ts';
import type { SuiteConfig } from '../src/config/load.ts';
import type { Target } from '../src/core/target.ts';

/** What a journey gets: nothing about how it is run (Playwright Test or the runner). */
export interface JourneyContext {
  api: ApiClient;
  config: SuiteConfig;
  target: Target;
  step: StepFn;
}

export interface BrowserJourneyContext extends JourneyContext {
  page: Page;
  /** Device profile name (desktop, mobile): layouts may differ, hooks do not. */
  device: string;
  /** Checks a JSON response before the page may use it (e.g. payments must be in sandbox mode). */
  guardResponse: GuardResponse;
  /**
   * Reports a user-centric timing (ms) measured from the page's own clock, at most once per
   * attempt and name; it lands in the attempt record (results store) and the user-timing metric.
   */
  timing(name: UserTimingName, ms: number): void;
}

interface JourneyBase {
  /** Stable id: a metric label and a file name. Short, no spaces. */
  id: string;
  title: string;
  /** Which synthetic account's experience this journey measures. */
  cohort: 'student' | 'provider' | 'anonymous';
}

export interface ApiJourney extends JourneyBase {
  kind: 'api';
  run(ctx: JourneyContext): Promise<void>;
}

export interface BrowserJourney extends JourneyBase {
  kind: 'browser';
  run(ctx: BrowserJourneyContext): Promise<void>;
}

export type Journey = ApiJourney | BrowserJourney;

export const apiJourney = (j: Omit<ApiJourney, 'kind'>): ApiJourney => ({ ...j, kind: 'api' });
export const browserJourney = (j: Omit<BrowserJourney, 'kind'>): BrowserJourney => ({ ...j, kind: 'browser' });
