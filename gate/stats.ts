// Rank tests for canary-against-control latency, as R's wilcox.test computes them (stats package,
// defaults: correct = TRUE, exact p-value when a sample has < 50 values and no ties or zeros).
// Pure functions, no I/O, no dependencies: the exact null distributions are small dynamic programs
// and the normal tail is Numerical Recipes' erfc; test/unit/stats.test.ts checks both against
// R's published outputs.

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** W in R: the number of (canary, control) pairs where canary is larger, ties counting ½. */
  u: number;
  /** The continuity-corrected normal score (computed for the exact method too, for reporting). */
  z: number;
  p: number;
  n1: number;
  n2: number;
  method: 'exact' | 'normal';
}

export interface SignedRankResult {
  /** V in R: the sum of the ranks of the positive differences. */
  w: number;
  z: number;
  p: number;
  /** Differences used: zeros dropped (R's default). */
  n: number;
  method: 'exact' | 'normal';
}

export type LatencyTestName = 'mann-whitney-u' | 'wilcoxon-signed-rank';

export interface LatencyTest {
  test: LatencyTestName;
  p: number;
  /** Hodges–Lehmann shift (unpaired) or median paired difference, canary − control, in ms. */
  effectMs: number;
  /** One-sided "canary slower" p < alpha. */
  significant: boolean;
}

export interface LatencyVerdict {
  regression: boolean;
  tests: LatencyTest[];
  reason: string;
}

/** R's limit: an exact p-value only while every sample has fewer values than this. */
const EXACT_BELOW = 50;
/** Fewer samples than this on a side (or pairs) and a test is not run. */
export const MIN_SAMPLES = 5;

// ---- small pieces -------------------------------------------------------------------------------

/** Non-finite values (NaN, ±Infinity) are left out, as R's wilcox.test does. */
const finite = (values: readonly number[]): number[] => values.filter((v) => Number.isFinite(v));

/** The median; NaN for no values. */
export function median(values: readonly number[]): number {
  const sorted = finite(values).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of all pairwise differences canary − control: the shift estimate beside Mann–Whitney. */
export function hodgesLehmannShift(canary: readonly number[], control: readonly number[]): number {
  const x = finite(canary);
  const y = finite(control);
  if (x.length === 0 || y.length === 0) return Number.NaN;
  // O(n1·n2) memory: fine for the few hundred samples a canary window holds.
  const diffs = new Float64Array(x.length * y.length);
  let k = 0;
  for (const a of x) for (const b of y) diffs[k++] = a - b;
  diffs.sort();
  const mid = diffs.length >> 1;
  return diffs.length % 2 === 1 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
}

/** Average ranks (1-based) and Σ(t³ − t) over groups of tied values, for the variance correction. */
function rank(values: readonly number[]): { ranks: number[]; tieSum: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  let tieSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]![0] === order[start]![0]) end++;
    const t = end - start;
    const average = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) ranks[order[j]![1]] = average;
    if (t > 1) tieSum += t * t * t - t;
    start = end;
  }
  return { ranks, tieSum };
}

/**
 * Upper tail of the standard normal, P(Z > z), via erfc from Numerical Recipes in C (2nd ed., §6.2,
 * `erfcc`, Chebyshev fit): fractional error below 1.2e-7 everywhere, so small tail p-values keep
 * their relative precision.
 */
function normalUpper(z: number): number {
  const x = z / Math.SQRT2;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const erfcAbs = t * Math.exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return 0.5 * (x >= 0 ? erfcAbs : 2 - erfcAbs);
}

/**
 * p-value of a statistic `s` with null mean `mean` and standard deviation `sd`, continuity-corrected
 * as R does (two-sided: ½ toward the mean; greater: −½; less: +½). A zero sd (every value tied)
 * carries no evidence: z = 0, p = 1.
 */
function normalTest(s: number, mean: number, sd: number, alternative: Alternative): { z: number; p: number } {
  if (!(sd > 0)) return { z: 0, p: 1 };
  const d = s - mean;
  const correction = alternative === 'two-sided' ? 0.5 * Math.sign(d) : alternative === 'greater' ? 0.5 : -0.5;
  const z = (d - correction) / sd;
  const p = alternative === 'greater' ? normalUpper(z) : alternative === 'less' ? normalUpper(-z) : 2 * normalUpper(Math.abs(z));
  return { z, p: Math.min(1, p) };
}

