// The JSON shapes of the contract, built fresh per response so a handler never
// hands out (and a drift fault never mutates) a store record.
import type { Application, Checkout, SavedItem, Scholarship, User } from '../model.ts';

export const scholarshipSummary = (s: Scholarship) => ({
  id: s.id,
  title: s.title,
  provider: { id: s.provider.id, name: s.provider.name },
  amount: { ...s.amount },
  deadline: s.deadline,
  tags: [...s.tags],
});

export const scholarshipDetails = (s: Scholarship) => ({
  id: s.id,
  title: s.title,
  description: s.description,
  provider: { id: s.provider.id, name: s.provider.name },
  amount: { ...s.amount },
  deadline: s.deadline,
  eligibility: [...s.eligibility],
});

export const savedView = (item: SavedItem) => ({
  id: item.id,
  scholarshipId: item.scholarshipId,
  savedAt: item.savedAt,
});

export const createdApplicationView = (a: Application) => ({
  id: a.id,
  scholarshipId: a.scholarshipId,
  status: a.status,
  createdAt: a.createdAt,
  draft: { version: a.draft.version, fields: { ...a.draft.fields } },
});

export const applicationView = (a: Application) => ({
  id: a.id,
  scholarshipId: a.scholarshipId,
  status: a.status,
  draft: { version: a.draft.version, fields: { ...a.draft.fields }, savedAt: a.draft.savedAt },
});

export const userView = (u: User) => ({ id: u.id, email: u.email, role: u.role });

export const checkoutInitView = (c: Checkout) => ({
  checkoutId: c.id,
  clientToken: c.clientToken,
  nonce: c.nonce,
  amount: { ...c.amount },
  mode: c.mode,
});
