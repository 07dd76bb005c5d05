// Metrics that need no factors: a Gaussian total-correlation estimate and the active-unit count.
import { columnVariance } from './factors.js';
import type { Matrix } from './linear.js';

export interface TotalCorrelationResult {
  /**
   * TC = sum_j H(z_j) - H(z) for a Gaussian with the latents' covariance:
   * 0.5 (sum_j log var_j - log det Cov), in nats; 0 when the dimensions are uncorrelated.
   */
  nats: number;
  /** Dimensions used (those with variance above 1e-12 of the largest; a constant one would make det 0). */
  dims: number[];
}

/**
 * Total correlation under a Gaussian assumption on the posterior means. It sees only linear
 * (second-order) dependence: dimensions related non-linearly, or independent given their variances,
 * can read 0. Estimated on the aggregate means, not on sampled latents.
 */
export function gaussianTotalCorrelation(z: Matrix): TotalCorrelationResult {
  const d = z.cols;
  const n = z.rows;
  const variance = columnVariance(z);
  const maxVar = Math.max(0, ...variance);
  const dims = Array.from({ length: d }, (_, j) => j).filter((j) => variance[j]! > 1e-12 * maxVar && variance[j]! > 0);
  const m = dims.length;
  if (m < 2) return { nats: 0, dims };
  const mean = dims.map((j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += z.data[i * d + j]!;
    return s / n;
  });
  // Correlation matrix: log det Corr = log det Cov - sum log var, so TC = -0.5 log det Corr.
  const c = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < m; a++) {
      const xa = z.data[i * d + dims[a]!]! - mean[a]!;
      for (let b = a; b < m; b++) c[a * m + b] += xa * (z.data[i * d + dims[b]!]! - mean[b]!);
    }
  }
  for (let a = 0; a < m; a++)
    for (let b = a; b < m; b++) {
      const v = c[a * m + b]! / n / Math.sqrt(variance[dims[a]!]! * variance[dims[b]!]!);
      c[a * m + b] = v;
      c[b * m + a] = v;
    }
  // Cholesky: log det = 2 sum log L_ii. A near-singular matrix (a duplicated dimension) gives a large TC.
  let logDet = 0;
  for (let j = 0; j < m; j++) {
    let s = c[j * m + j]!;
    for (let k = 0; k < j; k++) s -= c[j * m + k]! ** 2;
    const ljj = Math.sqrt(Math.max(s, 1e-300));
    c[j * m + j] = ljj;
    logDet += 2 * Math.log(ljj);
    for (let i = j + 1; i < m; i++) {
      let t = c[i * m + j]!;
      for (let k = 0; k < j; k++) t -= c[i * m + k]! * c[j * m + k]!;
      c[i * m + j] = t / ljj;
    }
  }
  return { nats: Math.max(0, -0.5 * logDet), dims };
}

export { activeUnits, type ActiveUnitsResult } from '../core/active-units.js';
