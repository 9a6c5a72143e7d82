import { LABEL_PATTERN, URL_PATTERN } from '../core/labels.ts';

/**
 * Not a user key: set by Playwright's global setup when it started the embedded sandbox, so the
 * workers (other processes) target the same one.
 */
export const SANDBOX_URL_ENV = 'SYNTHETICS_SANDBOX_URL';

/**
 * Every configuration key: its meaning, default, how it is parsed and its constraint (a JSON
 * Schema checked by ajv). `.env.example` lists exactly these keys; a test keeps the two in step.
 */
export type KeyKind = 'string' | 'url' | 'int' | 'number' | 'bool' | 'json' | 'duration' | 'list';

export interface ConfigKey {
  key: string;
  kind: KeyKind;
  meaning: string;
  example: string;
  default?: string;
  /** Constraint on the parsed value. */
  schema: Record<string, unknown>;
  /** Never echoed in messages. */
  secret?: boolean;
}

const ms = (min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max });
const label = { type: 'string', pattern: LABEL_PATTERN };
const url = { type: 'string', pattern: URL_PATTERN };
const credential = { type: 'string', minLength: 1 };

export const CONFIG_KEYS: ConfigKey[] = [
  { key: 'BASE_URL', kind: 'url', meaning: 'The app under watch. Empty: start the embedded reference sandbox on a free port and target it.', example: 'https://canary.example.test', schema: url },
  { key: 'SYNTH_STUDENT_EMAIL', kind: 'string', meaning: 'Synthetic student account (required with BASE_URL; sandbox default synthetic-student@example.test).', example: 'synthetic-student@example.test', schema: { type: 'string', format: 'email' } },
  { key: 'SYNTH_STUDENT_PASSWORD', kind: 'string', meaning: 'Its password (required with BASE_URL; sandbox default in sandbox/defaults.ts).', example: '', schema: credential, secret: true },
  { key: 'SYNTH_PROVIDER_EMAIL', kind: 'string', meaning: 'Synthetic provider account, for the provider dashboard.', example: 'synthetic-provider@example.test', schema: { type: 'string', format: 'email' } },
  { key: 'SYNTH_PROVIDER_PASSWORD', kind: 'string', meaning: 'Its password.', example: '', schema: credential, secret: true },
  { key: 'SYNTH_QUOTA_EMAIL', kind: 'string', meaning: 'The zero-quota account used by the over-quota check.', example: 'synthetic-quota@example.test', schema: { type: 'string', format: 'email' } },
  { key: 'SYNTH_QUOTA_PASSWORD', kind: 'string', meaning: 'Its password.', example: '', schema: credential, secret: true },
  { key: 'SYNTH_EXPIRED_TOKEN', kind: 'string', meaning: 'An expired access token the app issued to the student (expired-token check). Against the sandbox it is fetched from /__sandbox/expired-token.', example: '', schema: credential, secret: true },
  { key: 'SEARCH_QUERY', kind: 'string', meaning: 'What the B2C journeys search for; it must find at least one scholarship. Empty: an unfiltered search.', example: 'engineering', schema: { type: 'string', maxLength: 200 } },
  { key: 'TARGET_NAME', kind: 'string', meaning: 'Label `target` of BASE_URL (with --target NAME=URL the name comes from the flag).', example: 'canary', default: 'default', schema: label },
  { key: 'CANARY', kind: 'bool', meaning: 'Label `canary`: true when BASE_URL serves the canary build, false for the control/stable build. A target named "canary" is always true.', example: 'true', default: 'false', schema: { type: 'boolean' } },
  { key: 'REGION', kind: 'string', meaning: 'Label `region` of this runner.', example: 'eu-west-1', default: 'local', schema: label },
  { key: 'BUILD_ID', kind: 'string', meaning: 'Label `build_id` of the build under watch. Empty: read from the target\'s /health.', example: 'build-1842', schema: label },
  { key: 'GIT_SHA', kind: 'string', meaning: 'Label `git_sha` of the build under watch. Empty: read from the target\'s /health.', example: '3f9c2ab', schema: label },
  { key: 'DEVICES', kind: 'list', meaning: 'Browser device profiles the runner drives (desktop, mobile).', example: 'desktop,mobile', default: 'desktop', schema: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['desktop', 'mobile'] } } },
  { key: 'PUSHGATEWAY_URL', kind: 'url', meaning: 'Prometheus Pushgateway to push metrics to after every cycle. Empty: results store only.', example: 'http://127.0.0.1:9091', schema: url },
  { key: 'PUSH_TIMEOUT_MS', kind: 'int', meaning: 'Timeout of one push to the Pushgateway.', example: '2000', default: '2000', schema: ms(100, 60000) },
  { key: 'PUSH_JOB', kind: 'string', meaning: 'Pushgateway job name.', example: 'synthetics', default: 'synthetics', schema: label },
  { key: 'RUNNER_ID', kind: 'string', meaning: 'This runner\'s id in the Pushgateway grouping key: stable across restarts of the same runner (region and ordinal, never a pod hash), unique between runners. Empty: the host name.', example: 'eu-west-1-0', schema: label },
  { key: 'STOPPED_GROUP', kind: 'string', meaning: 'What a stopped long-running runner leaves in the Pushgateway: delete (its group is removed, so absence and staleness are the signals) or mark (runner_up 0 is pushed and the group stays until deleted by hand).', example: 'delete', default: 'delete', schema: { enum: ['delete', 'mark'] } },
  { key: 'RESULTS_DIR', kind: 'string', meaning: 'Where the NDJSON results store is written (one file per day).', example: 'results', default: 'results', schema: { type: 'string', minLength: 1 } },
  { key: 'RESULTS_RETENTION', kind: 'int', meaning: 'Days of results kept; finished days are compressed (.ndjson.gz), older ones removed.', example: '14', default: '14', schema: ms(1, 3650) },
  { key: 'EVIDENCE', kind: 'string', meaning: 'When a browser journey attempt keeps a screenshot and a scrubbed, secret-scanned Playwright trace: off, on-failure or always. The runner writes them under RESULTS_DIR/evidence/<day>/ (same retention as the results); Playwright Test attaches them to the test.', example: 'on-failure', default: 'on-failure', schema: { enum: ['off', 'on-failure', 'always'] } },
  { key: 'EVIDENCE_MASK', kind: 'list', meaning: 'CSS selectors masked in evidence screenshots, comma-separated, besides input[type=password] (always masked): whatever shows personal data, such as the signed-in user\'s email.', example: '.who,[data-testid=account-email]', schema: { type: 'array', items: { type: 'string', minLength: 1 } } },
  { key: 'RUN_INTERVAL', kind: 'duration', meaning: 'Cycle length of `synthetics run --every` when the flag has no value.', example: '60s', default: '60s', schema: ms(100, 86_400_000) },
  { key: 'RETRIES', kind: 'int', meaning: 'Retries of a failed journey within one cycle (exponential backoff).', example: '2', default: '2', schema: ms(0, 10) },
  { key: 'RETRY_MIN_DELAY_MS', kind: 'int', meaning: 'Delay before the first retry.', example: '1000', default: '1000', schema: ms(0, 600000) },
  { key: 'RETRY_FACTOR', kind: 'number', meaning: 'Backoff factor between retries.', example: '2', default: '2', schema: { type: 'number', minimum: 1, maximum: 10 } },
  { key: 'RETRY_MAX_DELAY_MS', kind: 'int', meaning: 'Cap of one backoff delay.', example: '8000', default: '8000', schema: ms(0, 600000) },
  { key: 'JOURNEY_TIMEOUT_MS', kind: 'int', meaning: 'A journey attempt still running after this fails as hung.', example: '20000', default: '20000', schema: ms(100, 600000) },
  { key: 'BROWSER_CONTEXTS', kind: 'int', meaning: 'Browser journeys a runner runs at once (one browser context each), over all its targets. Each costs a renderer (~100 MB, most of a core while it loads a page): 2 suits 2 cores.', example: '2', default: '2', schema: ms(1, 32) },
  { key: 'API_JOURNEY_LEASE_MS', kind: 'int', meaning: 'A target\'s API journeys run one after another, as a user\'s calls come (concurrent journeys would measure the target under a burst the runner made); once one has run this long (never more than a fifth of the cycle) the rest start at once, so a slow or hung journey costs only itself. 0: all at once.', example: '3000', default: '3000', schema: ms(0, 600000) },
  { key: 'CRITICAL_BUDGET_MS', kind: 'int', meaning: 'Latency budget of the critical APIs (search, details, save, apply, autosave, me, health).', example: '150', default: '150', schema: ms(1, 600000) },
  { key: 'DEFAULT_BUDGET_MS', kind: 'int', meaning: 'Latency budget of every other API call.', example: '500', default: '500', schema: ms(1, 600000) },
  { key: 'PAGE_BUDGET_MS', kind: 'int', meaning: 'Latency budget of anything a browser journey loads (pages and their fetch/XHR calls, as the browser times them).', example: '2000', default: '2000', schema: ms(1, 600000) },
  { key: 'LATENCY_BUDGETS', kind: 'json', meaning: 'Per-route budgets in ms, overriding the defaults: {"METHOD /route/pattern": ms}.', example: '{"GET /api/scholarships": 150}', default: '{}', schema: { type: 'object', propertyNames: { pattern: '^(GET|POST|PUT|DELETE|PATCH) /' }, additionalProperties: { type: 'integer', minimum: 1 } } },
  { key: 'ROUTE_MAP', kind: 'json', meaning: 'Maps contract route patterns to this deployment\'s paths: {"/api/me": "/v2/me"}.', example: '{}', default: '{}', schema: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { type: 'string', pattern: '^/' } } },
  { key: 'CHROMIUM_PATH', kind: 'string', meaning: 'Chromium binary for browser journeys. Empty: /usr/bin/chromium, then other usual places.', example: '/usr/bin/chromium', schema: { type: 'string', minLength: 1 } },
];
