// The gate as a Kubernetes service (ci/k8s) and the rollout templates that call it: `kubectl
// kustomize ci/k8s` builds, every built object validates (core kinds against kubernetes-models'
// schemas, the rollout tools' kinds against their CRDs), and the wiring holds: the URLs the Argo
// Rollouts and Flagger templates call name the Service, namespace and port the gate Deployment
// serves; the token comes from a Secret; probes hit /health; the pod runs non-root on a read-only
// root filesystem; the NetworkPolicy admits the controllers and Prometheus and lets the gate reach
// Prometheus, the Pushgateway and DNS.
//
// Each check returns ALL its problems as "where: what (why)" lines; the shipped files give none,
// and for every check a mutated copy must give the expected problem, so nothing passes vacuously.
// Run: node --import tsx --test test/deploy/k8s.test.ts (needs kubectl, v1.32 here: no cluster).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../support/cli.ts';
import { readCrd, validate as validateCrd, type Crd, type Obj } from '../support/crds.ts';
import { checksAndMutations, type Check, type Mutation } from '../support/checked-files.ts';

const K8S_DIR = 'ci/k8s';
const NAMESPACE = 'synthetics';
const GATE = 'synthetics-gate';
const GATE_LABELS = { 'app.kubernetes.io/name': 'canary-synthetics', 'app.kubernetes.io/component': 'gate' };
const SECRET = { name: 'synthetics-gate', key: 'token' };
const CONFIGMAP = 'synthetics-targets';
/** Where the rollout controllers and Prometheus run: the namespaces the NetworkPolicy must admit. */
const CALLERS = ['argo-rollouts', 'flagger-system', 'monitoring'];
const ROLLOUT_FILES = ['ci/argo-rollouts', 'ci/flagger'];
const CRD_FILES = ['argo-rollouts-analysistemplate.crd.yaml', 'flagger-canary.crd.yaml', 'flagger-metrictemplate.crd.yaml'];
/** The gate bounds one decision at 20 s (gate/server.ts DEFAULT_DECIDE_TIMEOUT_MS): a pod must get to finish it. */
const DECIDE_BOUND_S = 20;

