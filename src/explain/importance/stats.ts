// Small statistics helpers for importance: AUC, Benjamini–Hochberg, Kolmogorov–Smirnov, t quantiles.

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
    for (let k = i; k < j; k++) if (y[ord[k]] === 1) {
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

const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

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
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Two-sided Student t critical value for confidence `level` with `df` degrees of freedom: exact table
 * for 95% and df <= 30, otherwise the Cornish–Fisher expansion around the normal quantile.
 */
export function tCritical(df: number, level = 0.95): number {
  if (!(df >= 1)) return NaN;
  if (level === 0.95 && df <= 30) return T975[Math.floor(df)];
  const z = normalQuantile(1 - (1 - level) / 2);
  const z3 = z * z * z;
  const z5 = z3 * z * z;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df);
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length > 0 ? s / a.length : NaN;
}

/** Sample standard deviation (n - 1). */
export function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) * (a[i] - m);
  return a.length > 1 ? Math.sqrt(s / (a.length - 1)) : 0;
}
