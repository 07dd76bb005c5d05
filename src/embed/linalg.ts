// Small dense symmetric eigen-solvers for PCA: cyclic Jacobi (exact, for small matrices) and block
// subspace iteration with Rayleigh-Ritz (top components of large ones). Float64 throughout.
import { Random } from '../core/random.js';

/** Eigen-decomposition of a symmetric m x m matrix (row-major, not modified): values descending, vectors as rows. */
export function jacobiEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < m; p++) {
      diag += a[p * m + p] * a[p * m + p];
      for (let q = p + 1; q < m; q++) off += a[p * m + q] * a[p * m + q];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (apq === 0) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < m; r++) {
          const arp = a[r * m + p];
          const arq = a[r * m + q];
          a[r * m + p] = c * arp - s * arq;
          a[r * m + q] = s * arp + c * arq;
        }
        for (let r = 0; r < m; r++) {
          const apr = a[p * m + r];
          const aqr = a[q * m + r];
          a[p * m + r] = c * apr - s * aqr;
          a[q * m + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < m; r++) {
          const vrp = v[r * m + p];
          const vrq = v[r * m + q];
          v[r * m + p] = c * vrp - s * vrq;
          v[r * m + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => a[y * m + y] - a[x * m + x] || x - y);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  order.forEach((col, r) => {
    values[r] = a[col * m + col];
    for (let i = 0; i < m; i++) vectors[r * m + i] = v[i * m + col];
  });
  return { values, vectors };
}

/** Orthonormalises q row vectors of length m in place (modified Gram-Schmidt, twice for stability). */
export function orthonormalizeRows(vecs: Float64Array, q: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < q; i++) {
      const oi = i * m;
      for (let j = 0; j < i; j++) {
        const oj = j * m;
        let dot = 0;
        for (let c = 0; c < m; c++) dot += vecs[oi + c] * vecs[oj + c];
        for (let c = 0; c < m; c++) vecs[oi + c] -= dot * vecs[oj + c];
      }
      let norm = 0;
      for (let c = 0; c < m; c++) norm += vecs[oi + c] * vecs[oi + c];
      norm = Math.sqrt(norm);
      const inv = norm > 1e-300 ? 1 / norm : 0;
      for (let c = 0; c < m; c++) vecs[oi + c] *= inv;
    }
  }
}

/**
 * Top-k eigenpairs of a symmetric positive semi-definite operator of size m, given only as
 * `apply(vectors, q, out)` (rows in, rows out): block subspace iteration with k + 8 vectors and a
 * Rayleigh-Ritz rotation each round, until the top-k eigenvalues settle to ~1e-12 relative.
 */
export function topEigenSubspace(
  apply: (vecs: Float64Array, q: number, out: Float64Array) => void,
  m: number,
  k: number,
  seed: number,
  maxIterations = 1000,
): { values: Float64Array; vectors: Float64Array } {
  const q = Math.min(m, k + 8);
  const rng = new Random(seed);
  let v: Float64Array = new Float64Array(q * m);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  orthonormalizeRows(v, q, m);
  let w: Float64Array = new Float64Array(q * m);
  const h = new Float64Array(q * q);
  let prev: Float64Array = new Float64Array(k).fill(NaN);
  let values: Float64Array = new Float64Array(q);
  for (let it = 0; it < maxIterations; it++) {
    apply(v, q, w);
    // Rayleigh-Ritz: H = V^T A V in the current basis; rotate the basis onto H's eigenvectors.
    for (let i = 0; i < q; i++)
      for (let j = 0; j < q; j++) {
        let s = 0;
        for (let c = 0; c < m; c++) s += v[i * m + c] * w[j * m + c];
        h[i * q + j] = s;
      }
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) h[i * q + j] = h[j * q + i] = (h[i * q + j] + h[j * q + i]) / 2;
    const eig = jacobiEigen(h, q);
    values = eig.values;
    let settled = it > 0;
    for (let i = 0; i < k; i++) if (Math.abs(values[i] - prev[i]) > 1e-12 * Math.max(Math.abs(values[0]), 1e-300)) settled = false;
    // Next basis: the rotated A V (one power step), orthonormalised.
    const next = new Float64Array(q * m);
    for (let r = 0; r < q; r++)
      for (let j = 0; j < q; j++) {
        const coef = eig.vectors[r * q + j];
        if (coef === 0) continue;
        for (let c = 0; c < m; c++) next[r * m + c] += coef * (settled ? v[j * m + c] : w[j * m + c]);
      }
    if (settled) return { values: values.slice(0, k), vectors: next.slice(0, k * m) };
    orthonormalizeRows(next, q, m);
    prev = values.slice(0, k);
    [v, w] = [next, v];
  }
  throw new Error(`eigen-solver did not converge in ${maxIterations} iterations (m = ${m}, k = ${k})`);
}
