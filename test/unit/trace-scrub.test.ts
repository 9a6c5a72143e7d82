import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { keepScrubbedTrace } from '../../fixtures/evidence.ts';
import { formsOf, Needles, scrubTrace, verifyTrace } from '../../fixtures/trace-scrub.ts';
import { Scrubber } from '../../src/core/scrub.ts';
import { tempDir } from '../support/cli.ts';

const PASSWORD = 'pa"ss\\w@rd-77';
const EMAIL = 'synthetic+4711@example.test';
const SESSION = 'sid-Jnd3u6CWcMUx84ZEZJ';
const CSRF = 'csrf-FMvc7DmB8VS1CJYy';
const ACCESS = 'opaque-access-token-91f2';

/** A trace archive as Playwright lays one out, holding each secret in each place a login puts it. */
function plantedTrace(extra: Record<string, Uint8Array> = {}): Uint8Array {
  const events = [
    { version: 8, type: 'context-options', browserName: 'chromium', options: {} },
    { type: 'before', callId: 'c@1', startTime: 1, class: 'Frame', method: 'goto', params: { url: `http://127.0.0.1:9/login?email=${encodeURIComponent(EMAIL)}` } },
    { type: 'after', callId: 'c@1', endTime: 2 },
    { type: 'before', callId: 'c@2', startTime: 3, class: 'Frame', method: 'evaluateExpression', params: { expression: '(el, v) => el.value = v', arg: { value: { s: PASSWORD } } } },
    { type: 'after', callId: 'c@2', endTime: 4 },
    { type: 'before', callId: 'c@3', startTime: 5, class: 'Frame', method: 'click', params: { selector: 'internal:testid=[data-testid="login-submit"s]' } },
    { type: 'after', callId: 'c@3', endTime: 6 },
    {
      type: 'frame-snapshot', snapshot: {
        callId: 'c@3', html: ['HTML', {}, ['BODY', {},
          ['SPAN', { class: 'who' }, EMAIL],
          ['INPUT', { type: 'hidden', name: 'csrf', value: CSRF }],
          ['INPUT', { type: 'password', name: 'pw', __playwright_value_: 'never-registered-pw' }],
        ]], resourceOverrides: [{ url: 'http://127.0.0.1:9/app.css', sha1: 'app.css' }],
      },
    },
    { type: 'log', callId: 'c@3', message: `navigating to "http://127.0.0.1:9/?token=${ACCESS}"` },
  ];
  const network = [{
    type: 'resource-snapshot', snapshot: {
      request: {
        method: 'POST', url: 'http://127.0.0.1:9/login',
        headers: [{ name: 'Cookie', value: `sid=${SESSION}; csrf_token=${CSRF}` }, { name: 'Accept', value: '*/*' }],
        cookies: [{ name: 'sid', value: SESSION }],
        postData: { mimeType: 'application/x-www-form-urlencoded', text: '', _file: 'resources/form.dat' },
      },
      response: {
        status: 200, headers: [{ name: 'Set-Cookie', value: `sid=${SESSION}; Path=/; HttpOnly` }],
        content: { mimeType: 'application/json', _file: 'resources/body.json' },
      },
    },
  }];
  return zipSync({
    'trace.trace': strToU8(events.map((e) => JSON.stringify(e)).join('\n') + '\n'),
    'trace.network': strToU8(network.map((e) => JSON.stringify(e)).join('\n') + '\n'),
    'resources/form.dat': strToU8(`next=%2F&email=${encodeURIComponent(EMAIL)}&password=${encodeURIComponent(PASSWORD)}`),
    'resources/body.json': strToU8(JSON.stringify({ accessToken: ACCESS, user: { email: EMAIL } })),
    'resources/page.html': strToU8(`<meta name="csrf-token" content="${CSRF}"><script>window.__user = {"email":"synthetic+4711\\u0040example.test"}</script>`),
    'resources/app.css': strToU8('body { color: red }'),
    ...extra,
  });
}

const text = (zip: Uint8Array) => Object.entries(unzipSync(zip)).map(([name, bytes]) => `${name}\n${Buffer.from(bytes).toString('latin1')}`).join('\n');

