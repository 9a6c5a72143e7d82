import { scrub } from './scrub.ts';

/** One scrubbed line on stderr with a timestamp: the runner's only log format. */
export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${scrub(message)}\n`);
}
