// Breiman's per-tree out-of-bag permutation importance of column groups (TypeScript, and the two-class
// native port in native/forest-tree.cc with the same random draws).
import type { Random } from '../core/random.js';
import type { ForestAddon } from './native-tree.js';
import type { TreeArrays, TreeData } from './tree-types.js';

function argmaxAt(value: Float64Array, node: number, K: number): number {
  const b = node * K;
  let best = 0;
  let bv = value[b];
  for (let k = 1; k < K; k++)
    if (value[b + k] > bv) {
      bv = value[b + k];
      best = k;
    }
  return best;
}

/** oobPermutation for two classes in native code: the same importances and random draws. */
export function oobPermutationNative(
  addon: ForestAddon,
  data: TreeData,
  t: TreeArrays,
  counts: Int32Array,
  rng: Random,
): { drop: Float64Array | null; nOob: number } {
  const state = rng.saveState();
  const drop = new Float64Array(data.nGroups);
  const nOob = addon.oobPermutation2(
    data.codes,
    data.n,
    t.feature,
    t.bin,
    t.left,
    t.right,
    t.value,
    counts,
    data.rows,
    data.groupOf!,
    data.nGroups,
    data.yClass!,
    state,
    drop,
  );
  rng.restoreState(state);
  return { drop: nOob > 0 ? drop : null, nOob };
}

/** Breiman's per-tree OOB permutation importance, with all columns of a group permuted together. */
export function oobPermutation(
  data: TreeData,
  t: TreeArrays,
  counts: Int32Array,
  reg: boolean,
  K: number,
  rng: Random,
): { drop: Float64Array | null; nOob: number } {
  const { n, codes, rows } = data;
  const groupOf = data.groupOf!;
  const G = data.nGroups;
  // Distinct training rows that are out of bag for this tree, in row order.
  const mark = new Uint8Array(n);
  let nOob = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (counts[r] === 0 && mark[r] === 0) {
      mark[r] = 1;
      nOob++;
    }
  }
  if (nOob === 0) return { drop: null, nOob: 0 };
  const oob = new Int32Array(nOob);
  for (let r = 0, k = 0; r < n; r++) if (mark[r] === 1) oob[k++] = r;

  const { feature, bin, left, right, value } = t;
  const used = new Uint8Array(G);
  for (let i = 0; i < feature.length; i++) if (left[i] >= 0) used[groupOf[feature[i]]] = 1;
  // Groups read along each OOB row's path (bit mask, up to 32 groups): rows whose path never reads
  // group g keep their prediction when g is permuted, so they are not re-traversed; the others are
  // re-traversed from the first node of their path that reads g (the nodes above it read other groups).
  const useMask = G <= 32;
  const masks = new Int32Array(useMask ? nOob : 0);
  const firstNode = new Int32Array(useMask ? nOob * G : 0);
  const baseScore = new Float64Array(nOob);

  const yC = data.yClass;
  const yR = data.yReg;
  const score = (row: number, node: number): number => {
    if (reg) {
      const e = value[node] - yR![row];
      return e * e;
    }
    return argmaxAt(value, node, K) === yC![row] ? 1 : 0;
  };
  let base = 0;
  for (let i = 0; i < nOob; i++) {
    const r = oob[i];
    let node = 0;
    let mask = 0;
    while (left[node] >= 0) {
      const f = feature[node];
      if (useMask) {
        const bit = 1 << groupOf[f];
        if ((mask & bit) === 0) firstNode[i * G + groupOf[f]] = node;
        mask |= bit;
      }
      node = codes[f * n + r] <= bin[node] ? left[node] : right[node];
    }
    if (useMask) masks[i] = mask;
    baseScore[i] = score(r, node);
    base += baseScore[i];
  }
  const drop = new Float64Array(G);
  const perm = new Int32Array(nOob);
  for (let g = 0; g < G; g++) {
    if (used[g] === 0) continue;
    perm.set(oob);
    rng.shuffle(perm);
    let s = 0;
    const bit = 1 << g;
    for (let i = 0; i < nOob; i++) {
      if (useMask && (masks[i] & bit) === 0) {
        s += baseScore[i];
        continue;
      }
      const r = oob[i];
      const pr = perm[i];
      let node = useMask ? firstNode[i * G + g] : 0;
      while (left[node] >= 0) {
        const f = feature[node];
        const c = codes[f * n + (groupOf[f] === g ? pr : r)];
        node = c <= bin[node] ? left[node] : right[node];
      }
      s += score(r, node);
    }
    // Accuracy drop (classification) or MSE rise (regression), per OOB row.
    drop[g] = reg ? (s - base) / nOob : (base - s) / nOob;
  }
  return { drop, nOob };
}
