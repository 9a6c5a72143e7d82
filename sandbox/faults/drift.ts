// Schema drift injected into JSON bodies: the suite's contract checks must
// notice a field that vanished or changed type, and this is how to prove it.

// `set:<field>=<text>` keeps the shape but changes a value (e.g. `set:mode=live`): what a
// schema cannot catch and a journey's own check must.
export type DriftSpec = { kind: 'drop' | 'type' | 'set'; path: string[]; value?: string };

export const DRIFT_PATTERN = /^((drop|type):[^.\s=]+(\.[^.\s=]+)*|set:[^.\s=]+(\.[^.\s=]+)*=\S*)$/;

export function parseDrift(spec: string): DriftSpec | undefined {
  if (!DRIFT_PATTERN.test(spec)) return undefined;
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon) as DriftSpec['kind'];
  const rest = spec.slice(colon + 1);
  if (kind !== 'set') return { kind, path: rest.split('.') };
  const eq = rest.indexOf('=');
  return { kind, path: rest.slice(0, eq).split('.'), value: rest.slice(eq + 1) };
}

/** Returns a drifted copy; the original (possibly a store record) is never touched. */
export function applyDrift(body: unknown, specs: DriftSpec[]): unknown {
  if (body === null || typeof body !== 'object') return body;
  const copy = JSON.parse(JSON.stringify(body)) as unknown;
  for (const spec of specs) driftOne(copy, spec);
  return copy;
}

function driftOne(root: unknown, spec: DriftSpec): void {
  let container: unknown = root;
  for (const key of spec.path.slice(0, -1)) {
    container = child(container, key);
    if (container === undefined) return;
  }
  const last = spec.path[spec.path.length - 1];
  if (child(container, last) === undefined) return;
  if (Array.isArray(container)) {
    const index = Number(last);
    if (spec.kind === 'drop') container.splice(index, 1);
    else container[index] = spec.kind === 'set' ? spec.value : changeType(container[index]);
  } else if (container !== null && typeof container === 'object') {
    const record = container as Record<string, unknown>;
    if (spec.kind === 'drop') delete record[last];
    else record[last] = spec.kind === 'set' ? spec.value : changeType(record[last]);
  }
}

function child(container: unknown, key: string): unknown {
  if (Array.isArray(container)) {
    const index = Number(key);
    return Number.isInteger(index) ? container[index] : undefined;
  }
  if (container !== null && typeof container === 'object') {
    return Object.hasOwn(container, key) ? (container as Record<string, unknown>)[key] : undefined;
  }
  return undefined;
}

// Always a different JSON type than before, so a schema check must fail.
export function changeType(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number') return '12345';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return {};
  if (value === null) return 0;
  return 'drift';
}
