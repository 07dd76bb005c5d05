// Principal component analysis over N x D float rows: exact eigendecomposition of the D x D covariance
// for small D, block subspace iteration for large D (covariance formed up to D = 1024, products
// X^T (X V) beyond). Signs are fixed so that each component's largest-magnitude loading is positive.
import { jacobiEigen, topEigenSubspace } from './linalg.js';
import { trustworthiness } from './trustworthiness.js';
import { checkMatrix, type CommonEmbedOptions, type EmbeddingResult } from './types.js';

/** Options of `pca` / `fitPCA`. */
export interface PCAOptions extends CommonEmbedOptions {
  /** Number of components kept. Default 2 (`fitPCA` always uses 2). */
  components?: number;
  /** Largest D solved exactly by Jacobi on the full covariance; above it, subspace iteration. Default 128. */
  exactMaxDim?: number;
}

/** A fitted PCA. */
export interface PCAModel {
  /** Column means (D). */
  mean: Float64Array;
  /** k x D unit-length principal axes, by decreasing variance. */
  components: Float64Array;
  /** Variance along each axis (divided by N - 1, like scikit-learn). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance. */
  explainedVarianceRatio: Float64Array;
  /** N x k coordinates of the rows on the axes. */
  scores: Float32Array;
}

export function pca(data: Float32Array | Float64Array, n: number, d: number, options: PCAOptions = {}): PCAModel {
  checkMatrix(data, n, d);
  const k = options.components ?? 2;
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`components must be an integer in 1..${d}, got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= n;
  const centred = new Float64Array(n * d);
  let totalSq = 0;
  for (let i = 0; i < n * d; i++) {
    const v = data[i] - mean[i % d];
    centred[i] = v;
    totalSq += v * v;
  }
  const denom = Math.max(n - 1, 1);
  const exactMax = options.exactMaxDim ?? 128;
  let values: Float64Array;
  let vectors: Float64Array;
  if (d <= 1024) {
    const cov = covariance(centred, n, d, denom);
    if (d <= exactMax) {
      const eig = jacobiEigen(cov, d);
      values = eig.values.slice(0, k);
      vectors = eig.vectors.slice(0, k * d);
    } else {
      ({ values, vectors } = topEigenSubspace((v, q, out) => symmetricTimesRows(cov, d, v, q, out), d, k, options.seed ?? 0));
    }
  } else {
    ({ values, vectors } = topEigenSubspace((v, q, out) => gramTimesRows(centred, n, d, denom, v, q, out), d, k, options.seed ?? 0));
  }
  for (let r = 0; r < k; r++) {
    let big = 0;
    for (let c = 0; c < d; c++) if (Math.abs(vectors[r * d + c]) > Math.abs(vectors[r * d + big])) big = c;
    if (vectors[r * d + big] < 0) for (let c = 0; c < d; c++) vectors[r * d + c] = -vectors[r * d + c];
  }
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += centred[i * d + c] * vectors[r * d + c];
      scores[i * k + r] = s;
    }
  const total = totalSq / denom;
  const explainedVariance = values.map((v) => Math.max(v, 0));
  const explainedVarianceRatio = explainedVariance.map((v) => (total > 0 ? v / total : 0));
  return { mean, components: vectors, explainedVariance, explainedVarianceRatio, scores };
}

/** PCA to two dimensions as an embedding record. */
export function fitPCA(data: Float32Array | Float64Array, n: number, d: number, options: PCAOptions = {}): EmbeddingResult {
  const start = performance.now();
  const model = pca(data, n, d, { ...options, components: Math.min(2, d) });
  const coords = d >= 2 ? model.scores : padToTwoColumns(model.scores, n);
  const seconds = (performance.now() - start) / 1000;
  const tk = options.trustworthinessK ?? 5;
  return {
    coords,
    trustworthiness: tk > 0 ? trustworthiness(data, n, d, coords, 2, tk) : NaN,
    method: 'pca',
    params: {
      components: 2,
      seed: options.seed ?? 0,
      trustworthinessK: tk,
      explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
    },
    seconds,
  };
}

function padToTwoColumns(one: Float32Array, n: number): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) out[2 * i] = one[i];
  return out;
}

function covariance(x: Float64Array, n: number, d: number, denom: number): Float64Array {
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += xa * x[o + b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= denom;
      cov[b * d + a] = cov[a * d + b];
    }
  return cov;
}

function symmetricTimesRows(a: Float64Array, m: number, v: Float64Array, q: number, out: Float64Array): void {
  for (let r = 0; r < q; r++)
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += a[i * m + j] * v[r * m + j];
      out[r * m + i] = s;
    }
}

/** out = (X^T X / denom) v for each row v, without forming X^T X. */
function gramTimesRows(x: Float64Array, n: number, d: number, denom: number, v: Float64Array, q: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let r = 0; r < q; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[o + c] * v[r * d + c];
      s /= denom;
      for (let c = 0; c < d; c++) out[r * d + c] += s * x[o + c];
    }
  }
}
