// Per-case permutation importance with the Brier score, marginal and conditional: the statistic behind
// every verdict of rankFeatureMaps (see rank.ts for the test built on it).
//
// For one fitted forest and its evaluation cases, each case i gets
//     d_i = mean over `repeats` draws of Brier(case i with map g replaced) - Brier(case i),
// Brier(p, y) = sum_k (p_k - 1[y = k])^2 of the forest's averaged class probabilities. The Brier score is
// a proper scoring rule, bounded in [0, 2], and it still moves when AUC or accuracy are saturated.
//
// Two ways to replace map g (all of its columns together, the same draw for every column):
// - marginal: the map's bin codes taken from another evaluation case (a permutation among them). The
//   null it tests is "the map is independent of the label AND of the other maps" — every map of an
//   autoencoder is associated with the other maps, so this says the forest relies on the map, not that
//   the map adds anything the other maps lack.
// - conditional: each column x_c of map g is regressed (ordinary least squares with a small ridge) on the
//   per-map means of all other maps, fitted on the forest's training rows; the replacement is
//   prediction + residual of another evaluation case (one permutation shared by the map's columns), re-
//   binned with the forest's bin edges. If the relation to the other maps' means is linear with
//   exchangeable residuals, this samples from x_g | x_-g, and the test is Watson & Wright's conditional
//   predictive impact (CPI, Machine Learning 2021): "does map g carry label information that the other
//   maps do not?". A non-linear (or heteroscedastic) relation leaves dependence in the residuals, which
//   the permutation breaks: the draw can land where no real case lies, and the test can then flag
//   information that the other maps do carry, non-linearly. It errs towards the marginal answer.
//
// Trees are walked on bin codes, as in permutation.ts: each (tree, case) path is walked once unreplaced;
// a replaced walk is needed only where that path reads map g.

import { type BinnedMatrix, type RandomForest } from '../../forest/index.js';
import { Random, deriveSeed } from '../../core/random.js';
import { auc } from '../../core/stats.js';

/** Coefficients of the conditional sampler of one fit: every column regressed on the other maps' means. */
export interface ConditionalSampler {
  nGroups: number;
  /** coef[c * nGroups + h]: weight of map h's (centred) mean in column c's prediction (0 for c's own map). */
  coef: Float64Array;
  /** Training-row mean of each map's mean (the centring). */
  mapCentre: Float64Array;
  /** Training-row mean of each column (the intercept, since the regressors are centred). */
  colCentre: Float64Array;
}

/**
 * Per-map means of the raw features: out[g * rows + r] = mean of map g's columns in row r.
 * `data` is row-major rows x cols.
 */
export function mapMeans(data: ArrayLike<number>, rows: number, cols: number, groupOf: Int32Array, nGroups: number): Float64Array {
  const out = new Float64Array(nGroups * rows);
  const cnt = new Int32Array(nGroups);
  for (let c = 0; c < cols; c++) cnt[groupOf[c]]++;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[groupOf[c] * rows + r] += data[base + c];
  }
  for (let g = 0; g < nGroups; g++) {
    if (cnt[g] === 0) continue;
    const inv = 1 / cnt[g];
    for (let r = 0; r < rows; r++) out[g * rows + r] *= inv;
  }
  return out;
}

/**
 * Fits the conditional sampler on `trainRows`: for every column c of map k, least squares of x_c on the
 * centred means of all maps h != k, with ridge `ridge * mean diagonal` added to the Gram matrix (so
 * collinear or constant maps stay solvable; the intercept is not penalised).
 */
