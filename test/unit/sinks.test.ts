import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsSink } from '../../reporters/metrics-publisher.ts';
import { SinkFanOut, type CycleBatch, type Sink } from '../../reporters/sink.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseExposition } from '../../src/core/exposition.ts';
import type { JourneyResult } from '../../src/core/records.ts';
import { tempDir } from '../support/cli.ts';

const result = (outcome: JourneyResult['outcome']): JourneyResult => ({
  journey: 'health', kind: 'api', outcome, startedAt: new Date().toISOString(), durationMs: 5, attempts: [],
  labels: { target: 'canary', canary: 'true', region: 'eu', device: 'api', cohort: 'anonymous', build_id: 'b1', git_sha: 'g1' },
});

/** A sink that keeps what it got, or throws on every call. */
function fake(name: string, throws = false) {
  const got: CycleBatch[] = [];
  const missed: number[] = [];
  let closed = false;
  const sink: Sink = {
    name,
    async write(batch) {
      if (throws) throw new Error(`${name} is broken\nsecond line`);
      got.push(batch);
    },
    cyclesMissed(_target, n) {
      if (throws) throw new Error('broken');
      missed.push(n);
    },
    async close() {
      closed = true;
      if (throws) throw new Error('broken');
    },
  };
  return { sink, got, missed, closed: () => closed };
}

async function captureLog<T>(work: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const write = process.stderr.write;
  const lines: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { value: await work(), lines };
  } finally {
    process.stderr.write = write;
  }
}

test('a sink that throws does not stop the others: one log line, and the outcome names it', async () => {
  const [first, broken, last] = [fake('first'), fake('broken', true), fake('last')];
  const fanOut = new SinkFanOut([first.sink, broken.sink, last.sink]);
  const batch = { target: 'canary', results: [result('passed')] };
  const { value: outcome, lines } = await captureLog(() => fanOut.write(batch));
  assert.deepEqual(outcome, { notes: [], failed: ['broken'] });
  assert.deepEqual(first.got, [batch]);
  assert.deepEqual(last.got, [batch], 'the sink after the broken one still got the batch');
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0]!, /broken: write failed for target canary \(broken is broken\); the other sinks have it\n$/);

  const missed = await captureLog(async () => fanOut.cyclesMissed('canary', 2));
  assert.deepEqual([first.missed, last.missed], [[2], [2]]);
  assert.equal(missed.lines.length, 1);
  const closed = await captureLog(() => fanOut.close());
  assert.ok(first.closed() && broken.closed() && last.closed(), 'every sink is closed, the broken one too');
  assert.equal(closed.lines.length, 1);
});

test('a sink failure is counted in the metrics of the same cycle, by sink', async () => {
  const metrics = new MetricsSink(loadConfig({ REGION: 'eu', RESULTS_DIR: tempDir('sinks-') }), 'loop');
  const fanOut = new SinkFanOut([fake('results-store', true).sink, metrics]);
  const { value: outcome } = await captureLog(() => fanOut.write({ target: 'canary', results: [result('passed')] }));
  assert.deepEqual(outcome.failed, ['results-store']);
  await captureLog(() => fanOut.write({ target: 'canary', results: [result('passed')] }));
  const samples = parseExposition(await metrics.of('canary').metrics.registry.metrics()).samples;
  const failures = samples.filter((s) => s.name === 'synthetic_sink_failures_total');
  assert.deepEqual(failures.map((s) => [s.labels.sink, s.labels.target, s.value]), [['results-store', 'canary', 2]]);
});

test('a degraded sink adds a note, not a failure', async () => {
  const noting: Sink = { name: 'metrics', write: async () => 'push failed' };
  assert.deepEqual(await new SinkFanOut([noting]).write({ target: 't', results: [] }), { notes: ['push failed'], failed: [] });
});
