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
// a replaced walk is needed only where that path reads map g. The replaced walks (cpi-walk.ts) are
// spread over the forest's worker pool, a few maps per job; results do not depend on the split.

import { sharedArray, sharedCopy, toShared, type BinnedMatrix, type RandomForest } from '../../forest/index.js';
import { brierOf, groupPasses, metricOf, type CaseWalk, type GroupPasses } from './cpi-walk.js';

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
  conditional: { sampler: ConditionalSampler; data: Float32Array | Float64Array; means: Float64Array } | null;
  /** Called as maps finish (in completion order when spread over workers). */
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
 * (optionally) conditional, plus the drop in AUC / accuracy per draw. Deterministic in `seed`, and the
 * same whether the maps' walks run on the forest's workers or (forest `threads: 0`) in the calling thread.
 */
export async function caseImportance(
  forest: RandomForest,
  binned: BinnedMatrix,
  yClass: ArrayLike<number>,
  o: CaseImportanceOptions,
): Promise<CaseImportanceResult> {
  const { walk, valid } = caseWalk(forest, binned, yClass, o);
  const result = await runPasses(walk, forest, o.onProgress);
  return { valid, brier: walk.brier, baseline: walk.baseline, ...result };
}

/**
 * Everything the replaced walks read (cpi-walk.ts), in shared memory: the packed trees, and each
 * (tree, case) path's base leaf, the maps it reads and where it first reads each.
 */
export function caseWalk(
  forest: RandomForest,
  binned: BinnedMatrix,
  yClass: ArrayLike<number>,
  o: Omit<CaseImportanceOptions, 'onProgress'>,
): { walk: CaseWalk; valid: Uint8Array } {
  const K = forest.nClasses;
  if (K < 2) throw new Error('importance needs a classifier with at least two classes');
  if (o.metric === 'auc' && K !== 2) throw new Error('AUC needs exactly two classes; use accuracy');
  const G = o.nGroups;
  if (o.conditional && o.conditional.sampler.nGroups !== G)
    throw new Error(`the conditional sampler has ${o.conditional.sampler.nGroups} maps, not ${G}`);
  const T = forest.trees.length;
  const rows = sharedCopy(Int32Array, o.rows);
  const m = rows.length;
  const n = binned.rows;
  const groupOf = o.groupOf;
  const W = Math.max(1, Math.ceil(G / 32));
  const trees = packTrees(forest, K);
  const { treeStart, feature, bin, left, right, value } = trees;

  // Which (tree, case) pairs count: all, or only out-of-bag ones.
  const include = sharedArray(Uint8Array, T * m).fill(1);
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
  const codes = toShared(binned.codes);
  const baseLeaf = sharedArray(Int32Array, T * m);
  const pathMask = sharedArray(Int32Array, T * m * W);
  const firstNode = sharedArray(Int32Array, W === 1 ? T * m * G : 0);
  const acc = sharedArray(Float64Array, m * K);
  const cnt = sharedArray(Int32Array, m);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < m; i++) {
      if (include[t * m + i] === 0) continue;
      const r = rows[i];
      const mb = (t * m + i) * W;
      let node = treeStart[t];
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
  const y = sharedArray(Int32Array, m);
  for (let i = 0; i < m; i++) y[i] = yClass[rows[i]];
  const valid = new Uint8Array(m);
  for (let i = 0; i < m; i++) valid[i] = cnt[i] > 0 ? 1 : 0;
  const brier = sharedArray(Float64Array, m);
  for (let i = 0; i < m; i++) brier[i] = cnt[i] > 0 ? brierOf(acc, i, cnt[i], y[i], K) : 0;
  const baseline = metricOf(acc, cnt, y, K, o.metric);

  const c = o.conditional;
  const walk: CaseWalk = {
    ...trees,
    codes,
    n,
    d: binned.cols,
    K,
    rows,
    groupOf: toShared(groupOf),
    nGroups: G,
    W,
    repeats: Math.max(1, Math.floor(o.repeats)),
    metric: o.metric,
    seed: o.seed,
    include,
    pathMask,
    firstNode,
    baseLeaf,
    acc,
    cnt,
    y,
    brier,
    baseline,
    conditional: c
      ? {
          coef: c.sampler.coef,
          mapCentre: c.sampler.mapCentre,
          colCentre: c.sampler.colCentre,
          data: toShared(c.data),
          means: toShared(c.means),
          ...packEdges(binned.edges),
        }
      : null,
  };
  return { walk, valid };
}

