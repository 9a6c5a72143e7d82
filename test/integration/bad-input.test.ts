import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMAND_USAGE } from '../../src/cli/args.ts';
import { baseEnv, closedPort, runCli, tempDir, type CliResult } from '../support/cli.ts';

/**
 * Every user input is checked at start: a mistake is one `synthetics: ` line per problem naming
 * the flag or key and the fix (a flag's syntax mistake adds the command's usage line), exit 2,
 * no stack, nothing on stdout, no secret.
 */
const STACK = /\n\s+at /;

/** Exit 2, nothing ran (stdout empty), no stack, and exactly these stderr lines (string: equal; RegExp: match). */
function refused(res: CliResult, lines: Array<string | RegExp>): void {
  const all = res.stdout + res.stderr;
  assert.equal(res.code, 2, all);
  assert.equal(res.stdout, '', 'nothing ran');
  assert.doesNotMatch(res.stderr, STACK);
  const got = res.stderr.trimEnd().split('\n');
  assert.equal(got.length, lines.length, res.stderr);
  lines.forEach((want, i) => (typeof want === 'string' ? assert.equal(got[i], want) : assert.match(got[i]!, want)));
}

const usage = (command: keyof typeof COMMAND_USAGE) => `synthetics: usage: ${COMMAND_USAGE[command]}`;

test('flag mistakes of every subcommand are one line and the usage line, never a stack', async () => {
  const cases: Array<[string[], string]> = [
    [['report', '--bogus'], 'synthetics: unknown flag --bogus for "synthetics report"'],
    [['report', 'extra'], 'synthetics: unexpected argument "extra" for "synthetics report"'],
    [['report', '--json=yes'], 'synthetics: --json takes no value'],
    [['report', '--since'], 'synthetics: --since needs a value'],
    [['report', '--since', '1h', '--since', '2h'], 'synthetics: --since given more than once'],
    [['sandbox', '--bogus'], 'synthetics: unknown flag --bogus for "synthetics sandbox"'],
    [['sandbox', 'extra'], 'synthetics: unexpected argument "extra" for "synthetics sandbox"'],
    [['run', '--once', '--bogus'], 'synthetics: unknown flag --bogus for "synthetics run"'],
    [['run', '--once', 'extra'], 'synthetics: unexpected argument "extra" for "synthetics run"'],
    [['run', '--once', '--results='], 'synthetics: --results needs a value'],
    [['journeys', 'extra'], 'synthetics: unexpected argument "extra" for "synthetics journeys"'],
    [['config', '--verbose'], 'synthetics: unknown flag --verbose for "synthetics config"'],
  ];
  const results = await Promise.all(cases.map(([argv]) => runCli(argv, baseEnv())));
  cases.forEach(([argv, line], i) => {
    const command = argv[0] as keyof typeof COMMAND_USAGE;
    refused(results[i]!, [line, usage(command)]);
  });
});

test('a flag value starting with a dash is judged as a value: --since -5m, --port -1', async () => {
  const [since, port, sinceBad] = await Promise.all([
    runCli(['report', '--since', '-5m'], baseEnv()),
    runCli(['sandbox', '--port', '-1'], baseEnv()),
    runCli(['report', '--since=soon'], baseEnv()),
  ]);
  refused(since, ['synthetics: --since "-5m": must be a duration like 15m or 1h']);
  refused(port, ['synthetics: --port "-1": must be 0 (a free port) to 65535']);
  refused(sinceBad, ['synthetics: --since "soon": must be a duration like 15m or 1h']);
});

test('report on a results dir that is not there is refused; an empty one is an empty table', async () => {
  const missing = join(tempDir('report-'), 'nope');
  refused(await runCli(['report', '--results', missing], baseEnv()), [
    `synthetics: results dir ${missing}: not found (run "synthetics run" first, or pass --results DIR)`,
  ]);
  const fromEnv = await runCli(['report'], baseEnv({ RESULTS_DIR: missing }));
  refused(fromEnv, [`synthetics: results dir ${missing}: not found (run "synthetics run" first, or pass --results DIR)`]);

  const empty = await runCli(['report', '--results', tempDir('report-empty-'), '--since', '15m'], baseEnv());
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /ROUTE/);
  assert.doesNotMatch(empty.stdout + empty.stderr, STACK);
});

