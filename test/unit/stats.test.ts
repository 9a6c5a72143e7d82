// The rank tests against PUBLISHED outputs of R's wilcox.test (correct = TRUE, exact = NULL: the
// defaults gate/stats.ts copies). Each number is asserted to the precision it was published with:
// within half a unit of its last printed digit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hodgesLehmannShift, latencyRegression, mannWhitneyU, median, wilcoxonSignedRank } from '../../gate/stats.ts';

/** |actual − published| ≤ ½ unit of the published value's last decimal. */
function published(actual: number, value: string, what: string): void {
  const decimals = value.split('.')[1]?.length ?? 0;
  const tolerance = 0.5 * 10 ** -decimals + 1e-12;
  assert.ok(Math.abs(actual - Number(value)) <= tolerance, `${what}: got ${actual}, published ${value} (±${tolerance})`);
}

// R's ?wilcox.test examples, output as saved in R's sources: wch/r-source,
// tests/Examples/stats-Ex.Rout.save ("wilcox.test" section). Data: Hollander & Wolfe (1973), pp. 29, 69.
const depression = {
  x: [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30],
  y: [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29],
};
const permeability = {
  x: [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
  y: [1.15, 0.88, 0.90, 0.74, 1.21],
};
// R's `airquality` Ozone, May (Month 5) and August (Month 8), NAs left out (R's datasets package).
const ozoneMay = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37];
const ozoneAug = [39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85];

test('Mann–Whitney, exact: R wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272', () => {
  const r = mannWhitneyU(permeability.x, permeability.y, { alternative: 'greater' });
  assert.equal(r.method, 'exact');
  assert.deepEqual([r.u, r.n1, r.n2], [35, 10, 5]);
  published(r.p, '0.1272', 'p');
  // The same samples the other way round: canary faster, so "less" is the same tail.
  const flipped = mannWhitneyU(permeability.y, permeability.x, { alternative: 'less' });
  assert.equal(flipped.u, 50 - 35);
  published(flipped.p, '0.1272', 'p (flipped)');
});

test('Mann–Whitney, ties → normal approximation: wilcox.test(Ozone ~ Month, subset = Month %in% c(5, 8)) gives W = 127.5, p-value = 0.0001208', () => {
  const r = mannWhitneyU(ozoneMay, ozoneAug);
  assert.equal(r.method, 'normal');
  assert.equal(r.u, 127.5);
  published(r.p, '0.0001208', 'p');
});

test('Mann–Whitney, ties → normal approximation: endmemo.com/r/wilcoxon.php outputs of wilcox.test(x, y)', () => {
  // Source: https://endmemo.com/r/wilcoxon.php (R output, "Wilcoxon rank sum test with continuity correction").
  const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
  const a = mannWhitneyU(x, [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5]);
  assert.deepEqual([a.method, a.u], ['normal', 51.5]);
  published(a.p, '0.5966', 'p');
  const b = mannWhitneyU(x, [1233, 4356, 987, 39999, 1111, 200000]); // ties only inside x (21, 21)
  assert.deepEqual([b.method, b.u], ['normal', 0]);
  published(b.p, '0.001364', 'p');
});

test('Mann–Whitney: exact only below 50 values a side and without ties, as R decides', () => {
  const a = Array.from({ length: 49 }, (_, i) => 2 * i + 1);
  const b = Array.from({ length: 49 }, (_, i) => 2 * i);
  assert.equal(mannWhitneyU(a, b).method, 'exact');
  assert.equal(mannWhitneyU([...a, 1000], b).method, 'normal');
  assert.equal(mannWhitneyU([1, 2, 3], [3, 4, 5]).method, 'normal');
  assert.throws(() => mannWhitneyU([], [1]), /needs values on both sides/);
});

test('Wilcoxon signed-rank, exact: R wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40, p-value = 0.01953', () => {
  const d = depression.x.map((v, i) => v - depression.y[i]!);
  const r = wilcoxonSignedRank(d, { alternative: 'greater' });
  assert.deepEqual([r.method, r.w, r.n], ['exact', 40, 9]);
  published(r.p, '0.01953', 'p');
  // wilcox.test(y - x, alternative = "less"): V = 5, p-value = 0.01953 (same source).
  const less = wilcoxonSignedRank(d.map((v) => -v), { alternative: 'less' });
  assert.equal(less.w, 5);
  published(less.p, '0.01953', 'p (y - x, less)');
});

