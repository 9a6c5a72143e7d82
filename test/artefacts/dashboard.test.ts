// The ship-room dashboard: generated from the runbook (its lines are the runbook's numbers and move
// with them), importable as it is, and every query of every panel answers from a real Prometheus
// that scraped a real runner's pushes against a control and a canary sandbox.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dashboardJson } from '../../artefacts/dashboard.ts';
import { DEFAULT_RUNBOOK_PATH, loadRunbook } from '../../gate/runbook.ts';
import { selectJourneys } from '../../journeys/index.ts';
import { UserFacingError } from '../../src/core/errors.ts';
import { baseEnv, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';
import { poll, promQuery, promSeries, sleep, startRunner, useServicesAndSandbox } from '../runner/helpers.ts';

interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string }>;
  fieldConfig?: { defaults: { thresholds?: { steps: Array<{ value: number | null; color: string }> }; custom?: { thresholdsStyle?: { mode: string } } } };
}
interface VariableJson { name: string; type: string; query?: string; multi?: boolean; includeAll?: boolean; allValue?: string }

const panelsOf = (d: Record<string, unknown>) => (d.panels as PanelJson[]).filter((p) => p.type !== 'row');
const variablesOf = (d: Record<string, unknown>) => (d.templating as { list: VariableJson[] }).list;
function panel(d: Record<string, unknown>, title: string): PanelJson {
  const found = panelsOf(d).find((p) => p.title === title);
  assert.ok(found, `no panel "${title}" (panels: ${panelsOf(d).map((p) => p.title).join(' | ')})`);
  return found;
}
/** The panel's threshold lines as [value, colour] (the base step draws none). */
const linesOf = (p: PanelJson) => (p.fieldConfig?.defaults.thresholds?.steps ?? []).filter((s) => s.value !== null).map((s) => [s.value, s.color]);

const PANELS = [
  'Last cycle age per runner',
  'P50 canary, critical routes', 'P50 control, critical routes',
  'P95 canary, critical routes', 'P95 control, critical routes',
  'P99 canary, critical routes', 'P99 control, critical routes',
  'Calls by status class', '5xx share of calls, canary vs control', 'No-answer share of calls, canary vs control',
  'Journey success, last cycle', 'Journey success ratio, canary vs control', 'Journey runs by outcome',
  'Consecutive failed checks', 'Schema failures by route',
  'Time to value P80, canary vs control', 'Time to first interaction P80, canary vs control',
];

/** The shipped runbook with `from` replaced by `to` (exactly once), loaded from a copy. */
function editedRunbook(edits: Array<[string, string]>) {
  let text = readFileSync(DEFAULT_RUNBOOK_PATH, 'utf8');
  for (const [from, to] of edits) {
    assert.equal(text.split(from).length, 2, `"${from}" appears exactly once in the runbook`);
    text = text.replace(from, to);
  }
  const path = join(tempDir('dashboard-runbook-'), 'canary.yaml');
  writeFileSync(path, text);
  return loadRunbook(path);
}

test('the dashboard has the ship-room panels, each described, on a Prometheus data source, filterable by region, importable', () => {
  const d = dashboardJson(loadRunbook(), 'default');
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d, 'plain JSON: no undefined, NaN, Infinity or class instance');
  assert.equal(d.uid, 'canary-ship-room-default');
  assert.equal(d.title, 'Canary ship room (default profile)');
  assert.equal(typeof d.schemaVersion, 'number');

  const [datasource, region, device] = variablesOf(d);
  assert.deepEqual([datasource?.name, datasource?.type, datasource?.query], ['datasource', 'datasource', 'prometheus']);
  assert.deepEqual([region?.name, region?.type, region?.query, region?.multi, region?.includeAll, region?.allValue],
    ['region', 'query', 'label_values(synthetic_last_cycle_timestamp_seconds, region)', true, true, '.*']);
  assert.equal(device?.name, 'device');

  const panels = panelsOf(d);
  assert.deepEqual(panels.map((p) => p.title).sort(), [...PANELS].sort());
  const ids = (d.panels as PanelJson[]).map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, `panel ids unique: ${ids}`);
  for (const p of panels) {
    assert.ok(p.description && p.description.length > 40, `${p.title}: says what it means`);
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
    assert.ok(p.targets?.length, `${p.title}: has a query`);
    const { x, y, w, h } = p.gridPos;
    assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, `${p.title}: gridPos ${JSON.stringify(p.gridPos)} fits the 24-column grid`);
    for (const q of p.targets!) {
      const selectors = [...q.expr.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
      assert.ok(selectors.length > 0, `${p.title}: ${q.expr}`);
      for (const s of selectors) assert.match(s, /(^|,)region=~"\$region"(,|$)/, `${p.title}: every selector filters by region: {${s}}`);
    }
  }
  // No two panels on the same cells (Grafana would shove one aside on import).
  for (const [i, a] of panels.entries()) {
    for (const b of panels.slice(i + 1)) {
      const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x
        || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
      assert.ok(apart, `"${a.title}" and "${b.title}" overlap`);
    }
  }
  assert.throws(() => dashboardJson(loadRunbook(), 'nightly'), (e) => e instanceof UserFacingError && /no profile "nightly" \(profiles: default, strict\)/.test(e.message));
});

