// Deployment manifests: wiring checks, and a real run of scripts/services.sh.
// Run: node --import tsx --test test/deploy/manifests.test.ts
//
// Parses every file under ci/ and .github/workflows/synthetics.yml (YAML with `yaml`'s
// parseAllDocuments, the systemd units with the small INI parser below) and checks the wiring.
// Each check returns ALL its problems as "file: what (why)" lines; the shipped files must give
// none, and for every check a mutated copy of the real files must give the expected problem, so
// no assertion here can pass vacuously.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { CONFIG_KEYS } from '../../src/config/keys.ts';
import { checksAndMutations, type Check, type Mutation } from '../support/checked-files.ts';

// ---------------------------------------------------------------------------------------------
// Facts the manifests must agree with
// ---------------------------------------------------------------------------------------------
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGE = 'ghcr.io/scholarshipai/canary-synthetics:1.0.0';
const ENTRY = ['node', 'bin/synthetics.js', 'run'];
/** The gate's command (ci/k8s/gate-deployment.yaml): the same image, another subcommand. */
const GATE_ENTRY = ['node', 'bin/synthetics.js', 'gate'];
const CREDENTIALS = [
  'SYNTH_STUDENT_EMAIL', 'SYNTH_STUDENT_PASSWORD', 'SYNTH_PROVIDER_EMAIL', 'SYNTH_PROVIDER_PASSWORD',
  'SYNTH_QUOTA_EMAIL', 'SYNTH_QUOTA_PASSWORD', 'SYNTH_EXPIRED_TOKEN',
] as const;
const CREDENTIAL_SET = new Set<string>(CREDENTIALS);
/** Env names a manifest may set that are not config keys: substituted into `--target NAME=URL`. */
const URL_INDIRECTIONS = new Set(['CANARY_URL', 'CONTROL_URL']);
/** Env names only the gate reads (src/cli/gate.ts: loadEnv().PROMETHEUS_URL, loadEnv().GATE_TOKEN), not config keys. */
const GATE_ENV = new Set(['PROMETHEUS_URL', 'GATE_TOKEN']);
const CONFIG_KEY_SET = new Set(CONFIG_KEYS.map((k) => k.key));
const SECRET_NAME = 'synthetics-accounts';
const CONFIGMAP_NAME = 'synthetics-targets';
const PVC_NAME = 'synthetics-results';

const K8S_DIR = 'ci/k8s';
const WORKFLOW_FILE = '.github/workflows/synthetics.yml';
const SYSTEMD_DIR = 'ci/systemd';
const ONESHOT_UNIT = 'synthetics.service';
const TIMER_UNIT = 'synthetics.timer';
const RUNNER_UNIT = 'synthetics-runner.service';
const DEPLOY_FILES = [
  'ci/k8s/deployment.yaml', 'ci/k8s/cronjob.yaml', 'ci/k8s/secret.example.yaml', 'ci/k8s/configmap.yaml',
  'ci/k8s/gate-deployment.yaml', 'ci/k8s/gate-secret.example.yaml', 'ci/k8s/kustomization.yaml',
  WORKFLOW_FILE, `${SYSTEMD_DIR}/${ONESHOT_UNIT}`, `${SYSTEMD_DIR}/${TIMER_UNIT}`, `${SYSTEMD_DIR}/${RUNNER_UNIT}`,
  'ci/README.md', 'scripts/services.sh',
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
type Unit = Record<string, Record<string, string[]>>;
interface Ctx {
  k8s: Record<string, Obj[]>; // file -> documents
  workflow: Obj;
  units: Record<string, Unit>; // unit file name -> sections
  texts: Record<string, string>; // file -> raw text
}

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

function parseYamlFile(rel: string): Obj[] {
  const docs = parseAllDocuments(read(rel));
  if (!Array.isArray(docs)) throw new Error(`${rel}: not a YAML stream`);
  const out: Obj[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${rel}: ${d.errors.map((e) => e.message).join('; ')}`);
    const js = d.toJS();
    if (js != null) out.push(js);
  }
  return out;
}

/** A systemd unit file: [Section] and Key=Value lines; repeated keys accumulate, an empty value resets. */
export function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: string | undefined;
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) { section = sec[1]!; unit[section] ??= {}; continue; }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not "Key=Value" inside a [Section]: ${line}`);
    const [, key, value] = kv as unknown as [string, string, string];
    const list = (unit[section]![key] ??= []);
    if (value === '') list.length = 0; else list.push(value);
  }
  return unit;
}

function loadCtx(): Ctx {
  const k8s: Record<string, Obj[]> = {};
  // kustomization.yaml is kustomize's, not an object Kubernetes stores: test/deploy/k8s.test.ts builds it.
  for (const f of fs.readdirSync(path.join(ROOT, K8S_DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()) {
    k8s[`${K8S_DIR}/${f}`] = parseYamlFile(`${K8S_DIR}/${f}`);
  }
  const [workflow, ...rest] = parseYamlFile(WORKFLOW_FILE);
  if (rest.length) throw new Error(`${WORKFLOW_FILE}: expected one YAML document`);
  const units: Record<string, Unit> = {};
  for (const f of fs.readdirSync(path.join(ROOT, SYSTEMD_DIR)).filter((f) => /\.(service|timer)$/.test(f))) {
    units[f] = parseUnit(read(`${SYSTEMD_DIR}/${f}`));
  }
  const texts: Record<string, string> = {};
  for (const f of DEPLOY_FILES) texts[f] = read(f);
  return { k8s, workflow, units, texts };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------
const allK8s = (c: Ctx) => Object.entries(c.k8s).flatMap(([file, docs]) => docs.map((doc) => ({ file, doc })));
const ofKind = (c: Ctx, kind: string) => allK8s(c).filter((x) => x?.doc?.kind === kind);
/** The gate's workload (app.kubernetes.io/component: gate); everything else that runs is a runner. */
const isGate = (doc: Obj) => doc?.metadata?.labels?.['app.kubernetes.io/component'] === 'gate';
const runners = (c: Ctx) => [...ofKind(c, 'Deployment'), ...ofKind(c, 'CronJob')].filter((x) => !isGate(x.doc));

function podSpec(doc: Obj): Obj {
  if (doc?.kind === 'Deployment') return doc?.spec?.template?.spec;
  if (doc?.kind === 'CronJob') return doc?.spec?.jobTemplate?.spec?.template?.spec;
  return undefined;
}
const containersOf = (doc: Obj): Obj[] => {
  const spec = podSpec(doc);
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
};
const argvOf = (container: Obj): string[] => [...(container?.command ?? []), ...(container?.args ?? [])].map(String);
const envOf = (container: Obj): Obj[] => (Array.isArray(container?.env) ? container.env : []);
const envEntry = (container: Obj, name: string) => envOf(container).find((e) => e?.name === name);
const label = (file: string, doc: Obj) => `${file} ${doc?.kind ?? '?'}/${doc?.metadata?.name ?? '?'}`;

/** True when argv holds FLAG immediately followed by VALUE. */
const hasFlag = (argv: string[], flag: string, value?: string) =>
  argv.some((a, i) => a === flag && (value === undefined || argv[i + 1] === value));

/** systemd time span ("90", "90s", "1min 30s", "500ms") in seconds. */
export function timespanSeconds(v: string | undefined): number {
  if (v === undefined) return NaN;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const unit: Record<string, number> = {
    us: 1e-6, ms: 1e-3, s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60,
    h: 3600, hr: 3600, hour: 3600, hours: 3600,
  };
  let total = 0;
  let rest = s;
  const re = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)/;
  while (rest.trim() !== '') {
    const m = re.exec(rest);
    if (!m || unit[m[2]!] === undefined) return NaN;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

const last = (u: Unit, section: string, key: string): string | undefined => u?.[section]?.[key]?.at(-1);

/** NAME=value pairs of systemd Environment= lines ("A=1" "B=2" or A=1 B=2). */
function systemdAssignments(u: Unit): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of u?.Service?.Environment ?? []) {
    for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
      const tok = m[1] ?? m[2] ?? m[3]!;
      const eq = tok.indexOf('=');
      out.push(eq < 0 ? [tok, ''] : [tok.slice(0, eq), tok.slice(eq + 1)]);
    }
  }
  return out;
}
const varRefs = (s: string) => [...s.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? m[2]!);
const splitExec = (s: string | undefined) => (s ?? '').replace(/^[-@:+!]+/, '').trim().split(/\s+/).filter(Boolean);

// ---------------------------------------------------------------------------------------------
// Checks: each returns every problem it finds
// ---------------------------------------------------------------------------------------------
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const API_VERSION: Record<string, string> = {
  Deployment: 'apps/v1', CronJob: 'batch/v1', Secret: 'v1', ConfigMap: 'v1', PersistentVolumeClaim: 'v1',
  Service: 'v1', PodDisruptionBudget: 'policy/v1', NetworkPolicy: 'networking.k8s.io/v1',
};

function checkK8sObjects(c: Ctx): string[] {
  const p: string[] = [];
  for (const [file, docs] of Object.entries(c.k8s)) if (docs.length === 0) p.push(`${file}: holds no object`);
  for (const { file, doc } of allK8s(c)) {
    const where = label(file, doc);
    if (typeof doc?.kind !== 'string') { p.push(`${file}: an object has no kind`); continue; }
    if (!(doc.kind in API_VERSION)) p.push(`${where}: unexpected kind ${doc.kind}`);
    else if (doc.apiVersion !== API_VERSION[doc.kind]) p.push(`${where}: apiVersion is ${doc.apiVersion}, expected ${API_VERSION[doc.kind]}`);
    if (typeof doc?.metadata?.name !== 'string' || !DNS1123.test(doc.metadata.name)) p.push(`${where}: metadata.name missing or not a DNS-1123 label`);
    if (doc.kind === 'Deployment' || doc.kind === 'CronJob') {
      const cs = podSpec(doc)?.containers;
      if (!Array.isArray(cs) || cs.length === 0) { p.push(`${where}: no spec...template.spec.containers[0]`); continue; }
      if (typeof cs[0]?.name !== 'string' || !DNS1123.test(cs[0].name)) p.push(`${where}: containers[0].name missing`);
      if (cs[0]?.image !== IMAGE) p.push(`${where}: containers[0].image is ${cs[0]?.image}, expected ${IMAGE}`);
      const argv = argvOf(cs[0]);
      const entry = isGate(doc) ? GATE_ENTRY : ENTRY;
      if (!entry.every((a, i) => argv[i] === a)) p.push(`${where}: command must start with ${entry.join(' ')} (got ${argv.join(' ')})`);
      // Every $(VAR) Kubernetes should expand must be defined in the container's env.
      for (const a of argv) {
        for (const m of a.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!envEntry(cs[0], m[1]!)) p.push(`${where}: $(${m[1]}) in the command is not defined in env (Kubernetes would pass it literally)`);
        }
      }
      const restart = podSpec(doc)?.restartPolicy;
      if (doc.kind === 'CronJob' && restart !== 'Never' && restart !== 'OnFailure') p.push(`${where}: a Job's pods need restartPolicy Never or OnFailure`);
    }
    if (doc.kind === 'Deployment') {
      const sel = doc?.spec?.selector?.matchLabels ?? {};
      const labels = doc?.spec?.template?.metadata?.labels ?? {};
      if (Object.keys(sel).length === 0) p.push(`${where}: spec.selector.matchLabels is empty`);
      for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) p.push(`${where}: selector ${k}=${v} does not match the pod template labels`);
    }
  }
  return p;
}

