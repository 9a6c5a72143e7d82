import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CallRecord, RunLabels } from '../src/core/records.ts';

export type StoredCall = CallRecord & RunLabels & { type: 'call'; journey: string; attempt: number; retry: boolean; runId: string };

/** Streams the call lines of every results file in `dir` (oldest day first), optionally since a time. */
export async function* readCalls(dir: string, since?: Date): AsyncGenerator<StoredCall> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^synthetics-\d{4}-\d{2}-\d{2}\.ndjson$/.test(f)).sort();
  const sinceIso = since?.toISOString();
  for (const file of files) {
    if (sinceIso && file.slice(11, 21) < sinceIso.slice(0, 10)) continue;
    const lines = createInterface({ input: createReadStream(join(dir, file), 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes('"type":"call"')) continue;
      let call: StoredCall;
      try {
        call = JSON.parse(line) as StoredCall;
      } catch {
        continue; // a line cut short by a full disk is skipped, not fatal
      }
      if (!sinceIso || call.at >= sinceIso) yield call;
    }
  }
}
