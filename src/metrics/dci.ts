// DCI (Eastwood & Williams 2018): one regressor per factor predicts it from all latent dimensions; the
// regressors' importances R (latent dim x factor) give
// - disentanglement: per dim 1 - entropy (base F) of its importance over factors, weighted by the dim's
//   share of total importance;
// - completeness: per factor 1 - entropy (base D) of its importance over dims, weighted by the factor's
//   share of total importance (as disentanglement_lib);
// - informativeness: held-out prediction quality, accuracy (discrete factors) or R^2 clipped at 0
//   (continuous), averaged over factors. Eastwood & Williams report an error; we report the score so
//   that higher is better for every DCI number.
// Importances come from our random forest (mean decrease in impurity, which favours dimensions with
// many distinct values and is never zero for noise, so a noise latent leaves some entropy), or from the
// absolute lasso coefficients of standardised latents (linear relations only).
import { RandomForest } from '../forest/index.js';
import { fitLasso, rSquared, type Matrix } from './linear.js';
import type { PreparedFactor } from './factors.js';

export interface DciOptions {
  importance: 'forest' | 'lasso';
  /** Trees per factor's forest. Default 50. */
  trees: number;
  /** Lasso penalty (on standardised latents). Default 0.01. */
  lassoAlpha: number;
  /** Forest worker threads (0 = calling thread). Default: the forest's default (core count). */
  threads?: number;
  seed: number;
}

export interface DciResult {
  disentanglement: number;
  completeness: number;
  informativeness: number;
  /** Per latent dim: 1 - H_F(P_j). */
  perDimDisentanglement: number[];
  /** Per factor: 1 - H_D(P_k). */
  perFactorCompleteness: number[];
  perFactorInformativeness: number[];
  /** Importance of latent dim j (rows) for factor k (columns), each factor's column summing to 1 (or 0). */
  importance: number[][];
  importanceMethod: 'forest' | 'lasso';
}

function rowsOf(z: Matrix, rows: Int32Array): { data: Float64Array; rows: number; cols: number } {
  const d = z.cols;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) data[i * d + j] = z.data[r * d + j]!;
  });
  return { data, rows: rows.length, cols: d };
}

/** 1 - entropy of a non-negative vector normalised to sum 1, in base `base`; 0 when the vector is all 0. */
function oneMinusEntropy(w: number[], base: number): number {
  const s = w.reduce((a, b) => a + b, 0);
  if (!(s > 0) || base < 2) return 0;
  let h = 0;
  for (const v of w)
    if (v > 0) {
      const p = v / s;
      h -= p * Math.log(p);
    }
  return 1 - h / Math.log(base);
}

export async function dci(
  z: Matrix,
  factors: PreparedFactor[],
  split: { train: Int32Array; test: Int32Array },
  o: DciOptions,
): Promise<DciResult> {
  const d = z.cols;
  const train = rowsOf(z, split.train);
  const test = rowsOf(z, split.test);
  const importance: number[][] = Array.from({ length: d }, () => new Array<number>(factors.length).fill(0));
  const perFactorInformativeness: number[] = [];
  for (let k = 0; k < factors.length; k++) {
    const f = factors[k]!;
    let imp: ArrayLike<number>;
    let info: number;
    if (o.importance === 'lasso') {
      const target = f.discrete ? f.codes : f.values;
      const m = fitLasso(z, target, split.train, o.lassoAlpha);
      imp = Array.from(m.coef, Math.abs);
      const pred = Array.from(split.test, (r) => m.predict(r));
      info = f.discrete
        ? pred.filter((p, i) => Math.round(p) === f.codes[split.test[i]!]).length / pred.length
        : Math.max(
            0,
            rSquared(
              Array.from(split.test, (r) => f.values[r]!),
              pred,
            ),
          );
    } else {
      const forest = new RandomForest({
        task: f.discrete ? 'classification' : 'regression',
        nTrees: o.trees,
        maxFeatures: 'all',
        seed: (o.seed + 7919 * k) >>> 0,
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      });
      const target = f.discrete ? Float64Array.from(split.train, (r) => f.codes[r]!) : Float64Array.from(split.train, (r) => f.values[r]!);
      await forest.fit(train, target);
      imp = forest.featureImportances;
      const pred = forest.predict(test);
      info = f.discrete
        ? Array.from(pred).filter((p, i) => p === f.codes[split.test[i]!]).length / pred.length
        : Math.max(
            0,
            rSquared(
              Array.from(split.test, (r) => f.values[r]!),
              pred,
            ),
          );
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += imp[j]!;
    for (let j = 0; j < d; j++) importance[j]![k] = s > 0 ? imp[j]! / s : 0;
    perFactorInformativeness.push(info);
  }
  const total = importance.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  const perDimDisentanglement = importance.map((row) => oneMinusEntropy(row, factors.length));
  const perFactorCompleteness = factors.map((_, k) =>
    oneMinusEntropy(
      importance.map((row) => row[k]!),
      d,
    ),
  );
  const dimWeight = importance.map((row) => row.reduce((a, b) => a + b, 0) / (total || 1));
  const factorWeight = factors.map((_, k) => importance.reduce((a, row) => a + row[k]!, 0) / (total || 1));
  return {
    disentanglement: perDimDisentanglement.reduce((a, v, j) => a + v * dimWeight[j]!, 0),
    completeness: perFactorCompleteness.reduce((a, v, k) => a + v * factorWeight[k]!, 0),
    informativeness: perFactorInformativeness.reduce((a, b) => a + b, 0) / factors.length,
    perDimDisentanglement,
    perFactorCompleteness,
    perFactorInformativeness,
    importance,
    importanceMethod: o.importance,
  };
}