export function fitConditionalSampler(
  data: ArrayLike<number>,
  rows: number,
  cols: number,
  groupOf: Int32Array,
  nGroups: number,
  means: Float64Array,
  trainRows: ArrayLike<number>,
  ridge = 1e-3,
): ConditionalSampler {
  const G = nGroups;
  const d = cols;
  const nt = trainRows.length;
  const mapCentre = new Float64Array(G);
  const colCentre = new Float64Array(d);
  for (let i = 0; i < nt; i++) {
    const r = trainRows[i];
    for (let h = 0; h < G; h++) mapCentre[h] += means[h * rows + r];
    const base = r * d;
    for (let c = 0; c < d; c++) colCentre[c] += data[base + c];
  }
  for (let h = 0; h < G; h++) mapCentre[h] /= Math.max(1, nt);
  for (let c = 0; c < d; c++) colCentre[c] /= Math.max(1, nt);
  // Centred Gram of the map means (G x G) and cross products with every column (G x d).
  const S = new Float64Array(G * G);
  const C = new Float64Array(G * d);
  const mm = new Float64Array(G);
  for (let i = 0; i < nt; i++) {
    const r = trainRows[i];
    for (let h = 0; h < G; h++) mm[h] = means[h * rows + r] - mapCentre[h];
    for (let h = 0; h < G; h++) for (let h2 = h; h2 < G; h2++) S[h * G + h2] += mm[h] * mm[h2];
    const base = r * d;
    for (let c = 0; c < d; c++) {
      const xc = data[base + c] - colCentre[c];
      if (xc === 0) continue;
      for (let h = 0; h < G; h++) C[h * d + c] += mm[h] * xc;
    }
  }
  for (let h = 0; h < G; h++) for (let h2 = 0; h2 < h; h2++) S[h * G + h2] = S[h2 * G + h];
  const coef = new Float64Array(d * G);
  const p = G - 1;
  if (p > 0) {
    const others = new Int32Array(p);
    const A = new Float64Array(p * p);
    const b = new Float64Array(p);
    for (let k = 0; k < G; k++) {
      let j = 0;
      for (let h = 0; h < G; h++) if (h !== k) others[j++] = h;
      let trace = 0;
      for (let a = 0; a < p; a++) {
        for (let a2 = 0; a2 < p; a2++) A[a * p + a2] = S[others[a] * G + others[a2]];
        trace += A[a * p + a];
      }
      const lambda = ridge * (trace / p) + 1e-12;
      for (let a = 0; a < p; a++) A[a * p + a] += lambda;
      cholesky(A, p);
      for (let c = 0; c < d; c++) {
        if (groupOf[c] !== k) continue;
        for (let a = 0; a < p; a++) b[a] = C[others[a] * d + c];
        choleskySolve(A, p, b);
        for (let a = 0; a < p; a++) coef[c * G + others[a]] = b[a];
      }
    }
  }
  return { nGroups: G, coef, mapCentre, colCentre };
}

/** In-place Cholesky factor (lower triangle) of a symmetric positive definite p x p matrix. */
function cholesky(A: Float64Array, p: number): void {
  for (let j = 0; j < p; j++) {
    let s = A[j * p + j];
    for (let k = 0; k < j; k++) s -= A[j * p + k] * A[j * p + k];
    const l = Math.sqrt(Math.max(s, 1e-300));
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let t = A[i * p + j];
      for (let k = 0; k < j; k++) t -= A[i * p + k] * A[j * p + k];
      A[i * p + j] = t / l;
    }
  }
}

/** Solves L L^T x = b in place (L from `cholesky`). */
function choleskySolve(L: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * b[k];
    b[i] = s / L[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * b[k];
    b[i] = s / L[i * p + i];
  }
}

export interface CaseImportanceOptions {
  /** Column → map. */
  groupOf: Int32Array;
  nGroups: number;
  /** Evaluation rows (indices into the binned matrix). */
  rows: ArrayLike<number>;
  /** Out-of-bag mode: the forest's training rows; each tree then only predicts the rows out of its bootstrap sample. */
  oobTrainRows?: ArrayLike<number>;
  metric: 'auc' | 'accuracy';
  /** Draws per map and case. */
  repeats: number;
  seed: number;
  /** The conditional sampler and the raw features it needs; null skips the conditional statistic. */
  conditional: { sampler: ConditionalSampler; data: ArrayLike<number>; means: Float64Array } | null;
  onProgress?: (done: number, total: number) => void;
}

export interface CaseImportanceResult {
  /** Evaluation cases with at least one tree predicting them (all of them unless OOB). */
  valid: Uint8Array;
  /** Brier score of each evaluation case, unreplaced. */
  brier: Float64Array;
  /** The metric (AUC or accuracy) on the valid evaluation cases, unreplaced. */
  baseline: number;
  /** marginal[g * m + i]: d_i of map g, marginal replacement (0 for invalid cases). */
  marginal: Float64Array;
  /** The same with the conditional sampler; null when skipped. */
  conditional: Float64Array | null;
  /** marginalDrops[g * repeats + r]: baseline minus the metric with map g replaced (draw r). */
  marginalDrops: Float64Array;
  conditionalDrops: Float64Array | null;
}

/**
 * Per-case Brier importance of every map for one fitted forest on its evaluation rows, marginal and
 * (optionally) conditional, plus the drop in AUC / accuracy per draw. Deterministic in `seed`.
 */
