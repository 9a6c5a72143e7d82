import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runnerEvidence } from '../../fixtures/evidence.ts';
import { housekeep, listResultsFiles, readLines, resultsFileFor, ResultsStore, toLines, type StoreLine } from '../../reporters/results-store/index.ts';
import type { JourneyResult } from '../../src/core/records.ts';
import { tempDir } from '../support/cli.ts';

function result(at: string, target = 'canary'): JourneyResult {
  return {
    journey: 'b2c-api', kind: 'api', outcome: 'passed', startedAt: at, durationMs: 50,
    labels: { target, canary: String(target === 'canary'), region: 'eu', device: 'api', cohort: 'student', build_id: 'b1', git_sha: 'g' },
    attempts: [{
      attempt: 1, status: 'passed', startedAt: at, durationMs: 50, runId: 'r', traceId: 't', steps: [],
      calls: [{
        at, step: 'search', method: 'GET', route: '/api/scholarships', status: 200, durationMs: 42, budgetMs: 150, overBudget: false,
        schema: 'scholarship-list', schemaHash: 'abc', schemaOutcome: 'pass', syntheticId: `syn-r-${at}`, traceId: 't', source: 'api',
      }],
    }],
  };
}

/** The text the store holds for `count` journeys of `day`, one a minute from 10:00. */
function dayText(day: string, count: number): string {
  const results = Array.from({ length: count }, (_, i) => result(`${day}T10:${String(i).padStart(2, '0')}:00.000Z`));
  return toLines(results).map((l) => JSON.stringify(l)).join('\n') + '\n';
}

const plainName = (day: string) => `synthetics-${day}.ndjson`;

/** Writes a day file by name, as a store running on that day would have left it. */
function writeDay(dir: string, day: string, count: number, gz = false): string {
  mkdirSync(dir, { recursive: true });
  const text = dayText(day, count);
  writeFileSync(join(dir, plainName(day) + (gz ? '.gz' : '')), gz ? gzipSync(text) : text);
  return text;
}

async function all<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

