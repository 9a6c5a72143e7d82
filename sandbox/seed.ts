// Deterministic seed data: the same ids, titles and amounts on every start,
// so a failing check can be reproduced against a fresh sandbox. Deadlines are
// relative to the start day, so they are always in the future.
import { seededId } from './ids.ts';
import type { Application, Plan, Provider, Scholarship } from './model.ts';

export const PROVIDERS: Provider[] = [
  { id: seededId('prv', 'northwind'), name: 'Northwind Futures Foundation' },
  { id: seededId('prv', 'helios'), name: 'Helios Science Trust' },
  { id: seededId('prv', 'maple'), name: 'Maple Leaf Education Fund' },
  { id: seededId('prv', 'thames'), name: 'Thames Bursary Council' },
  { id: seededId('prv', 'aurora'), name: 'Aurora Scholars Society' },
];

/** The organisation the synthetic provider account manages. */
export const PROVIDER_ACCOUNT_ORG = PROVIDERS[0];

const CURRENCY_BY_PROVIDER = ['USD', 'EUR', 'CAD', 'GBP', 'USD'];

const FIELDS = [
  { name: 'Computer Science', tags: ['stem', 'computing'] },
  { name: 'Nursing', tags: ['health', 'nursing'] },
  { name: 'Marine Biology', tags: ['stem', 'biology', 'ocean'] },
  { name: 'Fine Arts', tags: ['arts', 'creative'] },
  { name: 'Mechanical Engineering', tags: ['stem', 'engineering'] },
  { name: 'Public Policy', tags: ['social-science', 'policy'] },
  { name: 'Music Performance', tags: ['arts', 'music'] },
  { name: 'Data Science', tags: ['stem', 'data'] },
  { name: 'Education', tags: ['teaching', 'education'] },
  { name: 'Renewable Energy', tags: ['stem', 'climate', 'energy'] },
  { name: 'Journalism', tags: ['media', 'writing'] },
];

const AUDIENCES = [
  { name: 'First-Generation', tag: 'first-generation' },
  { name: 'Women in', tag: 'women' },
  { name: 'Rural', tag: 'rural' },
  { name: 'International', tag: 'international' },
  { name: 'Community College', tag: 'community-college' },
  { name: 'Graduate', tag: 'graduate' },
];

const KINDS = ['Scholarship', 'Grant', 'Award', 'Fellowship', 'Bursary'];

const ELIGIBILITY = [
  'Enrolled full-time at an accredited institution',
  'Minimum GPA of 3.0 or equivalent',
  'Demonstrated financial need',
  'Resident of the provider’s region',
  'Submits a 500-word personal essay',
  'Two letters of recommendation',
  'First in family to attend university',
  'Undergraduate in the second year or later',
];

export const PLANS: Plan[] = [
  { id: 'plan_starter', name: 'Starter', price: { value: 4.99, currency: 'USD' }, credits: 10 },
  { id: 'plan_plus', name: 'Plus', price: { value: 19.99, currency: 'USD' }, credits: 50 },
  { id: 'plan_pro', name: 'Pro', price: { value: 49.99, currency: 'USD' }, credits: 150 },
];

export const FLAGS: Record<string, boolean> = {
  'essay.generate': false,
  'payments.live': false,
  'provider.canary': true,
};

export const ACTIVE_SCHOLARSHIPS = 56;
export const DRAFT_SCHOLARSHIPS = 3;

export function seedScholarships(today: Date): Scholarship[] {
  const random = mulberry32(20_270_208);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const result: Scholarship[] = [];
  const total = ACTIVE_SCHOLARSHIPS + DRAFT_SCHOLARSHIPS;
  for (let i = 0; i < total; i++) {
    const isDraft = i >= ACTIVE_SCHOLARSHIPS;
    const providerIndex = isDraft ? 0 : i % PROVIDERS.length;
    const provider = PROVIDERS[providerIndex];
    const field = FIELDS[i % FIELDS.length];
    const audience = AUDIENCES[Math.floor(i / FIELDS.length) % AUDIENCES.length];
    const kind = pick(KINDS);
    const title = `${audience.name} ${field.name} ${kind}`;
    const value = 250 * (2 + Math.floor(random() * 38));
    const days = 14 + Math.floor(random() * 360);
    const deadline = new Date(
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days, 23, 59, 59),
    )
      .toISOString()
      .replace('.000Z', 'Z');
    const eligibility = [ELIGIBILITY[0], ...pickDistinct(ELIGIBILITY.slice(1), 2 + (i % 3), random)];
    const tags = [...field.tags, audience.tag];
    result.push({
      id: seededId('sch', `scholarship-${i}`),
      title,
      description:
        `${provider.name} offers the ${title} to students of ${field.name.toLowerCase()} ` +
        `who show promise and commitment. Awards are paid directly to the institution.`,
      provider,
      amount: { value, currency: CURRENCY_BY_PROVIDER[providerIndex] },
      deadline,
      tags,
      eligibility,
      status: isDraft ? 'draft' : 'active',
      searchText: [title, provider.name, ...tags].join(' ').toLowerCase(),
    });
  }
  return result;
}

/** Applications from (non-loginable) seeded students, so the provider dashboard has numbers. */
export function seedApplications(scholarships: Scholarship[], now: Date): Application[] {
  const received = scholarships.filter(
    (s) => s.provider.id === PROVIDER_ACCOUNT_ORG.id && s.status === 'active',
  );
  return Array.from({ length: 14 }, (_, i) => {
    const createdAt = new Date(now.getTime() - (i * 2 + 1) * 86_400_000).toISOString();
    return {
      id: seededId('app', `seed-application-${i}`),
      userId: seededId('usr', `seed-student-${i % 5}`),
      scholarshipId: received[i % received.length].id,
      status: i % 3 === 0 ? 'submitted' : 'draft',
      createdAt,
      draft: { version: 1, fields: { essay: 'Seeded essay.' }, savedAt: createdAt },
      synthetic: false,
    };
  });
}

function pickDistinct<T>(list: T[], count: number, random: () => number): T[] {
  const pool = [...list];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) {
    out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
  }
  return out;
}

// A tiny seeded PRNG (mulberry32): Math.random cannot be seeded, and the seed must not vary.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