/**
 * p-value from an exact null distribution given as counts by statistic value (index = value).
 * Two-sided as R: double the tail on the side of the observation, at most 1.
 */
function exactTest(counts: Float64Array, s: number, alternative: Alternative): number {
  let total = 0;
  for (const c of counts) total += c;
  const atLeast = (v: number) => { let sum = 0; for (let k = Math.max(0, Math.ceil(v)); k < counts.length; k++) sum += counts[k]!; return sum / total; };
  const atMost = (v: number) => { let sum = 0; for (let k = 0; k <= Math.min(counts.length - 1, Math.floor(v)); k++) sum += counts[k]!; return sum / total; };
  if (alternative === 'greater') return atLeast(s);
  if (alternative === 'less') return atMost(s);
  const middle = (counts.length - 1) / 2;
  return Math.min(1, 2 * (s > middle ? atLeast(s) : atMost(s)));
}

/** Counts of U = 0..n1·n2 over all ways to label n1 of n1+n2 distinct values "canary". */
function mannWhitneyCounts(n1: number, n2: number): Float64Array {
  // ways[j][s]: subsets of size j of the ranks seen so far whose rank sum is s. U = s − n1(n1+1)/2.
  const maxSum = (n1 * (2 * (n1 + n2) - n1 + 1)) / 2;
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  for (let r = 1; r <= n1 + n2; r++) {
    for (let j = Math.min(r, n1); j >= 1; j--) {
      const row = ways[j]!;
      const prev = ways[j - 1]!;
      for (let s = maxSum; s >= r; s--) row[s] += prev[s - r];
    }
  }
  const offset = (n1 * (n1 + 1)) / 2;
  return ways[n1]!.slice(offset, offset + n1 * n2 + 1);
}

/** Counts of V = 0..n(n+1)/2 over all 2^n sign patterns of the ranks 1..n. */
function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) for (let s = max; s >= r; s--) counts[s] += counts[s - r];
  return counts;
}

// ---- the tests ----------------------------------------------------------------------------------

/**
 * Mann–Whitney U (Wilcoxon rank-sum) of canary against control. `greater`: canary tends to be
 * larger (slower). Exact when both samples have < 50 values and no ties, else the normal
 * approximation with the tie-corrected variance and a continuity correction (R's defaults).
 */
export function mannWhitneyU(
  canary: readonly number[],
  control: readonly number[],
  opts: { alternative?: Alternative } = {},
): MannWhitneyResult {
  const alternative = opts.alternative ?? 'two-sided';
  const x = finite(canary);
  const y = finite(control);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError(`mannWhitneyU needs values on both sides: got ${n1} canary and ${n2} control values`);
  const { ranks, tieSum } = rank([...x, ...y]);
  let rankSum = 0;
  for (let i = 0; i < n1; i++) rankSum += ranks[i]!;
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt((n1 * n2 / 12) * (n + 1 - tieSum / (n * (n - 1))));
  const normal = normalTest(u, (n1 * n2) / 2, sd, alternative);
  if (n1 < EXACT_BELOW && n2 < EXACT_BELOW && tieSum === 0) {
    return { u, z: normal.z, p: exactTest(mannWhitneyCounts(n1, n2), u, alternative), n1, n2, method: 'exact' };
  }
  return { u, z: normal.z, p: normal.p, n1, n2, method: 'normal' };
}

/**
 * Wilcoxon signed-rank test of paired differences (canary − control per cycle). Zero differences
 * are dropped (R's default), tied |differences| get average ranks and the tie-corrected variance.
 * Exact when < 50 differences remain and none were zero or tied, else the normal approximation
 * with a continuity correction. No differences left (all zero): z = 0, p = 1.
 */