interface Ctx {
  /** `kubectl kustomize ci/k8s`, parsed: what `kubectl apply -k` would send. */
  built: Obj[];
  kustomization: Obj;
  /** The generated Argo Rollouts and Flagger documents, by file. */
  rollout: Array<{ file: string; doc: Obj }>;
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------
function kustomize(dir: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`kubectl kustomize ${dir}: ${r.error.message} (kubectl v1.32 is at /usr/bin/kubectl on these machines)`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function yamlDocs(text: string, where: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${where}: ${d.errors[0]!.message}`);
    return d.toJS();
  }).filter((d) => d != null);
}

function loadCtx(): Ctx {
  const r = kustomize(path.join(ROOT, K8S_DIR));
  if (r.code !== 0) throw new Error(`kubectl kustomize ${K8S_DIR} failed: ${r.stderr.trim()}`);
  const rollout = ROLLOUT_FILES.flatMap((dir) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => yamlDocs(fs.readFileSync(path.join(ROOT, dir, f), 'utf8'), `${dir}/${f}`).map((doc) => ({ file: `${dir}/${f}`, doc }))));
  return { built: yamlDocs(r.stdout, 'kubectl kustomize'), kustomization: parse(fs.readFileSync(path.join(ROOT, K8S_DIR, 'kustomization.yaml'), 'utf8')), rollout };
}

// ---------------------------------------------------------------------------------------------
// Core kinds against kubernetes-models (its classes carry the Kubernetes OpenAPI schemas)
// ---------------------------------------------------------------------------------------------
type ModelClass = new (data: Obj) => { validate(): void };
const models = new Map<string, ModelClass>();
const modelKey = (doc: Obj) => `${doc?.apiVersion}/${doc?.kind}`;

/** kubernetes-models/<group>/<version>/<Kind> (core: kubernetes-models/v1/<Kind>). */
async function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[a-z0-9.]*$/.test(group!) || !/^v\d+(alpha\d+|beta\d+)?$/.test(version!) || !/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  try {
    const mod = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`)) as Record<string, ModelClass>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

function schemaProblems(doc: Obj): string[] {
  const Model = models.get(modelKey(doc));
  const where = `${doc?.kind}/${doc?.metadata?.name}`;
  if (!Model) return [`${where}: no kubernetes-models schema for ${modelKey(doc)} (not a core kind, or a wrong apiVersion)`];
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: Array<{ instancePath?: string; message?: string }> }).errors;
    return errors?.length ? errors.map((x) => `${where}: ${x.instancePath || '/'} ${x.message}`) : [`${where}: ${(e as Error).message}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------
const find = (c: Ctx, kind: string, name = GATE) => c.built.find((d) => d?.kind === kind && d?.metadata?.name === name);
const gateDeployment = (c: Ctx) => find(c, 'Deployment');
const gatePod = (c: Ctx) => gateDeployment(c)?.spec?.template?.spec;
const gateContainer = (c: Ctx) => gatePod(c)?.containers?.[0];
const argvOf = (ctr: Obj): string[] => [...(ctr?.command ?? []), ...(ctr?.args ?? [])].map(String);
const flag = (argv: string[], name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const env = (ctr: Obj, name: string) => (ctr?.env ?? []).find((e: Obj) => e?.name === name);
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const rolloutDocs = (c: Ctx, kind: string) => c.rollout.filter((x) => x.doc?.kind === kind);
const argoGate = (c: Ctx) => rolloutDocs(c, 'AnalysisTemplate').find((x) => x.doc?.spec?.metrics?.[0]?.provider?.web)?.doc;
const flaggerCanary = (c: Ctx) => rolloutDocs(c, 'Canary')[0]?.doc;

/** The port a container's named or numbered port resolves to. */
function containerPort(ctr: Obj, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return (ctr?.ports ?? []).some((p: Obj) => p?.containerPort === port) ? port : undefined;
  return (ctr?.ports ?? []).find((p: Obj) => p?.name === port)?.containerPort;
}

/** Every URL the rollout templates send to the gate, with where it comes from. */
function gateUrls(c: Ctx): Array<{ where: string; url: string }> {
  const out: Array<{ where: string; url: string }> = [];
  const web = argoGate(c)?.spec?.metrics?.[0]?.provider?.web;
  if (web) out.push({ where: 'AnalysisTemplate synthetics-gate', url: String(web.url).replace('{{args.phase}}', '5') });
  for (const h of flaggerCanary(c)?.spec?.analysis?.webhooks ?? []) out.push({ where: `Canary webhook ${h?.name}`, url: String(h?.url) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns every problem it finds
// ---------------------------------------------------------------------------------------------
function checkBuild(c: Ctx): string[] {
  const p: string[] = [];
  const names = c.built.map((d) => `${d?.kind}/${d?.metadata?.name}`);
  for (const want of ['ConfigMap/synthetics-targets', `Deployment/${GATE}`, `Service/${GATE}`, `PodDisruptionBudget/${GATE}`, `NetworkPolicy/${GATE}`]) {
    if (!names.includes(want)) p.push(`kustomize: ${want} is not in the build`);
  }
  if (!c.built.some((d) => d?.kind === 'Deployment' && d?.metadata?.labels?.['app.kubernetes.io/component'] === 'runner')) p.push('kustomize: no runner Deployment in the build');
  for (const d of c.built) {
    const where = `${d?.kind}/${d?.metadata?.name}`;
    if (d?.metadata?.namespace !== NAMESPACE) p.push(`${where}: namespace ${d?.metadata?.namespace}, expected ${NAMESPACE} (kustomization namespace:)`);
    if (d?.kind === 'Secret') p.push(`${where}: a Secret in the build would overwrite the real one with its placeholder`);
    if (d?.kind === 'CronJob') p.push(`${where}: the CronJob is the alternative to the runner Deployments: both would push competing series`);
  }
  const image = (c.kustomization?.images ?? [])[0];
  if (!image?.name || !image?.newTag) p.push('kustomization.yaml: no images: entry (name, newName, newTag) to point the image at a registry');
  const want = `${image?.newName ?? image?.name}:${image?.newTag}`;
  for (const d of c.built.filter((x) => x?.kind === 'Deployment')) {
    for (const ctr of d?.spec?.template?.spec?.containers ?? []) if (ctr?.image !== want) p.push(`Deployment/${d?.metadata?.name}: image ${ctr?.image}, not the kustomization's ${want}`);
  }
  if (c.kustomization?.commonLabels) p.push('kustomization.yaml: commonLabels rewrites selectors (immutable on a Deployment): use labels: with includeSelectors: false');
  return p;
}

function checkSchemas(c: Ctx, crds: Crd[]): string[] {
  const p = c.built.flatMap(schemaProblems);
  for (const { file, doc } of c.rollout) {
    try {
      p.push(...validateCrd(crds, doc).map((x) => `${file} ${doc?.kind}/${doc?.metadata?.name}: ${x}`));
    } catch (e) {
      p.push(`${file} ${doc?.kind}/${doc?.metadata?.name}: ${(e as Error).message}`);
    }
  }
  if (!c.rollout.some((x) => x.doc?.kind === 'Canary') || !argoGate(c)) p.push('ci/argo-rollouts, ci/flagger: the gate template or the Canary is missing');
  return p;
}

