// The replaced walks of caseImportance (cpi.ts), for any subset of maps: everything they read lives in
// one plain object of shared typed arrays, so the same function runs in the calling thread or, one job of
// maps at a time, on the forest's workers. Each map draws from seeds derived from its own index, so the
// result does not depend on how maps are split over jobs.

import { Random, deriveSeed } from '../../core/random.js';
import { auc } from '../../core/stats.js';
import { forestAddon } from '../../forest/index.js';

/** Inputs of the replaced walks; the large arrays are over SharedArrayBuffers (see `caseImportance`). */
export interface CaseWalk {
  /** Trees packed end to end: node indices are global, tree t starts at node `treeStart[t]`. */
  treeStart: Int32Array;
  feature: Int32Array;
  bin: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** nodes x K leaf values. */
  value: Float64Array;
  /** Column-major bin codes, n rows. */
  codes: Uint8Array;
  n: number;
  d: number;
  K: number;
  /** Evaluation rows. */
  rows: Int32Array;
  groupOf: Int32Array;
  nGroups: number;
  /** 32-bit words of a path's map mask. */
  W: number;
  repeats: number;
  metric: 'auc' | 'accuracy';
  seed: number;
  /** include[t * m + i]: tree t predicts case i. */
  include: Uint8Array;
  /** Maps each (tree, case) path reads, W words per path. */
  pathMask: Int32Array;
  /** With W = 1: firstNode[(t * m + i) * G + g], the path's first node reading map g. */
  firstNode: Int32Array;
  baseLeaf: Int32Array;
  /** m x K summed leaf values, unreplaced. */
  acc: Float64Array;
  /** Trees predicting each case. */
  cnt: Int32Array;
  /** Class index of each case. */
  y: Int32Array;
  brier: Float64Array;
  baseline: number;
  conditional: {
    coef: Float64Array;
    mapCentre: Float64Array;
    colCentre: Float64Array;
    /** Row-major n x d raw features. */
    data: Float32Array | Float64Array;
    /** means[g * n + r]: map g's mean in row r. */
    means: Float64Array;
    /** Bin edges of column c: edges[edgeStart[c] .. edgeStart[c + 1]). */
    edges: Float64Array;
    edgeStart: Int32Array;
  } | null;
}

/** Per-case importances of the maps `groups`, in that order (see CaseImportanceResult). */
export interface GroupPasses {
  groups: number[];
  /** marginal[j * m + i]: map groups[j], case i. */
  marginal: Float64Array;
  conditional: Float64Array | null;
  /** marginalDrops[j * repeats + r]. */
  marginalDrops: Float64Array;
  conditionalDrops: Float64Array | null;
}

/**
 * Runs every replaced walk of the maps in `groups`: with the forest addon built (and `native`), in its
 * compiled loop, else in TypeScript; both give the same sums bit for bit.
 */