test('--journey with a --project that excludes it is refused at start', async () => {
  const [none, some] = await Promise.all([
    runCli(['run', '--once', '--project', 'browser', '--journey', 'health'], baseEnv()),
    runCli(['run', '--once', '--project', 'api', '--journey', 'health,b2c-browser'], baseEnv()),
  ]);
  refused(none, ['synthetics: --journey health with --project browser selects no journey (health is an api journey): pass --project api, or leave --project out']);
  refused(some, ['synthetics: --journey health,b2c-browser with --project api would skip b2c-browser (b2c-browser is a browser journey): pass --project all, or leave --project out']);
});

test('a target name given twice with --target is refused like in a targets file', async () => {
  const res = await runCli(['run', '--every', '60s', '--target', 'a=http://127.0.0.1:1', '--target', 'a=http://127.0.0.1:2'], baseEnv());
  refused(res, ['synthetics: --target: target name "a" appears twice (names are Pushgateway groups and must be unique)']);
  // The targets file's own wording, for comparison.
  const file = join(tempDir('dup-'), 'targets.json');
  writeFileSync(file, JSON.stringify([{ name: 'a', url: 'http://127.0.0.1:1' }, { name: 'a', url: 'http://127.0.0.1:2' }]));
  refused(await runCli(['run', '--every', '60s', '--targets', file], baseEnv()), [
    `synthetics: targets file ${file}: target name "a" appears twice (names are Pushgateway groups and must be unique)`,
  ]);
});

test('a cadence over a day or under 100 ms is refused, naming --every; RUN_INTERVAL likewise', async () => {
  const [huge, tiny, env] = await Promise.all([
    runCli(['run', '--every', '999999999h'], baseEnv()),
    runCli(['run', '--every', '50ms'], baseEnv()),
    runCli(['run', '--every'], baseEnv({ RUN_INTERVAL: '999999999h' })),
  ]);
  refused(huge, ['synthetics: --every "999999999h": must be a duration from 100ms to 24h, like 60s or 5m']);
  refused(tiny, ['synthetics: --every "50ms": must be a duration from 100ms to 24h, like 60s or 5m']);
  refused(env, [/^synthetics: config RUN_INTERVAL="999999999h": must be [^\n]+ \(e\.g\. RUN_INTERVAL=60s\)$/]);
});

test('credentials in a Pushgateway URL never reach a log line or the results', { timeout: 120_000 }, async () => {
  const port = await closedPort();
  const results = tempDir('push-creds-');
  const res = await runCli(['run', '--once', '--project', 'api', '--journey', 'health'],
    baseEnv({ PUSHGATEWAY_URL: `http://user:s3cr3t-pass@127.0.0.1:${port}`, RESULTS_DIR: results }));
  const all = res.stdout + res.stderr;
  assert.equal(res.code, 0, all);
  assert.doesNotMatch(all, STACK);
  assert.match(res.stderr, new RegExp(`\\[redacted\\]@127\\.0\\.0\\.1:${port}`), 'the failed push is logged, without its credentials');
  assert.ok(!all.includes('s3cr3t-pass'), all);
  for (const f of readdirSync(results, { recursive: true }) as string[]) {
    if (/\.ndjson$|\.json$/.test(f)) assert.ok(!readFileSync(join(results, f), 'utf8').includes('s3cr3t-pass'), f);
  }
});

test('credentials in a URL the user typed are taken out of the mistake it made', async () => {
  const [env, flag] = await Promise.all([
    runCli(['config'], baseEnv({ PUSHGATEWAY_URL: 'ftp://user:s3cr3t-pass@push.example.test' })),
    runCli(['run', '--every', '60s', '--target', 'a=ftp://user:s3cr3t-pass@canary.example.test'], baseEnv()),
  ]);
  refused(env, ['synthetics: config PUSHGATEWAY_URL="ftp://[redacted]@push.example.test": must match pattern "^https?://[^\\s/]+" (e.g. PUSHGATEWAY_URL=http://127.0.0.1:9091)']);
  refused(flag, ['synthetics: --target "a=ftp://[redacted]@canary.example.test": must be NAME=URL, e.g. --target canary=https://canary.example.test']);
});

