// Evidence of failed browser attempts (issue 13): a screenshot and a Playwright trace, kept by
// the runner and by Playwright Test, scrubbed and scanned so no kept file holds a secret, and
// still a trace Playwright's own tooling reads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from '@playwright/test';
import { unzipSync } from 'fflate';
import { keepScrubbedTrace, startEvidence, type EvidenceOutput } from '../../fixtures/evidence.ts';
import { formsOf } from '../../fixtures/trace-scrub.ts';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CHROMIUM_ARGS, findChromium } from '../../src/core/chromium.ts';
import { Scrubber } from '../../src/core/scrub.ts';
import { baseEnv, readResults, ROOT, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { filesUnder, findLeaks } from '../support/leaks.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';

let sb: SandboxHandle;
before(async () => {
  sb = await sandbox();
});
after(async () => {
  await sb.close();
});

const ACCOUNTS = Object.values(SANDBOX_ACCOUNTS);
/** Breaks b2c-browser after its log-in step: the results page answers 500. */
const SEARCH_FAULT = { route: '/search', status: 500 };
const PW_CLI = join(ROOT, 'node_modules/playwright-core/cli.js');

/** Everything no kept file may hold: the accounts' passwords and emails, and every secret the sandbox issued. */
async function secrets(): Promise<Record<string, string[]>> {
  const issued = (await (await fetch(`${sb.url}/__sandbox/issued-secrets`)).json()) as Record<string, string[]>;
  return {
    password: ACCOUNTS.map((a) => a.password),
    'account email': [...ACCOUNTS.map((a) => a.email), ...issued.emails!],
    'refresh token': issued.refreshTokens!,
    'session id or CSRF token': issued.sessionSecrets!,
    'checkout nonce or client token': issued.checkoutSecrets!,
  };
}

/** Each secret in each form a trace could hold it (URL-encoded, JSON-escaped): what the leak scan looks for. */
const inAllForms = (s: Record<string, string[]>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.flatMap(formsOf)]));

/** Unzips every .zip under `dir` beside itself (`<zip>.entries/`), so the leak scan reads each entry. */
function unzipBeside(dir: string): string[] {
  const zips = filesUnder(dir).filter((f) => f.endsWith('.zip'));
  for (const zip of zips) {
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zip)))) {
      const path = join(`${zip}.entries`, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, bytes);
    }
  }
  return zips;
}

/**
 * The trace opens: a valid archive whose trace.trace and trace.network lines all parse, with the
 * journey's actions in it, and Playwright's own trace reader (`playwright trace`, the model the
 * viewer builds, headless) lists them. Returns that listing.
 */
function assertTraceOpens(path: string): string {
  const entries = unzipSync(readFileSync(path));
  assert.ok(entries['trace.trace'] && entries['trace.network'], `${path}: ${Object.keys(entries).join(', ')}`);
  const events = ['trace.trace', 'trace.network'].flatMap((name) =>
    Buffer.from(entries[name]!).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; method?: string }));
  const methods = new Set(events.filter((e) => e.type === 'before').map((e) => e.method));
  for (const m of ['goto', 'click', 'evaluateExpression', 'fill']) assert.ok(methods.has(m), `${m} in ${[...methods].join(', ')}`);
  assert.ok(events.some((e) => e.type === 'after'), 'actions end');

  const cwd = tempDir('trace-cli-');
  execFileSync(process.execPath, [PW_CLI, 'trace', 'open', path], { cwd });
  const actions = execFileSync(process.execPath, [PW_CLI, 'trace', 'actions'], { cwd }).toString();
  for (const title of [/Navigate\s+\d/, /\/login\?/, /Evaluate[\s\S]*getByTestId\('password'\)/, /Click[\s\S]*getByTestId\('login-submit'\)/, /Fill/]) assert.match(actions, title);
  return actions;
}

