// The OCI image: Containerfile built on a local Debian trixie base and run here (no registry).
// Run: node --import tsx --test test/image/image.test.ts
//
// One `bash scripts/image.sh smoke` builds the image (the base is cached by a hash of its inputs;
// cold, mmdebstrap makes it first) and runs every check inside it through `buildah run`, printing
// one "smoke: ..." line per check; the tests below read those lines, and one `buildah inspect`
// reads the stored image config. Needs root, buildah, podman and mmdebstrap
// (bash scripts/setup.sh installs them).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGE = 'localhost/canary-synthetics:dev';
/** A cold build (mmdebstrap, ~2-4 min on 2 cores) and the smoke fit well inside. */
const SMOKE_TIMEOUT_MS = 15 * 60_000;
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

interface Smoke { code: number | null; signal: NodeJS.Signals | null; out: string; ms: number }

function runSmoke(): Promise<Smoke> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/image.sh', 'smoke'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    // The script's EXIT trap removes its working container: SIGTERM lets it run.
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ } }, SMOKE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
    });
  });
}

/** The one line that starts with `prefix` (the smoke prints each check once). */
function line(out: string, prefix: string): string {
  const found = out.split('\n').filter((l) => l.startsWith(prefix));
  assert.equal(found.length, 1, `expected one line starting "${prefix}", got ${found.length}:\n${out}`);
  return found[0]!;
}

