// Grouped ("whole-map") permutation importance of a fitted forest.
//
// Why grouped: the columns of one latent map are strongly correlated (neighbouring cells, or the mean /
// max / std of one map). Permuting one column at a time leaves its correlated siblings intact, so the
// forest barely notices and every column looks unimportant — the map's importance is diluted, and per-
// column rankings mostly reflect which sibling the trees happened to pick. Permuting all columns of a map
// together (the same row permutation for every column) breaks the map's link to the label while keeping
// the map's internal structure, which is what "does the model rely on this map?" asks.
//
// Why not impurity importance: it is measured on the training data, favours high-cardinality features
// and larger groups, and is non-zero for pure noise. Permutation importance on held-out (or OOB) rows
// measures reliance on the map for prediction; PIMP (pimp.ts) then turns it into a p-value.

import { deriveSeed, Rng, type BinnedMatrix, type RandomForest } from '../../forest/index.js';
import { auc } from './stats.js';

export interface GroupPermutationOptions {
  /** Column → group. */
  groupOf: ArrayLike<number>;
  nGroups: number;
  /** Rows the importance is measured on (indices into the binned matrix). */
  rows: ArrayLike<number>;
  /**
   * Out-of-bag mode: the forest's training rows. Each tree then only predicts the evaluation rows that
   * were out of its bootstrap sample (`rows` should be those training rows).
   */
  oobTrainRows?: ArrayLike<number>;
  metric: 'auc' | 'accuracy';
  /** Permutations per group. */
  repeats: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GroupPermutationResult {
  /** Metric of the unpermuted forest on the evaluation rows. */
  baseline: number;
  /** drops[g * repeats + r]: baseline minus the metric with group g permuted (repeat r). */
  drops: Float64Array;
}

/**
 * Drop in AUC or accuracy when each group's columns are permuted together, `repeats` times each.
 * `yClass` holds class indices (into forest.classes) per binned row. Deterministic in `seed`.
 */
export function groupPermutationImportance(
  forest: RandomForest,
  binned: BinnedMatrix,
  yClass: ArrayLike<number>,
  o: GroupPermutationOptions,
): GroupPermutationResult {
  const K = forest.nClasses;
  if (K < 2) throw new Error('permutation importance needs a classifier with at least two classes');
  if (o.metric === 'auc' && K !== 2) throw new Error('AUC needs exactly two classes; use accuracy');
  const T = forest.trees.length;
  const m = o.rows.length;
  const n = binned.rows;
  const codes = binned.codes;
  const rows = Int32Array.from(o.rows);
  const G = o.nGroups;
  const groupOf = Int32Array.from(o.groupOf);
  const useMask = G <= 32;

  // Which (tree, row) pairs count: all, or only out-of-bag ones.
  const include = new Uint8Array(T * m).fill(1);
  if (o.oobTrainRows) {
    const train = Int32Array.from(o.oobTrainRows);
    for (let t = 0; t < T; t++) {
      const counts = forest.inBagCounts(t, train, n);
      for (let i = 0; i < m; i++) if (counts[rows[i]] !== 0) include[t * m + i] = 0;
    }
  }
  // Base leaves, group masks of each path, and the summed leaf values.
  const baseLeaf = new Int32Array(T * m);
  const pathMask = new Int32Array(useMask ? T * m : 0);
  const acc = new Float64Array(m * K);
  const cnt = new Int32Array(m);
  for (let t = 0; t < T; t++) {
    const { feature, bin, left, right, value } = forest.trees[t];
    for (let i = 0; i < m; i++) {
      if (include[t * m + i] === 0) continue;
      const r = rows[i];
      let node = 0;
      let mask = 0;
      while (left[node] >= 0) {
        const f = feature[node];
        if (useMask) mask |= 1 << groupOf[f];
        node = codes[f * n + r] <= bin[node] ? left[node] : right[node];
      }
      baseLeaf[t * m + i] = node;
      if (useMask) pathMask[t * m + i] = mask;
      for (let k = 0; k < K; k++) acc[i * K + k] += value[node * K + k];
      cnt[i]++;
    }
  }
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) y[i] = yClass[rows[i]];
  const score = (a: Float64Array): number => metricOf(a, cnt, y, K, o.metric);
  const baseline = score(acc);

  const drops = new Float64Array(G * o.repeats);
  const work = new Float64Array(m * K);
  const perm = new Int32Array(m);
  for (let g = 0; g < G; g++) {
    const rng = new Rng(deriveSeed(o.seed, g, 0x7065726d));
    const bit = 1 << g;
    for (let rep = 0; rep < o.repeats; rep++) {
      for (let i = 0; i < m; i++) perm[i] = i;
      rng.shuffle(perm);
      work.set(acc);
      for (let t = 0; t < T; t++) {
        const { feature, bin, left, right, value } = forest.trees[t];
        const tb = t * m;
        for (let i = 0; i < m; i++) {
          if (include[tb + i] === 0) continue;
          if (useMask && (pathMask[tb + i] & bit) === 0) continue; // path never reads group g
          const r = rows[i];
          const pr = rows[perm[i]];
          let node = 0;
          while (left[node] >= 0) {
            const f = feature[node];
            node = codes[f * n + (groupOf[f] === g ? pr : r)] <= bin[node] ? left[node] : right[node];
          }
          const b = baseLeaf[tb + i];
          if (node !== b) for (let k = 0; k < K; k++) work[i * K + k] += value[node * K + k] - value[b * K + k];
        }
      }
      drops[g * o.repeats + rep] = baseline - score(work);
    }
    o.onProgress?.(g + 1, G);
  }
  return { baseline, drops };
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
