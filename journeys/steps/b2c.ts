import { CheckFailure } from '../../src/core/errors.ts';
import type { JourneyContext } from '../journey.ts';

export interface ScholarshipSummary {
  id: string;
  title: string;
}

/** Searches with the configured query and returns the first hit; an empty result fails. */
export async function searchScholarships(ctx: JourneyContext, pageSize = 10): Promise<ScholarshipSummary[]> {
  const query: Record<string, string | number> = { page: 1, pageSize };
  if (ctx.config.searchQuery) query.q = ctx.config.searchQuery;
  const res = await ctx.api.get<{ items: ScholarshipSummary[] }>('/api/scholarships', { query, schema: 'scholarship-list' });
  if (res.body.items.length === 0) {
    throw new CheckFailure(`GET /api/scholarships: no results${ctx.config.searchQuery ? ' for SEARCH_QUERY' : ''}`);
  }
  return res.body.items;
}
