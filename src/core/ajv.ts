import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

// Both packages are CommonJS with a default export; under ESM the class sits on `.default`.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const addFormats =
  (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule;

export type AjvInstance = InstanceType<typeof AjvModule>;

/** ajv in strict mode with formats: a schema that ajv would silently half-ignore is an error. */
export function strictAjv(): AjvInstance {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}