/** The URLs the templates call name the Service, its namespace and port; the port reaches the container the gate listens on. */
function checkWiring(c: Ctx): string[] {
  const p: string[] = [];
  const svc = find(c, 'Service');
  const ctr = gateContainer(c);
  const argv = argvOf(ctr);
  if (!svc) return [`Service/${GATE}: missing`];
  if (!matches(svc.spec?.selector, gateDeployment(c)?.spec?.template?.metadata?.labels)) p.push(`Service/${GATE}: selector ${JSON.stringify(svc.spec?.selector)} does not select the gate pods`);
  const listen = Number(flag(argv, '--port'));
  if (flag(argv, '--host') !== '0.0.0.0') p.push(`Deployment/${GATE}: --host ${flag(argv, '--host')}: a pod must listen on 0.0.0.0 (the default 127.0.0.1 is unreachable from the Service)`);
  if (!(ctr?.ports ?? []).some((x: Obj) => x?.containerPort === listen)) p.push(`Deployment/${GATE}: --port ${flag(argv, '--port')} is not a containerPort (${(ctr?.ports ?? []).map((x: Obj) => x?.containerPort).join(', ')})`);
  if (argv[2] !== 'gate' || !argv.includes('--serve')) p.push(`Deployment/${GATE}: command does not run "gate --serve" (got ${argv.join(' ')})`);
  const urls = gateUrls(c);
  if (urls.length < 2) p.push('the rollout templates call the gate nowhere: the collector missed them');
  for (const { where, url } of urls) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      p.push(`${where}: ${url} is not a URL`);
      continue;
    }
    const [name, ns, svcLabel, ...rest] = u.hostname.split('.');
    if (svcLabel !== 'svc' || (rest.length && rest.join('.') !== 'cluster.local')) { p.push(`${where}: ${u.hostname} is not <service>.<namespace>.svc`); continue; }
    if (name !== svc.metadata.name || ns !== svc.metadata.namespace) p.push(`${where}: calls ${name}.${ns}, but the gate's Service is ${svc.metadata.name}.${svc.metadata.namespace}`);
    const port = (svc.spec?.ports ?? []).find((x: Obj) => String(x?.port) === (u.port || '80'));
    if (!port) { p.push(`${where}: port ${u.port || '80'} is not a port of Service ${svc.metadata.name}`); continue; }
    const target = containerPort(ctr, port.targetPort ?? port.port);
    if (target === undefined) p.push(`Service/${GATE}: targetPort ${port.targetPort} is not a port of the gate container`);
    else if (target !== listen) p.push(`${where}: reaches container port ${target}, but the gate listens on --port ${listen}`);
  }
  return p;
}

/** The gate's token: from the Secret in the pod, from a Secret in the Argo template, a placeholder in Flagger's metadata. */
function checkToken(c: Ctx): string[] {
  const p: string[] = [];
  const ref = env(gateContainer(c), 'GATE_TOKEN');
  if (!ref) p.push(`Deployment/${GATE}: GATE_TOKEN is not set: the gate would answer anyone`);
  else if ('value' in ref) p.push(`Deployment/${GATE}: GATE_TOKEN has a literal value; it must come from secretKeyRef ${SECRET.name}/${SECRET.key}`);
  else if (ref.valueFrom?.secretKeyRef?.name !== SECRET.name || ref.valueFrom?.secretKeyRef?.key !== SECRET.key) p.push(`Deployment/${GATE}: GATE_TOKEN is not from secretKeyRef ${SECRET.name}/${SECRET.key}`);
  else if (ref.valueFrom.secretKeyRef.optional === true) p.push(`Deployment/${GATE}: GATE_TOKEN's secretKeyRef is optional: a missing Secret would start an open gate`);
  const argo = argoGate(c);
  const arg = (argo?.spec?.args ?? []).find((a: Obj) => a?.valueFrom?.secretKeyRef);
  if (arg?.valueFrom?.secretKeyRef?.name !== SECRET.name || arg?.valueFrom?.secretKeyRef?.key !== SECRET.key) p.push(`AnalysisTemplate synthetics-gate: the token arg is not from secretKeyRef ${SECRET.name}/${SECRET.key}`);
  const header = (argo?.spec?.metrics?.[0]?.provider?.web?.headers ?? []).find((h: Obj) => h?.key === 'Authorization');
  if (header?.value !== `Bearer {{args.${arg?.name}}}`) p.push(`AnalysisTemplate synthetics-gate: the Authorization header is not "Bearer {{args.${arg?.name}}}"`);
  for (const h of flaggerCanary(c)?.spec?.analysis?.webhooks ?? []) {
    if (!/^REPLACE_/.test(String(h?.metadata?.token))) p.push(`Canary webhook ${h?.name}: metadata.token is ${h?.metadata?.token ? 'a literal' : 'missing'}, expected the REPLACE_ placeholder`);
  }
  return p;
}