test('config messages are not garbled by the scrubber: "required" and the example address stay', async () => {
  const [required, email] = await Promise.all([
    runCli(['run', '--once', '--base-url', 'https://canary.example.test'], baseEnv()),
    runCli(['config'], baseEnv({ SYNTH_STUDENT_EMAIL: 'not-an-email' })),
  ]);
  assert.equal(required.code, 2);
  assert.equal(required.stdout, '');
  assert.doesNotMatch(required.stderr, STACK);
  assert.doesNotMatch(required.stderr, /\[redacted\]|\[email\]|\[secret\]/);
  for (const role of ['STUDENT', 'PROVIDER', 'QUOTA']) {
    for (const part of ['EMAIL', 'PASSWORD']) {
      assert.ok(required.stderr.split('\n').includes(`synthetics: config SYNTH_${role}_${part}: required when BASE_URL is set (set it in the environment or .env; see .env.example)`), required.stderr);
    }
  }
  refused(email, ['synthetics: config SYNTH_STUDENT_EMAIL="not-an-email": must match format "email" (e.g. SYNTH_STUDENT_EMAIL=synthetic-student@example.test)']);
});

test('a map key in a JSON value is named as the key, not as a JSON pointer', async () => {
  const res = await runCli(['config'], baseEnv({ LATENCY_BUDGETS: '{"/x":"a"}' }));
  refused(res, [
    'synthetics: config LATENCY_BUDGETS="{"/x":"a"}": key "/x" must match pattern "^(GET|POST|PUT|DELETE|PATCH) /" (e.g. LATENCY_BUDGETS={"GET /api/scholarships": 150})',
    'synthetics: config LATENCY_BUDGETS="{"/x":"a"}": key "/x" must be integer, got string (e.g. LATENCY_BUDGETS={"GET /api/scholarships": 150})',
  ]);
  assert.doesNotMatch(res.stderr, /~1/);
});

// These two need run.ts to call preflight() (src/cli/preflight.ts) before anything starts.
test('a results dir that cannot be created is refused at start, naming the key or the flag', { timeout: 60_000 }, async () => {
  const [env, flag] = await Promise.all([
    runCli(['run', '--once', '--project', 'api'], baseEnv({ RESULTS_DIR: '/proc/forbidden' }), { timeoutMs: 30_000 }),
    runCli(['run', '--once', '--project', 'api', '--results', '/proc/forbidden'], baseEnv(), { timeoutMs: 30_000 }),
  ]);
  refused(env, [/^synthetics: config RESULTS_DIR="\/proc\/forbidden": cannot be created or written \((ENOENT|EACCES|EPERM|EROFS): [^)]+\): pick a writable directory$/]);
  refused(flag, [/^synthetics: --results "\/proc\/forbidden": cannot be created or written \((ENOENT|EACCES|EPERM|EROFS): [^)]+\): pick a writable directory$/]);
});

test('a CHROMIUM_PATH that is not a Chromium is refused at start, naming the key', { timeout: 60_000 }, async () => {
  const started = Date.now();
  const res = await runCli(['run', '--once', '--project', 'browser'], baseEnv({ CHROMIUM_PATH: '/bin/true', RESULTS_DIR: tempDir('chromium-') }), { timeoutMs: 30_000 });
  refused(res, [/^synthetics: config CHROMIUM_PATH="\/bin\/true": not a Chromium binary \(its --version said "[^"]*"\): set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use \/usr\/bin\/chromium$/]);
  assert.ok(Date.now() - started < 8000, `refused in ${Date.now() - started} ms`);
});

test('no command, help and an unknown command', async () => {
  const [none, help, unknown, cmdHelp] = await Promise.all([
    runCli([], baseEnv()),
    runCli(['help'], baseEnv()),
    runCli(['nope'], baseEnv()),
    runCli(['report', '--help'], baseEnv()),
  ]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^usage:\n {2}synthetics run --once/);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage:\n {2}synthetics run --once/);
  assert.equal(help.stderr, '');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stdout, '');
  assert.equal(unknown.stderr.split('\n')[0], 'synthetics: unknown command "nope"');
  assert.match(unknown.stderr, /^synthetics: {3}synthetics report /m);
  assert.equal(cmdHelp.code, 0);
  assert.equal(cmdHelp.stdout, `usage: ${COMMAND_USAGE.report}\n`);
  for (const r of [none, help, unknown, cmdHelp]) assert.doesNotMatch(r.stdout + r.stderr, STACK);
});