test('Wilcoxon signed-rank, exact two-sided: wilcox.test(x, mu = 1.6) gives V = 29, p-value = 0.4961', () => {
  // R's one-sample ?wilcox.test examples as run and published at
  // https://rstudio-pubs-static.s3.amazonaws.com/1010246_c61c86672ec041989613d044201c79c4.html
  const two = wilcoxonSignedRank(depression.x.map((v) => v - 1.6));
  assert.deepEqual([two.method, two.w], ['exact', 29]);
  published(two.p, '0.4961', 'p');
  // wilcox.test(x, mu = 3, alternative = "greater"): V = 1, p-value = 0.998.
  const greater = wilcoxonSignedRank(depression.x.map((v) => v - 3), { alternative: 'greater' });
  assert.equal(greater.w, 1);
  published(greater.p, '0.998', 'p');
});

test('Wilcoxon signed-rank, zeros and ties → normal approximation with continuity correction', () => {
  // R outputs quoted in scipy/scipy#13689 (github.com/scipy/scipy/issues/13689):
  // wilcox.test(0:4) → V = 10, p-value = 0.1003 ("cannot compute exact p-value with zeroes");
  const zeros = wilcoxonSignedRank([0, 1, 2, 3, 4]);
  assert.deepEqual([zeros.method, zeros.w, zeros.n], ['normal', 10, 4]);
  published(zeros.p, '0.1003', 'p (zero dropped)');
  // wilcox.test(c(1, 1:4)) → V = 15, p-value = 0.05791 ("cannot compute exact p-value with ties").
  const ties = wilcoxonSignedRank([1, 1, 2, 3, 4]);
  assert.deepEqual([ties.method, ties.w, ties.n], ['normal', 15, 5]);
  published(ties.p, '0.05791', 'p (tied ranks)');
  // Paired data with tied |differences|: wilcox.test(before, after, paired = TRUE, exact = FALSE)
  // → V = 70.5, p-value = 0.01494. Cross Validated question "Wilcoxon test in R will not calculate
  // exact distribution due to ties, scipy.stats.wilcoxon will", as mirrored at
  // https://imathworks.com/cv/wilcoxon-test-in-r-will-not-calculate-exact-distribution-due-to-ties-scipy-stats-wilcoxon-will/
  const before = [18, 23, 24, 27, 9, 40, 17, 33, 6, 8, 9, 26];
  const after = [26, 4, 3, 26, 0, 3, 10, 9, 7, 1, 4, 9];
  const paired = wilcoxonSignedRank(before.map((v, i) => v - after[i]!));
  assert.deepEqual([paired.method, paired.w], ['normal', 70.5]);
  published(paired.p, '0.01494', 'p (paired, ties)');
  // Nothing but zeros: no evidence either way.
  assert.deepEqual(wilcoxonSignedRank([0, 0, 0]), { w: 0, z: 0, p: 1, n: 0, method: 'normal' });
});