export function caseImportance(
  forest: RandomForest,
  binned: BinnedMatrix,
  yClass: ArrayLike<number>,
  o: CaseImportanceOptions,
): CaseImportanceResult {
  const K = forest.nClasses;
  if (K < 2) throw new Error('importance needs a classifier with at least two classes');
  if (o.metric === 'auc' && K !== 2) throw new Error('AUC needs exactly two classes; use accuracy');
  const T = forest.trees.length;
  const rows = Int32Array.from(o.rows);
  const m = rows.length;
  const n = binned.rows;
  const d = binned.cols;
  const codes = binned.codes;
  const G = o.nGroups;
  const groupOf = o.groupOf;
  const R = Math.max(1, Math.floor(o.repeats));
  const W = Math.max(1, Math.ceil(G / 32));

  // Which (tree, case) pairs count: all, or only out-of-bag ones.
  const include = new Uint8Array(T * m).fill(1);
  if (o.oobTrainRows) {
    const train = Int32Array.from(o.oobTrainRows);
    for (let t = 0; t < T; t++) {
      const counts = forest.inBagCounts(t, train, n);
      for (let i = 0; i < m; i++) if (counts[rows[i]] !== 0) include[t * m + i] = 0;
    }
  }
  // Base leaves, the maps each path reads (W 32-bit words per path), summed leaf values. With at most 32
  // maps, also the first node of each path that reads each map: a replaced map changes nothing above it,
  // so the replaced walk starts there.
  const baseLeaf = new Int32Array(T * m);
  const pathMask = new Int32Array(T * m * W);
  const firstNode = new Int32Array(W === 1 ? T * m * G : 0);
  const acc = new Float64Array(m * K);
  const cnt = new Int32Array(m);
  for (let t = 0; t < T; t++) {
    const { feature, bin, left, right, value } = forest.trees[t];
    for (let i = 0; i < m; i++) {
      if (include[t * m + i] === 0) continue;
      const r = rows[i];
      const mb = (t * m + i) * W;
      let node = 0;
      while (left[node] >= 0) {
        const f = feature[node];
        const g = groupOf[f];
        const bit = 1 << (g & 31);
        if (W === 1 && (pathMask[mb] & bit) === 0) firstNode[mb * G + g] = node;
        pathMask[mb + (g >>> 5)] |= bit;
        node = codes[f * n + r] <= bin[node] ? left[node] : right[node];
      }
      baseLeaf[t * m + i] = node;
      for (let k = 0; k < K; k++) acc[i * K + k] += value[node * K + k];
      cnt[i]++;
    }
  }
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) y[i] = yClass[rows[i]];
  const valid = new Uint8Array(m);
  for (let i = 0; i < m; i++) valid[i] = cnt[i] > 0 ? 1 : 0;
  const brier = new Float64Array(m);
  for (let i = 0; i < m; i++) brier[i] = cnt[i] > 0 ? brierOf(acc, i, cnt[i], y[i], K) : 0;
  const baseline = metricOf(acc, cnt, y, K, o.metric);

  // Columns of each map, and each column's position within its map.
  const members: number[][] = Array.from({ length: G }, () => []);
  const local = new Int32Array(d);
  for (let c = 0; c < d; c++) {
    local[c] = members[groupOf[c]].length;
    members[groupOf[c]].push(c);
  }

  const marginal = new Float64Array(G * m);
  const conditional = o.conditional ? new Float64Array(G * m) : null;
  const marginalDrops = new Float64Array(G * R);
  const conditionalDrops = o.conditional ? new Float64Array(G * R) : null;
  const work = new Float64Array(m * K);
  const perm = new Int32Array(m);
  // Conditional: predictions and residuals of map g's columns on the evaluation cases.
  const maxCols = members.reduce((a, b) => Math.max(a, b.length), 0);
  const rep = new Uint8Array(maxCols * m);
  const pred = o.conditional ? new Float64Array(maxCols * m) : null;
  const resid = o.conditional ? new Float64Array(maxCols * m) : null;

  const replacedPass = (g: number, out: Float64Array, drops: Float64Array, rep: Uint8Array, rg: number): void => {
    work.set(acc);
    const word = g >>> 5;
    const bit = 1 << (g & 31);
    for (let t = 0; t < T; t++) {
      const { feature, bin, left, right, value } = forest.trees[t];
      const tb = t * m;
      for (let i = 0; i < m; i++) {
        if (include[tb + i] === 0) continue;
        if ((pathMask[(tb + i) * W + word] & bit) === 0) continue; // this path never reads map g
        const r = rows[i];
        let node = W === 1 ? firstNode[(tb + i) * G + g] : 0;
        while (left[node] >= 0) {
          const f = feature[node];
          const code = groupOf[f] === g ? rep[local[f] * m + i] : codes[f * n + r];
          node = code <= bin[node] ? left[node] : right[node];
        }
        const b = baseLeaf[tb + i];
        if (node !== b) for (let k = 0; k < K; k++) work[i * K + k] += value[node * K + k] - value[b * K + k];
      }
    }
    const inv = 1 / R;
    for (let i = 0; i < m; i++) if (cnt[i] > 0) out[g * m + i] += (brierOf(work, i, cnt[i], y[i], K) - brier[i]) * inv;
    drops[g * R + rg] = baseline - metricOf(work, cnt, y, K, o.metric);
  };

  for (let g = 0; g < G; g++) {
    const cols = members[g];
    const nc = cols.length;
    if (nc === 0) continue;
    const rngM = new Random(deriveSeed(o.seed, g, 0x6d617267));
    for (let rg = 0; rg < R; rg++) {
      for (let i = 0; i < m; i++) perm[i] = i;
      rngM.shuffle(perm);
      for (let j = 0; j < nc; j++) {
        const src = cols[j] * n;
        for (let i = 0; i < m; i++) rep[j * m + i] = codes[src + rows[perm[i]]];
      }
      replacedPass(g, marginal, marginalDrops, rep, rg);
    }
    if (o.conditional && conditional && conditionalDrops && pred && resid) {
      const { sampler, data, means } = o.conditional;
      const S = sampler.nGroups;
      for (let j = 0; j < nc; j++) {
        const c = cols[j];
        for (let i = 0; i < m; i++) {
          const r = rows[i];
          let p = sampler.colCentre[c];
          for (let h = 0; h < S; h++) {
            const w = sampler.coef[c * S + h];
            if (w !== 0) p += w * (means[h * n + r] - sampler.mapCentre[h]);
          }
          pred[j * m + i] = p;
          resid[j * m + i] = data[r * d + c] - p;
        }
      }
      const rngC = new Random(deriveSeed(o.seed, g, 0x636f6e64));
      for (let rg = 0; rg < R; rg++) {
        for (let i = 0; i < m; i++) perm[i] = i;
        rngC.shuffle(perm);
        for (let j = 0; j < nc; j++) {
          const e = binned.edges[cols[j]];
          for (let i = 0; i < m; i++) rep[j * m + i] = binOf(e, pred[j * m + i] + resid[j * m + perm[i]]);
        }
        replacedPass(g, conditional, conditionalDrops, rep, rg);
      }
    }
    o.onProgress?.(g + 1, G);
  }
  return { valid, brier, baseline, marginal, conditional, marginalDrops, conditionalDrops };
}

