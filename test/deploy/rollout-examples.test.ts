// The rollout-tool examples in ci/argo-rollouts/ and ci/flagger/: each document validated against
// the real CRD schema Kubernetes would apply (../shared/crds, `spec.versions[served].schema.
// openAPIV3Schema`), mutated copies rejected (so the validator can fail), the wiring checked
// (routes, phases, token), and every call the examples make replayed against the real gate server.
// Run: node --import tsx --test test/deploy/rollout-examples.test.ts
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { CRD_DIR, readCrd, readExample, repairUnderIndentedQuotedScalars, SHARED_CRD_DIR, validate, type Crd, type Obj } from '../support/crds.ts';
import { startGateServer, PHASES, type GateServer } from '../../gate/server.ts';
import type { Decision, GateResult } from '../../gate/decision-types.ts';
import type { Entry, Ledger, Slot } from '../../gate/ledger.ts';

const ARGO_FILE = 'ci/argo-rollouts/analysis-template.yaml';
const FLAGGER_FILE = 'ci/flagger/canary.yaml';
const CRD_FILES = ['argo-rollouts-analysistemplate.crd.yaml', 'flagger-canary.crd.yaml'];
const GATE_ORIGIN = 'http://synthetics-gate.synthetics.svc:8080';
const DECIDE_BOUND_S = 20; // gate/server.ts DEFAULT_DECIDE_TIMEOUT_MS

// ---------------------------------------------------------------------------------------------
// CRDs
// ---------------------------------------------------------------------------------------------

