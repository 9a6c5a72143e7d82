// The data flow, as the imports must show it: config → runner → journeys / fixtures → reporters →
// results store / Pushgateway. A rule broken names the file and the import that breaks it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const SOURCES = ['src', 'fixtures', 'reporters', 'journeys', 'gate', 'artefacts', 'specs', 'playwright.config.ts'];

function filesUnder(path: string): string[] {
  const abs = join(ROOT, path);
  if (statSync(abs).isFile()) return [path];
  return readdirSync(abs).flatMap((name) => filesUnder(join(path, name))).filter((f) => f.endsWith('.ts'));
}

/** Every relative import of a file (static, re-export, dynamic, type-only), resolved from the root. */
export function importsOf(file: string, text: string): string[] {
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

interface Rule {
  from: (file: string) => boolean;
  forbidden: (target: string) => boolean;
  why: string;
}

const under = (dir: string) => (path: string) => path === dir || path.startsWith(`${dir}/`);
const RULES: Rule[] = [
  { from: under('src/core'), forbidden: (t) => ['src/config', 'src/runner', 'src/cli', 'fixtures', 'reporters', 'journeys'].some((d) => under(d)(t)), why: 'src/core is the bottom layer: it imports no config, runner, fixtures or reporters' },
  { from: under('reporters'), forbidden: under('src/runner'), why: 'reporters never import the runner (the runner is handed its sinks)' },
  { from: under('fixtures'), forbidden: under('src/runner'), why: 'fixtures never import the runner (the runner calls the fixtures)' },
  { from: under('reporters'), forbidden: (t) => t === 'fixtures/test.ts', why: 'reporters never import the Playwright fixtures' },
  { from: under('reporters'), forbidden: (t) => under('journeys')(t) || under('src/cli')(t), why: 'reporters take results; they know no journey and no command' },
  { from: under('src/config'), forbidden: (t) => ['src/runner', 'src/cli', 'fixtures', 'reporters', 'journeys'].some((d) => under(d)(t)), why: 'config is read first: it imports only core' },
  { from: under('journeys'), forbidden: (t) => under('src/runner')(t) || under('reporters')(t) || under('src/cli')(t), why: 'journeys are functions of their context: no runner, no sinks' },
  { from: under('src/runner'), forbidden: (t) => under('reporters')(t) && t !== 'reporters/sink.ts', why: 'the runner is handed its sinks: it imports the sink contract, no concrete reporter' },
  { from: under('gate'), forbidden: (t) => ['src/runner', 'src/cli', 'fixtures', 'journeys'].some((d) => under(d)(t)), why: 'the gate reads what the reporters wrote: it imports no runner, fixtures or journeys' },
  { from: under('reporters'), forbidden: under('gate'), why: 'reporters sit below the gate: they never import it' },
  { from: under('artefacts'), forbidden: (t) => ['src/runner', 'src/cli', 'src/config', 'fixtures', 'journeys'].some((d) => under(d)(t)), why: 'what people and tools look at is made from what the gate reads: no runner, config, fixtures or journeys (the command hands them in)' },
  { from: (f) => ['gate', 'reporters', 'src/core', 'src/runner', 'fixtures', 'journeys'].some((d) => under(d)(f)), forbidden: under('artefacts'), why: 'artefacts are the last layer: nothing below imports them' },
  { from: (f) => f === 'playwright.config.ts', forbidden: (t) => under('src/runner')(t) || under('fixtures')(t), why: 'the Playwright config imports neither the runner nor the fixtures' },
];

/** Every broken rule as `file: import "target": why`. */
export function violations(files: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    for (const target of importsOf(file, text)) {
      for (const rule of RULES) if (rule.from(file) && rule.forbidden(target)) out.push(`${file}: import "${target}": ${rule.why}`);
    }
  }
  return out;
}

test('imports flow downhill: config → runner → journeys / fixtures → reporters, core at the bottom', () => {
  const files = SOURCES.flatMap(filesUnder).map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
  assert.ok(files.length > 50, `read ${files.length} source files`);
  assert.deepEqual(violations(files), []);
});

test('the import check can fail, and names the file and the import', () => {
  const planted = [
    { file: 'reporters/x.ts', text: "import { Scheduler } from '../src/runner/scheduler.ts';" },
    { file: 'src/core/y.ts', text: "import type {\n  SuiteConfig,\n} from '../config/load.ts';" },
    { file: 'fixtures/z.ts', text: "const m = await import('../src/runner/suite.ts');" },
    { file: 'reporters/w.ts', text: "export { ATTEMPT } from '../fixtures/test.ts';" },
    { file: 'src/runner/v.ts', text: "import { ResultsStore } from '../../reporters/results-store/index.ts';\nimport type { Sink } from '../../reporters/sink.ts';" },
    { file: 'gate/u.ts', text: "import { runAttempt } from '../fixtures/attempt.ts';" },
    { file: 'artefacts/t.ts', text: "import { JOURNEYS } from '../journeys/index.ts';" },
    { file: 'gate/s.ts', text: "import { phaseSummary } from '../artefacts/phase-report.ts';" },
  ];
  assert.deepEqual(violations(planted).map((v) => v.split(': ').slice(0, 2).join(': ')), [
    'reporters/x.ts: import "src/runner/scheduler.ts"',
    'src/core/y.ts: import "src/config/load.ts"',
    'fixtures/z.ts: import "src/runner/suite.ts"',
    'reporters/w.ts: import "fixtures/test.ts"',
    'src/runner/v.ts: import "reporters/results-store/index.ts"',
    'gate/u.ts: import "fixtures/attempt.ts"',
    'artefacts/t.ts: import "journeys/index.ts"',
    'gate/s.ts: import "artefacts/phase-report.ts"',
  ]);
});