const times = (lines: StoreLine[]) => lines.map((l) => (l.type === 'journey' ? `J ${l.startedAt}` : `C ${l.at}`));
const journeyTimes = (day: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${day}T10:${String(i).padStart(2, '0')}:00.000Z`).flatMap((t) => [`J ${t}`, `C ${t}`]);

const NOW = new Date('2026-11-25T08:00:00.000Z');

test('housekeep: finished days compressed, days beyond the retention deleted, today and strangers left alone', async () => {
  const dir = tempDir('retention-');
  writeDay(dir, '2026-11-20', 1);
  writeDay(dir, '2026-11-22', 1);
  writeDay(dir, '2026-11-22', 1, true);
  const d23 = writeDay(dir, '2026-11-23', 2);
  const d24 = writeDay(dir, '2026-11-24', 3);
  const today = writeDay(dir, '2026-11-25', 1);
  for (const stranger of ['notes.txt', 'synthetics-latest.ndjson', 'synthetics-2026-11-20.ndjson.bak']) writeFileSync(join(dir, stranger), 'x');

  // Retention 3: today and the two days before it (23, 24, 25).
  const report = await housekeep(dir, { retentionDays: 3, now: NOW });
  assert.deepEqual(report, {
    compressed: ['synthetics-2026-11-23.ndjson', 'synthetics-2026-11-24.ndjson'],
    deleted: ['synthetics-2026-11-20.ndjson', 'synthetics-2026-11-22.ndjson', 'synthetics-2026-11-22.ndjson.gz'],
    failed: [],
  });
  assert.deepEqual(readdirSync(dir).sort(), [
    'notes.txt', 'synthetics-2026-11-20.ndjson.bak',
    'synthetics-2026-11-23.ndjson.gz', 'synthetics-2026-11-24.ndjson.gz', 'synthetics-2026-11-25.ndjson',
    'synthetics-latest.ndjson',
  ]);
  assert.equal(gunzipSync(readFileSync(join(dir, 'synthetics-2026-11-23.ndjson.gz'))).toString(), d23, 'the archive holds the day byte for byte');
  assert.equal(gunzipSync(readFileSync(join(dir, 'synthetics-2026-11-24.ndjson.gz'))).toString(), d24);
  assert.equal(readFileSync(join(dir, 'synthetics-2026-11-25.ndjson'), 'utf8'), today, 'today is still being appended to');

  assert.deepEqual(times(await all(readLines(dir))), [
    ...journeyTimes('2026-11-23', 2), ...journeyTimes('2026-11-24', 3), ...journeyTimes('2026-11-25', 1),
  ]);
  assert.deepEqual(times(await all(readLines(dir, { since: new Date('2026-11-24T10:01:00Z'), until: new Date('2026-11-24T10:02:00Z') }))),
    ['J 2026-11-24T10:01:00.000Z', 'C 2026-11-24T10:01:00.000Z'], 'a window inside an archived day');

  assert.deepEqual(await housekeep(dir, { retentionDays: 3, now: NOW }), { compressed: [], deleted: [], failed: [] }, 'a second pass has nothing to do');
  assert.deepEqual(await housekeep(dir, { retentionDays: 1, now: NOW }), {
    compressed: [], deleted: ['synthetics-2026-11-23.ndjson.gz', 'synthetics-2026-11-24.ndjson.gz'], failed: [],
  }, 'retention 1 keeps today alone');
  await assert.rejects(housekeep(dir, { retentionDays: 0, now: NOW }), RangeError);
});

test('a day left in both forms (crash between rename and unlink) is read once, from the archive, then tidied', async () => {
  const dir = tempDir('retention-');
  writeDay(dir, '2026-11-24', 2);
  writeDay(dir, '2026-11-24', 2, true);
  writeDay(dir, '2026-11-25', 1);
  assert.deepEqual((await listResultsFiles(dir)).map((f) => [f.day, f.compressed, f.path.endsWith('.gz')]), [
    ['2026-11-24', true, true], ['2026-11-25', false, false],
  ]);
  assert.deepEqual(times(await all(readLines(dir))), [...journeyTimes('2026-11-24', 2), ...journeyTimes('2026-11-25', 1)]);
  assert.deepEqual(await housekeep(dir, { retentionDays: 14, now: NOW }), { compressed: [], deleted: ['synthetics-2026-11-24.ndjson'], failed: [] });
  assert.deepEqual(times(await all(readLines(dir))), [...journeyTimes('2026-11-24', 2), ...journeyTimes('2026-11-25', 1)]);
});

test('reader: a truncated or corrupt archive gives what it can and never throws; the next days are still read', async () => {
  const dir = tempDir('retention-');
  const text = writeDay(dir, '2026-11-22', 40, true);
  const archive = join(dir, 'synthetics-2026-11-22.ndjson.gz');
  const whole = readFileSync(archive);
  writeFileSync(archive, whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(join(dir, 'synthetics-2026-11-23.ndjson.gz'), 'not gzip at all\n');
  writeDay(dir, '2026-11-24', 1);

  const lines = times(await all(readLines(dir)));
  const expected = text.trimEnd().split('\n').map((l) => JSON.parse(l) as StoreLine);
  const head = lines.slice(0, -2);
  assert.ok(head.length > 0 && head.length < expected.length, `a prefix of the truncated day, got ${head.length} of ${expected.length}`);
  assert.deepEqual(head, times(expected.slice(0, head.length)), 'exactly the first lines of the day, in order');
  assert.deepEqual(lines.slice(-2), journeyTimes('2026-11-24', 1), 'the day after the damage is read whole');
});

test('housekeep: a leftover .gz.tmp from before today is deleted; one written today belongs to a compression under way', async () => {
  const dir = tempDir('retention-');
  const d23 = writeDay(dir, '2026-11-23', 1);
  writeDay(dir, '2026-11-24', 1);
  const stale = join(dir, 'synthetics-2026-11-23.ndjson.gz.tmp');
  const busy = join(dir, 'synthetics-2026-11-24.ndjson.gz.tmp');
  writeFileSync(stale, 'half an archive');
  writeFileSync(busy, 'being written');
  utimesSync(stale, new Date('2026-11-24T23:00:00Z'), new Date('2026-11-24T23:00:00Z'));
  utimesSync(busy, new Date('2026-11-25T07:59:00Z'), new Date('2026-11-25T07:59:00Z'));

  assert.deepEqual(await housekeep(dir, { retentionDays: 14, now: NOW }), {
    compressed: ['synthetics-2026-11-23.ndjson'], deleted: ['synthetics-2026-11-23.ndjson.gz.tmp'], failed: [],
  });
  assert.equal(gunzipSync(readFileSync(join(dir, 'synthetics-2026-11-23.ndjson.gz'))).toString(), d23);
  assert.deepEqual(readdirSync(dir).sort(), [
    'synthetics-2026-11-23.ndjson.gz', 'synthetics-2026-11-24.ndjson', 'synthetics-2026-11-24.ndjson.gz.tmp',
  ], 'the day another process is compressing is left to it');
  assert.equal(readFileSync(busy, 'utf8'), 'being written');
});

/** Runs `fn` with the log (stderr) captured. */
async function capturingLog(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}

test('writer: housekeeping runs on the first write and on the first write of each new day, after the append', async () => {
  const dir = tempDir('retention-');
  let now = new Date('2026-11-24T23:59:00.000Z');
  const writer = new ResultsStore(dir, { retentionDays: 2, now: () => now });
  writeDay(dir, '2026-11-20', 1);
  const log = await capturingLog(async () => {
    await writer.write({ target: 'canary', results: [result('2026-11-24T23:59:00.000Z')] });
    assert.deepEqual(readdirSync(dir).sort(), ['synthetics-2026-11-24.ndjson'], 'the first write of the process tidies up');
    writeDay(dir, '2026-11-21', 1);
    await writer.write({ target: 'canary', results: [result('2026-11-24T23:59:30.000Z')] });
    assert.ok(existsSync(join(dir, 'synthetics-2026-11-21.ndjson')), 'not again on the same day');
    now = new Date('2026-11-25T00:00:10.000Z');
    await writer.write({ target: 'canary', results: [result('2026-11-25T00:00:10.000Z')] });
  });
  assert.deepEqual(readdirSync(dir).sort(), ['synthetics-2026-11-24.ndjson.gz', 'synthetics-2026-11-25.ndjson']);
  assert.deepEqual(times(await all(readLines(dir))), [
    'J 2026-11-24T23:59:00.000Z', 'C 2026-11-24T23:59:00.000Z', 'J 2026-11-24T23:59:30.000Z', 'C 2026-11-24T23:59:30.000Z',
    'J 2026-11-25T00:00:10.000Z', 'C 2026-11-25T00:00:10.000Z',
  ]);
  assert.deepEqual(log.map((l) => l.replace(/^\S+ /, '').trimEnd()), [
    `results store ${dir}: housekeeping deleted synthetics-2026-11-20.ndjson`,
    `results store ${dir}: housekeeping compressed synthetics-2026-11-24.ndjson; deleted synthetics-2026-11-21.ndjson`,
  ]);
});

test('writer: a housekeeping failure is one log line, never a write failure', async () => {
  const dir = tempDir('retention-');
  const now = new Date('2026-11-25T08:00:00.000Z');
  // A finished day that cannot be compressed: a directory under a day file's name.
  mkdirSync(join(dir, 'synthetics-2026-11-24.ndjson'), { recursive: true });
  writeDay(dir, '2026-11-23', 1);
  const log = await capturingLog(() => new ResultsStore(dir, { now: () => now }).write({ target: 'canary', results: [result('2026-11-25T08:00:00.000Z')] }));
  assert.equal(log.length, 1);
  assert.match(log[0]!, new RegExp(`results store ${dir}: housekeeping compressed synthetics-2026-11-23\\.ndjson; failed on synthetics-2026-11-24\\.ndjson \\(EISDIR[^)]*\\)\\n$`));
  assert.ok(statSync(join(dir, 'synthetics-2026-11-24.ndjson')).isDirectory(), 'left as it was');
  assert.ok(!existsSync(join(dir, 'synthetics-2026-11-24.ndjson.gz.tmp')), 'no half archive left behind');
  assert.deepEqual(readFileSync(resultsFileFor(dir, now), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as StoreLine).type), ['journey', 'call']);
});

test('housekeep: evidence days beyond the retention go whole with their day files; kept days and strangers stay', async () => {
  const dir = tempDir('retention-');
  const evidence = (day: string) => {
    const attempt = join(dir, 'evidence', day, 'canary', 'b2c-browser-desktop-0123456789ab-a1');
    mkdirSync(attempt, { recursive: true });
    writeFileSync(join(attempt, 'screenshot.png'), 'png');
    writeFileSync(join(attempt, 'trace.zip'), 'zip');
  };
  for (const day of ['2026-11-20', '2026-11-22', '2026-11-23', '2026-11-25']) {
    writeDay(dir, day, 1);
    evidence(day);
  }
  mkdirSync(join(dir, 'evidence', 'notes'));
  writeFileSync(join(dir, 'evidence', '2026-11-01'), 'a file, not a day directory');

  // Retention 3: today and the two days before it (23, 24, 25), evidence by the same rule.
  const report = await housekeep(dir, { retentionDays: 3, now: NOW });
  assert.deepEqual(report, {
    compressed: ['synthetics-2026-11-23.ndjson'],
    deleted: ['synthetics-2026-11-20.ndjson', 'synthetics-2026-11-22.ndjson', 'evidence/2026-11-20', 'evidence/2026-11-22'],
    failed: [],
  });
  assert.deepEqual(readdirSync(join(dir, 'evidence')).sort(), ['2026-11-01', '2026-11-23', '2026-11-25', 'notes']);
  assert.ok(existsSync(join(dir, 'evidence', '2026-11-23', 'canary', 'b2c-browser-desktop-0123456789ab-a1', 'trace.zip')), 'a kept day keeps its files');
  assert.deepEqual(await housekeep(dir, { retentionDays: 3, now: NOW }), { compressed: [], deleted: [], failed: [] }, 'a second pass has nothing to do');
  assert.deepEqual((await housekeep(dir, { retentionDays: 1, now: NOW })).deleted, ['synthetics-2026-11-23.ndjson.gz', 'evidence/2026-11-23']);
});

test('housekeep: a store with no evidence directory is housekept as before', async () => {
  const dir = tempDir('retention-');
  writeDay(dir, '2026-11-20', 1);
  assert.deepEqual(await housekeep(dir, { retentionDays: 3, now: NOW }), { compressed: [], deleted: ['synthetics-2026-11-20.ndjson'], failed: [] });
  assert.equal(existsSync(join(dir, 'evidence')), false, 'nothing created');
});

test("the runner's evidence layout is the one retention deletes, and a target name never escapes it", async () => {
  const dir = tempDir('retention-');
  const output = runnerEvidence(dir, { target: '..', journey: 'b2c-browser', device: 'mobile', attempt: 2 });
  const attempt = output.dir('0123456789ab');
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(attempt, join(dir, 'evidence', today, '_.', 'b2c-browser-mobile-0123456789ab-a2'));
  mkdirSync(attempt, { recursive: true });
  writeFileSync(join(attempt, 'trace.zip'), 'zip');
  assert.equal(output.name('trace', join(attempt, 'trace.zip')), `evidence/${today}/_./b2c-browser-mobile-0123456789ab-a2/trace.zip`);
  const later = new Date(Date.now() + 3 * 86_400_000);
  assert.deepEqual((await housekeep(dir, { retentionDays: 3, now: later })).deleted, [`evidence/${today}`]);
  assert.equal(existsSync(attempt), false);
});