test('a planted trace: every secret goes, in every form, and the archive stays one the viewer reads', () => {
  const raw = plantedTrace();
  const all = [PASSWORD, EMAIL, SESSION, CSRF, ACCESS, 'never-registered-pw'];
  for (const s of all) assert.ok(formsOf(s).some((f) => text(raw).includes(f)), `the raw trace holds ${s}`);

  // The scrubber knows the configured password only: the session, CSRF and access token are
  // learnt from the trace itself (cookies, headers, body keys), the email by pattern.
  const scrubber = new Scrubber();
  scrubber.addSecret(PASSWORD, true);
  const { zip, changed } = scrubTrace(raw, scrubber);
  assert.ok(changed >= 10, `the scrub counted ${changed} replacements`);
  for (const s of all) for (const form of formsOf(s)) assert.ok(!text(zip).includes(form), `${JSON.stringify(form)} (a form of ${s}) is gone`);
  assert.ok(!text(zip).includes('4711'), 'the \\u0040-escaped address in a page script is gone');
  assert.equal(verifyTrace(zip, [...scrubber.knownSecrets(), EMAIL]), undefined);

  const entries = unzipSync(zip);
  assert.deepEqual(Object.keys(entries).sort(), Object.keys(unzipSync(raw)).sort(), 'no entry dropped');
  const events = Buffer.from(entries['trace.trace']!).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events.filter((e) => e.type === 'before').map((e) => e.method), ['goto', 'evaluateExpression', 'click'], 'the actions are all there');
  assert.equal(Buffer.from(entries['resources/app.css']!).toString(), 'body { color: red }', 'an innocent resource is untouched');
  const body = JSON.parse(Buffer.from(entries['resources/body.json']!).toString()) as { accessToken: string; user: { email: string } };
  assert.deepEqual(body, { accessToken: '[redacted]', user: { email: '[email]' } }, 'a JSON body stays JSON');
});

test('JSON stays valid whatever a secret holds: quotes, backslashes, a replacement inside an escape', () => {
  const scrubber = new Scrubber();
  scrubber.addSecret(PASSWORD, true);
  scrubber.addSecret('u0040ex', true); // would cut an escape in half if replaced in raw JSON text
  const { zip } = scrubTrace(plantedTrace(), scrubber);
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    if (!/\.(trace|network|json)$/.test(name)) continue;
    for (const line of Buffer.from(bytes).toString('utf8').split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), `${name}: ${line.slice(0, 80)}`);
  }
});

test('a trace whose scan fails is not kept, and the reason says so', async () => {
  const dir = tempDir('trace-scan-');
  const scrubber = new Scrubber();
  scrubber.addSecret(PASSWORD, true);
  // An image holds no text to scrub: a secret in its bytes survives the scrub, and the scan finds it.
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, ...Buffer.from(PASSWORD, 'utf8'), 0]);
  const kept = await keepScrubbedTrace(plantedTrace({ 'resources/pic.png': png }), join(dir, 'trace.zip'), [EMAIL], scrubber);
  assert.deepEqual(kept, { withheld: 'trace withheld: secret scan found 1 hit after scrubbing' });
  assert.deepEqual(readdirSync(dir), [], 'nothing written, not even a temporary file');

  // A secret registered only after the scrub (a token seen later in the attempt) is caught too.
  const { zip } = scrubTrace(plantedTrace(), scrubber);
  assert.equal(verifyTrace(zip, scrubber.knownSecrets()), undefined);
  assert.equal(verifyTrace(zip, [...scrubber.knownSecrets(), 'login-submit']), 'trace withheld: secret scan found 1 hit after scrubbing');

  const ok = await keepScrubbedTrace(plantedTrace(), join(dir, 'trace.zip'), [EMAIL], scrubber);
  assert.deepEqual(ok, { path: join(dir, 'trace.zip') });
  assert.ok(existsSync(join(dir, 'trace.zip')));
});

test('an archive the viewer could not read is not kept either', () => {
  assert.match(verifyTrace(new Uint8Array([1, 2, 3]), [])!, /^trace withheld: the scrubbed archive is unreadable/);
  assert.equal(verifyTrace(zipSync({ 'x.txt': strToU8('x') }), []), 'trace withheld: the archive has no trace.trace');
  assert.equal(verifyTrace(zipSync({ 'trace.trace': strToU8('{"type":"before"}\n{not json\n') }), []), 'trace withheld: trace.trace line 2 is not JSON after scrubbing');
  const lost = zipSync({ 'trace.trace': strToU8('{}\n'), 'trace.network': strToU8('{"snapshot":{"response":{"content":{"_file":"resources/gone.json"}}}}\n') });
  assert.equal(verifyTrace(lost, []), 'trace withheld: 1 resource(s) it points at are missing (resources/gone.json)');
});

test('needles: one pass, longest first at a position, every one of thousands found', () => {
  const many = Array.from({ length: 12_000 }, (_, i) => `token-${i}-${'x'.repeat(i % 7)}`);
  const needles = new Needles([...many, 'abcdef', 'abcdefgh']);
  assert.equal(needles.replace('[abcdefgh] abcdefg token-11997-xxxxxx.', '#'), '[#] #g #.');
  assert.equal(needles.count('token-5-xxxxx token-5-xxxxx'), 2);
  assert.equal(new Needles([]).replace('nothing', '#'), 'nothing');
  const big = 'lorem ipsum '.repeat(100_000);
  const started = performance.now();
  assert.equal(needles.count(big), 0);
  assert.ok(performance.now() - started < 2_000, '1.2 MB against 12,000 needles in well under the capture budget');
});
