// Checks over parsed files that return ALL their problems as lines, and the proof that each can
// fail: every check gives none on the shipped files, and a mutated copy gives the problem expected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

export type Check<Ctx> = (c: Ctx) => string[];
export interface Mutation<Ctx> { check: string; what: string; mutate: (c: Ctx) => void; expect: RegExp }

/** Registers the tests: `ctx()` is read when they run (after the caller's `before`). */
export function checksAndMutations<Ctx>(ctx: () => Ctx, checks: Record<string, Check<Ctx>>, mutations: Array<Mutation<Ctx>>): void {
  for (const [name, check] of Object.entries(checks)) {
    test(`${name}: the shipped files have no problem`, () => {
      assert.deepEqual(check(ctx()), []);
    });
  }
  describe('each check catches a broken copy', () => {
    for (const m of mutations) {
      test(`${m.check}: ${m.what}`, () => {
        const c = structuredClone(ctx());
        m.mutate(c);
        const problems = checks[m.check]!(c);
        assert.ok(problems.some((p) => m.expect.test(p)), `expected a problem matching ${m.expect}, got:\n${problems.join('\n') || '(none)'}`);
      });
    }
    test('every check has at least one mutation', () => {
      const covered = new Set(mutations.map((m) => m.check));
      assert.deepEqual(Object.keys(checks).filter((k) => !covered.has(k)), []);
    });
  });
}
