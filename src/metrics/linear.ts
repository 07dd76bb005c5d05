// Linear models in plain TypeScript for the metrics and TCAV: L2-regularised softmax (multinomial
// logistic) regression fitted with L-BFGS, lasso by coordinate descent, and the scores they are judged by.
// Features are standardised inside each fit for conditioning; weights are returned in raw feature units,
// so a binary model's weight vector is the normal of its decision boundary in the caller's space (a CAV).
import { lbfgs } from './lbfgs.js';

/** Row-major matrix of `rows` x `cols` numbers. */
import type { Matrix } from '../core/table.js';

export type { Matrix };

export interface LogisticOptions {
  /** L2 penalty on the weights of the standardised features (per-sample loss + l2/2 |W|^2). Default 1e-3. */
  l2?: number;
  /** Most L-BFGS iterations. Default 200. */
  maxIter?: number;
}

/** A fitted softmax regression: logits = W x + b, in raw feature units. */
export interface LogisticModel {
  classes: number;
  cols: number;
  /** classes x cols, row-major. */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  converged: boolean;
}

/** Column means and standard deviations (population); constant columns get sd 1 so they stay inert. */
export function columnStats(x: Matrix, rows?: ArrayLike<number>): { mean: Float64Array; sd: Float64Array } {
  const d = x.cols;
  const idx = rows ?? Array.from({ length: x.rows }, (_, i) => i);
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let r = 0; r < idx.length; r++) {
    const o = idx[r]! * d;
    for (let j = 0; j < d; j++) mean[j] += x.data[o + j]!;
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, idx.length);
  for (let r = 0; r < idx.length; r++) {
    const o = idx[r]! * d;
    for (let j = 0; j < d; j++) {
      const v = x.data[o + j]! - mean[j]!;
      sd[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sd[j]! / Math.max(1, idx.length));
    sd[j] = s > 1e-12 ? s : 1;
  }
  return { mean, sd };
}

/** The chosen rows of x, standardised with the given stats, as a dense Float64Array. */
function standardRows(x: Matrix, rows: ArrayLike<number>, mean: Float64Array, sd: Float64Array): Float64Array {
  const d = x.cols;
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r]! * d;
    for (let j = 0; j < d; j++) out[r * d + j] = (x.data[o + j]! - mean[j]!) / sd[j]!;
  }
  return out;
}

/**
 * Fits softmax regression of labels y (0..classes-1) on the given rows of x (default all).
 * Two classes give the usual logistic regression (the class-1 direction is `weights[1] - weights[0]`).
 */
export function fitLogistic(
  x: Matrix,
  y: ArrayLike<number>,
  classes: number,
  o: LogisticOptions & { rows?: ArrayLike<number> } = {},
): LogisticModel {
  const rows = o.rows ?? Array.from({ length: x.rows }, (_, i) => i);
  const l2 = o.l2 ?? 1e-3;
  const d = x.cols;
  const n = rows.length;
  const { mean, sd } = columnStats(x, rows);
  const xs = standardRows(x, rows, mean, sd);
  const labels = Int32Array.from(rows, (r) => y[r]!);
  const nw = classes * d;
  const logits = new Float64Array(classes);
  const objective = (w: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let mx = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = w[nw + c]!;
        const wo = c * d;
        for (let j = 0; j < d; j++) s += w[wo + j]! * xs[xo + j]!;
        logits[c] = s;
        if (s > mx) mx = s;
      }
      let z = 0;
      for (let c = 0; c < classes; c++) {
        logits[c] = Math.exp(logits[c]! - mx);
        z += logits[c]!;
      }
      const yi = labels[i]!;
      loss -= Math.log(logits[yi]! / z);
      for (let c = 0; c < classes; c++) {
        const r = logits[c]! / z - (c === yi ? 1 : 0);
        if (r === 0) continue;
        const wo = c * d;
        for (let j = 0; j < d; j++) g[wo + j] += r * xs[xo + j]!;
        g[nw + c] += r;
      }
    }
    loss /= n;
    for (let k = 0; k < nw + classes; k++) g[k] /= n;
    for (let k = 0; k < nw; k++) {
      loss += 0.5 * l2 * w[k]! * w[k]!;
      g[k] += l2 * w[k]!;
    }
    return loss;
  };
  const res = lbfgs(objective, new Float64Array(nw + classes), { maxIter: o.maxIter ?? 200 });
  // Back to raw units: W' (x - mu)/sd + b = (W'/sd) x + (b - W' mu/sd).
  const weights = new Float64Array(nw);
  const bias = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = res.w[nw + c]!;
    for (let j = 0; j < d; j++) {
      const wr = res.w[c * d + j]! / sd[j]!;
      weights[c * d + j] = wr;
      b -= wr * mean[j]!;
    }
    bias[c] = b;
  }
  return { classes, cols: d, weights, bias, iterations: res.iterations, converged: res.converged };
}

