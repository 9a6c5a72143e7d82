import { defineConfig, devices } from '@playwright/test';
import { loadEnv } from './src/config/load.ts';
import { CANARY_USER_AGENT } from './src/core/tagging.ts';
import { CHROMIUM_ARGS, DEVICE_PROFILES, chromiumOrExplain } from './src/core/chromium.ts';

const env = loadEnv();
const executablePath = chromiumOrExplain(env.CHROMIUM_PATH);
const browserUse = {
  userAgent: CANARY_USER_AGENT,
  launchOptions: { executablePath, args: CHROMIUM_ARGS },
  // Traces, videos and screenshots would carry tokens, form fields and bodies: off.
  trace: 'off',
  video: 'off',
  screenshot: 'off',
} as const;

/**
 * QA and CI run the journeys as specs: `api` for the API journeys, one browser project per device
 * profile (its name becomes the `device` label). With no BASE_URL the global setup starts the
 * embedded sandbox.
 */
export default defineConfig({
  testDir: './specs',
  outputDir: env.PW_OUTPUT_DIR ?? 'test-results',
  fullyParallel: true,
  workers: Number(env.PW_WORKERS ?? 2),
  retries: Number(env.PW_RETRIES ?? 0),
  timeout: Number(env.JOURNEY_TIMEOUT_MS ?? 20_000) + 10_000,
  globalSetup: './fixtures/global-setup.ts',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: env.PW_HTML_DIR ?? 'playwright-report' }],
    ['./reporters/playwright-reporter.ts'],
    ...(env.PW_JSON_FILE ? [['json', { outputFile: env.PW_JSON_FILE }] as ['json', { outputFile: string }]] : []),
  ],
  use: { trace: 'off', video: 'off', screenshot: 'off' },
  projects: [
    { name: 'api', testMatch: /api\.spec\.ts/ },
    { name: 'desktop', testMatch: /browser\.spec\.ts/, use: { ...devices[DEVICE_PROFILES.desktop], ...browserUse } },
    { name: 'mobile', testMatch: /browser\.spec\.ts/, use: { ...devices[DEVICE_PROFILES.mobile], ...browserUse } },
  ],
});