export function wilcoxonSignedRank(differences: readonly number[], opts: { alternative?: Alternative } = {}): SignedRankResult {
  const alternative = opts.alternative ?? 'two-sided';
  const all = finite(differences);
  const d = all.filter((v) => v !== 0);
  const n = d.length;
  const hadZeros = d.length < all.length;
  const { ranks, tieSum } = rank(d.map(Math.abs));
  let w = 0;
  for (let i = 0; i < n; i++) if (d[i]! > 0) w += ranks[i]!;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSum / 48);
  const normal = normalTest(w, (n * (n + 1)) / 4, sd, alternative);
  if (n > 0 && n < EXACT_BELOW && !hadZeros && tieSum === 0) {
    return { w, z: normal.z, p: exactTest(signedRankCounts(n), w, alternative), n, method: 'exact' };
  }
  return { w, z: normal.z, p: normal.p, n, method: 'normal' };
}

// ---- the gate's question ------------------------------------------------------------------------

export interface LatencyRegressionInput {
  /** Canary latencies, ms. */
  canary: readonly number[];
  /** Control latencies, ms, from the same window. */
  control: readonly number[];
  /** [canary, control] latencies probed in the same cycle: the paired test removes shared noise. */
  pairs?: ReadonlyArray<readonly [number, number]>;
  /** One-sided significance level; default 0.05. */
  alpha?: number;
  /** A slowdown at or under this many ms is not a regression, however significant. */
  toleranceMs: number;
}

const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
const fmtMs = (ms: number) => `${ms >= 0 ? '+' : ''}${Number(ms.toFixed(1))} ms`;

/**
 * Is the canary slower than control beyond noise and beyond tolerance? A regression needs one test
 * significant (one-sided "canary slower", p < alpha) AND its effect above `toleranceMs`: the
 * Hodges–Lehmann shift for Mann–Whitney, the median paired difference for the signed-rank test.
 * A test with fewer than 5 samples on a side (or 5 pairs) is not run, and the reason says so.
 */
export function latencyRegression(input: LatencyRegressionInput): LatencyVerdict {
  const { canary, control, pairs, alpha = 0.05, toleranceMs } = input;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`latencyRegression: alpha must be between 0 and 1, got ${alpha}`);
  if (!(Number.isFinite(toleranceMs) && toleranceMs >= 0)) throw new RangeError(`latencyRegression: toleranceMs must be a finite number ≥ 0, got ${toleranceMs}`);

  const tests: LatencyTest[] = [];
  const notes: string[] = [];
  const judge = (test: LatencyTestName, p: number, effectMs: number) => {
    const significant = p < alpha;
    tests.push({ test, p, effectMs, significant });
    const stat = `p = ${fmtP(p)}, effect ${fmtMs(effectMs)}`;
    if (!significant) notes.push(`${test}: not significant (${stat}; alpha ${alpha})`);
    else if (effectMs > toleranceMs) notes.push(`${test}: canary slower (${stat}, beyond the ${toleranceMs} ms tolerance)`);
    else notes.push(`${test}: significant but the effect is under the tolerance (${stat}, tolerance ${toleranceMs} ms)`);
  };

  const x = finite(canary);
  const y = finite(control);
  if (x.length >= MIN_SAMPLES && y.length >= MIN_SAMPLES) {
    judge('mann-whitney-u', mannWhitneyU(x, y, { alternative: 'greater' }).p, hodgesLehmannShift(x, y));
  } else {
    notes.push(`mann-whitney-u not run: ${x.length} canary and ${y.length} control samples, needs at least ${MIN_SAMPLES} on each side`);
  }

  const diffs = (pairs ?? []).map(([c, k]) => c - k).filter((v) => Number.isFinite(v));
  if (diffs.length >= MIN_SAMPLES) {
    judge('wilcoxon-signed-rank', wilcoxonSignedRank(diffs, { alternative: 'greater' }).p, median(diffs));
  } else {
    notes.push(`wilcoxon-signed-rank not run: ${pairs === undefined ? 'no paired samples' : `${diffs.length} pairs`}, needs at least ${MIN_SAMPLES}`);
  }

  const regression = tests.some((t) => t.significant && t.effectMs > toleranceMs);
  const head = regression ? 'latency regression' : tests.length === 0 ? 'no latency test could run' : 'no latency regression';
  return { regression, tests, reason: `${head}: ${notes.join('; ')}` };
}
