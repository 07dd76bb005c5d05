// The statistics every analysis shares: descriptive moments, the Student t distribution (CDF, tails and
// quantiles from the regularised incomplete beta function: Lentz's continued fraction, as in Numerical
// Recipes' betacf), the normal quantile, Welch's t-test, the Wilson bound, AUC, Benjamini–Hochberg and
// the Kolmogorov–Smirnov test against U(0, 1), ranks, Pearson and Spearman correlation, and the percentile
// bootstrap interval of a mean. No statistics package is needed; the values are checked
// against scipy in test/core/stats.test.ts and test/explain/*-stats.test.ts.
import { Random } from './random.js';

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length > 0 ? s / a.length : NaN;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function std(a: ArrayLike<number>): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return Math.sqrt(s / (a.length - 1));
}

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b), for a, b > 0 and 0 <= x <= 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0 (got ${a}, ${b})`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Student-t CDF P(T <= t) with `df` (> 0, not necessarily integer) degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** P(T >= t) for Student's t with df degrees of freedom (no 1 - cdf cancellation for large t). */
export function tUpperTail(t: number, df: number): number {
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? tail : 1 - tail;
}

/** The t with P(T <= t) = p for Student's t with df degrees of freedom (bisection on the CDF, to 1e-12 relative). */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0) || !(p > 0 && p < 1)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tUpperTail(hi, df) > 1 - p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (tUpperTail(mid, df) > 1 - p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Two-sided Student t critical value for confidence `level` with `df` degrees of freedom. */
export function tCritical(df: number, level = 0.95): number {
  if (!(df >= 1)) return NaN;
  return tQuantile(1 - (1 - level) / 2, df);
}

/** Two-sided p-value of a t statistic. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5));
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface TTestResult {
  t: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Welch's unequal-variance t-test of mean(a) = mean(b). When both samples have zero variance the test
 * is degenerate: p = 1 if the means are equal, 0 otherwise (t = +-Infinity).
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  if (a.length < 2 || b.length < 2) throw new RangeError('Welch t-test needs at least two values per sample');
  const va = std(a) ** 2 / a.length;
  const vb = std(b) ** 2 / b.length;
  const diff = mean(a) - mean(b);
  const se2 = va + vb;
  if (se2 === 0) {
    return diff === 0
      ? { t: 0, df: a.length + b.length - 2, p: 1 }
      : { t: diff > 0 ? Infinity : -Infinity, df: a.length + b.length - 2, p: 0 };
  }
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  return { t, df, p: twoSidedP(t, df) };
}

/**
 * Lower end of the Wilson score interval for a proportion of `successes` in `n` trials (z = 1.96: the
 * 95% two-sided interval's lower bound, a 97.5% one-sided bound). NaN when n = 0.
 */
export function wilsonLowerBound(successes: number, n: number, z = 1.96): number {
  if (!(n > 0)) return NaN;
  const p = successes / n;
  const z2 = z * z;
  return Math.max(0, (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n));
}

/**
 * Area under the ROC curve of `score` for `positive` (1) versus the rest (0), ties counted half
 * (Mann–Whitney U / (n1 n0)). NaN when one class is absent. Optional `rows` restricts to those indices.
 */
export function auc(score: ArrayLike<number>, positive: ArrayLike<number>, rows?: ArrayLike<number>): number {
  const m = rows ? rows.length : score.length;
  const ord = new Int32Array(m);
  const s = new Float64Array(m);
  const y = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    const r = rows ? rows[i] : i;
    s[i] = score[r];
    y[i] = positive[r] ? 1 : 0;
    ord[i] = i;
  }
  ord.sort((a, b) => s[a] - s[b]);
  let n1 = 0;
  let rankSum = 0;
  let i = 0;
  while (i < m) {
    let j = i + 1;
    while (j < m && s[ord[j]] === s[ord[i]]) j++;
    const avgRank = (i + j + 1) / 2; // 1-based average rank of the tie block
    for (let k = i; k < j; k++)
      if (y[ord[k]] === 1) {
        n1++;
        rankSum += avgRank;
      }
    i = j;
  }
  const n0 = m - n1;
  if (n1 === 0 || n0 === 0) return NaN;
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Benjamini–Hochberg adjusted p-values (q-values): reject where q <= alpha controls the FDR at alpha. */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  const ord = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const q = new Float64Array(m);
  let min = 1;
  for (let k = m - 1; k >= 0; k--) {
    const i = ord[k];
    min = Math.min(min, (p[i] * m) / (k + 1));
    q[i] = min;
  }
  return q;
}

/**
 * One-sample Kolmogorov–Smirnov test of `x` against Uniform(0, 1): the statistic D and an asymptotic
 * p-value (Marsaglia–Tsang–Wang's Kolmogorov distribution with Stephens' small-sample correction).
 */
export function ksUniform(x: ArrayLike<number>): { d: number; p: number } {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, s[i]));
    d = Math.max(d, (i + 1) / n - v, v - i / n);
  }
  const en = Math.sqrt(n);
  const lambda = (en + 0.12 + 0.11 / en) * d;
  return { d, p: kolmogorovQ(lambda) };
}

/** P(K > lambda) for the Kolmogorov distribution. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** The centred cross and square sums of a and b, from which Pearson's r and r² are formed. */
export function correlationSums(a: ArrayLike<number>, b: ArrayLike<number>): { sab: number; saa: number; sbb: number } {
  const n = a.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma,
      db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return { sab, saa, sbb };
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { sab, saa, sbb } = correlationSums(a, b);
  // A constant vector carries no order: report no correlation rather than NaN.
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** Percentile bootstrap interval of the mean of `values` (seeded). */
export function bootstrapMeanCI(values: ArrayLike<number>, level = 0.95, resamples = 1000, seed = 0): [number, number] {
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const rnd = new Random(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rnd.int(n)]!;
    means[b] = s / n;
  }
  means.sort();
  const lo = Math.floor(((1 - level) / 2) * resamples),
    hi = Math.ceil(((1 + level) / 2) * resamples) - 1;
  return [means[lo]!, means[Math.min(hi, resamples - 1)]!];
}
