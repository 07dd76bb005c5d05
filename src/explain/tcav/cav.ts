// Concept activation vectors: an L2-regularised logistic regression separating a concept's
// activations from a random set's; the CAV is the normal of its decision boundary, pointing toward the
// concept, in the raw activation space (where the label head's gradients live).
//
// TCAV's random-concept null fits thousands of CAVs on one activation matrix, so `CavFitter`
// standardises the activations once (means and standard deviations over all cases) and, when a fit has
// no more training rows than dimensions (50 + 50 cases x 0.7 in 128 latent dimensions), solves the
// problem in the span of its training rows: the L2-penalised weights lie there, and with K = L L^T the
// Cholesky factor of the rows' Gram matrix, the logistic regression on the features L (n x n) with
// weights beta has the same losses and penalty as the one on the rows with w = X^T L^-T beta. That is
// the same optimum at a fraction of the cost (the Gram matrix of all cases is computed once).
import type { Random } from '../../core/random.js';
import { lbfgs } from '../../metrics/lbfgs.js';

export interface Cav {
  /** Unit vector, length D, toward the concept. */
  direction: Float64Array;
  /** Accuracy on the held-out part of both sets. */
  accuracy: number;
}

export interface CavOptions {
  /**
   * L2 penalty on the weights of the standardised activations, as in a two-class softmax regression
   * (per-sample loss + l2/2 (|w0|^2 + |w1|^2), i.e. l2/4 |w1 - w0|^2). Default 0.01.
   */
  l2: number;
  /** Held-out fraction of each set. Default 0.3. */
  testFraction: number;
}

/** Gram matrices of at most this many cases are kept (8 n^2 bytes: 32 MiB at 2048). */
const GRAM_CACHE_MAX = 2048;
/**
 * L-BFGS settings: stop when the gradient's largest component is below 1e-4, and keep 5 pairs. Measured
 * on 70 x 128 fits, the direction is then within 1 - cos ~ 5e-5 of the exact optimum's (17 iterations
 * instead of 28 at 1e-6 with 10 pairs, and a cheaper two-loop recursion), far inside the run-to-run
 * spread of CAVs.
 */
const LBFGS = { maxIter: 100, gradTol: 1e-4, memory: 5 };

/** Logistic loss softplus(s) - y s at logit s, with its derivative sigmoid(s) - y in `out[0]`. */
function logisticLoss(s: number, y: number, out: Float64Array): number {
  const e = Math.exp(-Math.abs(s));
  out[0] = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - y;
  return Math.max(s, 0) + Math.log1p(e) - y * s;
}

/** Fits CAVs on one activation matrix (N x D, row-major), standardised once. */
export class CavFitter {
  readonly n: number;
  readonly d: number;
  private readonly xs: Float64Array;
  private readonly sd: Float64Array;
  private gram: Float64Array | null = null;

