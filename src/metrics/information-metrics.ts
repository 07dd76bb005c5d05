// Metrics built on the mutual information between each (discretised) latent dimension and each factor:
// MIG (Chen et al. 2018) and modularity (Ridgeway & Mozer 2018).
//
// Latents are discretised into `bins` equal-width bins over their range (as disentanglement_lib's
// np.histogram with 20 bins): an outlier stretches the range and crowds the rest into few bins. The
// plug-in MI estimate is biased upward by about (bins_z - 1)(classes - 1) / 2N nats, so unrelated pairs
// read slightly above 0, more so with few samples.
import { column, entropy, equalWidthCodes, mutualInformation, type PreparedFactor } from './factors.js';
import type { Matrix } from './linear.js';

/** MI (nats) of latent dim j (rows) and factor k (columns). */
export function mutualInformationMatrix(z: Matrix, factors: PreparedFactor[], bins: number): number[][] {
  const codes = Array.from({ length: z.cols }, (_, j) => equalWidthCodes(column(z, j), bins));
  return codes.map((c) => factors.map((f) => mutualInformation(c, bins, f.codes, f.classes)));
}

export interface MigResult {
  /** Mean over factors of (largest MI - second largest MI) / H(factor); 0..1. */
  score: number;
  perFactor: number[];
  /** Entropy of each factor's classes (nats). */
  factorEntropy: number[];
  /** The latent dimension with the largest MI for each factor. */
  topDim: number[];
}

/** Mutual information gap. Factors with zero entropy (constant) are left out of the mean. */
export function mig(mi: number[][], factors: PreparedFactor[]): MigResult {
  const perFactor: number[] = [];
  const factorEntropy: number[] = [];
  const topDim: number[] = [];
  factors.forEach((f, k) => {
    const h = entropy(f.codes, f.classes);
    const col = mi.map((row) => row[k]!);
    const order = col.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
    const gap = order.length > 1 ? order[0]![0] - order[1]![0] : order[0]![0];
    factorEntropy.push(h);
    topDim.push(order[0]![1]);
    perFactor.push(h > 0 ? gap / h : NaN);
  });
  const valid = perFactor.filter((v) => Number.isFinite(v));
  return { score: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, perFactor, factorEntropy, topDim };
}

export interface ModularityResult {
  /** Mean over latent dimensions of 1 - (squared deviation from "one factor only") / (theta^2 (F - 1)). */
  score: number;
  perDim: number[];
}

/**
 * Modularity: a dimension is modular when its MI is concentrated on one factor. A dimension with
 * zero MI everywhere is left out (Ridgeway & Mozer's formula divides by its largest MI).
 */
export function modularity(mi: number[][]): ModularityResult {
  const perDim = mi.map((row) => {
    const f = row.length;
    const theta = Math.max(...row);
    if (!(theta > 0) || f < 2) return NaN;
    const top = row.indexOf(theta);
    let dev = 0;
    row.forEach((m, k) => {
      if (k !== top) dev += m * m;
    });
    return 1 - dev / (theta * theta * (f - 1));
  });
  const valid = perDim.filter((v) => Number.isFinite(v));
  return { score: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, perDim };
}
