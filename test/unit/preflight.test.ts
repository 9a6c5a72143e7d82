import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkChromium, checkResultsDir, preflight } from '../../src/cli/preflight.ts';
import { loadConfig } from '../../src/config/load.ts';
import { UserFacingError } from '../../src/core/errors.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'preflight-'));

/** An executable shell script in a temp dir. */
function script(body: string): string {
  const path = join(temp(), 'fake-browser');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const config = (env: Record<string, string>) => loadConfig(env);

/** Asserts `work` rejects with a UserFacingError whose message is `expected` (string: exactly; RegExp: matches). */
async function refuses(work: Promise<unknown>, expected: string | RegExp): Promise<void> {
  await assert.rejects(work, (e: unknown) => {
    assert.ok(e instanceof UserFacingError, `a UserFacingError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    if (typeof expected === 'string') assert.equal(e.message, expected);
    else assert.match(e.message, expected);
    return true;
  });
}

test('the results dir is created (mkdir -p) and left with no probe file', async () => {
  const dir = join(temp(), 'a', 'b', 'results');
  await preflight(config({ RESULTS_DIR: dir }), { browser: false });
  assert.ok(existsSync(dir));
  assert.deepEqual(readdirSync(dir), []);
});

test('a results dir that cannot be created is one line naming the key and the fix', async () => {
  await refuses(
    preflight(config({ RESULTS_DIR: '/proc/forbidden' }), { browser: false }),
    'config RESULTS_DIR="/proc/forbidden": cannot be created or written (ENOENT: no such file or directory): pick a writable directory',
  );
  const file = join(temp(), 'a-file');
  writeFileSync(file, 'x');
  await refuses(
    preflight(config({ RESULTS_DIR: join(file, 'results') }), { browser: false }),
    `config RESULTS_DIR="${join(file, 'results')}": cannot be created or written (ENOTDIR: not a directory): pick a writable directory`,
  );
  // A path that exists but is a file, named as the flag when it came from --results.
  await refuses(
    preflight(config({ RESULTS_DIR: file }), { browser: false, resultsFlag: true }),
    `--results "${file}": cannot be created or written (ENOTDIR: not a directory): pick a writable directory`,
  );
});

test('a results dir that does not answer is refused within the bound', async () => {
  // A hung mount, played by a FIFO where the probe file goes: opening it for writing blocks.
  const dir = temp();
  const fifo = join(dir, `.synthetics-probe-${process.pid}`);
  execFileSync('mkfifo', [fifo]);
  const started = Date.now();
  try {
    await refuses(checkResultsDir(dir, `config RESULTS_DIR="${dir}"`, 300), `config RESULTS_DIR="${dir}": cannot be created or written (no answer within 0.3 s): pick a writable directory`);
    assert.ok(Date.now() - started < 3000);
  } finally {
    // Let the blocked open finish, so this process can end.
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  }
});

test('a CHROMIUM_PATH that is not a Chromium is refused by what its --version said', async () => {
  await refuses(
    preflight(config({ RESULTS_DIR: temp(), CHROMIUM_PATH: '/bin/true' }), { browser: true }),
    /^config CHROMIUM_PATH="\/bin\/true": not a Chromium binary \(its --version said "[^"]*"\): set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use \/usr\/bin\/chromium$/,
  );
  await refuses(
    checkChromium('/bin/false'),
    'config CHROMIUM_PATH="/bin/false": not a working Chromium (its --version: exit 1): set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use /usr/bin/chromium',
  );
  const silent = script('exit 0');
  await refuses(checkChromium(silent), `config CHROMIUM_PATH="${silent}": not a Chromium binary (its --version said ""): set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use /usr/bin/chromium`);
  // Naming its own path on stderr is not naming Chromium.
  const noisy = script('echo "$0: chromium wrapper failed" >&2; exit 0');
  await refuses(checkChromium(noisy), /not a Chromium binary \(its --version said ""\)/);
});

test('a browser whose --version hangs is cut at the bound', async () => {
  const hung = script('exec sleep 30');
  const started = Date.now();
  await refuses(checkChromium(hung, 300), `config CHROMIUM_PATH="${hung}": not a working Chromium (its --version: no answer within 0.3 s): set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use /usr/bin/chromium`);
  assert.ok(Date.now() - started < 5000);
});

test('a missing browser is still the "what to install" line', async () => {
  await refuses(
    preflight(config({ RESULTS_DIR: temp(), CHROMIUM_PATH: '/nonexistent/chromium' }), { browser: true }),
    'no Chromium found (looked at /nonexistent/chromium): install it with "apt-get install -y chromium" or set CHROMIUM_PATH to a Chromium/Chrome binary',
  );
});

test('a Chromium passes: a fake one that says so, and the real one', async () => {
  const fake = script('echo "Chromium 156.0.8078.79 built on Debian GNU/Linux 12 (bookworm)"');
  assert.equal(await checkChromium(fake), fake);
  await checkChromium(script('echo "Google Chrome 126.0.6478.126"'));
  // The machine's own browser (CI installs it): whatever findChromium picks must pass.
  await preflight(config({ RESULTS_DIR: temp() }), { browser: true });
  // With no browser journey selected, the browser is not looked at.
  await preflight(config({ RESULTS_DIR: temp(), CHROMIUM_PATH: '/bin/true' }), { browser: false });
});
