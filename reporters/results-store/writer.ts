import { appendFile, mkdir } from 'node:fs/promises';
import type { CycleBatch, Sink } from '../sink.ts';
import { resultsFileFor } from './files.ts';
import { toLines } from './lines.ts';

/** The results store as a sink: each batch appended to the day's file, one JSON line per record. */
export class ResultsStore implements Sink {
  readonly name = 'results-store';
  readonly title: string;
  constructor(readonly dir: string) {
    this.title = `results store ${dir}`;
  }

  async write({ results }: CycleBatch): Promise<void> {
    if (results.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    const text = toLines(results).map((line) => JSON.stringify(line)).join('\n') + '\n';
    await appendFile(resultsFileFor(this.dir, new Date()), text);
  }
}