function checkDeployments(c: Ctx): string[] {
  const p: string[] = [];
  const deps = ofKind(c, 'Deployment').filter((x) => !isGate(x.doc));
  if (deps.length < 2) p.push(`${K8S_DIR}: ${deps.length} runner Deployment(s); expected one per region, at least two`);
  const regions = new Map<string, string>();
  const selectors = new Set<string>();
  for (const { file, doc } of deps) {
    const where = label(file, doc);
    const spec = podSpec(doc) ?? {};
    const ctr = spec.containers?.[0];
    if (doc?.spec?.replicas !== 1) p.push(`${where}: replicas is ${doc?.spec?.replicas}, must be 1 (one runner per region)`);
    if (doc?.spec?.strategy?.type !== 'Recreate') p.push(`${where}: strategy.type must be Recreate so two runners of a region never overlap`);
    const grace = spec.terminationGracePeriodSeconds;
    if (!(typeof grace === 'number' && grace >= 25)) p.push(`${where}: terminationGracePeriodSeconds ${grace} < 25 (a signalled runner exits within 20 s: cycle grace, final push, group delete)`);
    if (spec.securityContext?.runAsNonRoot !== true && ctr?.securityContext?.runAsNonRoot !== true) p.push(`${where}: securityContext.runAsNonRoot is not true`);
    if (ctr?.livenessProbe) p.push(`${where}: has a livenessProbe, but the runner serves no HTTP endpoint`);
    const argv = argvOf(ctr);
    if (!hasFlag(argv, '--every', '60s')) p.push(`${where}: command lacks --every 60s (long-running runner)`);
    if (argv.includes('--once')) p.push(`${where}: command has --once; a Deployment runs the long-running runner`);
    if (!hasFlag(argv, '--target', 'canary=$(CANARY_URL)')) p.push(`${where}: command lacks --target canary=$(CANARY_URL)`);
    if (!hasFlag(argv, '--target', 'control=$(CONTROL_URL)')) p.push(`${where}: command lacks --target control=$(CONTROL_URL)`);
    const region = envEntry(ctr, 'REGION');
    if (typeof region?.value !== 'string' || region.value === '') p.push(`${where}: REGION must be a literal value`);
    else {
      if (regions.has(region.value)) p.push(`${where}: REGION ${region.value} also used by ${regions.get(region.value)} (one runner per region)`);
      regions.set(region.value, where);
      if (!String(doc?.metadata?.name).includes(region.value)) p.push(`${where}: name does not say its region ${region.value}`);
    }
    const sel = JSON.stringify(doc?.spec?.selector?.matchLabels ?? {});
    if (selectors.has(sel)) p.push(`${where}: same selector as another Deployment: they would fight over pods`);
    selectors.add(sel);
    const runnerId = envEntry(ctr, 'RUNNER_ID');
    if (typeof runnerId?.value !== 'string' || !runnerId.value.startsWith(region?.value ?? '\u0000')) p.push(`${where}: RUNNER_ID must be a stable literal naming its region (a pod name changes with every rollout and leaves a ghost group)`);
    if (!envEntry(ctr, 'PUSHGATEWAY_URL')) p.push(`${where}: PUSHGATEWAY_URL is not set`);
    for (const k of ['BUILD_ID', 'GIT_SHA']) if (envEntry(ctr, k)) p.push(`${where}: ${k} is set; it must be read from the targets' /health`);
    const results = envEntry(ctr, 'RESULTS_DIR')?.value;
    const mount = (ctr?.volumeMounts ?? []).find((m: Obj) => m?.mountPath === results);
    const vol = (spec.volumes ?? []).find((v: Obj) => v?.name === mount?.name);
    if (!results || !mount) p.push(`${where}: RESULTS_DIR (${results}) is not a volume mount`);
    else if (!vol?.emptyDir) p.push(`${where}: RESULTS_DIR's volume ${mount.name} is not an emptyDir`);
    const res = ctr?.resources ?? {};
    for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (res[k]?.[r] === undefined) p.push(`${where}: resources.${k}.${r} missing (Chromium)`);
    if (res.limits?.memory !== undefined && memBytes(res.limits.memory) < 1024 ** 3) p.push(`${where}: memory limit ${res.limits.memory} is below 1Gi, too small for Chromium`);
  }
  return p;
}

function memBytes(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(String(q));
  if (!m) return NaN;
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
}

function checkCronJob(c: Ctx): string[] {
  const p: string[] = [];
  const jobs = ofKind(c, 'CronJob');
  if (jobs.length === 0) return [`${K8S_DIR}: no CronJob`];
  for (const { file, doc } of jobs) {
    const where = label(file, doc);
    const s = doc?.spec ?? {};
    const job = s.jobTemplate?.spec ?? {};
    const spec = podSpec(doc) ?? {};
    const ctr = spec.containers?.[0];
    if (String(s.schedule).trim().split(/\s+/).join(' ') !== '* * * * *') p.push(`${where}: schedule "${s.schedule}" is not every minute`);
    if (s.concurrencyPolicy !== 'Forbid') p.push(`${where}: concurrencyPolicy ${s.concurrencyPolicy} is not Forbid (runs share RESULTS_DIR)`);
    if (!(typeof s.startingDeadlineSeconds === 'number' && s.startingDeadlineSeconds <= 60)) p.push(`${where}: startingDeadlineSeconds ${s.startingDeadlineSeconds} must be set and ≤ 60`);
    if (!(typeof job.activeDeadlineSeconds === 'number' && job.activeDeadlineSeconds < 60)) p.push(`${where}: activeDeadlineSeconds ${job.activeDeadlineSeconds} must be < 60 (over before the next run)`);
    if (job.backoffLimit !== 0) p.push(`${where}: backoffLimit ${job.backoffLimit} is not 0`);
    const argv = argvOf(ctr);
    if (!argv.includes('--once')) p.push(`${where}: command lacks --once`);
    if (argv.includes('--every')) p.push(`${where}: command has --every; a CronJob runs --once`);
    if (!hasFlag(argv, '--project', 'api')) p.push(`${where}: command lacks --project api`);
    const base = envEntry(ctr, 'BASE_URL')?.valueFrom?.configMapKeyRef;
    if (base?.name !== CONFIGMAP_NAME || base?.key !== 'canary_url') p.push(`${where}: BASE_URL must come from ConfigMap ${CONFIGMAP_NAME} key canary_url`);
    const runner = envEntry(ctr, 'RUNNER_ID');
    if (typeof runner?.value !== 'string' || runner.value === '') p.push(`${where}: RUNNER_ID must be a stable literal (a per-pod id leaves a stale Pushgateway group every minute)`);
    if (typeof envEntry(ctr, 'REGION')?.value !== 'string') p.push(`${where}: REGION must be a literal value`);
    const results = envEntry(ctr, 'RESULTS_DIR')?.value;
    const mount = (ctr?.volumeMounts ?? []).find((m: Obj) => m?.mountPath === results);
    const vol = (spec.volumes ?? []).find((v: Obj) => v?.name === mount?.name);
    if (!results || !mount) p.push(`${where}: RESULTS_DIR (${results}) is not a volume mount`);
    else if (vol?.persistentVolumeClaim?.claimName !== PVC_NAME) p.push(`${where}: RESULTS_DIR must be on the PersistentVolumeClaim ${PVC_NAME} (cron state persists between runs)`);
    else if (!ofKind(c, 'PersistentVolumeClaim').some((x) => x.doc?.metadata?.name === PVC_NAME)) p.push(`${where}: PersistentVolumeClaim ${PVC_NAME} is not declared in ${K8S_DIR}`);
  }
  return p;
}