/** Bin of a raw value under cut points `e`: the number of edges below v (as applyBins). */
function binOf(e: Float64Array, v: number): number {
  let lo = 0;
  let hi = e.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (e[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Brier score sum_k (p_k - 1[y = k])^2 of case i's averaged leaf values. */
function brierOf(acc: Float64Array, i: number, cnt: number, y: number, K: number): number {
  let s = 0;
  const inv = 1 / cnt;
  for (let k = 0; k < K; k++) {
    const e = acc[i * K + k] * inv - (k === y ? 1 : 0);
    s += e * e;
  }
  return s;
}

function metricOf(acc: Float64Array, cnt: Int32Array, y: Int32Array, K: number, metric: 'auc' | 'accuracy'): number {
  const m = cnt.length;
  if (metric === 'auc') {
    const s: number[] = [];
    const pos: number[] = [];
    for (let i = 0; i < m; i++) {
      if (cnt[i] === 0) continue;
      s.push(acc[i * K + 1] / cnt[i]);
      pos.push(y[i] === 1 ? 1 : 0);
    }
    return auc(s, pos);
  }
  let correct = 0;
  let tot = 0;
  for (let i = 0; i < m; i++) {
    if (cnt[i] === 0) continue;
    let best = 0;
    for (let k = 1; k < K; k++) if (acc[i * K + k] > acc[i * K + best]) best = k;
    if (best === y[i]) correct++;
    tot++;
  }
  return tot > 0 ? correct / tot : NaN;
}