function checkProbes(c: Ctx): string[] {
  const p: string[] = [];
  const ctr = gateContainer(c);
  const listen = Number(flag(argvOf(ctr), '--port'));
  for (const kind of ['readinessProbe', 'livenessProbe']) {
    const probe = ctr?.[kind];
    if (!probe) { p.push(`Deployment/${GATE}: no ${kind}`); continue; }
    if (probe.httpGet?.path !== '/health') p.push(`Deployment/${GATE}: ${kind} is not httpGet /health (the route that needs no token and asks no dependency)`);
    if (containerPort(ctr, probe.httpGet?.port) !== listen) p.push(`Deployment/${GATE}: ${kind} port ${probe.httpGet?.port} is not the port the gate listens on (${listen})`);
    if (!(probe.timeoutSeconds >= 1 && probe.periodSeconds >= 1)) p.push(`Deployment/${GATE}: ${kind} without timeoutSeconds/periodSeconds`);
  }
  const live = ctr?.livenessProbe;
  if (live && (live.periodSeconds ?? 10) * (live.failureThreshold ?? 3) < 20) p.push(`Deployment/${GATE}: livenessProbe restarts after ${(live.periodSeconds ?? 10) * (live.failureThreshold ?? 3)} s of no answer: a busy moment would kill a healthy gate`);
  const start = ctr?.startupProbe;
  const startWindow = start ? (start.periodSeconds ?? 10) * (start.failureThreshold ?? 3) : (live?.initialDelaySeconds ?? 0);
  if (startWindow < 20) p.push(`Deployment/${GATE}: ${startWindow} s to start before liveness applies; the gate needs 4-7 s on 2 cores (tsx compiles), more on a throttled node`);
  const ready = ctr?.readinessProbe;
  if (ready && (ready.periodSeconds ?? 10) > 10) p.push(`Deployment/${GATE}: readinessProbe every ${ready.periodSeconds} s: a dead pod stays in the Service too long`);
  return p;
}