/** Class probabilities of the given rows (rows x classes, row-major). */
export function predictProba(m: LogisticModel, x: Matrix, rows: ArrayLike<number>): Float64Array {
  const { classes, cols: d } = m;
  const out = new Float64Array(rows.length * classes);
  for (let r = 0; r < rows.length; r++) {
    const xo = rows[r]! * d;
    let mx = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = m.bias[c]!;
      for (let j = 0; j < d; j++) s += m.weights[c * d + j]! * x.data[xo + j]!;
      out[r * classes + c] = s;
      if (s > mx) mx = s;
    }
    let z = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(out[r * classes + c]! - mx);
      out[r * classes + c] = e;
      z += e;
    }
    for (let c = 0; c < classes; c++) out[r * classes + c] /= z;
  }
  return out;
}

/** Fraction of rows whose most probable class is their label. */
export function accuracy(m: LogisticModel, x: Matrix, y: ArrayLike<number>, rows: ArrayLike<number>): number {
  const p = predictProba(m, x, rows);
  let hit = 0;
  for (let r = 0; r < rows.length; r++) {
    let best = 0;
    for (let c = 1; c < m.classes; c++) if (p[r * m.classes + c]! > p[r * m.classes + best]!) best = c;
    if (best === y[rows[r]!]) hit++;
  }
  return rows.length ? hit / rows.length : NaN;
}

/** Coefficient of determination of predictions `yHat` for `y`; 0 for a constant target. */
export function rSquared(y: ArrayLike<number>, yHat: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]!;
  mean /= y.length;
  let ssRes = 0,
    ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i]! - yHat[i]!) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : 0;
}

/**
 * Lasso (squared loss / 2n + alpha |w|_1) of y on the standardised columns of x, by cyclic coordinate
 * descent. Returns the coefficients of the standardised columns (comparable as importances) and a
 * predictor in raw units.
 */
export function fitLasso(
  x: Matrix,
  y: ArrayLike<number>,
  rows: ArrayLike<number>,
  alpha = 0.01,
  maxIter = 500,
): { coef: Float64Array; predict: (r: number) => number } {
  const d = x.cols;
  const n = rows.length;
  const { mean, sd } = columnStats(x, rows);
  const xs = standardRows(x, rows, mean, sd);
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[rows[i]!]!;
  ym /= n;
  const resid = Float64Array.from(rows, (r) => y[r]! - ym);
  const coef = new Float64Array(d);
  const colSq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) colSq[j] += xs[i * d + j]! ** 2 / n;
  for (let it = 0; it < maxIter; it++) {
    let maxDelta = 0;
    for (let j = 0; j < d; j++) {
      if (colSq[j] === 0) continue;
      let rho = 0;
      for (let i = 0; i < n; i++) rho += xs[i * d + j]! * resid[i]!;
      rho = rho / n + colSq[j]! * coef[j]!;
      const next = (Math.sign(rho) * Math.max(0, Math.abs(rho) - alpha)) / colSq[j]!;
      const delta = next - coef[j]!;
      if (delta !== 0) {
        for (let i = 0; i < n; i++) resid[i] -= delta * xs[i * d + j]!;
        coef[j] = next;
        maxDelta = Math.max(maxDelta, Math.abs(delta));
      }
    }
    if (maxDelta < 1e-7) break;
  }
  const predict = (r: number): number => {
    let s = ym;
    for (let j = 0; j < d; j++) s += (coef[j]! * (x.data[r * d + j]! - mean[j]!)) / sd[j]!;
    return s;
  };
  return { coef, predict };
}
