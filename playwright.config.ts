import { defineConfig, devices } from '@playwright/test';
import { loadConfig, loadEnv } from './src/config/load.ts';
import { CANARY_USER_AGENT } from './src/core/tagging.ts';
import { CHROMIUM_ARGS, DEVICE_PROFILES, chromiumOrExplain } from './src/core/chromium.ts';

const env = loadEnv();

/**
 * The runner's retries (RETRIES), so a journey that passes only on a retry is flaky in both run
 * modes; PW_RETRIES still overrides. A config mistake gives 0: each spec then reports it in one line.
 */
function runnerRetries(): number {
  try {
    return loadConfig(env).retry.retries;
  } catch {
    return 0;
  }
}
const executablePath = chromiumOrExplain(env.CHROMIUM_PATH);
const browserUse = {
  userAgent: CANARY_USER_AGENT,
  launchOptions: { executablePath, args: CHROMIUM_ARGS },
  // Playwright's own traces, videos and screenshots would carry tokens, form fields and bodies
  // unscrubbed: off. A failed browser test gets a scrubbed, secret-scanned trace and a masked
  // screenshot from fixtures/evidence.ts instead (EVIDENCE), attached as `trace` and `screenshot`;
  // Playwright's `trace` option must stay off, or ours could not start.
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
  retries: Number(env.PW_RETRIES ?? runnerRetries()),
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