function checkSecurity(c: Ctx): string[] {
  const p: string[] = [];
  const pod = gatePod(c) ?? {};
  const ctr = gateContainer(c) ?? {};
  const sc = ctr.securityContext ?? {};
  const w = `Deployment/${GATE}`;
  if (pod.securityContext?.runAsNonRoot !== true && sc.runAsNonRoot !== true) p.push(`${w}: runAsNonRoot is not true`);
  const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
  if (!(typeof uid === 'number' && uid > 0)) p.push(`${w}: runAsUser ${uid}: a numeric non-root uid (the image's 10001)`);
  if (sc.readOnlyRootFilesystem !== true) p.push(`${w}: readOnlyRootFilesystem is not true`);
  if (sc.allowPrivilegeEscalation !== false) p.push(`${w}: allowPrivilegeEscalation is not false`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) p.push(`${w}: capabilities do not drop ALL`);
  if ((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type !== 'RuntimeDefault') p.push(`${w}: seccompProfile is not RuntimeDefault`);
  if (pod.automountServiceAccountToken !== false) p.push(`${w}: automountServiceAccountToken is not false (the gate never calls the Kubernetes API)`);
  // A read-only root: whatever the process writes must be a writable volume.
  const emptyDirAt = (dir: string) => {
    const m = (ctr.volumeMounts ?? []).find((x: Obj) => x?.mountPath === dir);
    return m && !m.readOnly && (pod.volumes ?? []).find((v: Obj) => v?.name === m.name)?.emptyDir !== undefined;
  };
  if (!emptyDirAt('/tmp')) p.push(`${w}: /tmp is not a writable emptyDir (tsx keeps its compile cache in the temp dir)`);
  const results = env(ctr, 'RESULTS_DIR')?.value;
  if (!results || !emptyDirAt(results)) p.push(`${w}: RESULTS_DIR (${results}) is not a writable emptyDir`);
  for (const v of pod.volumes ?? []) if (v?.hostPath) p.push(`${w}: volume ${v.name} is a hostPath`);
  return p;
}

function checkAvailability(c: Ctx): string[] {
  const p: string[] = [];
  const d = gateDeployment(c);
  const pod = gatePod(c) ?? {};
  const w = `Deployment/${GATE}`;
  if (!(d?.spec?.replicas >= 2)) p.push(`${w}: replicas ${d?.spec?.replicas}: one restart would leave the rollout tools with no gate`);
  if (d?.spec?.strategy?.type !== 'RollingUpdate' || d?.spec?.strategy?.rollingUpdate?.maxUnavailable !== 0) p.push(`${w}: a rollout of the gate must be RollingUpdate with maxUnavailable 0`);
  const spread = (pod.topologySpreadConstraints ?? []).some((t: Obj) => t?.topologyKey === 'kubernetes.io/hostname' && t?.whenUnsatisfiable === 'DoNotSchedule' && matches(t?.labelSelector?.matchLabels, d?.spec?.template?.metadata?.labels));
  const anti = (pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((t: Obj) => t?.topologyKey === 'kubernetes.io/hostname');
  if (!spread && !anti) p.push(`${w}: nothing keeps the replicas on different nodes (topologySpreadConstraints on kubernetes.io/hostname, or podAntiAffinity)`);
  const pdb = find(c, 'PodDisruptionBudget');
  if (!pdb) p.push(`PodDisruptionBudget/${GATE}: missing`);
  else {
    if (pdb.spec?.minAvailable !== 1) p.push(`PodDisruptionBudget/${GATE}: minAvailable ${pdb.spec?.minAvailable}, expected 1`);
    if (!matches(pdb.spec?.selector?.matchLabels, d?.spec?.template?.metadata?.labels)) p.push(`PodDisruptionBudget/${GATE}: its selector does not select the gate pods`);
  }
  const res = gateContainer(c)?.resources ?? {};
  for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (res[k]?.[r] === undefined) p.push(`${w}: resources.${k}.${r} missing`);
  if (!(pod.terminationGracePeriodSeconds > DECIDE_BOUND_S)) p.push(`${w}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}: a decision in flight takes up to ${DECIDE_BOUND_S} s`);
  return p;
}

/** In: the controllers' and Prometheus' namespaces, on the gate's port. Out: Prometheus, the Pushgateway, DNS. */
function checkNetworkPolicy(c: Ctx): string[] {
  const p: string[] = [];
  const np = find(c, 'NetworkPolicy');
  const w = `NetworkPolicy/${GATE}`;
  if (!np) return [`${w}: missing`];
  const labels = gateDeployment(c)?.spec?.template?.metadata?.labels;
  if (!matches(np.spec?.podSelector?.matchLabels, labels)) p.push(`${w}: podSelector does not select the gate pods`);
  const types: string[] = np.spec?.policyTypes ?? [];
  if (!types.includes('Ingress') || !types.includes('Egress')) p.push(`${w}: policyTypes ${types.join(', ')}: both Ingress and Egress`);
  const listen = Number(flag(argvOf(gateContainer(c)), '--port'));
  const portOk = (ports: Obj[] | undefined, port: number, proto = 'TCP') => (ports ?? []).some((x) => (x?.port === port || containerPort(gateContainer(c), x?.port) === port) && (x?.protocol ?? 'TCP') === proto);
  const admitted = new Set<string>();
  for (const [i, rule] of (np.spec?.ingress ?? []).entries()) {
    if (!rule?.from?.length) p.push(`${w}: ingress[${i}] has no from: it admits every pod of the cluster`);
    if (!rule?.ports?.length) p.push(`${w}: ingress[${i}] has no ports: it admits every port`);
    for (const f of rule?.from ?? []) {
      if (f?.ipBlock) p.push(`${w}: ingress[${i}] admits an ipBlock`);
      const ns = f?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
      if (ns && portOk(rule.ports, listen)) admitted.add(ns);
    }
  }
  for (const ns of CALLERS) if (!admitted.has(ns)) p.push(`${w}: namespace ${ns} is not admitted on ${listen} (by kubernetes.io/metadata.name)`);
  // Out: the hosts and ports of the URLs the gate is given (ConfigMap), and DNS.
  const cm = find(c, 'ConfigMap', CONFIGMAP);
  const egress: Obj[] = np.spec?.egress ?? [];
  for (const name of ['PROMETHEUS_URL', 'PUSHGATEWAY_URL']) {
    const key = env(gateContainer(c), name)?.valueFrom?.configMapKeyRef?.key;
    const raw = cm?.data?.[key];
    let u: URL | undefined;
    try { u = new URL(raw); } catch { /* reported below */ }
    if (!u) { p.push(`${w}: cannot read ${name} from ConfigMap ${CONFIGMAP} key ${key}`); continue; }
    const ns = u.hostname.split('.')[1];
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const ok = egress.some((r) => portOk(r?.ports, port) && (r?.to ?? []).some((t: Obj) => t?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === ns));
    if (!ok) p.push(`${w}: no egress to namespace ${ns} port ${port} (${name} ${raw})`);
  }
  if (!egress.some((r) => portOk(r?.ports, 53, 'UDP'))) p.push(`${w}: no egress to DNS (53/UDP): the URLs are Service names`);
  return p;
}

/** The gate's configuration: Prometheus as its source, its URLs from the shared ConfigMap, every reference resolving. */
function checkConfig(c: Ctx): string[] {
  const p: string[] = [];
  const ctr = gateContainer(c);
  const argv = argvOf(ctr);
  const w = `Deployment/${GATE}`;
  if (flag(argv, '--source') !== 'prometheus') p.push(`${w}: --source ${flag(argv, '--source')}: a pod has no results store, it reads Prometheus`);
  if (flag(argv, '--prometheus') !== '$(PROMETHEUS_URL)') p.push(`${w}: --prometheus is ${flag(argv, '--prometheus')}, expected $(PROMETHEUS_URL) (from the ConfigMap)`);
  const cm = find(c, 'ConfigMap', CONFIGMAP);
  for (const name of ['PROMETHEUS_URL', 'PUSHGATEWAY_URL']) {
    const ref = env(ctr, name)?.valueFrom?.configMapKeyRef;
    if (ref?.name !== CONFIGMAP) p.push(`${w}: ${name} is not from ConfigMap ${CONFIGMAP}`);
    else if (!/^https?:\/\//.test(String(cm?.data?.[ref.key] ?? ''))) p.push(`${w}: ${name} refers to ConfigMap ${CONFIGMAP} key ${ref.key}, which is not a URL there`);
  }
  for (const a of argv) for (const m of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!env(ctr, m[1]!)) p.push(`${w}: $(${m[1]}) in the command is not defined in env`);
  return p;
}

let crds: Crd[] = [];
const CHECKS: Record<string, Check<Ctx>> = {
  'build': checkBuild,
  'schemas': (c) => checkSchemas(c, crds),
  'wiring': checkWiring,
  'token': checkToken,
  'probes': checkProbes,
  'security': checkSecurity,
  'availability': checkAvailability,
  'network policy': checkNetworkPolicy,
  'config': checkConfig,
};

// ---------------------------------------------------------------------------------------------
// Mutations of the real build, each of which its check must catch
// ---------------------------------------------------------------------------------------------
const ctrOf = (c: Ctx) => gateContainer(c);
const setEnv = (ctr: Obj, name: string, entry: Obj) => { ctr.env = ctr.env.map((e: Obj) => (e.name === name ? { name, ...entry } : e)); };
const setArg = (ctr: Obj, name: string, value: string) => { const i = ctr.command.indexOf(name); ctr.command[i + 1] = value; };
const np = (c: Ctx) => find(c, 'NetworkPolicy');

const MUTATIONS: Array<Mutation<Ctx>> = [
  { check: 'build', what: 'the Secret example built in', mutate: (c) => { c.built.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'synthetics-gate', namespace: NAMESPACE } }); }, expect: /overwrite the real one/ },
  { check: 'build', what: 'the CronJob built in too', mutate: (c) => { c.built.push({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x', namespace: NAMESPACE } }); }, expect: /competing series/ },
  { check: 'build', what: 'no gate Service', mutate: (c) => { c.built = c.built.filter((d) => d.kind !== 'Service'); }, expect: /Service\/synthetics-gate is not in the build/ },
  { check: 'build', what: 'another namespace', mutate: (c) => { find(c, 'Service').metadata.namespace = 'default'; }, expect: /namespace default/ },
  { check: 'build', what: 'an image the kustomization does not set', mutate: (c) => { ctrOf(c).image = 'busybox'; }, expect: /image busybox/ },
  { check: 'build', what: 'commonLabels', mutate: (c) => { c.kustomization.commonLabels = { a: 'b' }; }, expect: /commonLabels/ },
  { check: 'schemas', what: 'containerPort as a string', mutate: (c) => { ctrOf(c).ports[0].containerPort = '8080'; }, expect: /containerPort must be integer/ },
  { check: 'schemas', what: 'minAvailable as an object', mutate: (c) => { find(c, 'PodDisruptionBudget').spec.minAvailable = { n: 1 }; }, expect: /minAvailable/ },
  { check: 'schemas', what: 'NetworkPolicy policyTypes as a string', mutate: (c) => { np(c).spec.policyTypes = 'Ingress'; }, expect: /policyTypes must be array/ },
  { check: 'schemas', what: 'an unknown apiVersion', mutate: (c) => { find(c, 'PodDisruptionBudget').apiVersion = 'policy/v1beta9'; }, expect: /no kubernetes-models schema for policy\/v1beta9/ },
  { check: 'schemas', what: 'a CRD document with a wrong type', mutate: (c) => { flaggerCanary(c).spec.analysis.threshold = 'ten'; }, expect: /ci\/flagger\/canary\.yaml Canary.*threshold: must be/ },
  { check: 'wiring', what: 'Argo calls another Service', mutate: (c) => { argoGate(c).spec.metrics[0].provider.web.url = 'http://synthetics-gate2.synthetics.svc:8080/api/v1/decision?phase={{args.phase}}'; }, expect: /calls synthetics-gate2\.synthetics/ },
  { check: 'wiring', what: 'Flagger calls another namespace', mutate: (c) => { const h = flaggerCanary(c).spec.analysis.webhooks[0]; h.url = h.url.replace('.synthetics.svc', '.default.svc'); }, expect: /calls synthetics-gate\.default/ },
  { check: 'wiring', what: 'Flagger calls another port', mutate: (c) => { const h = flaggerCanary(c).spec.analysis.webhooks[1]; h.url = h.url.replace(':8080', ':80'); }, expect: /port 80 is not a port of Service/ },
  { check: 'wiring', what: 'the gate listens elsewhere', mutate: (c) => { setArg(ctrOf(c), '--port', '9000'); }, expect: /--port 9000 is not a containerPort|listens on --port 9000/ },
  { check: 'wiring', what: 'targetPort names no port', mutate: (c) => { find(c, 'Service').spec.ports[0].targetPort = 'web'; }, expect: /targetPort web is not a port of the gate container/ },
  { check: 'wiring', what: 'the Service selects nothing', mutate: (c) => { find(c, 'Service').spec.selector = { app: 'other' }; }, expect: /does not select the gate pods/ },
  { check: 'wiring', what: 'listening on localhost', mutate: (c) => { setArg(ctrOf(c), '--host', '127.0.0.1'); }, expect: /--host 127\.0\.0\.1/ },
  { check: 'token', what: 'a literal token', mutate: (c) => { setEnv(ctrOf(c), 'GATE_TOKEN', { value: 'hunter2' }); }, expect: /GATE_TOKEN has a literal value/ },
  { check: 'token', what: 'no token', mutate: (c) => { ctrOf(c).env = ctrOf(c).env.filter((e: Obj) => e.name !== 'GATE_TOKEN'); }, expect: /GATE_TOKEN is not set/ },
  { check: 'token', what: 'another Secret', mutate: (c) => { setEnv(ctrOf(c), 'GATE_TOKEN', { valueFrom: { secretKeyRef: { name: 'gate', key: 'token' } } }); }, expect: /not from secretKeyRef synthetics-gate\/token/ },
  { check: 'token', what: 'an optional Secret', mutate: (c) => { setEnv(ctrOf(c), 'GATE_TOKEN', { valueFrom: { secretKeyRef: { ...SECRET, optional: true } } }); }, expect: /optional/ },
  { check: 'token', what: 'Argo reads another key', mutate: (c) => { argoGate(c).spec.args.find((a: Obj) => a.valueFrom).valueFrom.secretKeyRef.key = 'password'; }, expect: /token arg is not from secretKeyRef/ },
  { check: 'token', what: 'a literal token in Flagger', mutate: (c) => { flaggerCanary(c).spec.analysis.webhooks[0].metadata = { token: 's3cr3t' }; }, expect: /metadata\.token is a literal/ },
  { check: 'probes', what: 'readiness on /', mutate: (c) => { ctrOf(c).readinessProbe.httpGet.path = '/'; }, expect: /readinessProbe is not httpGet \/health/ },
  { check: 'probes', what: 'no liveness', mutate: (c) => { delete ctrOf(c).livenessProbe; }, expect: /no livenessProbe/ },
  { check: 'probes', what: 'liveness on another port', mutate: (c) => { ctrOf(c).livenessProbe.httpGet.port = 9090; }, expect: /livenessProbe port 9090/ },
  { check: 'probes', what: 'a trigger-happy liveness', mutate: (c) => { Object.assign(ctrOf(c).livenessProbe, { periodSeconds: 2, failureThreshold: 1 }); }, expect: /restarts after 2 s/ },
  { check: 'probes', what: 'no time to start', mutate: (c) => { delete ctrOf(c).startupProbe; }, expect: /0 s to start/ },
  { check: 'security', what: 'root', mutate: (c) => { delete gatePod(c).securityContext.runAsNonRoot; delete ctrOf(c).securityContext.runAsNonRoot; }, expect: /runAsNonRoot is not true/ },
  { check: 'security', what: 'writable root', mutate: (c) => { ctrOf(c).securityContext.readOnlyRootFilesystem = false; }, expect: /readOnlyRootFilesystem/ },
  { check: 'security', what: 'privilege escalation', mutate: (c) => { delete ctrOf(c).securityContext.allowPrivilegeEscalation; }, expect: /allowPrivilegeEscalation/ },
  { check: 'security', what: 'capabilities kept', mutate: (c) => { ctrOf(c).securityContext.capabilities = { drop: ['NET_RAW'] }; }, expect: /drop ALL/ },
  { check: 'security', what: 'no /tmp', mutate: (c) => { ctrOf(c).volumeMounts = ctrOf(c).volumeMounts.filter((m: Obj) => m.mountPath !== '/tmp'); }, expect: /\/tmp is not a writable emptyDir/ },
  { check: 'security', what: 'RESULTS_DIR on the root filesystem', mutate: (c) => { setEnv(ctrOf(c), 'RESULTS_DIR', { value: '/app/results' }); }, expect: /RESULTS_DIR \(\/app\/results\)/ },
  { check: 'security', what: 'service account token mounted', mutate: (c) => { delete gatePod(c).automountServiceAccountToken; }, expect: /automountServiceAccountToken/ },
  { check: 'security', what: 'no seccomp', mutate: (c) => { delete gatePod(c).securityContext.seccompProfile; }, expect: /seccompProfile/ },
  { check: 'availability', what: 'one replica', mutate: (c) => { gateDeployment(c).spec.replicas = 1; }, expect: /replicas 1/ },
  { check: 'availability', what: 'maxUnavailable 1', mutate: (c) => { gateDeployment(c).spec.strategy.rollingUpdate.maxUnavailable = 1; }, expect: /maxUnavailable 0/ },
  { check: 'availability', what: 'both on one node', mutate: (c) => { delete gatePod(c).topologySpreadConstraints; }, expect: /different nodes/ },
  { check: 'availability', what: 'PDB selects nothing', mutate: (c) => { find(c, 'PodDisruptionBudget').spec.selector.matchLabels = { app: 'x' }; }, expect: /PodDisruptionBudget.*does not select/ },
  { check: 'availability', what: 'PDB minAvailable 2', mutate: (c) => { find(c, 'PodDisruptionBudget').spec.minAvailable = 2; }, expect: /minAvailable 2/ },
  { check: 'availability', what: 'no memory limit', mutate: (c) => { delete ctrOf(c).resources.limits.memory; }, expect: /limits\.memory missing/ },
  { check: 'availability', what: 'short grace', mutate: (c) => { gatePod(c).terminationGracePeriodSeconds = 10; }, expect: /terminationGracePeriodSeconds 10/ },
  { check: 'network policy', what: 'Flagger not admitted', mutate: (c) => { np(c).spec.ingress[0].from = np(c).spec.ingress[0].from.filter((f: Obj) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] !== 'flagger-system'); }, expect: /namespace flagger-system is not admitted/ },
  { check: 'network policy', what: 'Prometheus not admitted', mutate: (c) => { np(c).spec.ingress[0].from[2].namespaceSelector.matchLabels = { 'kubernetes.io/metadata.name': 'prometheus' }; }, expect: /namespace monitoring is not admitted/ },
  { check: 'network policy', what: 'another port', mutate: (c) => { np(c).spec.ingress[0].ports = [{ port: 9090, protocol: 'TCP' }]; }, expect: /namespace argo-rollouts is not admitted on 8080/ },
  { check: 'network policy', what: 'open to all', mutate: (c) => { np(c).spec.ingress.push({ ports: [{ port: 8080 }] }); }, expect: /ingress\[1\] has no from/ },
  { check: 'network policy', what: 'selects other pods', mutate: (c) => { np(c).spec.podSelector = { matchLabels: { app: 'x' } }; }, expect: /podSelector does not select the gate pods/ },
  { check: 'network policy', what: 'no way to Prometheus', mutate: (c) => { np(c).spec.egress[0].ports = np(c).spec.egress[0].ports.filter((x: Obj) => x.port !== 9090); }, expect: /no egress to namespace monitoring port 9090 \(PROMETHEUS_URL/ },
  { check: 'network policy', what: 'Pushgateway moved', mutate: (c) => { find(c, 'ConfigMap', CONFIGMAP).data.pushgateway_url = 'http://pushgateway.metrics.svc:9091'; }, expect: /no egress to namespace metrics port 9091 \(PUSHGATEWAY_URL/ },
  { check: 'network policy', what: 'no DNS', mutate: (c) => { np(c).spec.egress = np(c).spec.egress.filter((r: Obj) => !r.ports.some((x: Obj) => x.port === 53)); }, expect: /no egress to DNS/ },
  { check: 'config', what: 'results store source', mutate: (c) => { setArg(ctrOf(c), '--source', 'local'); }, expect: /--source local/ },
  { check: 'config', what: 'a literal Prometheus', mutate: (c) => { setArg(ctrOf(c), '--prometheus', 'http://127.0.0.1:9090'); }, expect: /--prometheus is http:\/\/127\.0\.0\.1:9090/ },
  { check: 'config', what: 'a ConfigMap key that is not there', mutate: (c) => { setEnv(ctrOf(c), 'PROMETHEUS_URL', { valueFrom: { configMapKeyRef: { name: CONFIGMAP, key: 'prometheus' } } }); }, expect: /key prometheus, which is not a URL there/ },
  { check: 'config', what: 'an undefined $(VAR)', mutate: (c) => { ctrOf(c).env = ctrOf(c).env.filter((e: Obj) => e.name !== 'PROMETHEUS_URL'); }, expect: /\$\(PROMETHEUS_URL\) in the command is not defined/ },
];

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------
let ctx: Ctx;

describe('ci/k8s: the gate as a service, and the templates that call it', () => {
  before(async () => {
    ctx = loadCtx();
    crds = CRD_FILES.map(readCrd);
    for (const d of [...ctx.built, { apiVersion: 'policy/v1beta9', kind: 'PodDisruptionBudget' }]) {
      const key = modelKey(d);
      if (!models.has(key)) {
        const Model = await loadModel(String(d.apiVersion), String(d.kind));
        if (Model) models.set(key, Model);
      }
    }
  });

  test('kubectl kustomize ci/k8s builds; a broken kustomization does not', () => {
    assert.ok(ctx.built.length >= 7, `${ctx.built.length} objects`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-test-'));
    try {
      for (const f of fs.readdirSync(path.join(ROOT, K8S_DIR))) fs.copyFileSync(path.join(ROOT, K8S_DIR, f), path.join(dir, f));
      fs.appendFileSync(path.join(dir, 'kustomization.yaml'), '\n# broken: a resource that does not exist\n');
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8').replace('  - gate-pdb.yaml', '  - gate-pdb.yaml\n  - gate-missing.yaml'));
      const r = kustomize(dir);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /gate-missing\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kubernetes-models validates: it accepts the shipped Deployment and refuses a broken one', () => {
    assert.deepEqual(schemaProblems(gateDeployment(ctx)), []);
    const broken = structuredClone(gateDeployment(ctx));
    broken.spec.replicas = 'two';
    assert.ok(schemaProblems(broken).some((x) => /replicas must be integer/.test(x)), JSON.stringify(schemaProblems(broken)));
  });

  checksAndMutations(() => ctx, CHECKS, MUTATIONS);
});
