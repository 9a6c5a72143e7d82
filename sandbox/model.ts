// The records the sandbox keeps. `synthetic` marks whatever an `e2e=1`
// request created, so it can be told apart from (and cleaned up before) real data.

export interface Money {
  value: number;
  currency: string;
}

export interface Provider {
  id: string;
  name: string;
}

export interface Scholarship {
  id: string;
  title: string;
  description: string;
  provider: Provider;
  amount: Money;
  deadline: string;
  tags: string[];
  eligibility: string[];
  status: 'active' | 'draft';
  /** Lower-cased title, tags and provider name, searched by `q`. */
  searchText: string;
}

export type Role = 'student' | 'provider';

export interface User {
  id: string;
  email: string;
  role: Role;
  passwordHash: string;
  providerId?: string;
  /** API calls left; null is unlimited. Zero makes every /api call a 429. */
  quota: number | null;
  synthetic: boolean;
  createdAt: string;
}

export interface SavedItem {
  id: string;
  userId: string;
  scholarshipId: string;
  savedAt: string;
  synthetic: boolean;
}

export interface Draft {
  version: number;
  fields: Record<string, unknown>;
  savedAt: string;
}

export interface Application {
  id: string;
  userId: string;
  scholarshipId: string;
  status: 'draft' | 'submitted';
  createdAt: string;
  draft: Draft;
  synthetic: boolean;
}

export interface Plan {
  id: string;
  name: string;
  price: Money;
  credits: number;
}

export interface Checkout {
  id: string;
  userId: string;
  planId: string;
  amount: Money;
  clientToken: string;
  nonce: string;
  mode: 'sandbox';
  status: 'created' | 'authorized' | 'declined';
  createdAt: string;
  synthetic: boolean;
}
