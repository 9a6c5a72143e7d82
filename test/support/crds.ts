// The rollout tools' CRDs (vendored in ci/crds) and a validator over their served schemas: what
// the hand-checked examples and the generated templates are both held to.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ROOT } from './cli.ts';

// Both packages are CommonJS with a default export; under ESM the class sits on `.default`.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule;

/**
 * The CRDs as upstream ships them, vendored in ci/crds (source and commit in its README) so a clone
 * checks its examples on its own; when the shared copy sits beside the repository, the two must
 * be identical.
 */
export const CRD_DIR = path.resolve(ROOT, 'ci/crds');
export const SHARED_CRD_DIR = path.resolve(ROOT, '../shared/crds');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;


/**
 * Flagger's crd.yaml (upstream, unchanged) continues two single-quoted `description` scalars at
 * the key's own indentation. go-yaml (kubectl, the API server) accepts that; YAML 1.2 and the `yaml`
 * package do not (continuation lines must be indented more than the key). This re-indents the
 * continuation lines of such a scalar, and only those, and says which keys it touched, so a test
 * can prove that nothing but descriptions changed.
 */
export function repairUnderIndentedQuotedScalars(text: string): { text: string; repaired: Array<{ line: number; key: string }> } {
  const lines = text.split('\n');
  const repaired: Array<{ line: number; key: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?([A-Za-z0-9_$.-]+):\s+'(.*)$/.exec(lines[i]!);
    if (!m || m[3]!.replace(/''/g, '').includes("'")) continue; // not an opened, unclosed single-quoted scalar
    const indent = m[1]!.length;
    let j = i + 1;
    let touched = false;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const lead = line.length - line.trimStart().length;
      if (line.trim() !== '' && lead <= indent) {
        lines[j] = ' '.repeat(indent + 2) + line.trimStart();
        touched = true;
      }
      if (line.replace(/''/g, '').includes("'")) break;
    }
    if (touched) repaired.push({ line: i + 1, key: m[2]! });
    i = j;
  }
  return { text: lines.join('\n'), repaired };
}

export interface Crd { file: string; doc: Obj; repaired: Array<{ line: number; key: string }> }

export function readCrd(file: string): Crd {
  const full = path.join(CRD_DIR, file);
  const text = fs.readFileSync(full, 'utf8');
  let parsed = parseDocument(text);
  let repaired: Crd['repaired'] = [];
  if (parsed.errors.length) {
    const fixed = repairUnderIndentedQuotedScalars(text);
    repaired = fixed.repaired;
    parsed = parseDocument(fixed.text);
    if (parsed.errors.length) throw new Error(`${full}: not YAML: ${parsed.errors[0]!.message.split('\n')[0]}`);
  }
  return { file, doc: parsed.toJS(), repaired };
}

/** The openAPIV3Schema of the served version of `doc`'s kind and apiVersion; a clear error otherwise. */
function schemaFor(crds: Crd[], doc: Obj): { schema: Obj; crd: Crd } {
  const [group, version] = String(doc?.apiVersion ?? '').split('/');
  const crd = crds.find((c) => c.doc?.spec?.group === group && c.doc?.spec?.names?.kind === doc?.kind);
  if (!crd) throw new Error(`no CRD in ${CRD_DIR} for ${doc?.kind} (${doc?.apiVersion})`);
  const v = (crd.doc.spec.versions as Obj[]).find((x) => x.name === version);
  if (!v) throw new Error(`${crd.file}: no version ${version} of ${doc.kind}`);
  if (v.served !== true) throw new Error(`${crd.file}: version ${version} of ${doc.kind} is not served`);
  const schema = v.schema?.openAPIV3Schema;
  if (!schema) throw new Error(`${crd.file}: version ${version} has no openAPIV3Schema`);
  return { schema, crd };
}

function makeAjv() {
  // strict: false lets the Kubernetes keywords (x-kubernetes-int-or-string, -preserve-unknown-fields)
  // through as annotations, as the API server treats them for validation here.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Kubernetes ignores formats it does not know; "string" is one the Flagger CRD uses.
  ajv.addFormat('string', true);
  return ajv;
}

/** Every schema problem of `doc`, one line each ("/spec/analysis/webhooks/0/type: must be equal to one of …"). */
const compiled = new WeakMap<object, ReturnType<ReturnType<typeof makeAjv>['compile']>>();
export function validate(crds: Crd[], doc: Obj): string[] {
  const { schema } = schemaFor(crds, doc);
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = makeAjv().compile(schema)));
  if (check(doc)) return [];
  return (check.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
}

export function readExample(rel: string): { text: string; docs: Obj[] } {
  const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
  const docs: Obj[] = [];
  for (const d of parseAllDocuments(text) as Obj[]) {
    if (d.errors?.length) throw new Error(`${rel}: ${d.errors.map((e: Error) => e.message).join('; ')}`);
    const js = d.toJS();
    if (js != null) docs.push(js);
  }
  return { text, docs };
}