/** The commented "--- Rollout canary steps (example) ---" block of the Argo file, uncommented and parsed. */
function rolloutSnippet(text: string): Obj {
  const m = /^# --- Rollout canary steps \(example\) ---\n([\s\S]*?)^# --- end ---$/m.exec(text);
  if (!m) throw new Error(`${ARGO_FILE}: no "# --- Rollout canary steps (example) ---" … "# --- end ---" block`);
  const yamlText = m[1]!.split('\n').map((l) => l.replace(/^# ?/, '')).join('\n');
  const doc = parseDocument(yamlText);
  if (doc.errors.length) throw new Error(`${ARGO_FILE}: the Rollout snippet is not YAML: ${doc.errors[0]!.message}`);
  return doc.toJS();
}

const clone = <T>(x: T): T => structuredClone(x);
const phaseOf = (url: string) => new URL(url.replace(/\{\{args\.phase\}\}/, '0')).searchParams.get('phase');
/** Argo Rollouts retries an errored measurement every 10 s (analysis/analysis.go DefaultErrorRetryInterval). */
const ARGO_ERROR_RETRY_S = 10;

describe('rollout examples against the real CRDs', () => {
  let crds: Crd[] = [];
  let argo: { text: string; docs: Obj[] };
  let flagger: { text: string; docs: Obj[] };

  before(() => {
    if (!fs.existsSync(CRD_DIR)) throw new Error(`the CRD folder ${CRD_DIR} is missing: it holds the rollout tools' CRDs (see its README)`);
    for (const f of CRD_FILES) {
      if (!fs.existsSync(path.join(CRD_DIR, f))) throw new Error(`${path.join(CRD_DIR, f)} is missing: copy it as ${CRD_DIR}/README.md says`);
    }
    for (const f of CRD_FILES) {
      const shared = path.join(SHARED_CRD_DIR, f);
      if (fs.existsSync(shared) && fs.readFileSync(shared, 'utf8') !== fs.readFileSync(path.join(CRD_DIR, f), 'utf8')) {
        throw new Error(`ci/crds/${f} differs from ${shared}: copy it again (ci/crds/README.md)`);
      }
    }
    crds = CRD_FILES.map(readCrd);
    argo = readExample(ARGO_FILE);
    flagger = readExample(FLAGGER_FILE);
  });

  test('the CRDs parse; only description scalars needed re-indenting (so the schemas are as upstream)', () => {
    const argoCrd = crds.find((c) => c.file.startsWith('argo'))!;
    assert.deepEqual(argoCrd.repaired, [], 'the Argo CRD is strict YAML');
    const flaggerCrd = crds.find((c) => c.file.startsWith('flagger'))!;
    assert.ok(flaggerCrd.repaired.length > 0, 'the Flagger CRD needed the repair (if upstream fixed it, drop the repair)');
    assert.deepEqual([...new Set(flaggerCrd.repaired.map((r) => r.key))], ['description']);
    // The repair is a no-op on YAML that is already valid.
    const valid = "a:\n  description: 'one\n    two'\n  type: string\n";
    assert.deepEqual(repairUnderIndentedQuotedScalars(valid), { text: valid, repaired: [] });
  });

  test('every document of each example validates against its CRD schema', () => {
    assert.deepEqual(argo.docs.map((d) => d.kind), ['AnalysisTemplate']);
    assert.deepEqual(flagger.docs.map((d) => d.kind), ['Canary']);
    for (const [file, docs] of [[ARGO_FILE, argo.docs], [FLAGGER_FILE, flagger.docs]] as const) {
      for (const doc of docs) assert.deepEqual(validate(crds, doc), [], `${file}: ${doc.kind} ${doc.metadata?.name}`);
    }
  });

  test('the validator rejects mutated copies (wrong types, an unknown webhook type, a missing field)', () => {
    const at = argo.docs[0];
    const canary = flagger.docs[0];
    const cases: Array<{ what: string; doc: Obj; expect: RegExp }> = [
      { what: 'interval as a number', doc: (() => { const d = clone(at); d.spec.metrics[0].interval = 60; return d; })(), expect: /\/spec\/metrics\/0\/interval: must be string/ },
      { what: 'timeoutSeconds as a string', doc: (() => { const d = clone(at); d.spec.metrics[0].provider.web.timeoutSeconds = '25'; return d; })(), expect: /timeoutSeconds: must be integer/ },
      { what: 'a header without a value', doc: (() => { const d = clone(at); delete d.spec.metrics[0].provider.web.headers[0].value; return d; })(), expect: /headers\/0: must have required property 'value'/ },
      { what: 'a secretKeyRef without a key', doc: (() => { const d = clone(at); delete d.spec.args[1].valueFrom.secretKeyRef.key; return d; })(), expect: /secretKeyRef: must have required property 'key'/ },
      { what: 'a web provider without a url', doc: (() => { const d = clone(at); delete d.spec.metrics[0].provider.web.url; return d; })(), expect: /web: must have required property 'url'/ },
      { what: 'an unknown webhook type', doc: (() => { const d = clone(canary); d.spec.analysis.webhooks[0].type = 'confirm-deploy'; return d; })(), expect: /webhooks\/0\/type: must be equal to one of the allowed values \(.*confirm-rollout/ },
      { what: 'stepWeights as strings', doc: (() => { const d = clone(canary); d.spec.analysis.stepWeights = ['5', '25']; return d; })(), expect: /stepWeights\/0: must be number/ },
      { what: 'a webhook timeout without a unit', doc: (() => { const d = clone(canary); d.spec.analysis.webhooks[1].timeout = '25'; return d; })(), expect: /webhooks\/1\/timeout: must match pattern/ },
      { what: 'a metadata value that is not a string', doc: (() => { const d = clone(canary); d.spec.analysis.webhooks[0].metadata = { token: 5 }; return d; })(), expect: /metadata\/token: must be string/ },
      { what: 'a webhook url that is not a url', doc: (() => { const d = clone(canary); d.spec.analysis.webhooks[0].url = 'synthetics gate'; return d; })(), expect: /webhooks\/0\/url: must match format "url"/ },
      { what: 'no targetRef', doc: (() => { const d = clone(canary); delete d.spec.targetRef; return d; })(), expect: /\/spec: must have required property 'targetRef'/ },
    ];
    for (const c of cases) {
      const problems = validate(crds, c.doc);
      assert.ok(problems.some((p) => c.expect.test(p)), `${c.what}: expected ${c.expect}, got ${JSON.stringify(problems)}`);
    }
    assert.throws(() => validate(crds, { ...clone(canary), apiVersion: 'flagger.app/v1alpha9' }), /no version v1alpha9 of Canary/);
    assert.throws(() => validate(crds, { ...clone(canary), kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1' }), /no CRD .* for Rollout/);
  });

  test('each file starts with comments: what it is, what to replace, why the status codes matter', () => {
    for (const [file, text] of [[ARGO_FILE, argo.text], [FLAGGER_FILE, flagger.text]] as const) {
      const head = text.slice(0, text.search(/^apiVersion:/m));
      assert.ok(head.split('\n').filter(Boolean).every((l) => l.startsWith('#')), `${file}: the header is comments`);
      for (const word of [/Replace/, /status code/i, /synthetics-gate\.synthetics\.svc:8080/]) assert.match(head, word, `${file}: header mentions ${word}`);
    }
  });

  test('Argo Rollouts: the web metric reads the gate as the status codes and flags mean it', () => {
    const t = argo.docs[0];
    assert.equal(t.apiVersion, 'argoproj.io/v1alpha1');
    const args = Object.fromEntries((t.spec.args as Obj[]).map((a) => [a.name, a]));
    assert.deepEqual(Object.keys(args).sort(), ['gate-token', 'phase']);
    assert.equal(args.phase.value, undefined, 'the phase comes from each Rollout step');
    assert.deepEqual(args['gate-token'].valueFrom, { secretKeyRef: { name: 'synthetics-gate', key: 'token' } });
    assert.equal(t.spec.metrics.length, 1);
    const m = t.spec.metrics[0];
    const web = m.provider.web;
    assert.equal(web.url, `${GATE_ORIGIN}/api/v1/decision?phase={{args.phase}}`);
    assert.equal(web.method, undefined, 'GET');
    assert.deepEqual(web.headers, [{ key: 'Authorization', value: 'Bearer {{args.gate-token}}' }]);
    assert.equal(web.jsonPath, '{$.decision}', 'the decision string, so go / hold / rollback are three values');
    assert.equal(m.successCondition, 'result == "go"');
    assert.equal(m.failureCondition, 'result == "rollback"');
    assert.equal(m.interval, '60s');
    assert.equal(m.consecutiveSuccessLimit, 1, 'the first go ends the analysis');
    assert.equal(m.failureLimit, 0, 'the first rollback aborts');
    assert.ok(m.inconclusiveLimit >= m.count, 'holds never end the analysis early');
    assert.ok(m.count * 60 >= 2 * 3600, 'count covers a long observation window');
    // The run errors at MORE than the limit; errors come 10 s apart when each call fails at once.
    assert.ok(m.consecutiveErrorLimit * ARGO_ERROR_RETRY_S >= 120, `a gate restart (2 min) is outlasted: ${m.consecutiveErrorLimit} x 10 s`);
    assert.ok(m.consecutiveErrorLimit * ARGO_ERROR_RETRY_S <= 600, 'a gate that stays away still aborts within minutes');
    const errorLine = argo.text.split('\n').find((l) => l.includes('consecutiveErrorLimit: ') && l.startsWith('#'));
    assert.match(errorLine ?? '', new RegExp(`consecutiveErrorLimit: ${m.consecutiveErrorLimit}\\b`), 'the comment says the limit the template sets');
    assert.match(argo.text, new RegExp(`${m.consecutiveErrorLimit} x ${ARGO_ERROR_RETRY_S} s = ${m.consecutiveErrorLimit * ARGO_ERROR_RETRY_S} s`), 'the comment shows the arithmetic');
    assert.ok(web.timeoutSeconds > DECIDE_BOUND_S, 'longer than the gate bounds its own decision');
  });

  test('Argo Rollouts: the Rollout snippet runs the template after each setWeight, with that weight as the phase', () => {
    const { steps } = rolloutSnippet(argo.text);
    const pairs: Array<[number, string]> = [];
    for (let i = 0; i < steps.length; i++) {
      if (steps[i].setWeight === undefined) continue;
      const next = steps[i + 1]?.analysis;
      assert.ok(next, `setWeight ${steps[i].setWeight} is followed by an analysis step`);
      assert.deepEqual(next.templates, [{ templateName: argo.docs[0].metadata.name }]);
      const phase = (next.args as Obj[]).find((a) => a.name === 'phase');
      pairs.push([steps[i].setWeight, phase?.value]);
    }
    assert.deepEqual(pairs, PHASES.map((p) => [p, String(p)]));
  });

  test('Flagger: webhooks point at the right routes and phases, with the token as Flagger can send it', () => {
    const c = flagger.docs[0];
    assert.equal(c.apiVersion, 'flagger.app/v1beta1');
    assert.deepEqual(c.spec.analysis.stepWeights, PHASES.filter((p) => p < 100), 'the steps are the runbook phases (the gate judges the phase equal to the weight)');
    // No provider, or kubernetes, is blue/green: stepWeights never apply (scheduler.go advanceCanary).
    assert.ok(typeof c.spec.provider === 'string' && c.spec.provider !== '' && c.spec.provider !== 'kubernetes', `provider ${c.spec.provider} shifts traffic`);
    if (c.spec.provider.startsWith('gatewayapi')) assert.ok(c.spec.service.gatewayRefs?.length > 0, 'gatewayapi needs service.gatewayRefs');
    if (c.spec.provider === 'nginx') assert.ok(c.spec.ingressRef, 'nginx needs spec.ingressRef');
    const hooks = c.spec.analysis.webhooks as Obj[];
    const byType = (type: string) => hooks.filter((h) => h.type === type);
    for (const h of hooks) {
      const url = new URL(h.url);
      assert.equal(url.origin, GATE_ORIGIN, h.name);
      assert.ok(['confirm-traffic-increase', 'confirm-promotion', 'rollback'].includes(h.type), `${h.name}: ${h.type}`);
      assert.equal(url.pathname, h.type === 'rollback' ? '/flagger/rollback' : '/flagger/gate', h.name);
      // The URL shape only: what the gate does with phase=current is replayed below.
      assert.equal(phaseOf(h.url), 'current', `${h.name}: the phase is the canary's weight`);
      assert.equal(url.searchParams.get('hook'), h.type === 'confirm-promotion' ? 'confirm-promotion' : null, `${h.name}: only the promotion hook names itself`);
      assert.deepEqual(h.metadata, { token: 'REPLACE_WITH_GATE_TOKEN', workload: c.spec.targetRef.name }, `${h.name}: the token placeholder and the targetRef name (flagger_canary_weight's workload label)`);
      assert.ok(parseInt(h.timeout, 10) > DECIDE_BOUND_S && h.timeout.endsWith('s'), `${h.name}: timeout ${h.timeout}`);
    }
    assert.equal(byType('confirm-traffic-increase').length, 1, 'every weight increase waits for the gate');
    assert.equal(byType('confirm-promotion').length, 1, 'promotion waits for the gate');
    assert.equal(byType('rollback').length, 1, 'one rollback hook, on the current phase');
    assert.equal(byType('rollout').length, 0, 'a rollout hook would count holds as failed checks');
    assert.equal(byType('confirm-rollout').length, 0, 'confirm-rollout runs before the canary exists: it would hold forever');
    // Failed checks never reset during a run: a budget, not a per-step hold count.
    const threshold = c.spec.analysis.threshold;
    assert.ok(threshold >= 5 && threshold <= 20, `threshold ${threshold}: a few Prometheus blips over the whole run, not a window's worth of holds`);
    assert.match(flagger.text, new RegExp(`# threshold: ${threshold}\\.`), 'the comment explains the threshold it sets');
  });

  test('no secret in the examples: the token is a placeholder or a Secret reference', () => {
    for (const [file, text] of [[ARGO_FILE, argo.text], [FLAGGER_FILE, flagger.text]] as const) {
      assert.doesNotMatch(text, /Bearer\s+(?!\{\{args\.gate-token\}\}|<token>)[A-Za-z0-9._~+/=-]{8,}/, `${file}: a literal bearer token`);
      for (const m of text.matchAll(/^\s*token:\s*(\S+)/gm)) assert.match(m[1]!, /^REPLACE_/, `${file}: token ${m[1]}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The calls the examples make, replayed against the real gate server
// ---------------------------------------------------------------------------------------------

describe('the examples work against the gate server', () => {
  const TOKEN = 'example-replay-token-93be1d';
  let decision: Decision = 'go';
  let weight = 0;
  const judged: number[] = [];
  const weightsAsked: Array<{ namespace: string; workload: string }> = [];
  let server: GateServer;
  const kept = new Map<string, Entry>();
  const ledger: Ledger = {
    where: 'memory',
    read: async (slot: Slot) => kept.get(JSON.stringify(slot)),
    write: async (slot: Slot, entry: Entry) => void kept.set(JSON.stringify(slot), entry),
  };
  const decide = async (phase: number, profile: string | undefined): Promise<GateResult> => (judged.push(phase), {
    decision, reason: `fixed ${decision}`, phase, profile: profile ?? 'standard',
    window: { from: '2025-01-01T00:00:00Z', to: '2025-01-01T01:00:00Z', elapsedMs: 3_600_000, requiredMs: 3_600_000 },
    freshness: [], checks: [],
  });
  const local = (url: string) => url.replace(GATE_ORIGIN, server.url);

  before(async () => {
    server = await startGateServer({
      port: 0, token: TOKEN, decide, ledger,
      // flagger_canary_weight as Prometheus would answer it: the weight the test sets, scraped now.
      canaryWeight: async (who) => (weightsAsked.push(who), { weight, sampledAt: Date.now() }),
    });
  });
  after(() => server.close());

  /** Argo's conditions here have one shape: `result == "<decision>"`, result being what jsonPath picked. */
  const holds = (condition: string, result: unknown) => {
    const m = /^result == "(\w+)"$/.exec(condition);
    assert.ok(m, `condition of an unexpected shape: ${condition}`);
    return result === m[1];
  };
  /** The value Argo's jsonPath `{$.key}` (or `{$}`) picks from the answer. */
  const pick = (jsonPath: string, body: Obj) => {
    const m = /^\{\$(?:\.(\w+))?\}$/.exec(jsonPath);
    assert.ok(m, `jsonPath of an unexpected shape: ${jsonPath}`);
    return m[1] ? body[m[1]] : body;
  };

  test('Argo Rollouts: each phase step measures Successful on go, Failed on rollback, Inconclusive on hold', async () => {
    const { text, docs } = readExample(ARGO_FILE);
    const metric = docs[0].spec.metrics[0];
    const { steps } = rolloutSnippet(text);
    const phases = steps.filter((s: Obj) => s.analysis).map((s: Obj) => s.analysis.args.find((a: Obj) => a.name === 'phase').value);
    const expected = { go: 'Successful', rollback: 'Failed', hold: 'Inconclusive' } as const;
    for (const phase of phases) {
      for (const d of ['go', 'hold', 'rollback'] as const) {
        decision = d;
        const url = local(metric.provider.web.url.replace('{{args.phase}}', phase));
        const headers = Object.fromEntries(metric.provider.web.headers.map((h: Obj) => [h.key, h.value.replace('{{args.gate-token}}', TOKEN)]));
        const res = await fetch(url, { headers });
        assert.equal(res.status, 200, `phase ${phase} ${d}: a non-2xx would be a measurement error`);
        const body = await res.json();
        assert.equal(body.phase, Number(phase));
        const result = pick(metric.provider.web.jsonPath, body);
        const measured = holds(metric.failureCondition, result) ? 'Failed' : holds(metric.successCondition, result) ? 'Successful' : 'Inconclusive';
        assert.equal(measured, expected[d], `phase ${phase} ${d}`);
      }
    }
    decision = 'go';
    const noToken = await fetch(local(metric.provider.web.url.replace('{{args.phase}}', '5')));
    assert.equal(noToken.status, 401, 'a missing Secret shows as errors, never as a pass');
  });

  test('Flagger: each hook judges the phase equal to the canary weight; the gate hooks get a 2xx only on go, the rollback hook only on rollback', async () => {
    const { docs } = readExample(FLAGGER_FILE);
    const c = docs[0];
    const hooks = c.spec.analysis.webhooks as Obj[];
    let call = 0;
    // As Flagger sends it: POST, JSON body with its own phase and the hook's metadata, no other
    // headers. A new checksum each call: the gate's own rule about a weight sample older than its
    // last go (gate/flagger-step.ts) is the gate's tests' business, not the example's.
    const post = async (h: Obj) => {
      const res = await fetch(local(h.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: c.metadata.name, namespace: c.metadata.namespace, phase: 'Progressing', checksum: `rev-${++call}`, metadata: { ...h.metadata, token: TOKEN } }),
      });
      await res.text();
      return res.status;
    };
    // Before the first step nothing is judged: the gate hooks say yes, the rollback hook no.
    weight = 0;
    judged.length = 0;
    for (const h of hooks) assert.equal((await post(h)) <= 202, h.type !== 'rollback', `${h.name} at weight 0`);
    assert.deepEqual(judged, [], 'nothing judged at weight 0');
    for (const w of c.spec.analysis.stepWeights as number[]) {
      for (const d of ['go', 'hold', 'rollback'] as const) {
        decision = d;
        weight = w;
        judged.length = 0;
        for (const h of hooks) {
          const status = await post(h);
          const yes = status <= 202; // Flagger: any status above 202 is a "no"
          const want = h.type === 'rollback' ? d === 'rollback' : d === 'go';
          assert.equal(yes, want, `${h.name} (${h.type}) at weight ${w} on ${d}: ${status}`);
        }
        assert.deepEqual([...new Set(judged)], [w], `weight ${w}: every hook judged phase ${w}`);
      }
    }
    assert.ok(weightsAsked.every((x) => x.workload === c.spec.targetRef.name && x.namespace === c.metadata.namespace), 'the weight is read for the Canary\'s targetRef in its namespace (flagger_canary_weight{workload,namespace})');
    const h = hooks[0];
    const placeholder = await fetch(local(h.url), { method: 'POST', body: JSON.stringify({ metadata: h.metadata }) });
    assert.equal(placeholder.status, 401, 'the placeholder token is refused');
  });
});