test('the lines drawn are the runbook\'s thresholds: gates orange, rollback triggers red, in the metrics\' units', () => {
  const runbook = loadRunbook();
  const d = dashboardJson(runbook, 'default');
  for (const side of ['canary', 'control']) {
    assert.deepEqual(linesOf(panel(d, `P95 ${side}, critical routes`)), [[0.12, 'orange'], [0.13, 'orange'], [0.16, 'red']]);
    assert.deepEqual(linesOf(panel(d, `P99 ${side}, critical routes`)), [[0.35, 'red']]);
    assert.deepEqual(linesOf(panel(d, `P50 ${side}, critical routes`)), []);
    assert.equal(panel(d, `P95 ${side}, critical routes`).fieldConfig?.defaults.custom?.thresholdsStyle?.mode, 'dashed');
  }
  // The same numbers, read from the runbook rather than written here.
  const absoluteP95 = runbook.profiles.default!.checks.filter((c) => c.metric === 'latency_p95' && c.against === 'absolute').map((c) => c.threshold / 1000).sort();
  assert.deepEqual(linesOf(panel(d, 'P95 canary, critical routes')).map(([v]) => v), absoluteP95);
  assert.deepEqual(linesOf(panel(d, '5xx share of calls, canary vs control')), [[0.5, 'orange'], [1, 'red']]);
  assert.deepEqual(linesOf(panel(d, 'Journey success ratio, canary vs control')), [[99.9, 'orange']]);
  assert.deepEqual(linesOf(panel(d, 'Consecutive failed checks')), [[3, 'red']]);
  assert.deepEqual(linesOf(panel(d, 'Last cycle age per runner')), [[150, 'red']], 'the gate\'s staleness rule: 2.5 cadences of 60 s');
  // Baseline ratios are no fixed line: named in the description, not drawn.
  assert.deepEqual(linesOf(panel(d, 'Time to first interaction P80, canary vs control')), []);
  assert.match(panel(d, 'Time to first interaction P80, canary vs control').description!, /\*\*provider-ttfi-vs-baseline\*\* \(go gate, canary \/ baseline <= 1\.05; not drawn/);
  const p95 = panel(d, 'P95 canary, critical routes').description!;
  for (const c of runbook.profiles.default!.checks.filter((c) => c.metric === 'latency_p95')) assert.ok(p95.includes(c.name) && p95.includes(c.summary), `P95 description names ${c.name} and its summary`);
  assert.match(p95, /\*\*p95-high\*\* \(rollback trigger, > 160 ms for 5 min; the red line\)/);
  assert.match(p95, /\*\*p95-before-full\*\* \(go gate, <= 120 ms, phase 50% only; the orange line\)/);

  const strict = dashboardJson(runbook, 'strict');
  assert.deepEqual(linesOf(panel(strict, 'P95 canary, critical routes')), [[0.12, 'orange'], [0.13, 'orange'], [0.15, 'red']]);
  assert.deepEqual(linesOf(panel(strict, '5xx share of calls, canary vs control')), [[0.3, 'red'], [0.5, 'orange']]);

  // Change the runbook, and the dashboard follows.
  const edited = dashboardJson(editedRunbook([['threshold: 160', 'threshold: 170'], ['cadence: 60s', 'cadence: 30s']]), 'default');
  assert.deepEqual(linesOf(panel(edited, 'P95 canary, critical routes')), [[0.12, 'orange'], [0.13, 'orange'], [0.17, 'red']]);
  assert.match(panel(edited, 'P95 control, critical routes').description!, /> 170 ms for 5 min/);
  assert.deepEqual(linesOf(panel(edited, 'Last cycle age per runner')), [[75, 'red']]);
});

// ---- Against a real Prometheus ----

const REGION = 'eu-test-1';
/** What Grafana would put in for its own variables: windows a few cycles and scrapes long. */
const GRAFANA_VARIABLES: Array<[RegExp, string]> = [
  [/\$__rate_interval\b/g, '60s'], [/\$__interval\b/g, '15s'], [/\$__range\b/g, '10m'], [/\$\{?device\}?/g, '.*'],
];
const substitute = (expr: string, region: string) =>
  GRAFANA_VARIABLES.reduce((e, [pattern, value]) => e.replace(pattern, value), expr.replace(/\$\{?region\}?/g, region));

const everyQuery = (d: Record<string, unknown>) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));