test('Hodges–Lehmann shift and median, computed by hand', () => {
  // canary [1, 2, 3] − control [0, 1]: differences 1 0 2 1 3 2 → sorted 0 1 1 2 2 3 → median 1.5.
  assert.equal(hodgesLehmannShift([1, 2, 3], [0, 1]), 1.5);
  // [10, 20, 40] − [5]: 5 15 35 → 15 (odd count; the mean, 18.3, would differ).
  assert.equal(hodgesLehmannShift([10, 20, 40], [5]), 15);
  // [100, 101, 102, 900] − [0, 1, 2]: 98 99 99 100 100 100 101 101 102 898 899 900 → 100.5, where the
  // difference of means (≈ 299) follows the one outlier.
  assert.equal(hodgesLehmannShift([100, 101, 102, 900], [0, 1, 2]), 100.5);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

// ---- the gate's question -------------------------------------------------------------------------

/** Deterministic N(0, 1) draws: mulberry32 + Box–Muller, so the runs below never flake. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * `cycles` probe cycles of both targets: a base latency, noise both share in a cycle (`sharedMs`),
 * noise of each target's own (`ownMs`), and the canary shifted by `shiftMs`.
 */
function cycles(n: number, shiftMs: number, { sharedMs = 5, ownMs = 1, seed = 42 } = {}) {
  const z = normals(seed);
  const pairs = Array.from({ length: n }, () => {
    const cycle = 200 + sharedMs * z();
    return [cycle + shiftMs + ownMs * z(), cycle + ownMs * z()] as [number, number];
  });
  return { canary: pairs.map((p) => p[0]), control: pairs.map((p) => p[1]), pairs };
}

test('identical distributions: no regression', () => {
  const same = cycles(30, 0);
  const v = latencyRegression({ ...same, toleranceMs: 10 });
  assert.equal(v.regression, false);
  assert.deepEqual(v.tests.map((t) => t.test), ['mann-whitney-u', 'wilcoxon-signed-rank']);
  for (const t of v.tests) assert.ok(Math.abs(t.effectMs) < 2, `${t.test} effect ${t.effectMs}`);
  // The very same values on both sides: nothing to see at all.
  const twin = latencyRegression({ canary: same.control, control: same.control, pairs: same.control.map((c) => [c, c]), toleranceMs: 0 });
  assert.equal(twin.regression, false);
  assert.deepEqual(twin.tests.map((t) => [t.significant, t.effectMs]), [[false, 0], [false, 0]]);
});

test('canary +100 ms over 30 cycles with 5 ms noise: a regression, both tests significant, effect ≈ 100 ms', () => {
  const v = latencyRegression({ ...cycles(30, 100), toleranceMs: 10 });
  assert.equal(v.regression, true);
  assert.equal(v.tests.length, 2);
  for (const t of v.tests) {
    assert.ok(t.significant && t.p < 1e-6, `${t.test} p ${t.p}`);
    assert.ok(Math.abs(t.effectMs - 100) < 3, `${t.test} effect ${t.effectMs}`);
  }
  assert.match(v.reason, /^latency regression: /);
  // Unpaired only, 5 ms independent noise on each side: still found.
  const z = normals(7);
  const unpaired = latencyRegression({
    canary: Array.from({ length: 30 }, () => 300 + 5 * z()),
    control: Array.from({ length: 30 }, () => 200 + 5 * z()),
    toleranceMs: 10,
  });
  assert.equal(unpaired.regression, true);
  assert.ok(Math.abs(unpaired.tests[0]!.effectMs - 100) < 5);
});

test('canary faster by 100 ms: not a regression (the test is one-sided)', () => {
  const v = latencyRegression({ ...cycles(30, -100), toleranceMs: 10 });
  assert.equal(v.regression, false);
  for (const t of v.tests) assert.ok(!t.significant && t.p > 0.99, `${t.test} p ${t.p}`);
});

test('+3 ms with a 10 ms tolerance: significant, but no regression, and the reason says the effect is under the tolerance', () => {
  // Shared cycle noise (5 ms) hides 3 ms from the unpaired test; the paired differences do not carry it.
  const v = latencyRegression({ ...cycles(30, 3), toleranceMs: 10 });
  assert.equal(v.regression, false);
  const paired = v.tests.find((t) => t.test === 'wilcoxon-signed-rank')!;
  assert.ok(paired.significant && paired.p < 1e-4, `paired p ${paired.p}`);
  assert.ok(Math.abs(paired.effectMs - 3) < 1, `paired effect ${paired.effectMs}`);
  for (const t of v.tests) assert.ok(t.effectMs < 10);
  assert.match(v.reason, /wilcoxon-signed-rank: significant but the effect is under the tolerance \(p = .*, effect \+\d(\.\d)? ms, tolerance 10 ms\)/);
  // The same shift over a tolerance of 2 ms is a regression.
  assert.equal(latencyRegression({ ...cycles(30, 3), toleranceMs: 2 }).regression, true);
});

test('3 samples a side: the tests are not run, and the reason says so', () => {
  const v = latencyRegression({ canary: [300, 310, 305], control: [100, 101, 102], pairs: [[300, 100], [310, 101], [305, 102]], toleranceMs: 10 });
  assert.equal(v.regression, false);
  assert.deepEqual(v.tests, []);
  assert.match(v.reason, /^no latency test could run: /);
  assert.match(v.reason, /mann-whitney-u not run: 3 canary and 3 control samples, needs at least 5 on each side/);
  assert.match(v.reason, /wilcoxon-signed-rank not run: 3 pairs, needs at least 5/);
  // Enough unpaired samples but no pairs: only Mann–Whitney runs.
  const { canary, control } = cycles(30, 100);
  const unpaired = latencyRegression({ canary, control, toleranceMs: 10 });
  assert.deepEqual(unpaired.tests.map((t) => t.test), ['mann-whitney-u']);
  assert.match(unpaired.reason, /wilcoxon-signed-rank not run: no paired samples/);
});

test('bad arguments name the argument and the value', () => {
  assert.throws(() => latencyRegression({ canary: [], control: [], toleranceMs: -1 }), /toleranceMs must be a finite number ≥ 0, got -1/);
  assert.throws(() => latencyRegression({ canary: [], control: [], alpha: 5, toleranceMs: 1 }), /alpha must be between 0 and 1, got 5/);
});