export function groupPasses(w: CaseWalk, groups: number[], native = true): GroupPasses {
  const { codes, n, d, K, rows, groupOf } = w;
  const m = rows.length;
  const G = w.nGroups;
  const R = w.repeats;
  const J = groups.length;
  const members: number[][] = Array.from({ length: G }, () => []);
  const local = new Int32Array(d);
  for (let c = 0; c < d; c++) {
    local[c] = members[groupOf[c]].length;
    members[groupOf[c]].push(c);
  }
  const addon = native ? forestAddon() : null;
  const cond = w.conditional;
  const marginal = new Float64Array(J * m);
  const conditional = cond ? new Float64Array(J * m) : null;
  const marginalDrops = new Float64Array(J * R);
  const conditionalDrops = cond ? new Float64Array(J * R) : null;
  const mK = m * K;
  const work = new Float64Array(R * mK);
  const perm = new Int32Array(m);
  const maxCols = groups.reduce((a, g) => Math.max(a, members[g].length), 0);
  // rep[(r * nc + q) * m + i]: draw r's code of the map's q-th column for case i.
  const rep = new Uint8Array(R * maxCols * m);
  const pred = cond ? new Float64Array(maxCols * m) : null;
  const resid = cond ? new Float64Array(maxCols * m) : null;

  // Every draw's walks, then each draw's Brier change and metric drop, draw by draw.
  const score = (g: number, j: number, nc: number, out: Float64Array, drops: Float64Array): void => {
    if (addon !== null)
      addon.replacedWalks(
        w.treeStart,
        w.feature,
        w.bin,
        w.left,
        w.right,
        w.value,
        codes,
        n,
        rows,
        w.include,
        w.pathMask,
        w.W,
        w.firstNode,
        G,
        groupOf,
        local,
        g,
        nc,
        rep,
        R,
        w.baseLeaf,
        w.acc,
        work,
      );
    else replacedWalks(w, local, g, nc, rep, work);
    const inv = 1 / R;
    for (let r = 0; r < R; r++) {
      const wr = work.subarray(r * mK, (r + 1) * mK);
      for (let i = 0; i < m; i++) if (w.cnt[i] > 0) out[j * m + i] += (brierOf(wr, i, w.cnt[i], w.y[i], K) - w.brier[i]) * inv;
      drops[j * R + r] = w.baseline - metricOf(wr, w.cnt, w.y, K, w.metric);
    }
  };

  for (let j = 0; j < J; j++) {
    const g = groups[j];
    const cols = members[g];
    const nc = cols.length;
    if (nc === 0) continue;
    const rngM = new Random(deriveSeed(w.seed, g, 0x6d617267));
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < m; i++) perm[i] = i;
      rngM.shuffle(perm);
      for (let q = 0; q < nc; q++) {
        const src = cols[q] * n;
        const dst = (r * nc + q) * m;
        for (let i = 0; i < m; i++) rep[dst + i] = codes[src + rows[perm[i]]];
      }
    }
    score(g, j, nc, marginal, marginalDrops);
    if (cond && conditional && conditionalDrops && pred && resid) {
      for (let q = 0; q < nc; q++) {
        const c = cols[q];
        for (let i = 0; i < m; i++) {
          const row = rows[i];
          let p = cond.colCentre[c];
          for (let h = 0; h < G; h++) {
            const wt = cond.coef[c * G + h];
            if (wt !== 0) p += wt * (cond.means[h * n + row] - cond.mapCentre[h]);
          }
          pred[q * m + i] = p;
          resid[q * m + i] = cond.data[row * d + c] - p;
        }
      }
      const rngC = new Random(deriveSeed(w.seed, g, 0x636f6e64));
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < m; i++) perm[i] = i;
        rngC.shuffle(perm);
        for (let q = 0; q < nc; q++) {
          const c = cols[q];
          const e0 = cond.edgeStart[c];
          const e1 = cond.edgeStart[c + 1];
          const dst = (r * nc + q) * m;
          for (let i = 0; i < m; i++) rep[dst + i] = binOf(cond.edges, e0, e1, pred[q * m + i] + resid[q * m + perm[i]]);
        }
      }
      score(g, j, nc, conditional, conditionalDrops);
    }
  }
  return { groups, marginal, conditional, marginalDrops, conditionalDrops };
}

/**
 * The walks of map g under every draw in `rep` (native/forest-walk.cc is the compiled twin). A path's
 * draws run one after another, as they share its nodes and its row's codes; each (draw, case) still adds
 * its trees in index order.
 */
function replacedWalks(w: CaseWalk, local: Int32Array, g: number, nc: number, rep: Uint8Array, work: Float64Array): void {
  const { treeStart, feature, bin, left, right, value, codes, n, K, rows, groupOf, W, include, pathMask, firstNode, baseLeaf } = w;
  const T = treeStart.length - 1;
  const m = rows.length;
  const G = w.nGroups;
  const R = w.repeats;
  const mK = m * K;
  for (let r = 0; r < R; r++) work.set(w.acc, r * mK);
  const word = g >>> 5;
  const bit = 1 << (g & 31);
  const repDraw = nc * m;
  for (let t = 0; t < T; t++) {
    const tb = t * m;
    for (let i = 0; i < m; i++) {
      if (include[tb + i] === 0) continue;
      if ((pathMask[(tb + i) * W + word] & bit) === 0) continue; // this path never reads map g
      const row = rows[i];
      const start = W === 1 ? firstNode[(tb + i) * G + g] : treeStart[t];
      const b = baseLeaf[tb + i];
      for (let r = 0; r < R; r++) {
        const ri = r * repDraw + i;
        let node = start;
        while (left[node] >= 0) {
          const f = feature[node];
          const code = groupOf[f] === g ? rep[ri + local[f] * m] : codes[f * n + row];
          node = code <= bin[node] ? left[node] : right[node];
        }
        if (node !== b) for (let k = 0; k < K; k++) work[r * mK + i * K + k] += value[node * K + k] - value[b * K + k];
      }
    }
  }
}

/** Bin of a raw value under the cut points e[e0 .. e1): the number of edges below v (as applyBins). */
function binOf(e: Float64Array, e0: number, e1: number, v: number): number {
  let lo = e0;
  let hi = e1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (e[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo - e0;
}

/** Brier score sum_k (p_k - 1[y = k])^2 of case i's averaged leaf values. */
export function brierOf(acc: Float64Array, i: number, cnt: number, y: number, K: number): number {
  let s = 0;
  const inv = 1 / cnt;
  for (let k = 0; k < K; k++) {
    const e = acc[i * K + k] * inv - (k === y ? 1 : 0);
    s += e * e;
  }
  return s;
}

export function metricOf(acc: Float64Array, cnt: Int32Array, y: Int32Array, K: number, metric: 'auc' | 'accuracy'): number {
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