  /** @param cacheGram keep the N x N Gram matrix (when N <= 2048) for fits in the span of their rows. */
  constructor(
    x: Float32Array,
    d: number,
    private readonly o: CavOptions,
    private readonly cacheGram = true,
  ) {
    if (!(d > 0) || x.length % d !== 0) throw new Error(`cav: ${x.length} values are not rows of ${d}`);
    const n = x.length / d;
    this.n = n;
    this.d = d;
    const mean = new Float64Array(d);
    const sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j]!;
    for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j]! - mean[j]!) ** 2;
    for (let j = 0; j < d; j++) {
      const s = Math.sqrt(sd[j]! / Math.max(1, n));
      sd[j] = s > 1e-12 ? s : 1;
    }
    this.sd = sd;
    this.xs = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.xs[i * d + j] = (x[i * d + j]! - mean[j]!) / sd[j]!;
  }

  private dotRows(a: number, b: number): number {
    const { xs, d } = this;
    let s = 0;
    for (let j = 0; j < d; j++) s += xs[a * d + j]! * xs[b * d + j]!;
    return s;
  }

  private gramOf(rows: number[]): Float64Array {
    const m = rows.length;
    const k = new Float64Array(m * m);
    if (this.cacheGram && this.n <= GRAM_CACHE_MAX && !this.gram) {
      const n = this.n;
      const g = new Float64Array(n * n);
      for (let a = 0; a < n; a++)
        for (let b = a; b < n; b++) {
          const v = this.dotRows(a, b);
          g[a * n + b] = v;
          g[b * n + a] = v;
        }
      this.gram = g;
    }
    const g = this.gram;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b <= a; b++) {
        const v = g ? g[rows[a]! * this.n + rows[b]!]! : this.dotRows(rows[a]!, rows[b]!);
        k[a * m + b] = v;
        k[b * m + a] = v;
      }
    }
    return k;
  }

  /**
   * Fits a CAV for `positive` (concept) against `negative` (random) cases. A case in both sets counts
   * once per set, as Kim et al.'s random sets may contain concept images. `testFraction` of each set
   * (at least one case) is held out for the accuracy.
   */
  fit(positive: ArrayLike<number>, negative: ArrayLike<number>, rnd: Random): Cav {
    const split = (set: ArrayLike<number>) => {
      const perm = rnd.permutation(set.length);
      const nTest = Math.max(1, Math.round(set.length * this.o.testFraction));
      return { test: Array.from(perm.subarray(0, nTest), (i) => set[i]!), train: Array.from(perm.subarray(nTest), (i) => set[i]!) };
    };
    const p = split(positive);
    const q = split(negative);
    const rows = [...p.train, ...q.train];
    const y = Float64Array.from(rows, (_, r) => (r < p.train.length ? 1 : 0));
    // Binary logistic regression with penalty l2/4 |u|^2: the optimum of the two-class softmax's.
    const lam = this.o.l2 / 2;
    const w = rows.length <= this.d ? this.fitInSpan(rows, y, lam) : this.fitPrimal(rows, y, lam);
    const { d, xs, sd } = this;
    let hits = 0;
    const test = [...p.test.map((i) => [i, 1] as const), ...q.test.map((i) => [i, 0] as const)];
    for (const [i, label] of test) {
      let s = w.bias;
      for (let j = 0; j < d; j++) s += w.weights[j]! * xs[i * d + j]!;
      if ((s > 0 ? 1 : 0) === label) hits++;
    }
    const direction = new Float64Array(d);
    let norm = 0;
    for (let j = 0; j < d; j++) {
      direction[j] = w.weights[j]! / sd[j]!;
      norm += direction[j]! ** 2;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < d; j++) direction[j] /= norm;
    return { direction, accuracy: test.length ? hits / test.length : NaN };
  }

  /** Logistic regression on the standardised rows (weights in standardised units). */
  private fitPrimal(rows: number[], y: Float64Array, lam: number): { weights: Float64Array; bias: number } {
    const { d, xs } = this;
    const m = rows.length;
    const x = new Float64Array(m * d);
    rows.forEach((i, r) => x.set(xs.subarray(i * d, (i + 1) * d), r * d));
    const dl = new Float64Array(1);
    const objective = (w: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let loss = 0;
      for (let r = 0; r < m; r++) {
        const o = r * d;
        let s = w[d]!;
        for (let j = 0; j < d; j++) s += w[j]! * x[o + j]!;
        loss += logisticLoss(s, y[r]!, dl);
        const res = dl[0]!;
        for (let j = 0; j < d; j++) g[j] += res * x[o + j]!;
        g[d] += res;
      }
      loss /= m;
      for (let k = 0; k <= d; k++) g[k] /= m;
      for (let k = 0; k < d; k++) {
        loss += 0.5 * lam * w[k]! * w[k]!;
        g[k] += lam * w[k]!;
      }
      return loss;
    };
    const w = lbfgs(objective, new Float64Array(d + 1), LBFGS).w;
    return { weights: w.subarray(0, d), bias: w[d]! };
  }

  /** The same regression in the span of the rows, through the Cholesky factor of their Gram matrix. */
  private fitInSpan(rows: number[], y: Float64Array, lam: number): { weights: Float64Array; bias: number } {
    const m = rows.length;
    const L = this.gramOf(rows);
    // In-place Cholesky (lower triangle); a pivot that vanishes (a row repeated, or in the span of the
    // earlier ones) leaves a zero column, whose weight stays 0.
    let maxDiag = 0;
    for (let a = 0; a < m; a++) maxDiag = Math.max(maxDiag, L[a * m + a]!);
    const zero = new Uint8Array(m);
    for (let j = 0; j < m; j++) {
      let djj = L[j * m + j]!;
      for (let k = 0; k < j; k++) djj -= L[j * m + k]! ** 2;
      if (djj <= 1e-10 * Math.max(1, maxDiag)) {
        zero[j] = 1;
        for (let i = j; i < m; i++) L[i * m + j] = 0;
        continue;
      }
      const ljj = Math.sqrt(djj);
      L[j * m + j] = ljj;
      for (let i = j + 1; i < m; i++) {
        let s = L[i * m + j]!;
        for (let k = 0; k < j; k++) s -= L[i * m + k]! * L[j * m + k]!;
        L[i * m + j] = s / ljj;
      }
    }
    for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) L[i * m + j] = 0;
    const dl = new Float64Array(1);
    const objective = (b: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let loss = 0;
      for (let i = 0; i < m; i++) {
        let v = b[m]!;
        const o = i * m;
        for (let k = 0; k <= i; k++) v += L[o + k]! * b[k]!;
        loss += logisticLoss(v, y[i]!, dl);
        const res = dl[0]! / m;
        for (let k = 0; k <= i; k++) g[k] += res * L[o + k]!;
        g[m] += res;
      }
      loss /= m;
      for (let k = 0; k < m; k++) {
        loss += 0.5 * lam * b[k]! * b[k]!;
        g[k] += lam * b[k]!;
      }
      return loss;
    };
    const beta = lbfgs(objective, new Float64Array(m + 1), LBFGS).w;
    // alpha = L^-T beta (back substitution), then w = sum_i alpha_i x_i.
    const alpha = new Float64Array(m);
    for (let j = m - 1; j >= 0; j--) {
      if (zero[j]) continue;
      let v = beta[j]!;
      for (let i = j + 1; i < m; i++) v -= L[i * m + j]! * alpha[i]!;
      alpha[j] = v / L[j * m + j]!;
    }
    const { d, xs } = this;
    const weights = new Float64Array(d);
    rows.forEach((r, i) => {
      const a = alpha[i]!;
      if (a !== 0) for (let j = 0; j < d; j++) weights[j] += a * xs[r * d + j]!;
    });
    return { weights, bias: beta[m]! };
  }
}

/**
 * Fits one CAV on activations `x` (N x D, row-major) for `positive` (concept) against `negative`
 * (random) cases; activations are standardised over all N cases. For many CAVs on the same
 * activations, make one `CavFitter`.
 */
export function fitCav(
  x: Float32Array,
  d: number,
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  o: CavOptions,
  rnd: Random,
): Cav {
  return new CavFitter(x, d, o, false).fit(positive, negative, rnd);
}
