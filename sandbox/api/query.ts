import { ApiError } from '../http/errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;

export interface SearchQuery {
  q: string;
  page: number;
  pageSize: number;
}

/** Reads q, page and pageSize; shared by the API and the search page. A pageSize above the maximum is capped, not refused. */
export function parseSearchQuery(query: Record<string, unknown>): SearchQuery {
  const problems: string[] = [];
  const q = query.q ?? '';
  if (typeof q !== 'string') problems.push('"q" must be given once');
  const page = positiveInt(query.page, 1, 'page', problems);
  const pageSize = positiveInt(query.pageSize, DEFAULT_PAGE_SIZE, 'pageSize', problems);
  if (problems.length > 0) {
    throw new ApiError(400, 'invalid_request', `Invalid query: ${problems.join('; ')}`);
  }
  return { q: q as string, page, pageSize: Math.min(pageSize, MAX_PAGE_SIZE) };
}

function positiveInt(value: unknown, fallback: number, name: string, problems: string[]): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) {
    problems.push(`"${name}" must be an integer of at least 1`);
    return fallback;
  }
  return Number(value);
}