/** Every secretKeyRef / configMapKeyRef resolves; the Secret holds exactly the 7 credentials as REPLACE_ME. */
function checkK8sRefsAndSecret(c: Ctx): string[] {
  const p: string[] = [];
  const secrets = ofKind(c, 'Secret');
  const maps = ofKind(c, 'ConfigMap');
  const secret = secrets.find((x) => x.doc?.metadata?.name === SECRET_NAME)?.doc;
  if (!secret) p.push(`${K8S_DIR}: no Secret ${SECRET_NAME}`);
  else {
    const data = { ...(secret.data ?? {}), ...(secret.stringData ?? {}) };
    const keys = Object.keys(data).sort();
    if (JSON.stringify(keys) !== JSON.stringify([...CREDENTIALS].sort())) p.push(`Secret ${SECRET_NAME}: keys ${keys.join(',')} are not the 7 credentials`);
    if (secret.data) p.push(`Secret ${SECRET_NAME}: use stringData placeholders in the example, not data`);
    for (const [k, v] of Object.entries(data)) if (v !== 'REPLACE_ME') p.push(`Secret ${SECRET_NAME}: ${k} is not the placeholder REPLACE_ME`);
  }
  const gateSecret = secrets.find((x) => x.doc?.metadata?.name === 'synthetics-gate')?.doc;
  if (!gateSecret) p.push(`${K8S_DIR}: no Secret synthetics-gate (the gate's token, example)`);
  else {
    const data = { ...(gateSecret.data ?? {}), ...(gateSecret.stringData ?? {}) };
    if (JSON.stringify(Object.keys(data)) !== '["token"]' || data.token !== 'REPLACE_ME') p.push('Secret synthetics-gate: the example must hold only token: REPLACE_ME');
  }
  if (!maps.some((x) => x.doc?.metadata?.name === CONFIGMAP_NAME)) p.push(`${K8S_DIR}: no ConfigMap ${CONFIGMAP_NAME}`);
  for (const { file, doc } of [...ofKind(c, 'Deployment'), ...ofKind(c, 'CronJob')]) {
    for (const ctr of containersOf(doc)) {
      for (const e of envOf(ctr)) {
        const sk = e?.valueFrom?.secretKeyRef;
        const ck = e?.valueFrom?.configMapKeyRef;
        if (sk) {
          const s = secrets.find((x) => x.doc?.metadata?.name === sk.name)?.doc;
          if (!s || !(sk.key in { ...(s.data ?? {}), ...(s.stringData ?? {}) })) p.push(`${label(file, doc)}: ${e.name} refers to Secret ${sk.name} key ${sk.key}, which does not exist`);
        }
        if (ck) {
          const m = maps.find((x) => x.doc?.metadata?.name === ck.name)?.doc;
          if (!m || !(ck.key in (m.data ?? {}))) p.push(`${label(file, doc)}: ${e.name} refers to ConfigMap ${ck.name} key ${ck.key}, which does not exist`);
        }
      }
    }
  }
  return p;
}

function checkK8sCredentials(c: Ctx): string[] {
  const p: string[] = [];
  for (const { file, doc } of [...ofKind(c, 'Deployment'), ...ofKind(c, 'CronJob')].filter((x) => isGate(x.doc))) {
    // The gate judges from Prometheus: it never signs in, so it holds none of the accounts.
    for (const ctr of containersOf(doc)) {
      for (const e of envOf(ctr)) if (CREDENTIAL_SET.has(e?.name)) p.push(`${label(file, doc)} container ${ctr?.name}: ${e.name} is set, but the gate needs no account (least privilege)`);
      if (ctr?.envFrom) p.push(`${label(file, doc)} container ${ctr?.name}: envFrom hides which names are set; list env entries`);
    }
  }
  for (const { file, doc } of runners(c)) {
    for (const ctr of containersOf(doc)) {
      const where = `${label(file, doc)} container ${ctr?.name}`;
      if (ctr?.envFrom) p.push(`${where}: envFrom hides which names are set; list env entries`);
      for (const cred of CREDENTIALS) {
        const entries = envOf(ctr).filter((e) => e?.name === cred);
        if (entries.length !== 1) { p.push(`${where}: ${cred} set ${entries.length} times, expected once`); continue; }
        const e = entries[0];
        if ('value' in e) p.push(`${where}: ${cred} has a literal value; it must come from a secretKeyRef`);
        const ref = e?.valueFrom?.secretKeyRef;
        if (ref?.name !== SECRET_NAME) p.push(`${where}: ${cred} is not from secretKeyRef ${SECRET_NAME}`);
      }
    }
  }
  return p;
}

/** Every env name any manifest sets or substitutes is a config key or a documented URL indirection. */
function envNamesUsed(c: Ctx): Array<{ where: string; name: string }> {
  const out: Array<{ where: string; name: string }> = [];
  for (const { file, doc } of allK8s(c)) {
    for (const ctr of containersOf(doc)) {
      for (const e of envOf(ctr)) out.push({ where: label(file, doc), name: String(e?.name) });
      for (const a of argvOf(ctr)) for (const m of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) out.push({ where: `${label(file, doc)} command`, name: m[1]! });
    }
  }
  const w = c.workflow ?? {};
  for (const n of Object.keys(w.env ?? {})) out.push({ where: `${WORKFLOW_FILE} env`, name: n });
  for (const [jid, job] of Object.entries<Obj>(w.jobs ?? {})) {
    for (const n of Object.keys(job?.env ?? {})) out.push({ where: `${WORKFLOW_FILE} jobs.${jid}.env`, name: n });
    for (const [i, st] of (job?.steps ?? []).entries()) for (const n of Object.keys(st?.env ?? {})) out.push({ where: `${WORKFLOW_FILE} jobs.${jid}.steps[${i}].env`, name: n });
  }
  for (const [f, u] of Object.entries(c.units)) {
    for (const [n] of systemdAssignments(u)) out.push({ where: `${SYSTEMD_DIR}/${f} Environment=`, name: n });
    for (const line of u?.Service?.ExecStart ?? []) for (const n of varRefs(line)) out.push({ where: `${SYSTEMD_DIR}/${f} ExecStart`, name: n });
  }
  return out;
}

