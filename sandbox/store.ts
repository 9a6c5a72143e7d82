// In-memory state of one sandbox process. Handlers hold no state of their own:
// everything a request can change lives here, so a test can inspect it.
import type { AccountCredentials } from './defaults.ts';
import { randomId, randomToken, seededId } from './ids.ts';
import type {
  Application,
  Checkout,
  Plan,
  Role,
  SavedItem,
  Scholarship,
  User,
} from './model.ts';
import { hashPasswordSync } from './passwords.ts';
import { FLAGS, PLANS, PROVIDER_ACCOUNT_ORG, seedApplications, seedScholarships } from './seed.ts';

export interface SearchResult {
  items: Scholarship[];
  total: number;
}

export interface ProviderStats {
  active: number;
  draft: number;
  received: number;
  last7d: number;
  saves: number;
}

export class Store {
  readonly scholarships = new Map<string, Scholarship>();
  readonly users = new Map<string, User>();
  readonly saved = new Map<string, SavedItem>();
  readonly applications = new Map<string, Application>();
  readonly checkouts = new Map<string, Checkout>();
  readonly plans: readonly Plan[] = PLANS;
  readonly flags: Readonly<Record<string, boolean>> = { ...FLAGS };
  private readonly byEmail = new Map<string, User>();
  private readonly activeSorted: Scholarship[];

  constructor(accounts: AccountCredentials, now = new Date()) {
    for (const s of seedScholarships(now)) this.scholarships.set(s.id, s);
    for (const a of seedApplications([...this.scholarships.values()], now)) {
      this.applications.set(a.id, a);
    }
    this.activeSorted = [...this.scholarships.values()]
      .filter((s) => s.status === 'active')
      .sort((a, b) => a.deadline.localeCompare(b.deadline) || a.id.localeCompare(b.id));

    const seedUser = (key: string, role: Role, email: string, password: string, extra: Partial<User>) =>
      this.addUser({
        id: seededId('usr', key),
        email,
        role,
        passwordHash: hashPasswordSync(password),
        quota: null,
        synthetic: true,
        createdAt: now.toISOString(),
        ...extra,
      });
    seedUser('student', 'student', accounts.student.email, accounts.student.password, {});
    seedUser('provider', 'provider', accounts.provider.email, accounts.provider.password, {
      providerId: PROVIDER_ACCOUNT_ORG.id,
    });
    seedUser('quota', 'student', accounts.quota.email, accounts.quota.password, { quota: 0 });
  }

  // Scholarships

  search(q: string, page: number, pageSize: number): SearchResult {
    const needle = q.trim().toLowerCase();
    const matches = needle
      ? this.activeSorted.filter((s) => s.searchText.includes(needle))
      : this.activeSorted;
    const start = (page - 1) * pageSize;
    return { items: matches.slice(start, start + pageSize), total: matches.length };
  }

  /** Drafts are the provider's business: publicly they do not exist. */
  activeScholarship(id: string): Scholarship | undefined {
    const s = this.scholarships.get(id);
    return s?.status === 'active' ? s : undefined;
  }

  // Users

  userByEmail(email: string): User | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  addUser(user: User): User {
    this.users.set(user.id, user);
    this.byEmail.set(user.email.toLowerCase(), user);
    return user;
  }

  // Saved scholarships

  savedItem(userId: string, scholarshipId: string): SavedItem | undefined {
    return this.saved.get(savedKey(userId, scholarshipId));
  }

  save(userId: string, scholarshipId: string, synthetic: boolean): { item: SavedItem; created: boolean } {
    const existing = this.savedItem(userId, scholarshipId);
    if (existing) return { item: existing, created: false };
    const item: SavedItem = {
      id: randomId('sav'),
      userId,
      scholarshipId,
      savedAt: new Date().toISOString(),
      synthetic,
    };
    this.saved.set(savedKey(userId, scholarshipId), item);
    return { item, created: true };
  }

  unsave(userId: string, scholarshipId: string): void {
    this.saved.delete(savedKey(userId, scholarshipId));
  }

  // Applications

  createApplication(userId: string, scholarshipId: string, synthetic: boolean): Application {
    const createdAt = new Date().toISOString();
    const application: Application = {
      id: randomId('app'),
      userId,
      scholarshipId,
      status: 'draft',
      createdAt,
      draft: { version: 0, fields: {}, savedAt: createdAt },
      synthetic,
    };
    this.applications.set(application.id, application);
    return application;
  }

  /** Someone else's application is reported as missing, never as forbidden. */
  ownApplication(userId: string, id: string): Application | undefined {
    const a = this.applications.get(id);
    return a?.userId === userId ? a : undefined;
  }

  // Payments

  createCheckout(userId: string, plan: Plan, synthetic: boolean): Checkout {
    const checkout: Checkout = {
      id: randomId('chk'),
      userId,
      planId: plan.id,
      amount: { ...plan.price },
      clientToken: `sandbox_${randomToken(24)}`,
      nonce: randomToken(16),
      mode: 'sandbox',
      status: 'created',
      createdAt: new Date().toISOString(),
      synthetic,
    };
    this.checkouts.set(checkout.id, checkout);
    return checkout;
  }

  ownCheckout(userId: string, id: string): Checkout | undefined {
    const c = this.checkouts.get(id);
    return c?.userId === userId ? c : undefined;
  }

  // Provider dashboard: synthetic records are left out, so canary traffic never
  // shows up in the numbers a provider reads.
  providerStats(providerId: string, now = Date.now()): ProviderStats {
    const own = new Set<string>();
    const stats: ProviderStats = { active: 0, draft: 0, received: 0, last7d: 0, saves: 0 };
    for (const s of this.scholarships.values()) {
      if (s.provider.id !== providerId) continue;
      own.add(s.id);
      if (s.status === 'active') stats.active++;
      else stats.draft++;
    }
    const weekAgo = now - 7 * 86_400_000;
    for (const a of this.applications.values()) {
      if (a.synthetic || !own.has(a.scholarshipId)) continue;
      stats.received++;
      if (Date.parse(a.createdAt) >= weekAgo) stats.last7d++;
    }
    for (const item of this.saved.values()) {
      if (!item.synthetic && own.has(item.scholarshipId)) stats.saves++;
    }
    return stats;
  }
}

function savedKey(userId: string, scholarshipId: string): string {
  return `${userId}\u0000${scholarshipId}`;
}
