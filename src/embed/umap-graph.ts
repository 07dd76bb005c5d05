// UMAP's fuzzy simplicial set (McInnes et al. 2018, as umap-learn computes it): exact kNN with self
// counted as the first of n_neighbors, per-point rho (distance to the nearest neighbour) and sigma
// tuned so that sum exp(-(d - rho) / sigma) = log2(n_neighbors), then the fuzzy union
// w_ij + w_ji - w_ij w_ji. Also the a, b of the low-dimensional curve from min_dist and spread.
import { exactKnn } from './knn.js';
import { symmetrizeKnn, type Csr } from './sparse.js';

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

export function fuzzySimplicialSet(data: Float32Array | Float64Array, n: number, d: number, nNeighbors: number, threads = 1): Csr {
  const k = Math.min(n - 1, nNeighbors - 1);
  const knn = exactKnn(data, n, d, k, threads);
  const dist = knn.sqDistances.map(Math.sqrt);
  let meanAll = 0;
  for (let e = 0; e < dist.length; e++) meanAll += dist[e];
  meanAll /= dist.length;
  const target = Math.log2(nNeighbors);
  const weights = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let rho = 0;
    let meanRow = 0;
    for (let a = 0; a < k; a++) {
      meanRow += dist[off + a];
      if (rho === 0 && dist[off + a] > 0) rho = dist[off + a];
    }
    meanRow /= k;
    let lo = 0,
      hi = Infinity,
      mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let a = 0; a < k; a++) {
        const t = dist[off + a] - rho;
        psum += t > 0 ? Math.exp(-t / mid) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const sigma = Math.max(mid, MIN_K_DIST_SCALE * (rho > 0 ? meanRow : meanAll));
    for (let a = 0; a < k; a++) {
      const t = dist[off + a] - rho;
      weights[off + a] = t <= 0 ? 1 : Math.exp(-t / sigma);
    }
  }
  return symmetrizeKnn(n, k, knn.indices, weights, (a, b) => a + b - a * b);
}

/**
 * The a, b of 1 / (1 + a d^(2b)) fitted (Levenberg-Marquardt, least squares on 300 points of
 * [0, 3 spread]) to 1 for d < minDist and exp(-(d - minDist) / spread) beyond, as umap-learn's find_ab_params.
 */
export function findABParams(spread: number, minDist: number): { a: number; b: number } {
  const m = 300;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    xs[i] = (3 * spread * i) / (m - 1);
    ys[i] = xs[i] < minDist ? 1 : Math.exp(-(xs[i] - minDist) / spread);
  }
  const cost = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < m; i++) s += (1 / (1 + a * Math.pow(xs[i], 2 * b)) - ys[i]) ** 2;
    return s;
  };
  let a = 1,
    b = 1,
    lambda = 1e-3;
  let current = cost(a, b);
  for (let it = 0; it < 500; it++) {
    let jaa = 0,
      jab = 0,
      jbb = 0,
      ga = 0,
      gb = 0;
    for (let i = 0; i < m; i++) {
      const x = xs[i];
      const u = x > 0 ? Math.pow(x, 2 * b) : 0;
      const den = 1 + a * u;
      const r = 1 / den - ys[i];
      const da = -u / (den * den);
      const db = x > 0 ? (-a * u * 2 * Math.log(x)) / (den * den) : 0;
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * r;
      gb += db * r;
    }
    const maa = jaa * (1 + lambda),
      mbb = jbb * (1 + lambda);
    const det = maa * mbb - jab * jab;
    const stepA = -(mbb * ga - jab * gb) / det;
    const stepB = -(maa * gb - jab * ga) / det;
    const next = cost(a + stepA, b + stepB);
    if (next < current) {
      a += stepA;
      b += stepB;
      const improved = current - next;
      current = next;
      lambda /= 10;
      if (improved < 1e-15 * Math.max(current, 1e-300) || (Math.abs(stepA) < 1e-12 && Math.abs(stepB) < 1e-12)) break;
    } else {
      lambda *= 10;
      if (lambda > 1e12) break;
    }
  }
  return { a, b };
}