function checkEnvNames(c: Ctx): string[] {
  const used = envNamesUsed(c);
  const p = used
    .filter(({ name, where }) => !CONFIG_KEY_SET.has(name) && !URL_INDIRECTIONS.has(name) && !(GATE_ENV.has(name) && where.includes('synthetics-gate')))
    .map(({ where, name }) => `${where}: ${name} is not a config key (src/config/keys.ts) nor one of ${[...URL_INDIRECTIONS].join(', ')}${GATE_ENV.has(name) ? ` (${name} is the gate's only)` : ''}`);
  if (used.length < 20) p.push(`only ${used.length} env names found in the manifests: the collector missed some`);
  return p;
}

const SECRET_EXPR = /^\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}$/;
const VARS_EXPR = /\$\{\{[^}]*\bvars\.[A-Za-z0-9_]+/;

function checkWorkflow(c: Ctx): string[] {
  const p: string[] = [];
  const w = c.workflow ?? {};
  const where = WORKFLOW_FILE;
  const on = w.on ?? {};
  const crons: string[] = (on.schedule ?? []).map((s: Obj) => s?.cron);
  if (crons.length === 0) p.push(`${where}: on.schedule has no cron`);
  for (const cron of crons) {
    const f = String(cron).trim().split(/\s+/);
    const step = /^\*\/(\d+)$/.exec(f[0] ?? '');
    if (f.length !== 5) p.push(`${where}: cron "${cron}" is not 5 fields`);
    else if (!(step && Number(step[1]) >= 5) && !/^\d+(,\d+)*$/.test(f[0]!)) p.push(`${where}: cron "${cron}": GitHub runs schedules at most every 5 minutes`);
  }
  if (!('workflow_dispatch' in on)) p.push(`${where}: no workflow_dispatch trigger`);
  const conc = w.concurrency;
  const group = typeof conc === 'string' ? conc : conc?.group;
  if (typeof group !== 'string' || group.trim() === '') p.push(`${where}: no concurrency group (runs could overlap)`);
  else if (!/TARGET_NAME|BASE_URL/.test(group)) p.push(`${where}: concurrency group "${group}" is not per target`);
  if (typeof conc === 'object' && conc?.['cancel-in-progress'] === true) p.push(`${where}: cancel-in-progress would kill a check mid-run`);
  const jobs = Object.entries<Obj>(w.jobs ?? {});
  if (jobs.length === 0) p.push(`${where}: no jobs`);
  for (const [jid, job] of jobs) {
    const jw = `${where} jobs.${jid}`;
    if (job?.['runs-on'] !== 'ubuntu-latest') p.push(`${jw}: runs-on ${job?.['runs-on']} is not ubuntu-latest`);
    const steps: Obj[] = job?.steps ?? [];
    const uses = (prefix: string) => steps.find((s) => typeof s?.uses === 'string' && s.uses.startsWith(prefix));
    if (!uses('actions/checkout@')) p.push(`${jw}: no actions/checkout step`);
    const node = uses('actions/setup-node@');
    if (!node) p.push(`${jw}: no actions/setup-node step`);
    else {
      if (!String(node.with?.['node-version']).startsWith('20')) p.push(`${jw}: setup-node node-version ${node.with?.['node-version']} is not 20`);
      if (node.with?.cache !== 'npm') p.push(`${jw}: setup-node without cache: npm`);
    }
    if (!steps.some((s) => typeof s?.run === 'string' && s.run.trim() === 'npm ci')) p.push(`${jw}: no "npm ci" step`);
    const runIdx = steps.findIndex((s) => typeof s?.run === 'string' && /(npx synthetics|node bin\/synthetics\.js) run\b/.test(s.run));
    const run = steps[runIdx];
    if (!run) p.push(`${jw}: no step runs synthetics`);
    else {
      if (!/\brun --once\b/.test(run.run)) p.push(`${jw}: the synthetics step does not use run --once`);
      if (/--every/.test(run.run)) p.push(`${jw}: the synthetics step uses --every; a scheduled job runs --once`);
      const env = { ...(w.env ?? {}), ...(job?.env ?? {}), ...(run.env ?? {}) };
      for (const cred of CREDENTIALS) {
        const m = SECRET_EXPR.exec(String(env[cred] ?? ''));
        if (!m) p.push(`${jw}: ${cred} is not \${{ secrets.${cred} }} in the synthetics step's env`);
        else if (m[1] !== cred) p.push(`${jw}: ${cred} reads secrets.${m[1]}`);
      }
      for (const k of ['BASE_URL', 'PUSHGATEWAY_URL', 'REGION']) if (!VARS_EXPR.test(String(env[k] ?? ''))) p.push(`${jw}: ${k} does not come from vars.*`);
      const chromium = String(env.CHROMIUM_PATH ?? '');
      const apt = steps.slice(0, runIdx).some((s) => /apt-get install[^\n]*\bchromium\b/.test(String(s?.run ?? '')));
      if (!chromium.startsWith('/') && !apt) p.push(`${jw}: no browser: set CHROMIUM_PATH or apt-get install chromium before the run`);
    }
    // Credentials anywhere in the workflow: only ever secrets.*.
    const envs: Array<[string, Obj]> = [['env', w.env], [`jobs.${jid}.env`, job?.env], ...steps.map((s, i): [string, Obj] => [`steps[${i}].env`, s?.env])];
    for (const [ew, env] of envs) for (const [k, v] of Object.entries<Obj>(env ?? {})) if (CREDENTIAL_SET.has(k) && !SECRET_EXPR.test(String(v))) p.push(`${jw} ${ew}: ${k} has a literal value`);
    p.push(...checkWorkflowOutputs(jw, { ...(w.env ?? {}), ...(job?.env ?? {}) }, steps, runIdx));
  }
  return p;
}

/** `${{ env.NAME }}` in a step's input, as GitHub resolves it from the workflow's and the job's env. */
const resolveEnv = (v: string, env: Obj) => v.replace(/\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => String(env[k] ?? `<unset env.${k}>`));
const normPath = (p: string) => p.trim().replace(/^!/, '').replace(/^\.\//, '').replace(/\/+$/, '');
const usesAction = (s: Obj, prefix: string) => typeof s?.uses === 'string' && s.uses.startsWith(prefix);
/** The `path` input of a step: one path per line, env resolved, `!` exclusions kept. */
const pathsOf = (s: Obj, env: Obj): string[] => String(s?.with?.path ?? '').split('\n').map((x) => x.trim()).filter(Boolean).map((x) => resolveEnv(x, env));

/**
 * What the job uploads and caches is what its steps make: the synthetics run writes RESULTS_DIR
 * (the store, and evidence/ under it), Playwright Test writes playwright-report/. The store is
 * always written, so its upload fails when empty, after a step that fails loudly when it is
 * missing; evidence exists only when something failed, so its upload may find nothing.
 */
function checkWorkflowOutputs(jw: string, env: Obj, steps: Obj[], runIdx: number): string[] {
  const p: string[] = [];
  const resultsDir = typeof env.RESULTS_DIR === 'string' && env.RESULTS_DIR !== '' ? normPath(env.RESULTS_DIR) : undefined;
  if (!resultsDir) p.push(`${jw}: env.RESULTS_DIR is not set: the uploads and the cache cannot name the dir the run writes`);
  const made = [...(runIdx >= 0 && resultsDir ? [resultsDir] : []), ...(steps.some((s) => /\bplaywright test\b/.test(String(s?.run ?? ''))) ? ['playwright-report'] : [])];
  const uploadIdx = steps.map((s, i) => (usesAction(s, 'actions/upload-artifact@') ? i : -1)).filter((i) => i >= 0);
  if (uploadIdx.length === 0) p.push(`${jw}: no actions/upload-artifact step`);
  for (const i of uploadIdx) {
    const u = steps[i];
    if (!/always\(\)/.test(String(u.if ?? ''))) p.push(`${jw}: upload-artifact ${u.name ?? i} lacks if: always() (failed runs are the interesting ones)`);
    for (const raw of pathsOf(u, env)) {
      const x = normPath(raw);
      if (!made.some((m) => x === m || x.startsWith(`${m}/`))) p.push(`${jw}: upload-artifact path ${raw} is made by no step (the synthetics run writes ${resultsDir}/)`);
    }
  }
  if (!resultsDir) return p;
  const evidenceDir = `${resultsDir}/evidence`;
  const positive = (s: Obj) => pathsOf(s, env).filter((x) => !x.startsWith('!')).map(normPath);
  const results = uploadIdx.map((i) => steps[i]).find((s) => positive(s).includes(resultsDir));
  if (!results) p.push(`${jw}: no upload-artifact of RESULTS_DIR ${resultsDir}/ (the results store)`);
  else {
    if (results.with?.['if-no-files-found'] !== 'error') p.push(`${jw}: the results store upload has if-no-files-found ${results.with?.['if-no-files-found']}, expected error (a run always writes it)`);
    if (!pathsOf(results, env).some((x) => x.startsWith('!') && normPath(x) === evidenceDir)) p.push(`${jw}: the results store upload does not exclude !${evidenceDir}/ (it has its own upload)`);
  }
  const evidence = uploadIdx.map((i) => steps[i]).find((s) => positive(s).includes(evidenceDir));
  if (!evidence) p.push(`${jw}: no upload-artifact of ${evidenceDir}/`);
  else if (evidence.with?.['if-no-files-found'] !== 'ignore') p.push(`${jw}: the evidence upload has if-no-files-found ${evidence.with?.['if-no-files-found']}, expected ignore (no failure, no evidence; the check step says so)`);
  const firstUpload = uploadIdx[0] ?? steps.length;
  const check = steps.slice(runIdx + 1, firstUpload).find((s) => /::error::/.test(String(s?.run ?? '')) && /\bexit 1\b/.test(String(s?.run)));
  if (!check) p.push(`${jw}: no step between the run and the uploads fails loudly (::error::, exit 1) when the run wrote no results store`);
  else {
    if (!/always\(\)/.test(String(check.if ?? ''))) p.push(`${jw}: the check step lacks if: always() (it matters most after a failed run)`);
    if (!/\$\{?RESULTS_DIR\}?/.test(check.run)) p.push(`${jw}: the check step does not look in $RESULTS_DIR`);
    if (!/\$\{?RESULTS_DIR\}?\/evidence/.test(check.run)) p.push(`${jw}: the check step does not say what $RESULTS_DIR/evidence holds`);
  }
  for (const s of steps.filter((s) => usesAction(s, 'actions/cache'))) {
    const paths = pathsOf(s, env).map(normPath);
    if (paths.length !== 1 || paths[0] !== resultsDir) p.push(`${jw}: ${s.uses} path ${paths.join(', ')} is not RESULTS_DIR ${resultsDir} (cron mode's state lives there)`);
  }
  return p;
}

function execTokens(u: Unit): string[] {
  return splitExec(last(u, 'Service', 'ExecStart'));
}

function checkSystemdCommon(file: string, u: Unit): string[] {
  const p: string[] = [];
  const where = `${SYSTEMD_DIR}/${file}`;
  const argv = execTokens(u);
  if (argv[0] !== '/usr/bin/node' || argv[1] !== '/opt/canary-synthetics/bin/synthetics.js' || argv[2] !== 'run') p.push(`${where}: ExecStart must be /usr/bin/node /opt/canary-synthetics/bin/synthetics.js run ... (got ${argv.join(' ')})`);
  if (last(u, 'Service', 'WorkingDirectory') !== '/opt/canary-synthetics') p.push(`${where}: WorkingDirectory is not /opt/canary-synthetics`);
  const envFile = last(u, 'Service', 'EnvironmentFile')?.replace(/^-/, '');
  if (!envFile?.startsWith('/etc/')) p.push(`${where}: no EnvironmentFile under /etc (the credentials' only source)`);
  const user = last(u, 'Service', 'User');
  if (last(u, 'Service', 'DynamicUser') !== 'yes' && (!user || user === 'root' || user === '0')) p.push(`${where}: runs as root: set DynamicUser=yes or User=`);
  const state = last(u, 'Service', 'StateDirectory');
  const assigns = systemdAssignments(u);
  const results = assigns.filter(([k]) => k === 'RESULTS_DIR').at(-1)?.[1];
  if (!state) p.push(`${where}: no StateDirectory=`);
  else if (results !== `/var/lib/${state}`) p.push(`${where}: RESULTS_DIR=${results} is not the StateDirectory /var/lib/${state}`);
  for (const [k, v] of assigns) if (CREDENTIAL_SET.has(k)) p.push(`${where}: Environment=${k}=${v ? '<literal>' : ''}: credentials belong in the EnvironmentFile only`);
  if (last(u, 'Service', 'NoNewPrivileges') !== 'yes') p.push(`${where}: NoNewPrivileges is not yes`);
  if (last(u, 'Service', 'ProtectSystem') !== 'strict') p.push(`${where}: ProtectSystem is not strict`);
  if (last(u, 'Service', 'PrivateTmp') !== 'yes') p.push(`${where}: PrivateTmp is not yes`);
  if (last(u, 'Service', 'MemoryDenyWriteExecute') === 'yes') p.push(`${where}: MemoryDenyWriteExecute breaks V8's JIT`);
  return p;
}

function checkSystemdOneshot(c: Ctx): string[] {
  const u = c.units[ONESHOT_UNIT];
  if (!u) return [`${SYSTEMD_DIR}/${ONESHOT_UNIT}: missing`];
  const where = `${SYSTEMD_DIR}/${ONESHOT_UNIT}`;
  const p = checkSystemdCommon(ONESHOT_UNIT, u);
  const argv = execTokens(u);
  if (last(u, 'Service', 'Type') !== 'oneshot') p.push(`${where}: Type is not oneshot`);
  if (!argv.includes('--once')) p.push(`${where}: ExecStart lacks --once`);
  if (argv.includes('--every')) p.push(`${where}: ExecStart has --every; the timer variant runs --once`);
  const t = timespanSeconds(last(u, 'Service', 'TimeoutStartSec'));
  if (!(t > 0 && t < 60)) p.push(`${where}: TimeoutStartSec ${last(u, 'Service', 'TimeoutStartSec')} must be under a minute`);
  if (last(u, 'Service', 'Restart') && last(u, 'Service', 'Restart') !== 'no') p.push(`${where}: a timer-started oneshot must not Restart=`);
  return p;
}

/** The timer fires at one fixed second of every minute. */
export function everyMinute(onCalendar: string | undefined): boolean {
  if (onCalendar === undefined) return false;
  const v = onCalendar.trim();
  if (v === 'minutely') return true;
  const parts = v.split(/\s+/);
  if (parts.length > 2) return false;
  const date = parts.length === 2 ? parts[0] : '*-*-*';
  if (date !== '*-*-*') return false;
  const [h, m, s = '00', ...more] = parts.at(-1)!.split(':');
  const any = (x: string | undefined) => x === '*' || x === '*/1' || x === '00/1' || x === '0/1';
  return more.length === 0 && any(h) && any(m) && /^\d{1,2}$/.test(s);
}

function checkSystemdTimer(c: Ctx): string[] {
  const u = c.units[TIMER_UNIT];
  const where = `${SYSTEMD_DIR}/${TIMER_UNIT}`;
  if (!u) return [`${where}: missing`];
  const p: string[] = [];
  const cals = u.Timer?.OnCalendar ?? [];
  if (cals.length !== 1 || !everyMinute(cals[0])) p.push(`${where}: OnCalendar ${cals.join(', ')} does not fire once every minute`);
  if ((u.Timer?.OnUnitActiveSec ?? []).length || (u.Timer?.OnBootSec ?? []).length) p.push(`${where}: extra monotonic triggers would add runs`);
  const acc = timespanSeconds(last(u, 'Timer', 'AccuracySec'));
  if (!(acc <= 1)) p.push(`${where}: AccuracySec ${last(u, 'Timer', 'AccuracySec')} > 1s (default 1min smears the runs)`);
  if (last(u, 'Timer', 'Persistent') !== 'false') p.push(`${where}: Persistent is not false (missed runs must not be caught up)`);
  const target = last(u, 'Timer', 'Unit') ?? TIMER_UNIT.replace(/\.timer$/, '.service');
  const svc = c.units[target];
  if (!svc) p.push(`${where}: triggers ${target}, which is not in ${SYSTEMD_DIR}`);
  else if (last(svc, 'Service', 'Type') !== 'oneshot') p.push(`${where}: triggers ${target}, which is not Type=oneshot`);
  if (!(u.Install?.WantedBy ?? []).includes('timers.target')) p.push(`${where}: [Install] WantedBy=timers.target missing (systemctl enable would do nothing)`);
  return p;
}

function checkSystemdRunner(c: Ctx): string[] {
  const u = c.units[RUNNER_UNIT];
  const where = `${SYSTEMD_DIR}/${RUNNER_UNIT}`;
  if (!u) return [`${where}: missing`];
  const p = checkSystemdCommon(RUNNER_UNIT, u);
  const argv = execTokens(u);
  if (last(u, 'Service', 'Type') !== 'simple') p.push(`${where}: Type is not simple`);
  if (!hasFlag(argv, '--every', '60s')) p.push(`${where}: ExecStart lacks --every 60s`);
  if (argv.includes('--once')) p.push(`${where}: ExecStart has --once; this is the long-running variant`);
  if (last(u, 'Service', 'Restart') !== 'always') p.push(`${where}: Restart is not always`);
  if (!(timespanSeconds(last(u, 'Service', 'RestartSec')) > 0)) p.push(`${where}: RestartSec missing (a crash loop would spin)`);
  if (last(u, 'Service', 'KillSignal') !== 'SIGTERM') p.push(`${where}: KillSignal is not SIGTERM`);
  const stop = timespanSeconds(last(u, 'Service', 'TimeoutStopSec'));
  if (!(stop >= 60)) p.push(`${where}: TimeoutStopSec ${last(u, 'Service', 'TimeoutStopSec')} < 60 s (SIGTERM finishes a cycle and pushes)`);
  if (!(u.Install?.WantedBy ?? []).includes('multi-user.target')) p.push(`${where}: [Install] WantedBy=multi-user.target missing`);
  return p;
}

/** Raw text: no credential assigned a literal, and none of the sandbox's default credential values anywhere. */
function checkNoLiteralCredentials(c: Ctx): string[] {
  const p: string[] = [];
  const defaults = read('.env.example').split('\n')
    .map((l) => /^([A-Z0-9_]+)=(.+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m && CREDENTIAL_SET.has(m[1]!) && m[2]!.trim() !== '')
    .map((m) => m[2]!.trim());
  if (defaults.length === 0) p.push('.env.example: found no default credential values to look for');
  for (const [file, text] of Object.entries(c.texts)) {
    for (const d of defaults) if (text.includes(d)) p.push(`${file}: contains the sandbox credential value "${d}"`);
    if (file.endsWith('.md')) continue; // the README shows KEY=... placeholders
    for (const [i, line] of text.split('\n').entries()) {
      const m = /\b(SYNTH_[A-Z_]+)\s*[=:]\s*["']?([^\s"'#]+)/.exec(line.replace(/^\s*#.*$/, ''));
      if (!m || !CREDENTIAL_SET.has(m[1]!)) continue;
      const v = m[2]!;
      const ok = v === 'REPLACE_ME' || v.startsWith('${{');
      if (!ok) p.push(`${file}:${i + 1}: ${m[1]} is given a literal value`);
    }
  }
  return p;
}

function checkReadme(c: Ctx): string[] {
  const t = c.texts['ci/README.md'] ?? '';
  const p: string[] = [];
  const heads = t.split('\n').filter((l) => /^#{2,3} /.test(l)).join('\n');
  for (const h of [/Kubernetes Deployment/, /CronJob/, /GitHub Actions/, /systemd/]) if (!h.test(heads)) p.push(`ci/README.md: no section heading matching ${h}`);
  for (const s of ['kubectl', 'apply -f ci/k8s/deployment.yaml', 'systemctl enable --now synthetics.timer', 'RESULTS_DIR', 'secretKeyRef', 'scripts/services.sh start', 'kubectl apply -k ci/k8s', 'flagger_canary_weight', 'create secret generic synthetics-gate']) if (!t.includes(s)) p.push(`ci/README.md: does not mention ${s}`);
  // The pre-flight that stops on Argo Rollouts < 1.8 (no consecutiveSuccessLimit: the gate's template fails open there).
  if (!/kubectl get crd analysistemplates\.argoproj\.io[^\n]*\|\s*grep -q consecutiveSuccessLimit[\s\\]*\|\|[^\n]*exit 1/.test(t)) p.push('ci/README.md: no pre-flight step that exits non-zero when the AnalysisTemplate CRD lacks consecutiveSuccessLimit');
  return p;
}

const CHECKS: Record<string, Check<Ctx>> = {
  'k8s objects': checkK8sObjects,
  'deployments': checkDeployments,
  'cronjob': checkCronJob,
  'k8s refs and secret': checkK8sRefsAndSecret,
  'k8s credentials': checkK8sCredentials,
  'env names': checkEnvNames,
  'workflow': checkWorkflow,
  'systemd oneshot': checkSystemdOneshot,
  'systemd timer': checkSystemdTimer,
  'systemd runner': checkSystemdRunner,
  'no literal credentials': checkNoLiteralCredentials,
  'readme': checkReadme,
};

// ---------------------------------------------------------------------------------------------
// Mutations of the real files, each of which its check must catch
// ---------------------------------------------------------------------------------------------
const dep = (c: Ctx, i = 0) => ofKind(c, 'Deployment').filter((x) => !isGate(x.doc))[i]!.doc;
const depCtr = (c: Ctx, i = 0) => dep(c, i).spec.template.spec.containers[0];
const cron = (c: Ctx) => ofKind(c, 'CronJob')[0]!.doc;
const gateCtr = (c: Ctx) => ofKind(c, 'Deployment').find((x) => isGate(x.doc))!.doc.spec.template.spec.containers[0];
const cronCtr = (c: Ctx) => podSpec(cron(c)).containers[0];
const setEnv = (ctr: Obj, name: string, entry: Obj) => { ctr.env = ctr.env.map((e: Obj) => (e.name === name ? { name, ...entry } : e)); };
const wfJob = (c: Ctx) => Object.values<Obj>(c.workflow.jobs)[0];
const wfRun = (c: Ctx) => wfJob(c).steps.find((s: Obj) => /synthetics run/.test(String(s.run ?? '')));
/** The upload whose first path is RESULTS_DIR (`results`) or RESULTS_DIR/evidence (`evidence`). */
const wfUpload = (c: Ctx, which: 'results' | 'evidence') => wfJob(c).steps.find((s: Obj) => String(s.uses).startsWith('actions/upload-artifact')
  && normPath(String(s.with.path).split('\n')[0]!).endsWith(which === 'results' ? '{{ env.RESULTS_DIR }}' : '/evidence'));
const wfCheck = (c: Ctx) => wfJob(c).steps.find((s: Obj) => /::error::/.test(String(s.run ?? '')));

const MUTATIONS: Array<Mutation<Ctx>> = [
  { check: 'k8s objects', what: 'no containers', mutate: (c) => { dep(c).spec.template.spec.containers = []; }, expect: /containers\[0\]/ },
  { check: 'k8s objects', what: 'wrong apiVersion', mutate: (c) => { cron(c).apiVersion = 'batch/v1beta1'; }, expect: /apiVersion is batch\/v1beta1/ },
  { check: 'k8s objects', what: 'undefined $(VAR)', mutate: (c) => { depCtr(c).command.push('--target', 'x=$(NOPE_URL)'); }, expect: /\$\(NOPE_URL\).*not defined/ },
  { check: 'k8s objects', what: 'other image', mutate: (c) => { cronCtr(c).image = 'busybox'; }, expect: /image is busybox/ },
  { check: 'k8s objects', what: 'selector mismatch', mutate: (c) => { dep(c).spec.selector.matchLabels.extra = 'x'; }, expect: /selector extra=x/ },
  { check: 'deployments', what: 'replicas 2', mutate: (c) => { dep(c).spec.replicas = 2; }, expect: /replicas is 2/ },
  { check: 'deployments', what: 'RollingUpdate', mutate: (c) => { dep(c).spec.strategy = { type: 'RollingUpdate' }; }, expect: /Recreate/ },
  { check: 'deployments', what: 'duplicate region', mutate: (c) => { setEnv(depCtr(c, 1), 'REGION', { value: depCtr(c, 0).env.find((e: Obj) => e.name === 'REGION').value }); }, expect: /also used by/ },
  { check: 'deployments', what: 'one Deployment only', mutate: (c) => { for (const f of Object.keys(c.k8s)) c.k8s[f] = c.k8s[f]!.filter((d, i, a) => d.kind !== 'Deployment' || a.findIndex((x) => x.kind === 'Deployment') === i); }, expect: /at least two/ },
  { check: 'deployments', what: '--once', mutate: (c) => { depCtr(c).command = ['node', 'bin/synthetics.js', 'run', '--once']; }, expect: /lacks --every 60s/ },
  { check: 'deployments', what: 'RUNNER_ID from pod name', mutate: (c) => { setEnv(depCtr(c), 'RUNNER_ID', { valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }); }, expect: /RUNNER_ID must be a stable literal naming its region/ },
  { check: 'deployments', what: 'liveness probe', mutate: (c) => { depCtr(c).livenessProbe = { httpGet: { path: '/', port: 8080 } }; }, expect: /livenessProbe/ },
  { check: 'deployments', what: 'short grace', mutate: (c) => { dep(c).spec.template.spec.terminationGracePeriodSeconds = 15; }, expect: /terminationGracePeriodSeconds 15/ },
  { check: 'deployments', what: 'root', mutate: (c) => { delete dep(c).spec.template.spec.securityContext.runAsNonRoot; }, expect: /runAsNonRoot/ },
  { check: 'deployments', what: 'results on hostPath', mutate: (c) => { dep(c).spec.template.spec.volumes[0] = { name: 'results', hostPath: { path: '/tmp' } }; }, expect: /not an emptyDir/ },
  { check: 'deployments', what: 'BUILD_ID pinned', mutate: (c) => { depCtr(c).env.push({ name: 'BUILD_ID', value: 'b1' }); }, expect: /BUILD_ID is set/ },
  { check: 'deployments', what: 'no memory limit', mutate: (c) => { delete depCtr(c).resources.limits.memory; }, expect: /limits\.memory missing/ },
  { check: 'cronjob', what: 'every 2 minutes', mutate: (c) => { cron(c).spec.schedule = '*/2 * * * *'; }, expect: /not every minute/ },
  { check: 'cronjob', what: 'Allow', mutate: (c) => { cron(c).spec.concurrencyPolicy = 'Allow'; }, expect: /not Forbid/ },
  { check: 'cronjob', what: 'deadline 60', mutate: (c) => { cron(c).spec.jobTemplate.spec.activeDeadlineSeconds = 60; }, expect: /activeDeadlineSeconds 60/ },
  { check: 'cronjob', what: 'backoffLimit 6', mutate: (c) => { cron(c).spec.jobTemplate.spec.backoffLimit = 6; }, expect: /backoffLimit 6/ },
  { check: 'cronjob', what: '--every', mutate: (c) => { cronCtr(c).command = ['node', 'bin/synthetics.js', 'run', '--every', '60s', '--project', 'api']; }, expect: /lacks --once/ },
  { check: 'cronjob', what: 'all projects', mutate: (c) => { cronCtr(c).command = cronCtr(c).command.slice(0, 4); }, expect: /--project api/ },
  { check: 'cronjob', what: 'results on emptyDir', mutate: (c) => { podSpec(cron(c)).volumes[0] = { name: 'results', emptyDir: {} }; }, expect: /PersistentVolumeClaim synthetics-results/ },
  { check: 'cronjob', what: 'PVC not declared', mutate: (c) => { for (const f of Object.keys(c.k8s)) c.k8s[f] = c.k8s[f]!.filter((d) => d.kind !== 'PersistentVolumeClaim'); }, expect: /not declared/ },
  { check: 'cronjob', what: 'RUNNER_ID from pod name', mutate: (c) => { setEnv(cronCtr(c), 'RUNNER_ID', { valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }); }, expect: /stable literal/ },
  { check: 'cronjob', what: 'BASE_URL literal', mutate: (c) => { setEnv(cronCtr(c), 'BASE_URL', { value: 'https://x.test' }); }, expect: /BASE_URL must come from ConfigMap/ },
  { check: 'k8s refs and secret', what: 'unknown secret key', mutate: (c) => { setEnv(depCtr(c), 'SYNTH_QUOTA_PASSWORD', { valueFrom: { secretKeyRef: { name: SECRET_NAME, key: 'quota_pw' } } }); }, expect: /key quota_pw, which does not exist/ },
  { check: 'k8s refs and secret', what: 'unknown configmap key', mutate: (c) => { setEnv(depCtr(c), 'CONTROL_URL', { valueFrom: { configMapKeyRef: { name: CONFIGMAP_NAME, key: 'stable' } } }); }, expect: /ConfigMap synthetics-targets key stable/ },
  { check: 'k8s refs and secret', what: 'real gate token in example', mutate: (c) => { ofKind(c, 'Secret').find((x) => x.doc.metadata.name === 'synthetics-gate')!.doc.stringData.token = 'c0ffee'; }, expect: /only token: REPLACE_ME/ },
  { check: 'k8s refs and secret', what: 'real value in example', mutate: (c) => { ofKind(c, 'Secret').find((x) => x.doc.metadata.name === SECRET_NAME)!.doc.stringData.SYNTH_QUOTA_PASSWORD = 'hunter2'; }, expect: /not the placeholder/ },
  { check: 'k8s credentials', what: 'inline password', mutate: (c) => { setEnv(depCtr(c, 1), 'SYNTH_STUDENT_PASSWORD', { value: 'hunter2' }); }, expect: /literal value/ },
  { check: 'k8s credentials', what: 'credential missing', mutate: (c) => { cronCtr(c).env = cronCtr(c).env.filter((e: Obj) => e.name !== 'SYNTH_EXPIRED_TOKEN'); }, expect: /SYNTH_EXPIRED_TOKEN set 0 times/ },
  { check: 'env names', what: 'unknown k8s env', mutate: (c) => { depCtr(c).env.push({ name: 'PUSHGATEWAY', value: 'x' }); }, expect: /PUSHGATEWAY is not a config key/ },
  { check: 'env names', what: 'unknown workflow env', mutate: (c) => { wfRun(c).env.SYNTH_PASSWORD = '${{ secrets.X }}'; }, expect: /SYNTH_PASSWORD is not a config key/ },
  { check: 'env names', what: 'unknown systemd env', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.Environment!.push('RESULT_DIR=/x'); }, expect: /RESULT_DIR is not a config key/ },
  { check: 'env names', what: 'unknown ExecStart var', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.ExecStart = ['/usr/bin/node /opt/canary-synthetics/bin/synthetics.js run --every 60s --target canary=${CANARY}_URL --target x=${STABLE_URL}']; }, expect: /STABLE_URL is not a config key/ },
  { check: 'workflow', what: 'no schedule', mutate: (c) => { delete c.workflow.on.schedule; }, expect: /no cron/ },
  { check: 'workflow', what: 'every minute', mutate: (c) => { c.workflow.on.schedule[0].cron = '* * * * *'; }, expect: /every 5 minutes/ },
  { check: 'workflow', what: 'no concurrency', mutate: (c) => { delete c.workflow.concurrency; }, expect: /no concurrency group/ },
  { check: 'workflow', what: 'global concurrency', mutate: (c) => { c.workflow.concurrency.group = 'synthetics'; }, expect: /not per target/ },
  { check: 'workflow', what: 'no dispatch', mutate: (c) => { delete c.workflow.on.workflow_dispatch; }, expect: /workflow_dispatch/ },
  { check: 'workflow', what: 'literal password', mutate: (c) => { wfRun(c).env.SYNTH_STUDENT_PASSWORD = 'hunter2'; }, expect: /SYNTH_STUDENT_PASSWORD is not \$\{\{ secrets/ },
  { check: 'workflow', what: 'credential in job env', mutate: (c) => { wfJob(c).env.SYNTH_QUOTA_EMAIL = 'q@example.test'; }, expect: /jobs\.\w+\.env: SYNTH_QUOTA_EMAIL has a literal value/ },
  { check: 'workflow', what: 'swapped secret', mutate: (c) => { wfRun(c).env.SYNTH_QUOTA_PASSWORD = '${{ secrets.SYNTH_STUDENT_PASSWORD }}'; }, expect: /SYNTH_QUOTA_PASSWORD reads secrets\.SYNTH_STUDENT_PASSWORD/ },
  { check: 'workflow', what: '--every', mutate: (c) => { wfRun(c).run = 'npx synthetics run --every 60s'; }, expect: /does not use run --once/ },
  { check: 'workflow', what: 'upload only on success', mutate: (c) => { delete wfJob(c).steps.find((s: Obj) => String(s.uses).startsWith('actions/upload-artifact')).if; }, expect: /always\(\)/ },
  { check: 'workflow', what: 'upload of a report nothing makes', mutate: (c) => { wfUpload(c, 'results').with.path += 'playwright-report/\n'; }, expect: /path playwright-report\/ is made by no step/ },
  { check: 'workflow', what: 'upload of another dir than RESULTS_DIR', mutate: (c) => { wfJob(c).env.RESULTS_DIR = 'out'; wfUpload(c, 'results').with.path = 'results/\n!results/evidence/'; }, expect: /path results\/ is made by no step \(the synthetics run writes out\/\)/ },
  { check: 'workflow', what: 'no RESULTS_DIR', mutate: (c) => { delete wfJob(c).env.RESULTS_DIR; }, expect: /env\.RESULTS_DIR is not set/ },
  { check: 'workflow', what: 'empty results upload passes', mutate: (c) => { wfUpload(c, 'results').with['if-no-files-found'] = 'warn'; }, expect: /results store upload has if-no-files-found warn, expected error/ },
  { check: 'workflow', what: 'no results upload', mutate: (c) => { wfJob(c).steps.splice(wfJob(c).steps.indexOf(wfUpload(c, 'results')), 1); }, expect: /no upload-artifact of RESULTS_DIR results\// },
  { check: 'workflow', what: 'evidence twice', mutate: (c) => { wfUpload(c, 'results').with.path = '${{ env.RESULTS_DIR }}/'; }, expect: /does not exclude !results\/evidence\// },
  { check: 'workflow', what: 'missing evidence fails the job', mutate: (c) => { wfUpload(c, 'evidence').with['if-no-files-found'] = 'error'; }, expect: /evidence upload has if-no-files-found error, expected ignore/ },
  { check: 'workflow', what: 'no evidence upload', mutate: (c) => { wfJob(c).steps.splice(wfJob(c).steps.indexOf(wfUpload(c, 'evidence')), 1); }, expect: /no upload-artifact of results\/evidence\// },
  { check: 'workflow', what: 'no check step', mutate: (c) => { wfJob(c).steps = wfJob(c).steps.filter((s: Obj) => s !== wfCheck(c)); }, expect: /fails loudly/ },
  { check: 'workflow', what: 'check step only on success', mutate: (c) => { delete wfCheck(c).if; }, expect: /check step lacks if: always\(\)/ },
  { check: 'workflow', what: 'check step silent on evidence', mutate: (c) => { wfCheck(c).run = wfCheck(c).run.replaceAll('$RESULTS_DIR/evidence', '$X'); }, expect: /does not say what \$RESULTS_DIR\/evidence holds/ },
  { check: 'workflow', what: 'cache of another dir', mutate: (c) => { wfJob(c).steps.find((s: Obj) => String(s.uses).startsWith('actions/cache/save')).with.path = 'state'; }, expect: /actions\/cache\/save@v4 path state is not RESULTS_DIR results/ },
  { check: 'workflow', what: 'node 18', mutate: (c) => { wfJob(c).steps.find((s: Obj) => String(s.uses).startsWith('actions/setup-node')).with['node-version'] = 18; }, expect: /node-version 18/ },
  { check: 'workflow', what: 'BASE_URL literal', mutate: (c) => { wfJob(c).env.BASE_URL = 'https://x.test'; }, expect: /BASE_URL does not come from vars/ },
  { check: 'workflow', what: 'no browser', mutate: (c) => { delete wfJob(c).env.CHROMIUM_PATH; }, expect: /no browser/ },
  { check: 'systemd oneshot', what: 'simple', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.Type = ['simple']; }, expect: /not oneshot/ },
  { check: 'systemd oneshot', what: 'long timeout', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.TimeoutStartSec = ['2min']; }, expect: /TimeoutStartSec 2min/ },
  { check: 'systemd oneshot', what: 'no --once', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.ExecStart = ['/usr/bin/node /opt/canary-synthetics/bin/synthetics.js run']; }, expect: /lacks --once/ },
  { check: 'systemd oneshot', what: 'inline password', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.Environment!.push('"SYNTH_STUDENT_PASSWORD=pw"'); }, expect: /credentials belong in the EnvironmentFile/ },
  { check: 'systemd oneshot', what: 'no env file', mutate: (c) => { delete c.units[ONESHOT_UNIT]!.Service!.EnvironmentFile; }, expect: /no EnvironmentFile/ },
  { check: 'systemd oneshot', what: 'results elsewhere', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.Environment = ['RESULTS_DIR=/tmp/results']; }, expect: /not the StateDirectory/ },
  { check: 'systemd oneshot', what: 'no hardening', mutate: (c) => { delete c.units[ONESHOT_UNIT]!.Service!.ProtectSystem; }, expect: /ProtectSystem/ },
  { check: 'systemd oneshot', what: 'root', mutate: (c) => { c.units[ONESHOT_UNIT]!.Service!.User = ['root']; }, expect: /runs as root/ },
  { check: 'systemd timer', what: 'hourly', mutate: (c) => { c.units[TIMER_UNIT]!.Timer!.OnCalendar = ['hourly']; }, expect: /does not fire once every minute/ },
  { check: 'systemd timer', what: 'every 5 min', mutate: (c) => { c.units[TIMER_UNIT]!.Timer!.OnCalendar = ['*-*-* *:00/5:00']; }, expect: /does not fire once every minute/ },
  { check: 'systemd timer', what: 'missing service', mutate: (c) => { delete c.units[ONESHOT_UNIT]; }, expect: /not in ci\/systemd/ },
  { check: 'systemd timer', what: 'triggers the runner', mutate: (c) => { c.units[TIMER_UNIT]!.Timer!.Unit = [RUNNER_UNIT]; }, expect: /not Type=oneshot/ },
  { check: 'systemd timer', what: 'coarse accuracy', mutate: (c) => { delete c.units[TIMER_UNIT]!.Timer!.AccuracySec; }, expect: /AccuracySec/ },
  { check: 'systemd timer', what: 'persistent', mutate: (c) => { c.units[TIMER_UNIT]!.Timer!.Persistent = ['true']; }, expect: /Persistent/ },
  { check: 'systemd runner', what: 'on-failure', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.Restart = ['on-failure']; }, expect: /Restart is not always/ },
  { check: 'systemd runner', what: 'short stop timeout', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.TimeoutStopSec = ['30s']; }, expect: /TimeoutStopSec 30s < 60/ },
  { check: 'systemd runner', what: '--once', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.ExecStart = ['/usr/bin/node /opt/canary-synthetics/bin/synthetics.js run --once']; }, expect: /lacks --every 60s/ },
  { check: 'systemd runner', what: 'SIGKILL', mutate: (c) => { c.units[RUNNER_UNIT]!.Service!.KillSignal = ['SIGKILL']; }, expect: /KillSignal/ },
  { check: 'no literal credentials', what: 'sandbox password in a unit', mutate: (c) => { c.texts[`${SYSTEMD_DIR}/${ONESHOT_UNIT}`] += '\nEnvironment=X=sandbox-student-pw\n'; }, expect: /sandbox credential value "sandbox-student-pw"/ },
  { check: 'no literal credentials', what: 'literal in YAML', mutate: (c) => { c.texts['ci/k8s/cronjob.yaml'] += '\n  SYNTH_EXPIRED_TOKEN: eyJhbGciOi\n'; }, expect: /SYNTH_EXPIRED_TOKEN is given a literal value/ },
  { check: 'no literal credentials', what: 'literal in shell', mutate: (c) => { c.texts['scripts/services.sh'] += '\nexport SYNTH_QUOTA_PASSWORD=abc\n'; }, expect: /SYNTH_QUOTA_PASSWORD is given a literal value/ },
  { check: 'readme', what: 'no systemd section', mutate: (c) => { c.texts['ci/README.md'] = c.texts['ci/README.md']!.replace(/^## systemd.*$/m, '## Something'); }, expect: /systemd/ },
  { check: 'readme', what: 'pre-flight that never stops', mutate: (c) => { c.texts['ci/README.md'] = c.texts['ci/README.md']!.replace(/exit 1; \}/g, 'true; }'); }, expect: /no pre-flight step/ },
  { check: 'k8s objects', what: 'gate runs the runner', mutate: (c) => { gateCtr(c).command = ['node', 'bin/synthetics.js', 'run', '--serve']; }, expect: /synthetics-gate: command must start with node bin\/synthetics\.js gate/ },
  { check: 'k8s credentials', what: 'gate given an account', mutate: (c) => { gateCtr(c).env.push({ name: 'SYNTH_STUDENT_PASSWORD', valueFrom: { secretKeyRef: { name: SECRET_NAME, key: 'SYNTH_STUDENT_PASSWORD' } } }); }, expect: /SYNTH_STUDENT_PASSWORD is set, but the gate needs no account/ },
  { check: 'env names', what: 'gate env on a runner', mutate: (c) => { depCtr(c).env.push({ name: 'GATE_TOKEN', value: 'x' }); }, expect: /GATE_TOKEN is not a config key .*gate's only/ },
];

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------
let ctx: Ctx;

describe('deployment manifests', () => {
  before(() => { ctx = loadCtx(); });

  test('every file parses, and ci/k8s holds the expected objects', () => {
    for (const f of DEPLOY_FILES) assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing`);
    const kinds = allK8s(ctx).map((x) => `${x.doc.kind}/${x.doc.metadata?.name}`).sort();
    assert.deepEqual(kinds, [
      'ConfigMap/synthetics-targets', 'CronJob/synthetics-cron-eu-west-1', 'Deployment/synthetics-eu-west-1', 'Deployment/synthetics-gate',
      'Deployment/synthetics-us-east-1', 'NetworkPolicy/synthetics-gate', 'PersistentVolumeClaim/synthetics-results', 'PodDisruptionBudget/synthetics-gate',
      'Secret/synthetics-accounts', 'Secret/synthetics-gate', 'Service/synthetics-gate',
    ]);
    assert.deepEqual(Object.keys(ctx.units).sort(), [RUNNER_UNIT, ONESHOT_UNIT, TIMER_UNIT].sort());
  });

  test('the 7 credentials are config keys, and every secret config key is one of them', () => {
    for (const k of CREDENTIALS) assert.ok(CONFIG_KEY_SET.has(k), `${k} is not in CONFIG_KEYS`);
    for (const k of CONFIG_KEYS.filter((k) => k.secret)) assert.ok(CREDENTIAL_SET.has(k.key), `secret key ${k.key} is not handled as a credential`);
    for (const k of URL_INDIRECTIONS) assert.ok(!CONFIG_KEY_SET.has(k), `${k} became a config key: drop it from the indirections`);
  });

  checksAndMutations(() => ctx, CHECKS, MUTATIONS);

  test('the INI parser and the time spans', () => {
    const u = parseUnit('# c\n[Service]\nEnvironment=A=1\nEnvironment="B=2" C=3\nExecStart=/bin/a \\\n  --b\nRestart=\n[Timer]\nOnCalendar=minutely\n');
    assert.deepEqual(u.Service!.Environment, ['A=1', '"B=2" C=3']);
    assert.deepEqual(systemdAssignments(u), [['A', '1'], ['B', '2'], ['C', '3']]);
    assert.equal(u.Service!.ExecStart![0]!.replace(/\s+/g, ' '), '/bin/a --b');
    assert.deepEqual(u.Service!.Restart, []);
    assert.throws(() => parseUnit('Key=outside a section\n'), /not "Key=Value" inside a \[Section\]/);
    assert.equal(timespanSeconds('90'), 90);
    assert.equal(timespanSeconds('1min 30s'), 90);
    assert.equal(timespanSeconds('500ms'), 0.5);
    assert.ok(Number.isNaN(timespanSeconds('soon')));
    assert.ok(everyMinute('*-*-* *:*:00') && everyMinute('minutely') && everyMinute('*:*:30'));
    assert.ok(!everyMinute('*-*-* *:00:00') && !everyMinute('Mon *-*-* *:*:00') && !everyMinute('*-*-* *:*:*'));
  });

  test('the workflow\'s check step, run by bash as GitHub runs it: no store written is an error, no evidence a notice', () => {
    const script = String(wfCheck(ctx).run);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-check-'));
    const results = path.join(tmp, 'results');
    const run = () => spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { env: { PATH: process.env.PATH, RESULTS_DIR: results, RUNNER_TEMP: tmp }, encoding: 'utf8' });
    const at = (file: string, secondsAgo: number) => { const t = new Date(Date.now() - secondsAgo * 1000); fs.utimesSync(file, t, t); };
    try {
      let r = run();
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^::error::synthetics run did not start/m);

      // Started, but the only store file is an older day the cache brought back.
      fs.mkdirSync(results);
      const marker = path.join(tmp, 'synthetics-run-started');
      fs.writeFileSync(marker, '');
      at(marker, 60);
      fs.writeFileSync(path.join(results, 'synthetics-2026-11-22.ndjson'), '{}\n');
      at(path.join(results, 'synthetics-2026-11-22.ndjson'), 120);
      r = run();
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^::error::synthetics run wrote no results store in ${results}/`, 'm'));

      fs.writeFileSync(path.join(results, 'synthetics-2026-11-23.ndjson'), '{}\n');
      r = run();
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^results store: .*synthetics-2026-11-23\.ndjson$/m);
      assert.match(r.stdout, /^::notice::no evidence in .*results\/evidence\//m);

      fs.mkdirSync(path.join(results, 'evidence', '2026-11-23'), { recursive: true });
      for (const f of ['b2c-browser-r1.png', 'b2c-browser-r1.zip']) fs.writeFileSync(path.join(results, 'evidence', '2026-11-23', f), 'x');
      r = run();
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^evidence \(2 files\):\n.*b2c-browser-r1\.png\n.*b2c-browser-r1\.zip$/m);
      assert.doesNotMatch(r.stdout, /::(notice|error)::/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  test('systemd-analyze: the timer elapses every 60 s and the units verify', { skip: analyze.status !== 0 && 'systemd-analyze not installed' }, () => {
    const cal = last(ctx.units[TIMER_UNIT]!, 'Timer', 'OnCalendar')!;
    const r = spawnSync('systemd-analyze', ['calendar', '--iterations=4', cal], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.equal(r.status, 0, r.stderr);
    const times = [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+):\s+\w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)].map((m) => Date.parse(`${m[1]!.replace(' ', 'T')}Z`));
    assert.equal(times.length, 4, r.stdout);
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 60_000, r.stdout);
    const units = [ONESHOT_UNIT, TIMER_UNIT, RUNNER_UNIT].map((f) => path.join(ROOT, SYSTEMD_DIR, f));
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
    const bad = `${v.stdout}\n${v.stderr}`.split('\n').filter((l) => /Unknown (key|section)|Failed to parse|Invalid|[Mm]issing '='|bad-setting/.test(l));
    assert.deepEqual(bad, []);
  });
});

// ---------------------------------------------------------------------------------------------
// scripts/services.sh against the real binaries
// ---------------------------------------------------------------------------------------------
const SCRIPT = path.join(ROOT, 'scripts/services.sh');

function sh(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : -1) : 0, stdout, stderr });
    });
  });
}

