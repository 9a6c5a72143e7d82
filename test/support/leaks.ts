import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under the given folders, recursively. */
export function filesUnder(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/**
 * The searchable text of a file: the file itself, plus what is packed inside it where a report
 * packs data (Playwright's HTML report embeds a base64 zip; its JSON report base64 attachments).
 */
export function searchableText(path: string): string {
  const raw = readFileSync(path);
  let text = raw.toString('latin1');
  const zip = /data:application\/zip;base64,([A-Za-z0-9+/=]+)/.exec(text);
  if (zip) {
    // python3's zipfile reads the embedded report archive; node has no zip reader of its own.
    text += execFileSync('python3', ['-c', [
      'import sys, zipfile, io, base64',
      'z = zipfile.ZipFile(io.BytesIO(base64.b64decode(sys.stdin.read())))',
      'sys.stdout.write("\\n".join(z.read(n).decode("latin1") for n in z.namelist()))',
    ].join('\n')], { input: zip[1], maxBuffer: 256 * 1024 * 1024 }).toString('latin1');
  }
  for (const m of text.matchAll(/"body":\s*"([A-Za-z0-9+/=]{16,})"/g)) text += Buffer.from(m[1]!, 'base64').toString('latin1');
  return text;
}

export interface Leak {
  file: string;
  what: string;
}

/** Finds any of `secrets` (exact) or a JWT-shaped token in any file under `dirs`. */
export function findLeaks(dirs: string[], secrets: Record<string, string[]>): Leak[] {
  const leaks: Leak[] = [];
  const jwt = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
  for (const file of filesUnder(...dirs)) {
    const text = searchableText(file);
    if (jwt.test(text)) leaks.push({ file, what: 'a JWT-shaped access token' });
    for (const [kind, values] of Object.entries(secrets)) {
      for (const v of values) if (v && text.includes(v)) leaks.push({ file, what: kind });
    }
  }
  return leaks;
}