test('a raw trace of a log-in holds the password, session, CSRF token and email; scrubbed, none, and it still opens', { timeout: 60_000 }, async () => {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const dir = tempDir('trace-raw-');
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await context.tracing.start({ snapshots: true, screenshots: false, sources: false });
    const { email, password } = SANDBOX_ACCOUNTS.student;
    await page.goto(`${sb.url}/login?next=/`);
    await page.getByTestId('email').evaluate((el, v) => void ((el as HTMLInputElement).value = v), email);
    await page.getByTestId('password').evaluate((el, v) => void ((el as HTMLInputElement).value = v), password);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.getByTestId('login-submit').click()]);
    await page.getByTestId('search-input').fill('engineering');
    await page.getByTestId('search-submit').click();
    await page.waitForURL((u) => u.pathname === '/search');
    await context.tracing.stop({ path: join(dir, 'raw.zip') });
  } finally {
    await browser.close();
  }
  const all = await secrets();
  const raw = readFileSync(join(dir, 'raw.zip'));
  const rawText = Object.values(unzipSync(raw)).map((b) => Buffer.from(b).toString('latin1')).join('\n');
  const held = (values: string[]) => values.filter((v) => rawText.includes(v));
  assert.deepEqual(held([SANDBOX_ACCOUNTS.student.password, SANDBOX_ACCOUNTS.student.email]).length, 2, 'the raw trace holds the password and the email');
  assert.ok(held(all['session id or CSRF token']!).length >= 2, 'the raw trace holds the session id and the CSRF token');

  // A scrubber that knows the configured passwords only, as the runner's does before any traffic:
  // the cookies and the CSRF token are learnt from the trace itself.
  const scrubber = new Scrubber();
  for (const a of ACCOUNTS) scrubber.addSecret(a.password, true);
  const keptAt = join(dir, 'kept', 'trace.zip');
  mkdirSync(join(dir, 'kept'));
  const kept = await keepScrubbedTrace(raw, keptAt, ACCOUNTS.map((a) => a.email), scrubber);
  assert.deepEqual(kept, { path: keptAt });
  unzipBeside(dir);
  const leaks = findLeaks([join(dir, 'kept')], inAllForms(all));
  assert.deepEqual(leaks, [], leaks.map((l) => `${l.what} in ${l.file}`).join('\n'));
  assert.ok(findLeaks([join(dir, 'raw.zip.entries')], all).length > 0, 'the same scan finds them in the raw trace');

  const cwd = tempDir('trace-cli-');
  execFileSync(process.execPath, [PW_CLI, 'trace', 'open', keptAt], { cwd });
  const actions = execFileSync(process.execPath, [PW_CLI, 'trace', 'actions'], { cwd }).toString();
  assert.match(actions, /Click[\s\S]*getByTestId\('login-submit'\)[\s\S]*Fill "engineering"/);
  const requests = execFileSync(process.execPath, [PW_CLI, 'trace', 'requests'], { cwd }).toString();
  assert.match(requests, /POST\s+303\s+login/, 'the network log is read too');
});

