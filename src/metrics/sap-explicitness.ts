// SAP (Kumar et al. 2018) and explicitness (Ridgeway & Mozer 2018): how predictable each factor is
// from single latent dimensions (SAP) and from all of them linearly (explicitness).
import { column, type PreparedFactor } from './factors.js';
import { auc as rocAuc, correlationSums } from '../core/stats.js';
import { fitLogistic, predictProba, type Matrix } from './linear.js';

export interface SapResult {
  /** Mean over factors of the gap between the best and second-best single-dimension score; 0..1. */
  score: number;
  perFactor: number[];
  /** Score of latent dim j (rows) for factor k (columns). */
  scores: number[][];
}

function squaredCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { sab, saa, sbb } = correlationSums(a, b);
  return saa > 0 && sbb > 0 ? (sab * sab) / (saa * sbb) : 0;
}

/**
 * Chance-corrected held-out accuracy of a one-dimensional nearest-class-mean classifier (for two
 * classes: a threshold halfway between the class means, Kumar's single-dimension classifier).
 */
function singleDimClassScore(z: Float64Array, f: PreparedFactor, split: { train: Int32Array; test: Int32Array }): number {
  const sum = new Float64Array(f.classes);
  const count = new Float64Array(f.classes);
  for (const r of split.train) {
    sum[f.codes[r]!] += z[r]!;
    count[f.codes[r]!]++;
  }
  const means = Array.from(sum, (s, c) => (count[c]! > 0 ? s / count[c]! : NaN));
  let hits = 0;
  const testCount = new Float64Array(f.classes);
  for (const r of split.test) {
    let best = -1,
      bestDist = Infinity;
    means.forEach((m, c) => {
      const dist = Math.abs(z[r]! - m);
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    });
    if (best === f.codes[r]) hits++;
    testCount[f.codes[r]!]++;
  }
  const acc = hits / split.test.length;
  // Majority-class accuracy is what a dimension with no information reaches.
  const majority = Math.max(...testCount) / split.test.length;
  return majority < 1 ? Math.max(0, (acc - majority) / (1 - majority)) : 0;
}

/**
 * SAP. Continuous factors: R^2 of a linear fit on one dimension (squared correlation over all rows).
 * Discrete factors: chance-corrected held-out accuracy of a one-dimensional classifier. The chance
 * correction is ours: with raw accuracy, an uninformative dimension scores the majority rate, which
 * caps discrete factors' gaps well below 1; corrected, 0 means no information for both kinds.
 */
export function sap(z: Matrix, factors: PreparedFactor[], split: { train: Int32Array; test: Int32Array }): SapResult {
  const cols = Array.from({ length: z.cols }, (_, j) => column(z, j));
  const scores = cols.map((c) => factors.map((f) => (f.discrete ? singleDimClassScore(c, f, split) : squaredCorrelation(c, f.values))));
  const perFactor = factors.map((_, k) => {
    const s = scores.map((row) => row[k]!).sort((a, b) => b - a);
    return s.length > 1 ? s[0]! - s[1]! : s[0]!;
  });
  return { score: perFactor.reduce((a, b) => a + b, 0) / perFactor.length, perFactor, scores };
}

export interface ExplicitnessResult {
  /** Mean over factors of the mean one-vs-rest ROC AUC of a softmax regression on all latents; 0.5 (chance) to 1. */
  score: number;
  perFactor: number[];
}

/**
 * Explicitness: a softmax regression from all latent dimensions to each factor's classes (continuous
 * factors: quantile bins), fitted on the training rows; the held-out one-vs-rest AUC of each class,
 * averaged over the classes present in the test rows.
 */
export function explicitness(
  z: Matrix,
  factors: PreparedFactor[],
  split: { train: Int32Array; test: Int32Array },
  l2: number,
): ExplicitnessResult {
  const perFactor = factors.map((f) => {
    if (f.classes < 2) return NaN;
    const model = fitLogistic(z, f.codes, f.classes, { rows: split.train, l2 });
    const p = predictProba(model, z, split.test);
    const aucs: number[] = [];
    for (let c = 0; c < f.classes; c++) {
      const auc = rocAuc(
        Array.from(split.test, (_, i) => p[i * f.classes + c]!),
        Array.from(split.test, (r) => (f.codes[r] === c ? 1 : 0)),
      );
      if (Number.isFinite(auc)) aucs.push(auc);
    }
    return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN;
  });
  const valid = perFactor.filter((v) => Number.isFinite(v));
  return { score: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, perFactor };
}
