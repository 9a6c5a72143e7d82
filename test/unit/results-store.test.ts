import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCalls, readJourneys, readLines, resultsFileFor, ResultsStore, toLines, type StoreLine } from '../../reporters/results-store/index.ts';
import type { CallRecord, JourneyResult } from '../../src/core/records.ts';
import { tempDir } from '../support/cli.ts';

const call = (at: string, route = '/api/scholarships'): CallRecord => ({
  at, step: 'search', method: 'GET', route, status: 200, durationMs: 42, budgetMs: 150, overBudget: false,
  schema: 'scholarship-list', schemaHash: 'abc', schemaOutcome: 'pass', syntheticId: `syn-r-${at}`, traceId: 't', source: 'api',
});

function result(at: string, target: string, build = 'b1'): JourneyResult {
  return {
    journey: 'b2c-api', kind: 'api', outcome: 'passed', startedAt: at, durationMs: 50,
    labels: { target, canary: String(target === 'canary'), region: 'eu', device: 'api', cohort: 'student', build_id: build, git_sha: 'g' },
    attempts: [{ attempt: 1, status: 'passed', startedAt: at, durationMs: 50, runId: 'r', traceId: 't', steps: [], calls: [call(at)] }],
  };
}

/** Writes results into the day file of their start time, as the store would have on that day. */
function store(dir: string, results: JourneyResult[]): void {
  mkdirSync(dir, { recursive: true });
  for (const r of results) appendFileSync(resultsFileFor(dir, new Date(r.startedAt)), toLines([r]).map((l) => JSON.stringify(l)).join('\n') + '\n');
}

async function all<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

const times = (lines: StoreLine[]) => lines.map((l) => (l.type === 'journey' ? `J ${l.startedAt}` : `C ${l.at}`));

test('the writer names files by UTC day and writes a journey line, then its call lines', async () => {
  const dir = tempDir('store-');
  await new ResultsStore(dir).write({ target: 'canary', results: [result(new Date().toISOString(), 'canary')] });
  const text = readFileSync(resultsFileFor(dir, new Date()), 'utf8');
  assert.match(resultsFileFor(dir, new Date('2026-11-23T23:59:59Z')), /synthetics-2026-11-23\.ndjson$/);
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as StoreLine);
  assert.deepEqual(lines.map((l) => l.type), ['journey', 'call']);
  assert.equal(lines[1]!.target, 'canary', 'labels are flat on call lines');
});

test('reader: a time window across a day boundary, oldest first', async () => {
  const dir = tempDir('store-');
  store(dir, ['2026-11-22T23:58:00.000Z', '2026-11-22T23:59:30.000Z', '2026-11-23T00:00:30.000Z', '2026-11-23T00:02:00.000Z']
    .map((at) => result(at, 'canary')));
  const window = { since: new Date('2026-11-22T23:59:00Z'), until: new Date('2026-11-23T00:01:00Z') };
  assert.deepEqual(times(await all(readLines(dir, window))), [
    'J 2026-11-22T23:59:30.000Z', 'C 2026-11-22T23:59:30.000Z', 'J 2026-11-23T00:00:30.000Z', 'C 2026-11-23T00:00:30.000Z',
  ]);
  assert.equal((await all(readJourneys(dir, { since: new Date('2026-11-23T00:00:00Z') }))).length, 2, 'since midnight: the second day only');
  assert.equal((await all(readCalls(dir, { until: new Date('2026-11-23T00:00:00Z') }))).length, 2, 'until midnight: the first day only');
});

test('reader: per target and per build', async () => {
  const dir = tempDir('store-');
  const at = '2026-11-23T10:00:00.000Z';
  store(dir, [result(at, 'canary', 'b1'), result(at, 'control', 'b0'), result(at, 'canary', 'b2')]);
  assert.deepEqual((await all(readJourneys(dir, { target: 'canary' }))).map((l) => l.build_id), ['b1', 'b2']);
  assert.deepEqual((await all(readCalls(dir, { target: 'canary', build: 'b2' }))).map((l) => [l.target, l.build_id]), [['canary', 'b2']]);
  assert.deepEqual(await all(readLines(dir, { target: 'nobody' })), []);
});

test('reader: a torn last line and garbage are skipped; a missing dir reads as empty', async () => {
  const dir = tempDir('store-');
  const at = '2026-11-23T10:00:00.000Z';
  store(dir, [result(at, 'canary')]);
  const file = resultsFileFor(dir, new Date(at));
  appendFileSync(file, 'null\n42\n{"type":"other"}\n');
  appendFileSync(file, JSON.stringify(toLines([result(at, 'canary')])[0]).slice(0, 40));
  assert.deepEqual((await all(readLines(dir))).map((l) => l.type), ['journey', 'call']);
  writeFileSync(join(dir, 'synthetics-latest.ndjson'), 'not a day file\n');
  assert.equal((await all(readLines(dir))).length, 2, 'only day files are read');
  assert.deepEqual(await all(readLines(join(dir, 'missing'))), []);
});

test('writer: a torn last line is closed first, so the next record is not glued to it', async () => {
  const dir = tempDir('store-');
  const now = new Date('2026-11-23T10:05:00.000Z');
  const writer = new ResultsStore(dir, { now: () => now });
  const file = resultsFileFor(dir, now);
  await writer.write({ target: 'canary', results: [result('2026-11-23T10:00:00.000Z', 'canary')] });
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'two lines and the final newline, no blank line');
  // What a crash in the middle of an append leaves: part of a line, no newline.
  const fragment = JSON.stringify(toLines([result('2026-11-23T10:00:30.000Z', 'canary')])[0]).slice(0, 40);
  appendFileSync(file, fragment);
  await writer.write({ target: 'canary', results: [result('2026-11-23T10:01:00.000Z', 'canary')] });
  const raw = readFileSync(file, 'utf8').split('\n');
  assert.equal(raw.pop(), '', 'the file ends with a newline');
  const parses = (l: string) => { try { JSON.parse(l); return true; } catch { return false; } };
  assert.deepEqual(raw.map(parses), [true, true, false, true, true]);
  assert.equal(raw[2], fragment, 'the fragment stays a line of its own, untouched');
  assert.deepEqual(times(await all(readLines(dir))), [
    'J 2026-11-23T10:00:00.000Z', 'C 2026-11-23T10:00:00.000Z', 'J 2026-11-23T10:01:00.000Z', 'C 2026-11-23T10:01:00.000Z',
  ]);
});