test('runner: a failed browser attempt keeps a screenshot and a scrubbed trace, linked from its journey line', { timeout: 120_000 }, async () => {
  const out = tempDir('evidence-runner-');
  const results = join(out, 'results');
  await sb.fault(SEARCH_FAULT);
  let res;
  try {
    res = await runCli(['run', '--once', '--project', 'browser', '--journey', 'b2c-browser'], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results }));
  } finally {
    await sb.clearFaults();
  }
  writeFileSync(join(out, 'runner.log'), res.stdout + res.stderr);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  const [line] = readResults(results).filter((l) => l.type === 'journey');
  const [attempt] = line!.attempts as Array<{ status: string; runId: string; steps: Array<{ title: string; status: string }>; evidence?: Record<string, string> }>;
  assert.equal(attempt!.status, 'failed');
  assert.deepEqual(attempt!.steps[0], { ...attempt!.steps[0], title: 'log in', status: 'passed' }, 'the log-in ran in this attempt: its secrets were in the page');
  const at = `evidence/\\d{4}-\\d{2}-\\d{2}/default/b2c-browser-desktop-${attempt!.runId}-a1`;
  assert.match(attempt!.evidence?.screenshot ?? '', new RegExp(`^${at}/screenshot\\.png$`), JSON.stringify(attempt!.evidence));
  assert.match(attempt!.evidence?.trace ?? '', new RegExp(`^${at}/trace\\.zip$`));
  assert.equal(attempt!.evidence?.withheld, undefined);
  const png = readFileSync(join(results, attempt!.evidence!.screenshot!));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  // Kept for a person to look at: the failure as the user saw it, the account's email masked.
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  writeFileSync(join(ROOT, 'test-output', 'evidence-runner.png'), png);
  assertTraceOpens(join(results, attempt!.evidence!.trace!));

  unzipBeside(out);
  const leaks = findLeaks([out], inAllForms(await secrets()));
  assert.deepEqual(leaks, [], leaks.map((l) => `${l.what} in ${l.file}`).join('\n'));
});

test('Playwright Test: the failed test carries the screenshot and the trace as attachments, scrubbed alike', { timeout: 180_000 }, async () => {
  const out = tempDir('evidence-pw-');
  const env = {
    ...baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: join(out, 'results') }),
    PW_OUTPUT_DIR: join(out, 'test-results'), PW_HTML_DIR: join(out, 'html'), PW_JSON_FILE: join(out, 'report.json'),
  };
  await sb.fault(SEARCH_FAULT);
  let res;
  try {
    res = await runPlaywright(['--project', 'desktop', '--grep', 'b2c-browser'], env);
  } finally {
    await sb.clearFaults();
  }
  writeFileSync(join(out, 'playwright.log'), res.stdout + res.stderr);
  assert.equal(res.code, 1, res.stdout + res.stderr);

  type Attachment = { name: string; contentType: string; path?: string };
  const report = readFileSync(join(out, 'report.json'), 'utf8');
  const attachments: Attachment[] = [...report.matchAll(/"attachments":\s*(\[[^\]]*\])/g)].flatMap((m) => JSON.parse(m[1]!) as Attachment[]);
  const screenshot = attachments.find((a) => a.name === 'screenshot');
  const trace = attachments.find((a) => a.name === 'trace');
  assert.equal(screenshot?.contentType, 'image/png', JSON.stringify(attachments));
  assert.equal(trace?.contentType, 'application/zip');
  assert.ok(existsSync(screenshot!.path!) && existsSync(trace!.path!));
  assert.equal(readFileSync(screenshot!.path!).subarray(1, 4).toString(), 'PNG');
  assertTraceOpens(trace!.path!);
  const [line] = readResults(join(out, 'results')).filter((l) => l.type === 'journey');
  assert.deepEqual((line!.attempts as Array<{ evidence?: unknown }>)[0]!.evidence, { screenshot: 'screenshot', trace: 'trace' }, 'the store names the attachments');

  const zips = unzipBeside(out);
  assert.ok(zips.some((z) => z.startsWith(join(out, 'html'))), 'the HTML report carries the trace for its viewer');
  const leaks = findLeaks([out], inAllForms(await secrets()));
  assert.deepEqual(leaks, [], leaks.map((l) => `${l.what} in ${l.file}`).join('\n'));
});

test('a hung page does not hang the capture: what cannot be had by the deadline is withheld', { timeout: 60_000 }, async () => {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dir = tempDir('evidence-hung-');
    const output: EvidenceOutput = { dir: () => dir, name: (kind) => kind };
    const recording = await startEvidence({ context, page }, loadConfig({}), output);
    await page.goto(`${sb.url}/login`);
    // From now on the page's main thread spins forever: nothing it is asked to render ever comes.
    await page.evaluate(() => void setTimeout(() => { for (;;); }, 0));
    const started = Date.now();
    output.deadline = started + 2_000; // as the runner's cycle deadline would
    const evidence = await recording!.finish(true, 'hung');
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 4_000, `capture took ${tookMs} ms against a 2 s deadline`);
    assert.match(evidence?.withheld ?? '', /^screenshot withheld: no screenshot within \d+ ms/);
    assert.equal(existsSync(join(dir, 'screenshot.png')), false);
    // The trace needs no rendering: it is usually kept (stopping it is bounded too).
    if (evidence?.trace) assertTraceOpensRaw(join(dir, 'trace.zip'));
  } finally {
    await browser.close();
  }
});