/** Every map's walks, a few maps per job on the forest's workers (or all here), merged in map order. */
async function runPasses(
  walk: CaseWalk,
  forest: RandomForest,
  onProgress: CaseImportanceOptions['onProgress'],
): Promise<Pick<CaseImportanceResult, 'marginal' | 'conditional' | 'marginalDrops' | 'conditionalDrops'>> {
  const G = walk.nGroups;
  const m = walk.rows.length;
  const R = walk.repeats;
  const marginal = new Float64Array(G * m);
  const conditional = walk.conditional ? new Float64Array(G * m) : null;
  const marginalDrops = new Float64Array(G * R);
  const conditionalDrops = walk.conditional ? new Float64Array(G * R) : null;
  let done = 0;
  const merge = (p: GroupPasses): void => {
    p.groups.forEach((g, j) => {
      marginal.set(p.marginal.subarray(j * m, (j + 1) * m), g * m);
      marginalDrops.set(p.marginalDrops.subarray(j * R, (j + 1) * R), g * R);
      conditional?.set(p.conditional!.subarray(j * m, (j + 1) * m), g * m);
      conditionalDrops?.set(p.conditionalDrops!.subarray(j * R, (j + 1) * R), g * R);
    });
    done += p.groups.length;
    onProgress?.(done, G);
  };
  const pool = forest.workerPool();
  if (pool === null) {
    for (let g = 0; g < G; g++) merge(groupPasses(walk, [g]));
  } else {
    // About four jobs per worker, so one slow map does not leave the other workers idle at the end.
    const per = Math.max(1, Math.ceil(G / (4 * pool.size)));
    const jobs: number[][] = [];
    for (let g0 = 0; g0 < G; g0 += per) jobs.push(Array.from({ length: Math.min(per, G - g0) }, (_, j) => g0 + j));
    const url = new URL('./cpi-walk.js', import.meta.url).href;
    await Promise.all(jobs.map((groups) => pool.call<GroupPasses>(url, 'groupPasses', [walk, groups]).then(merge)));
  }
  return { marginal, conditional, marginalDrops, conditionalDrops };
}

/** The forest's trees end to end in shared arrays, with global node indices. */
function packTrees(forest: RandomForest, K: number): Pick<CaseWalk, 'treeStart' | 'feature' | 'bin' | 'left' | 'right' | 'value'> {
  const T = forest.trees.length;
  const treeStart = sharedArray(Int32Array, T + 1);
  for (let t = 0; t < T; t++) treeStart[t + 1] = treeStart[t] + forest.trees[t].feature.length;
  const N = treeStart[T];
  const feature = sharedArray(Int32Array, N);
  const bin = sharedArray(Uint8Array, N);
  const left = sharedArray(Int32Array, N);
  const right = sharedArray(Int32Array, N);
  const value = sharedArray(Float64Array, N * K);
  for (let t = 0; t < T; t++) {
    const tr = forest.trees[t];
    const s = treeStart[t];
    feature.set(tr.feature, s);
    bin.set(tr.bin, s);
    value.set(tr.value, s * K);
    for (let v = 0; v < tr.left.length; v++) {
      left[s + v] = tr.left[v] < 0 ? tr.left[v] : tr.left[v] + s;
      right[s + v] = tr.right[v] < 0 ? tr.right[v] : tr.right[v] + s;
    }
  }
  return { treeStart, feature, bin, left, right, value };
}

function packEdges(edges: Float64Array[]): { edges: Float64Array; edgeStart: Int32Array } {
  const edgeStart = sharedArray(Int32Array, edges.length + 1);
  for (let c = 0; c < edges.length; c++) edgeStart[c + 1] = edgeStart[c] + edges[c].length;
  const flat = sharedArray(Float64Array, edgeStart[edges.length]);
  edges.forEach((e, c) => flat.set(e, edgeStart[c]));
  return { edges: flat, edgeStart };
}