describe('container image (scripts/image.sh smoke)', () => {
  let smoke: Smoke;
  before(async () => {
    smoke = await runSmoke();
    // Printed whole: the build's timings and every check land in the test log.
    console.log(smoke.out.trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  }, { timeout: SMOKE_TIMEOUT_MS + 30_000 });

  test('the smoke builds the image and passes every check (exit 0)', () => {
    assert.equal(smoke.signal, null, `smoke killed by ${smoke.signal} after ${smoke.ms} ms:\n${smoke.out}`);
    assert.equal(smoke.code, 0, `smoke exited ${smoke.code}:\n${smoke.out}`);
    assert.doesNotMatch(smoke.out, /^image: FAILED/m);
    assert.match(line(smoke.out, 'image: built '), /^image: built localhost\/canary-synthetics:dev on localhost\/canary-synthetics-base:[0-9a-f]{12} /);
    assert.match(line(smoke.out, 'image: step bud: '), /^image: step bud: \d+\.\d s$/);
    assert.match(line(smoke.out, 'smoke: ok in '), /^smoke: ok in \d+\.\d s$/);
  });

  test('the container runs as uid 10001, never root, and RESULTS_DIR is set', () => {
    assert.equal(line(smoke.out, 'smoke: id -u = '), 'smoke: id -u = 10001 (not root), RESULTS_DIR=/var/lib/synthetics/results');
    assert.match(line(smoke.out, 'smoke: config '), /^smoke: config User=10001:10001 Entrypoint=\["node","bin\/synthetics\.js"\] WorkingDir=\/app labels ok \(version=\d+\.\d+\.\d+, revision=\S+\)$/);
  });

  test('npm ci --omit=dev left everything synthetics loads at run time, and no dev dependency', () => {
    for (const cmd of ['synthetics --help', 'synthetics run --help', 'synthetics gate --help']) line(smoke.out, `smoke: ${cmd} ok`);
    const m = /^smoke: (\d+) runtime packages load \((\d+) files\): (.+)$/m.exec(smoke.out);
    assert.ok(m, `no "runtime packages load" line:\n${smoke.out}`);
    const specifiers = m[3]!.split(' ');
    assert.equal(specifiers.length, Number(m[1]));
    assert.ok(Number(m[2]) > 100, `only ${m[2]} source files scanned in the image`);
    for (const must of ['tsx/esm/api', '@playwright/test', 'ajv', 'ajv-formats', 'p-retry', 'prom-client', 'express', 'yaml', 'dotenv']) {
      assert.ok(specifiers.includes(must), `${must} not among the imports found in the image: ${specifiers.join(' ')}`);
    }
    // Every import the shipped code makes is a runtime dependency: a devDependency would be absent.
    const packageOf = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
    for (const s of specifiers) {
      assert.ok(packageOf(s) in pkg.dependencies, `${s}: imported by the shipped code but not in package.json "dependencies"`);
    }
    line(smoke.out, 'smoke: node_modules has no dev dependency');
    assert.match(line(smoke.out, 'smoke: node '), /^smoke: node v20\.\d+\.\d+, npm \d+\.\d+\.\d+, Chromium \d+\./);
  });

  test('the ignore file kept the checkout\'s own output, history and secrets out of /app', () => {
    const entries = line(smoke.out, 'smoke: /app holds: ').slice('smoke: /app holds: '.length).trim().split(/\s+/);
    for (const must of ['bin', 'src', 'node_modules', 'package.json', 'package-lock.json', 'runbook', 'schemas', 'journeys', 'sandbox', 'gate', 'reporters', 'artefacts', 'fixtures', 'specs', 'playwright.config.ts']) {
      assert.ok(entries.includes(must), `/app has no ${must}: ${entries.join(' ')}`);
    }
    for (const never of ['.git', '.env', 'test', 'test-output', 'results', 'bench', 'Containerfile', '.containerignore']) {
      assert.ok(!entries.includes(never), `/app holds ${never}: ${entries.join(' ')}`);
    }
  });

  test('run --once --project api passes against the embedded sandbox, and the browser journey in the image\'s Chromium', () => {
    // FLAKY: passed on a retry (a loaded machine may need one); FAIL never.
    const api = line(smoke.out, 'smoke: run --once --project api: ');
    assert.match(api, /^smoke: run --once --project api: exit 0 in \d+\.\d s, [1-9]\d* journeys \((\d+ (PASS|FLAKY)(, )?)+\) against the embedded sandbox, [1-9]\d* results file\(s\) in \/var\/lib\/synthetics\/results$/);
    assert.doesNotMatch(api, /FAIL/);
    assert.match(line(smoke.out, 'smoke: run --once --project browser '), /exit 0 in \d+\.\d s, 1 journeys \(1 (PASS|FLAKY)\) in the image's Chromium$/);
  });

  test('gate --serve answers /health and /api/v1/decision?phase=5 from the host, and stops on SIGTERM', () => {
    assert.match(line(smoke.out, 'smoke: gate --serve '), /^smoke: gate --serve on 127\.0\.0\.1:\d+: \/health 200, \/api\/v1\/decision\?phase=5 200 decision=(go|hold|rollback)$/);
    assert.match(line(smoke.out, 'smoke: gate stopped '), /^smoke: gate stopped on SIGTERM \(exit 0\)/);
  });

  test('the stored image config: User 10001:10001, entrypoint, Chromium and results env, OCI labels, no healthcheck', () => {
    const r = spawnSync('buildah', ['inspect', '--type', 'image', IMAGE], { encoding: 'utf8' });
    assert.equal(r.status, 0, `buildah inspect: ${r.stderr}`);
    const info = JSON.parse(r.stdout);
    const c = info.OCIv1.config;
    assert.equal(c.User, '10001:10001');
    assert.deepEqual(c.Entrypoint, ['node', 'bin/synthetics.js']);
    assert.deepEqual(c.Cmd, ['--help']);
    assert.equal(c.WorkingDir, '/app');
    const env = Object.fromEntries((c.Env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    assert.equal(env.CHROMIUM_PATH, '/usr/bin/chromium');
    assert.equal(env.RESULTS_DIR, '/var/lib/synthetics/results');
    assert.equal(env.NODE_ENV, 'production');
    assert.equal(env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD, '1');
    const labels = c.Labels as Record<string, string>;
    for (const k of ['title', 'description', 'source', 'licenses', 'version', 'revision']) {
      assert.ok(labels[`org.opencontainers.image.${k}`], `label org.opencontainers.image.${k} missing or empty`);
    }
    assert.equal(labels['org.opencontainers.image.version'], (JSON.parse(read('package.json')) as { version: string }).version);
    assert.equal(labels['org.opencontainers.image.title'], 'canary-synthetics');
    assert.equal(info.Docker?.config?.Healthcheck ?? null, null);
  });
});

describe('Containerfile and ignore files (as docker and podman read them)', () => {
  const cf = read('Containerfile');
  const instructions = cf.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  test('BASE defaults to node:20-bookworm-slim and is the first stage; no HEALTHCHECK', () => {
    assert.equal(instructions[0], 'ARG BASE=node:20-bookworm-slim');
    assert.equal(instructions[1], 'FROM ${BASE}');
    assert.ok(!instructions.some((l) => /^HEALTHCHECK\b/i.test(l)), 'a HEALTHCHECK instruction');
    assert.match(cf, /^# No HEALTHCHECK: /m, 'the comment that says why there is none');
  });

  test('apt installs chromium and fonts without recommends, npm only when missing, and cleans its lists', () => {
    const apt = instructions.find((l) => l.includes('apt-get install'));
    assert.ok(apt, 'no apt-get install');
    assert.match(apt, /apt-get install -y --no-install-recommends/);
    for (const p of ['chromium', 'fonts-liberation', 'ca-certificates']) assert.match(apt, new RegExp(`\\b${p}\\b`));
    assert.match(apt, /command -v npm >\/dev\/null 2>&1 \|\| pkgs="\$pkgs npm"/);
    assert.match(apt, /rm -rf \/var\/lib\/apt\/lists\/\*/);
  });

  test('the lock file is copied and npm ci --omit=dev runs before the sources are copied', () => {
    const at = (re: RegExp) => instructions.findIndex((l) => re.test(l));
    const lock = at(/^COPY package\.json package-lock\.json \.\/$/);
    const ci = at(/npm ci --omit=dev --no-audit --no-fund/);
    const all = at(/^COPY \. \.$/);
    assert.ok(lock >= 0 && ci > lock && all > ci, `order: lock ${lock}, npm ci ${ci}, sources ${all}`);
    assert.match(instructions[ci]!, /PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci/);
    assert.deepEqual(instructions.filter((l) => /^(USER|ENTRYPOINT|CMD|WORKDIR) /.test(l)),
      ['WORKDIR /app', 'USER 10001:10001', 'ENTRYPOINT ["node", "bin/synthetics.js"]', 'CMD ["--help"]']);
  });

  test('.dockerignore is .containerignore, and both keep node_modules, .git, .env and outputs out', () => {
    assert.equal(read('.dockerignore'), read('.containerignore'));
    const rules = read('.containerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const r of ['node_modules', '.git', '.env', '!.env.example', 'test-output', 'results', 'reports', 'bench/results', '*.tar']) {
      assert.ok(rules.includes(r), `.containerignore has no "${r}"`);
    }
  });
});
