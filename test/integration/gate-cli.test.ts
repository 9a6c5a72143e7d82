// Every command that reads the runbook answers a bad one with one line per problem and exit 2
// (never go, never roll back on a mistake), as it answers a bad flag.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseEnv, runCli, tempDir } from '../support/cli.ts';

const GOOD = readFileSync(new URL('../../runbook/canary.yaml', import.meta.url), 'utf8');
const STACK = /\n\s+at /;

function variant(name: string, text: string): string {
  const path = join(tempDir('runbook-'), `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

const phaseBlock = (text: string) => text.slice(text.indexOf('      - percent: 50'), text.indexOf('      # "The rest of the day"'));

const CASES: Array<{ what: string; path: () => string; lines: RegExp[] }> = [
  { what: 'wrong type', path: () => variant('type', GOOD.replace('threshold: 130', 'threshold: high')), lines: [/^synthetics: runbook \S+: profiles\.(default|strict)\.checks\[1\]\.threshold: must be number, got string \(fix: give a number\)$/] },
  { what: 'unknown metric', path: () => variant('metric', GOOD.replace('metric: latency_p99', 'metric: latency_p42')), lines: [/^synthetics: runbook \S+: profiles\.default\.checks\[\d+\]\.metric: must be one of latency_p95, .* \(fix: pick one of the listed\)$/] },
  { what: 'missing phase', path: () => variant('phase', GOOD.replace(phaseBlock(GOOD), '')), lines: [/^synthetics: runbook \S+: profiles\.default\.phases: 50 is missing \(fix: list the phases 5, 25, 50, 100 in this order, each once\)$/] },
  { what: 'YAML syntax', path: () => variant('syntax', GOOD.replace('roles:\n', 'roles:\n  - broken: [\n')), lines: [/^synthetics: runbook \S+: line \d+, column \d+: .+$/] },
  { what: 'missing file', path: () => '/nonexistent/canary.yaml', lines: [/^synthetics: runbook \/nonexistent\/canary\.yaml: not found \(pass --runbook FILE, or restore runbook\/canary\.yaml\)$/] },
];

for (const c of CASES) {
  test(`a bad runbook (${c.what}): one line per problem, exit 2, from gate, gate --serve and drill`, async () => {
    const path = c.path();
    for (const args of [['gate', '--phase', '5', '--runbook', path], ['gate', '--serve', '--port', '0', '--runbook', path], ['drill', '--runbook', path]]) {
      const res = await runCli(args, baseEnv({ RESULTS_DIR: tempDir('gate-cli-') }), { timeoutMs: 30_000 });
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
      assert.equal(res.stdout, '');
      assert.doesNotMatch(res.stderr, STACK);
      const lines = res.stderr.trim().split('\n');
      for (const re of c.lines) assert.ok(lines.some((l) => re.test(l)), `${args[1]}: ${re} in\n${res.stderr}`);
      assert.ok(lines.every((l) => l.startsWith('synthetics: runbook ')), res.stderr);
    }
  });
}

test('bad gate flags: one line naming the flag and the fix, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['gate'], /^synthetics: --phase "": must be one of 5, 25, 50, 100$/m],
    [['gate', '--phase', '7'], /^synthetics: --phase "7": must be one of 5, 25, 50, 100$/m],
    [['gate', '--phase', '5', '--time-scale', '2'], /^synthetics: --time-scale "2": must be a number above 0 and at most 1, like 0\.005$/m],
    [['gate', '--phase', '5', '--profile', 'lenient'], /^synthetics: --profile "lenient": not in the runbook \(known: default, strict\)$/m],
    [['gate', '--phase', '5', '--window', 'soon'], /^synthetics: --window "soon": must be a duration like 90m or 2h$/m],
    [['gate', '--phase', '5', '--at', 'yesterday'], /^synthetics: --at "yesterday": must be a time like 2026-11-24T10:00:00Z$/m],
    [['gate', '--phase', '5', '--baseline', '/nonexistent/baseline.json'], /^synthetics: --baseline \/nonexistent\/baseline\.json: not found/m],
    [['gate', '--phase', '5', '--bogus'], /^synthetics: unknown flag --bogus for "synthetics gate"$/m],
  ];
  for (const [args, re] of cases) {
    const res = await runCli(args, baseEnv({ RESULTS_DIR: tempDir('gate-cli-') }), { timeoutMs: 30_000 });
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, re, args.join(' '));
    assert.doesNotMatch(res.stderr, STACK);
  }
});