/** Alive = /proc entry exists and is not a zombie (PID 1 here may never reap reparented daemons). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function ok200(url: string): Promise<number> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await r.arrayBuffer();
  return r.status;
}

describe('scripts/services.sh (real prometheus-pushgateway and prometheus)', () => {
  let dir: string;
  let urls: { PUSHGATEWAY_URL?: string; PROMETHEUS_URL?: string } = {};
  let pids: number[] = [];
  let stopped = false;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'services-')); });
  after(async () => {
    if (!stopped) await sh(['stop', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('start prints both URLs, writes DIR/env, the config and PID files', async () => {
    const r = await sh(['start', dir]);
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0]!, /^PUSHGATEWAY_URL=http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(lines[1]!, /^PROMETHEUS_URL=http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(fs.readFileSync(path.join(dir, 'env'), 'utf8').trim(), r.stdout.trim());
    urls = Object.fromEntries(lines.map((l) => l.split('=', 2) as [string, string]));
    assert.notEqual(urls.PUSHGATEWAY_URL, urls.PROMETHEUS_URL);
    const cfg = parseAllDocuments(fs.readFileSync(path.join(dir, 'prometheus.yml'), 'utf8'));
    const prom = (Array.isArray(cfg) ? cfg[0] : cfg)!.toJS();
    assert.equal(prom.global.scrape_interval, '1s');
    assert.equal(prom.global.evaluation_interval, '1s');
    assert.equal(prom.scrape_configs[0].honor_labels, true);
    assert.deepEqual(prom.scrape_configs[0].static_configs[0].targets, [urls.PUSHGATEWAY_URL!.replace('http://', '')]);
    pids = ['pushgateway.pid', 'prometheus.pid'].map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8').trim()));
    for (const pid of pids) assert.ok(Number.isInteger(pid) && pid > 1 && alive(pid), `pid ${pid} not running`);
  });

  test('both /-/ready answer 200 on 127.0.0.1', async () => {
    assert.ok(urls.PUSHGATEWAY_URL && urls.PROMETHEUS_URL, 'start failed');
    assert.equal(await ok200(`${urls.PUSHGATEWAY_URL}/-/ready`), 200);
    assert.equal(await ok200(`${urls.PROMETHEUS_URL}/-/ready`), 200);
  });

  test('start again on the same DIR starts nothing and prints the same URLs', async () => {
    const r = await sh(['start', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `PUSHGATEWAY_URL=${urls.PUSHGATEWAY_URL}\nPROMETHEUS_URL=${urls.PROMETHEUS_URL}`);
    assert.deepEqual(['pushgateway.pid', 'prometheus.pid'].map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8').trim())), pids);
  });

  test('a metric pushed to the Pushgateway is queryable in Prometheus within 15 s', async () => {
    assert.ok(urls.PUSHGATEWAY_URL && urls.PROMETHEUS_URL, 'start failed');
    const put = await fetch(`${urls.PUSHGATEWAY_URL}/metrics/job/t/instance/x`, { method: 'PUT', body: 'test_metric 1\n', headers: { 'content-type': 'text/plain; version=0.0.4' } });
    assert.equal(put.status, 200, await put.text());
    const deadline = Date.now() + 15_000;
    let last: Obj;
    for (;;) {
      const r = await fetch(`${urls.PROMETHEUS_URL}/api/v1/query?query=test_metric`);
      last = await r.json();
      if (last?.data?.result?.length) break;
      if (Date.now() > deadline) assert.fail(`test_metric not in Prometheus after 15 s: ${JSON.stringify(last)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(last.data.result.length, 1);
    // honor_labels: the pushed job/instance win over the scrape's own.
    assert.deepEqual(last.data.result[0].metric, { __name__: 'test_metric', job: 't', instance: 'x' });
    assert.equal(last.data.result[0].value[1], '1');
  });

  test('stop ends both processes and removes the PID files', async () => {
    assert.equal(pids.length, 2, 'start failed');
    const r = await sh(['stop', dir]);
    stopped = true;
    assert.equal(r.code, 0, r.stderr);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still running`);
    assert.ok(!fs.existsSync(path.join(dir, 'pushgateway.pid')) && !fs.existsSync(path.join(dir, 'prometheus.pid')));
    await assert.rejects(ok200(`${urls.PUSHGATEWAY_URL}/-/ready`));
  });

  test('a missing binary: one line naming the apt-get command, exit 3, nothing started', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'services-missing-'));
    try {
      const r = await sh(['start', d], { ...process.env, PROMETHEUS_BIN: path.join(d, 'no-prometheus') });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /install it with: apt-get install -y prometheus-pushgateway prometheus$/);
      assert.ok(!fs.existsSync(path.join(d, 'pushgateway.pid')));
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  test('usage error exits 1 with the usage line', async () => {
    const r = await sh(['restart']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^usage: scripts\/services\.sh start\|stop \[DIR\]/);
  });
});