/** A kept trace of a page that never journeyed: a valid archive whose lines parse, with its goto. */
function assertTraceOpensRaw(path: string): void {
  const lines = Buffer.from(unzipSync(readFileSync(path))['trace.trace']!).toString('utf8').split('\n').filter(Boolean);
  assert.ok(lines.map((l) => JSON.parse(l) as { method?: string }).some((e) => e.method === 'goto'));
}

/** One runner run of b2c-browser with `env`; its first attempt and output. */
async function runnerAttempt(env: Record<string, string>) {
  const results = tempDir('evidence-mode-');
  const res = await runCli(['run', '--once', '--project', 'browser', '--journey', 'b2c-browser'], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results, ...env }));
  const [line] = readResults(results).filter((l) => l.type === 'journey');
  const attempt = (line?.attempts as Array<{ status: string; evidence?: Record<string, string> }> | undefined)?.[0];
  return { res, results, attempt };
}

test('EVIDENCE=off keeps nothing, even for a failed attempt', { timeout: 120_000 }, async () => {
  await sb.fault(SEARCH_FAULT);
  try {
    const { res, results, attempt } = await runnerAttempt({ EVIDENCE: 'off' });
    assert.equal(res.code, 1);
    assert.equal(attempt?.status, 'failed');
    assert.equal(attempt?.evidence, undefined);
    assert.equal(existsSync(join(results, 'evidence')), false);
  } finally {
    await sb.clearFaults();
  }
});

test('EVIDENCE=always keeps evidence of a passed attempt', { timeout: 120_000 }, async () => {
  const { res, results, attempt } = await runnerAttempt({ EVIDENCE: 'always' });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.equal(attempt?.status, 'passed');
  assert.ok(attempt?.evidence?.screenshot && attempt.evidence.trace && !attempt.evidence.withheld, JSON.stringify(attempt?.evidence));
  assert.ok(existsSync(join(results, attempt.evidence.screenshot)));
  assertTraceOpens(join(results, attempt.evidence.trace));
});

test('a piece that cannot be had is withheld, the verdict stands, and the runner says so in one line', { timeout: 120_000 }, async () => {
  // A selector the page cannot parse makes the masked screenshot fail; the trace is still kept.
  const { res, attempt } = await runnerAttempt({ EVIDENCE: 'always', EVIDENCE_MASK: 'div[[' });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.equal(attempt?.status, 'passed');
  assert.ok(attempt?.evidence?.trace && !attempt.evidence.screenshot, JSON.stringify(attempt?.evidence));
  assert.match(attempt.evidence.withheld ?? '', /^screenshot withheld: .*div\[\[/);
  const said = res.stderr.split('\n').filter((l) => l.includes('withheld'));
  assert.equal(said.length, 1, res.stderr);
  assert.match(said[0]!, /default: b2c-browser\/desktop attempt 1: screenshot withheld: /);
});

test('a bad EVIDENCE value is one line naming the key and the fix, exit 2', async () => {
  const res = await runCli(['run', '--once', '--project', 'browser'], baseEnv({ EVIDENCE: 'sometimes' }));
  assert.equal(res.code, 2);
  assert.equal(res.stdout, '');
  assert.equal(res.stderr, 'synthetics: config EVIDENCE="sometimes": must be one of off, on-failure, always (e.g. EVIDENCE=on-failure)\n');
});
