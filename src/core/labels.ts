/**
 * What a label value and a target URL may look like, said once: config keys, the targets file,
 * `--target` flags and values read from a target's /health all hold to these.
 */

/** A Prometheus label value and Pushgateway grouping value: bounded, no `/`, no spaces. */
export const LABEL_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';
/** An absolute http(s) URL with a host. */
export const URL_PATTERN = '^https?://[^\\s/]+';

const label = new RegExp(LABEL_PATTERN);
const url = new RegExp(URL_PATTERN);

export const isLabel = (value: unknown): value is string => typeof value === 'string' && label.test(value);
export const isBaseUrl = (value: unknown): value is string => typeof value === 'string' && url.test(value);

/** A value from outside (a /health field) as a label, or `fallback` when it cannot be one. */
export const labelOr = (value: unknown, fallback: string): string => (isLabel(value) ? value : fallback);

/** Any text (a host name) made into a label: invalid characters become `_`. */
export const toLabel = (text: string): string => text.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64) || 'unknown';

/** Base URLs are kept without a trailing slash, so routes join as `${baseUrl}${route}`. */
export const normalizeBaseUrl = (value: string): string => value.replace(/\/+$/, '');