describe('against a real Prometheus fed by a real runner', () => {
  const stack = useServicesAndSandbox();

  test('every query of every panel returns data, for all regions and for the runner\'s region, and none for another', { timeout: 240_000 }, async (t) => {
    const d = dashboardJson(loadRunbook(), 'default');
    const canary = await sandbox({ buildId: 'b-canary' });
    t.after(() => canary.close());
    // Schema failures only exist once a response broke its schema: two drifted answers of
    // GET /api/flags on the canary (auth and guardrail read it), then it is healthy again.
    // 5xx and no-answer shares need no fault: they are 0 from the real calls.
    await canary.fault({ route: '/api/flags', drift: 'type:flags', count: 2 });
    const runnerId = `dashboard-${process.pid}`;
    const started = Date.now();
    // A cadence the browser journeys fit in with room to spare on a loaded 2-core machine (each
    // target's two browser journeys share the runner's browser slots: ~3 s each on a slow day, in a
    // 12 s cycle), and only the journeys the panels read: every API journey, the two user timings.
    const journeys = [...selectJourneys('api').map((j) => j.id), 'b2c-browser', 'provider-browser'].join(',');
    const r = startRunner(['run', '--every', '15s', '--journey', journeys, '--target', `control=${stack.sb.url}`, '--target', `canary=${canary.url}`],
      baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: join(tempDir('dashboard-'), 'results'), RUNNER_ID: runnerId, PUSHGATEWAY_URL: stack.services.pushgatewayUrl, STOPPED_GROUP: 'mark', REGION }));
    const prom = stack.services.prometheusUrl;

    // Several pushes of each target scraped, browser timings of both sides among them.
    let seen = '';
    await poll('Prometheus to have scraped 3 pushes of each target, with user timings and a schema failure', async () => {
      const pushes = await promQuery(prom, `changes(synthetic_last_cycle_timestamp_seconds{runner="${runnerId}"}[5m]) >= 3`);
      const timings = await promQuery(prom, 'count by (canary, timing) (synthetic_user_timing_seconds_count)');
      const schema = await promQuery(prom, 'synthetic_schema_failures_total{canary="true"}');
      seen = `targets with 3 pushes: ${pushes.length}/2, user timings (side × timing): ${timings.length}/4, schema failure series: ${schema.length}`;
      return pushes.length === 2 && timings.length === 4 && schema.length > 0;
    }, 150_000, 1000, () => `${seen}\n${r.output().split('\n').slice(-15).join('\n')}`);
    t.diagnostic(`runner data in Prometheus after ${Date.now() - started} ms: ${r.cycles().length} cycles`);

    // The variables' own queries (`label_values(SERIES, LABEL)`) list what the runner labelled.
    const labelValues = async (name: string) => {
      const query = variablesOf(d).find((v) => v.name === name)?.query ?? '';
      const [, series, label] = /^label_values\((.+), (\w+)\)$/.exec(query) ?? [];
      assert.ok(series && label, `variable ${name}: ${query}`);
      return [...new Set((await promSeries(prom, substitute(series, REGION))).map((s) => s[label]))].sort();
    };
    assert.deepEqual(await labelValues('region'), [REGION]);
    assert.deepEqual(await labelValues('device'), ['api', 'desktop']);

    const queries = everyQuery(d);
    const answered = new Map<string, number>();
    const failures = async (region: string) => {
      const out: string[] = [];
      for (const { title, expr } of queries) {
        const sent = substitute(expr, region);
        if (sent.includes('$')) out.push(`"${title}": a variable is left in ${sent}`);
        else {
          const result = await promQuery(prom, sent).catch((e: Error) => e);
          if (result instanceof Error) out.push(`"${title}": ${result.message}`);
          else if (!result.some((s) => Number.isFinite(Number(s.value[1])))) out.push(`"${title}": ${result.length ? `${result.length} series, none a number` : 'no series'}: ${sent}`);
          else answered.set(title, result.length);
        }
      }
      return out;
    };
    // A rate needs two scrapes of a changed counter in its window: give a slow cycle a few seconds.
    for (const region of ['.*', REGION]) {
      const deadline = Date.now() + 30_000;
      let missing = await failures(region);
      while (missing.length > 0 && Date.now() < deadline) {
        await sleep(2000);
        missing = await failures(region);
      }
      assert.deepEqual(missing, [], `region ${region}:\n${missing.join('\n')}`);
    }
    // And the region filter filters: no series at all for a region no runner is in.
    const elsewhere = [];
    for (const { title, expr } of queries) {
      const result = await promQuery(prom, substitute(expr, 'nowhere'));
      if (result.length > 0) elsewhere.push(`"${title}": ${result.length} series for region "nowhere"`);
    }
    assert.deepEqual(elsewhere, []);
    t.diagnostic(`${queries.length} queries of ${panelsOf(d).length} panels answered (series: ${[...answered].map(([title, n]) => `${title} ${n}`).join('; ')}); ${Date.now() - started} ms since the runner started`);
    await r.stop();
  });
});
