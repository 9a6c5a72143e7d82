import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLabel } from '../src/core/labels.ts';

/**
 * What the gate keeps between requests: when each phase began for a canary build, when it last
 * let Flagger raise a canary's weight. A restarted gate and a second replica must see it, so it
 * lives outside the process: a file beside the results store (one machine, or a shared volume), or
 * the Pushgateway the runners already push to (a cluster). Each slot holds one entry whose
 * `version` (the canary build, Flagger's checksum) says what it is about: a new version replaces
 * the old, so what is kept is bounded by profiles × phases and by canaries, never by builds or days.
 */
export interface Ledger {
  /** Where it is kept, for a log line (never a credential). */
  readonly where: string;
  read(slot: Slot): Promise<Entry | undefined>;
  write(slot: Slot, entry: Entry): Promise<void>;
}

export interface Slot {
  /** The metric name the entry is kept under in the Pushgateway (seconds), and the file's section. */
  kind: 'synthetic_gate_phase_started_timestamp_seconds' | 'synthetic_gate_flagger_approved_timestamp_seconds';
  /** What the slot is about (profile and phase; a canary's namespace and name): label-safe values. */
  key: Record<string, string>;
}

export interface Entry {
  version: string;
  /** A time, epoch ms. */
  at: number;
}

const VERSION_LABEL: Record<Slot['kind'], string> = {
  synthetic_gate_phase_started_timestamp_seconds: 'build_id',
  synthetic_gate_flagger_approved_timestamp_seconds: 'checksum',
};
const PUSH_JOB = 'synthetics_gate';
const TIMEOUT_MS = 5000;
/** The Pushgateway's JSON holds every runner's metrics too: past this it is not one we can read in a request. */
const MAX_READ_BYTES = 64 * 1024 * 1024;

const slotId = (slot: Slot) => [slot.kind, ...Object.entries(slot.key).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`)].join('|');

/** A JSON file, replaced whole by rename: a reader never sees half of it. */
export class FileLedger implements Ledger {
  readonly where: string;
  constructor(private readonly dir: string) {
    this.where = join(dir, 'gate-ledger.json');
  }

  private load(): Record<string, Entry> {
    let text: string;
    try {
      text = readFileSync(this.where, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${this.where}: not a JSON object`);
    return parsed as Record<string, Entry>;
  }

  async read(slot: Slot): Promise<Entry | undefined> {
    const entry = this.load()[slotId(slot)];
    return entry && typeof entry.version === 'string' && Number.isFinite(entry.at) ? entry : undefined;
  }

  async write(slot: Slot, entry: Entry): Promise<void> {
    let all: Record<string, Entry>;
    try {
      all = this.load();
    } catch {
      all = {}; // a corrupt ledger is replaced: losing what it held only makes the gate wait longer
    }
    all[slotId(slot)] = entry;
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.where}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 1)}\n`);
    renameSync(tmp, this.where);
  }
}

interface PushgatewayGroup {
  labels: Record<string, string>;
  [metric: string]: unknown;
}

/**
 * One Pushgateway group per slot (job `synthetics_gate`, the slot's key as grouping labels), its
 * one sample labelled with the version. PUT replaces the group, so a new build overwrites the old.
 * Read through `GET /api/v1/metrics` (prometheus/pushgateway api/v1/api.go `metrics`), the only
 * read the Pushgateway offers: every group at once.
 */
export class PushgatewayLedger implements Ledger {
  readonly where: string;
  constructor(private readonly url: string) {
    const u = new URL(url);
    this.where = `${u.protocol}//${u.host}`;
  }

  private base(): string {
    return this.url.replace(/\/+$/, '');
  }

  async read(slot: Slot): Promise<Entry | undefined> {
    const res = await fetch(`${this.base()}/api/v1/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    if (!res.ok) throw new Error(`pushgateway ${this.where}: status ${res.status}`);
    if (text.length > MAX_READ_BYTES) throw new Error(`pushgateway ${this.where}: answer over ${MAX_READ_BYTES} bytes`);
    const body = JSON.parse(text) as { status?: string; data?: PushgatewayGroup[] };
    if (body.status !== 'success' || !Array.isArray(body.data)) throw new Error(`pushgateway ${this.where}: not a /api/v1/metrics answer`);
    const wanted = { job: PUSH_JOB, ...slot.key };
    const group = body.data.find((g) => Object.keys(g.labels).length === Object.keys(wanted).length
      && Object.entries(wanted).every(([k, v]) => g.labels[k] === v));
    const family = group?.[slot.kind] as { metrics?: Array<{ labels: Record<string, string>; value: string }> } | undefined;
    const sample = family?.metrics?.[0];
    const version = sample?.labels[VERSION_LABEL[slot.kind]];
    const seconds = Number(sample?.value);
    return version !== undefined && Number.isFinite(seconds) ? { version, at: Math.round(seconds * 1000) } : undefined;
  }

  async write(slot: Slot, entry: Entry): Promise<void> {
    const path = Object.entries(slot.key).map(([k, v]) => `/${k}/${encodeURIComponent(v)}`).join('');
    // Label-safe by construction (callers pass toLabel'd values), so nothing needs escaping here.
    if (![entry.version, ...Object.values(slot.key)].every(isLabel)) throw new Error(`ledger: ${slotId(slot)} ${entry.version}: not label-safe`);
    const body = `# TYPE ${slot.kind} gauge\n${slot.kind}{${VERSION_LABEL[slot.kind]}="${entry.version}"} ${entry.at / 1000}\n`;
    const res = await fetch(`${this.base()}/metrics/job/${PUSH_JOB}${path}`, {
      method: 'PUT', body, headers: { 'content-type': 'text/plain; version=0.0.4' }, signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.text();
    if (!res.ok) throw new Error(`pushgateway ${this.where}: status ${res.status}`);
  }
}
