// One decision tree grown on binned data. This is the hot path: typed arrays only, scratch buffers are
// reused from tree to tree, and nothing is allocated per node.
//
// Algorithm (per node): draw candidate features without replacement (Fisher–Yates prefix); for each,
// build a histogram of weighted class counts (or weighted sums of y) over its bins by one pass over the
// node's samples, then scan bins left to right keeping running left sums. Constant features in the node
// do not count toward `mtry` (as in scikit-learn). Small nodes touch few bins, so bins are tracked as they
// are touched and only those are sorted, scanned and cleared; large nodes scan the dense bin range.
//
// Two-class Gini/entropy with integer weights (bootstrap counts, no class weights) and minSamplesLeaf 1
// takes a packed fast path: class and weight share one double, so a histogram update is a single add.
//
// Histogram subtraction (larger child = parent - smaller child) is NOT used. With per-node feature
// sampling (mtry < d, the classification default) a child's candidate features are a fresh draw, so the
// parent's histograms are almost never the ones the child needs. It would pay off only for mtry === d
// (the regression default), at the cost of keeping d x 256 histograms per open node; not done yet.

import { Random } from '../core/random.js';
import { forestAddon, type ForestAddon } from './native-tree.js';

export type Criterion = 'gini' | 'entropy' | 'squared_error';

/** Fully resolved tree-growing parameters (see ForestOptions for the user-facing ones). */
export interface TreeParams {
  regression: boolean;
  /** Number of classes (classification) — ignored for regression. */
  nClasses: number;
  criterion: Criterion;
  /** Candidate features per node (1..d). */
  mtry: number;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Minimum weighted impurity decrease (fraction of total weight, as in scikit-learn). */
  minImpurityDecrease: number;
  bootstrap: boolean;
  /** Draws per tree when bootstrapping; 0 means as many as training rows. */
  maxSamples: number;
}

/** The training data one tree sees; all arrays may live in shared memory. */
export interface TreeData {
  n: number;
  d: number;
  codes: Uint8Array;
  /**
   * The same codes row-major (n x d), or null. Small nodes' histograms read these: a node's rows then sit in a few
   * cache lines each, which every node below it reads again, where a column-major read of a fresh
   * candidate feature misses the cache once per sample.
   */
  rowCodes: Uint8Array | null;
  nBins: Uint16Array;
  /** Class index per row (classification). */
  yClass: Int32Array | null;
  /** Target per row (regression). */
  yReg: Float64Array | null;
  /** Per-row weight (class weights folded in), or null for all ones. */
  weight: Float64Array | null;
  /** Training rows (indices into 0..n-1; may repeat, e.g. an outer bootstrap). */
  rows: Int32Array;
  /** Column → group, for per-tree out-of-bag permutation importance; null to skip it. */
  groupOf: Int32Array | null;
  nGroups: number;
}

/** A grown tree as flat arrays; node 0 is the root, `left[i] < 0` marks a leaf. */
export interface TreeArrays {
  feature: Int32Array;
  bin: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** nNodes x width: class probabilities (classification) or the mean (regression). */
  value: Float64Array;
  /** Distinct training samples reaching each node. */
  nodeSamples: Int32Array;
}

export interface TreeBuildResult {
  tree: TreeArrays;
  /** Weighted impurity decrease summed per feature (not normalised). */
  mdi: Float64Array;
  /**
   * Per-group drop in this tree's out-of-bag accuracy (classification) or rise in its OOB mean squared
   * error (regression) when the group's columns are permuted together among the OOB rows (Breiman's
   * per-tree permutation importance). Null when no groups were given or there are no OOB rows.
   */
  oobPerm: Float64Array | null;
  nOob: number;
}

/** Bootstrap (or plain) counts of each row for the tree with this seed. Draws come first from the rng. */
export function sampleCounts(rng: Random, rows: Int32Array, n: number, bootstrap: boolean, maxSamples: number): Int32Array {
  const counts = new Int32Array(n);
  const m = rows.length;
  if (bootstrap) {
    const draws = maxSamples > 0 ? maxSamples : m;
    for (let i = 0; i < draws; i++) counts[rows[rng.int(m)]]++;
  } else {
    for (let i = 0; i < m; i++) counts[rows[i]]++;
  }
  return counts;
}

const MAX_BINS = 256;

// Scratch buffers reused by every tree this thread grows (the returned tree arrays are copies): on small
// data (ISIC, 80 rows x 4096 columns) allocating two dozen typed arrays per tree cost more than growing
// it. A view of the first `len` elements; the caller zeroes what it reads before it writes.
const scratch = new Map<string, Int32Array | Float64Array | Uint8Array>();
function reuse<T extends Int32Array | Float64Array | Uint8Array>(key: string, ctor: new (n: number) => T, len: number): T {
  let a = scratch.get(key) as T | undefined;
  if (a === undefined || a.length < len) {
    a = new ctor(Math.max(1, len));
    scratch.set(key, a);
  }
  return a.subarray(0, len) as T;
}
const SPARSE_LIMIT = 40;

function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/**
 * Grows one tree. Deterministic in (data, params, seed). `native` false keeps the packed Gini path in
 * TypeScript (the native loop grows the same tree; tests compare the two).
 */
export function buildTree(data: TreeData, p: TreeParams, seed: number, native = true): TreeBuildResult {
  const rng = new Random(seed);
  const { n, d, codes, rowCodes } = data;
  const counts = sampleCounts(rng, data.rows, n, p.bootstrap, p.maxSamples);
  const reg = p.regression;
  const K = reg ? 2 : p.nClasses; // histogram width: classes, or (sum w, sum w*y)
  const outW = reg ? 1 : K;
  const yClass = data.yClass;
  const yReg = data.yReg;
  const wRow = data.weight;

  // Distinct in-bag samples with their weights (bootstrap counts x row weights), in row order.
  let nu = 0;
  for (let r = 0; r < n; r++) if (counts[r] > 0 && (wRow === null || wRow[r] > 0)) nu++;
  const idx = reuse('idx', Int32Array, nu);
  const yl = reuse('yl', Int32Array, reg ? 0 : nu);
  const yv = reuse('yv', Float64Array, reg ? nu : 0);
  const wl = reuse('wl', Float64Array, nu);
  let totalW = 0;
  for (let r = 0, k = 0; r < n; r++) {
    const c = counts[r];
    if (c === 0) continue;
    const w = wRow === null ? c : c * wRow[r];
    if (!(w > 0)) continue;
    idx[k] = r;
    if (reg) yv[k] = yReg![r];
    else yl[k] = yClass![r];
    wl[k] = w;
    totalW += w;
    k++;
  }

  // Fast path (two classes, integer weights, minSamplesLeaf 1): each sample's class and weight packed in
  // one double, w * 2^26 for class 1 and w for class 0, so a histogram bin is one add per sample.
  let packed = !reg && K === 2 && p.criterion !== 'squared_error' && Math.max(1, p.minSamplesLeaf) === 1 && totalW < PACK;
  if (packed) for (let k = 0; k < nu; k++) if (wl[k] !== Math.round(wl[k])) packed = false;
  // When the total weight is below 2^16, the two counts fit one int32 (class 1 in the high half),
  // which is faster still than the double packing.
  const packed16 = packed && totalW < 65536;
  const pw = reuse('pw', Float64Array, packed && !packed16 ? nu : 0);
  const pw16 = reuse('pw16', Int32Array, packed16 ? nu : 0);
  if (packed16) for (let k = 0; k < nu; k++) pw16[k] = yl[k] === 1 ? wl[k] << 16 : wl[k];
  else if (packed) for (let k = 0; k < nu; k++) pw[k] = yl[k] === 1 ? wl[k] * PACK : wl[k];
  const hist16 = reuse('hist16', Int32Array, packed16 ? 4 * MAX_BINS : 0).fill(0);
  const touched16 = reuse('touched16', Int32Array, packed16 ? 4 * MAX_BINS : 0);
  const bits16 = reuse('bits16', Int32Array, packed16 ? 32 : 0).fill(0);
  const nts = new Int32Array(4);
  const batch = new Int32Array(4);
  const bases = new Int32Array(4);
  const cap = Math.max(1, 2 * nu + 1);
  const feature = reuse('feature', Int32Array, cap).fill(0);
  const bin = reuse('bin', Uint8Array, cap).fill(0);
  const left = reuse('left', Int32Array, cap).fill(0);
  const right = reuse('right', Int32Array, cap).fill(0);
  const value = reuse('value', Float64Array, cap * outW).fill(0);
  const nodeSamples = reuse('nodeSamples', Int32Array, cap).fill(0);
  const mdi = new Float64Array(d);

  const hist = reuse('hist', Float64Array, MAX_BINS * K).fill(0);
  const cnt = reuse('cnt', Int32Array, MAX_BINS).fill(0);
  const touched = reuse('touched', Int32Array, MAX_BINS);
  const order = reuse('order', Int32Array, MAX_BINS);
  const tot = new Float64Array(K);
  const lsum = new Float64Array(K);
  const feats = reuse('feats', Int32Array, d);
  for (let f = 0; f < d; f++) feats[f] = f;

  // Explicit depth-first stack of (node, start, end, depth).
  const stack = reuse('stack', Int32Array, 4 * (cap + 1));
  let sp = 0;
  let nNodes = 1;
  stack[sp++] = 0;
  stack[sp++] = 0;
  stack[sp++] = nu;
  stack[sp++] = 0;

  const minLeaf = Math.max(1, p.minSamplesLeaf);
  const minSplit = Math.max(2, p.minSamplesSplit, 2 * minLeaf);
  const maxDepth = p.maxDepth;
  const minDecrease = p.minImpurityDecrease * totalW;
  const crit = reg ? 2 : p.criterion === 'entropy' ? 1 : 0;
  const mtry = Math.max(1, Math.min(d, p.mtry));

  const addon = native ? forestAddon() : null;
  if (addon !== null && packed16 && crit === 0) {
    const state = rng.saveState();
    const settings = Float64Array.of(mtry, maxDepth, minSplit, minDecrease);
    nNodes = addon.growPacked16(
      codes,
      rowCodes,
      data.nBins,
      n,
      d,
      idx,
      yl,
      wl,
      pw16,
      state,
      settings,
      feature,
      bin,
      left,
      right,
      value,
      nodeSamples,
      mdi,
    );
    rng.restoreState(state);
    sp = 0; // grown: the loop below is the same algorithm in TypeScript
  }
  while (sp > 0) {
    const depth = stack[--sp];
    const end = stack[--sp];
    const start = stack[--sp];
    const node = stack[--sp];
    const ns = end - start;
    nodeSamples[node] = ns;
    left[node] = -1;
    right[node] = -1;
    feature[node] = -1;

    // Node statistics.
    tot.fill(0);
    let W = 0;
    let swy2 = 0;
    if (reg) {
      for (let i = start; i < end; i++) {
        const w = wl[i];
        const y = yv[i];
        W += w;
        tot[1] += w * y;
        swy2 += w * y * y;
      }
      tot[0] = W;
      value[node] = W > 0 ? tot[1] / W : 0;
    } else {
      for (let i = start; i < end; i++) tot[yl[i]] += wl[i];
      for (let k = 0; k < K; k++) W += tot[k];
      const vb = node * outW;
      for (let k = 0; k < K; k++) value[vb + k] = W > 0 ? tot[k] / W : 0;
    }
    // Parent "proxy" (see below) and impurity, to decide purity and the impurity decrease.
    let parentProxy: number;
    let impurityW: number; // W * impurity
    if (crit === 0) {
      let s = 0;
      for (let k = 0; k < K; k++) s += tot[k] * tot[k];
      parentProxy = s / W;
      impurityW = W - parentProxy;
    } else if (crit === 1) {
      let s = 0;
      for (let k = 0; k < K; k++) s += xlogx(tot[k]);
      parentProxy = s - xlogx(W);
      impurityW = -parentProxy;
    } else {
      parentProxy = (tot[1] * tot[1]) / W;
      impurityW = swy2 - parentProxy;
    }
    if (ns < minSplit || depth >= maxDepth || !(impurityW > 1e-9 * W)) continue;

    // Search the best split over candidate features.
    let best = -Infinity;
    let bestF = -1;
    let bestBin = 0;
    let visited = 0;
    let drawn = 0;
    // Two pure children reach the largest proxy a split can have (W for Gini, 0 for entropy), and a
    // later candidate must beat the best strictly to replace it, so once one is found no further
    // candidate is drawn. Only the packed paths stop: their integer weights make the proxy exact.
    const pureProxy = packed ? (crit === 1 ? 0 : W) : Infinity;
    const byRow = rowCodes !== null && ns <= ROW_MAJOR_NODE;
    const src = byRow ? rowCodes : codes;
    const stride = byRow ? d : 1;
    // Packed int32 histograms: up to four candidates drawn at once and filled in one pass. Never more
    // than mtry - visited are drawn, the number the one-at-a-time loop would draw before it could stop,
    // so the draws, their order and the split chosen are the same.
    while (packed16 && drawn < d && visited < mtry && !(best >= pureProxy)) {
      const k = Math.min(4, mtry - visited, d - drawn);
      for (let q = 0; q < k; q++) {
        const j = drawn + rng.int(d - drawn);
        const f = feats[j];
        feats[j] = feats[drawn];
        feats[drawn] = f;
        drawn++;
        batch[q] = f;
        bases[q] = byRow ? f : f * n;
      }
      fillPacked16(src, bases, k, stride, idx, pw16, start, end, hist16, touched16, nts, bits16);
      for (let q = 0; q < k; q++) {
        const f = batch[q];
        const proxy = sweepPacked16(q, ns, hist16, touched16, nts, bits16, order, data.nBins[f], tot[0], tot[1], W, crit === 1);
        if (scanConstant) continue;
        visited++;
        if (proxy > best) {
          best = proxy;
          bestF = f;
          bestBin = scanBin;
        }
      }
    }
    while (drawn < d && visited < mtry && !(best >= pureProxy)) {
      const j = drawn + rng.int(d - drawn);
      const f = feats[j];
      feats[j] = feats[drawn];
      feats[drawn] = f;
      drawn++;
      const base = byRow ? f : f * n;
      if (packed) {
        const proxy = evalPacked(
          src,
          base,
          stride,
          idx,
          pw,
          start,
          end,
          hist,
          touched,
          order,
          data.nBins[f],
          tot[0],
          tot[1],
          W,
          crit === 1,
        );
        if (scanConstant) continue;
        visited++;
        if (proxy > best) {
          best = proxy;
          bestF = f;
          bestBin = scanBin;
        }
        continue;
      }
      // Histogram over the node's samples; remember which bins were touched.
      const nt = reg
        ? histReg(src, base, stride, idx, yv, wl, start, end, hist, cnt, touched)
        : K === 2
          ? hist2(src, base, stride, idx, yl, wl, start, end, hist, cnt, touched)
          : histK(src, base, stride, idx, yl, wl, start, end, hist, cnt, touched, K);
      if (nt <= 1) {
        // Constant in this node: does not count toward mtry.
        clearTouched(touched, nt, hist, cnt, K);
        continue;
      }
      visited++;
      const m = nt <= SPARSE_LIMIT ? sortTouched(touched, 0, nt, order) : denseOrder(touched, nt, cnt, order);
      let proxy: number;
      if (crit === 0 && K === 2) proxy = scanGini2(order, m, hist, cnt, tot[0], tot[1], W, ns, minLeaf);
      else proxy = scanGeneric(order, m, hist, cnt, tot, lsum, W, ns, minLeaf, K, crit);
      if (proxy > best) {
        best = proxy;
        bestF = f;
        bestBin = scanBin;
      }
      clearTouched(touched, nt, hist, cnt, K);
    }
    if (bestF < 0) continue;
    const decrease = best - parentProxy;
    if (decrease + 1e-7 * W < minDecrease) continue;

    // Partition samples: code <= bestBin to the left.
    const col = bestF * n;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (codes[col + idx[i]] <= bestBin) {
        i++;
      } else {
        let t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        const tw = wl[i];
        wl[i] = wl[j];
        wl[j] = tw;
        if (packed16) {
          const tp = pw16[i];
          pw16[i] = pw16[j];
          pw16[j] = tp;
        } else if (packed) {
          const tp = pw[i];
          pw[i] = pw[j];
          pw[j] = tp;
        }
        if (reg) {
          const ty = yv[i];
          yv[i] = yv[j];
          yv[j] = ty;
        } else {
          t = yl[i];
          yl[i] = yl[j];
          yl[j] = t;
        }
        j--;
      }
    }
    const mid = i;
    if (mid === start || mid === end) continue; // cannot happen with a valid split; be safe
    mdi[bestF] += decrease;
    feature[node] = bestF;
    bin[node] = bestBin;
    const l = nNodes++;
    const r = nNodes++;
    left[node] = l;
    right[node] = r;
    // Push right first so the left subtree is grown (and numbered) first.
    stack[sp++] = r;
    stack[sp++] = mid;
    stack[sp++] = end;
    stack[sp++] = depth + 1;
    stack[sp++] = l;
    stack[sp++] = start;
    stack[sp++] = mid;
    stack[sp++] = depth + 1;
  }

  const tree: TreeArrays = {
    feature: feature.slice(0, nNodes),
    bin: bin.slice(0, nNodes),
    left: left.slice(0, nNodes),
    right: right.slice(0, nNodes),
    value: value.slice(0, nNodes * outW),
    nodeSamples: nodeSamples.slice(0, nNodes),
  };

  let oobPerm: Float64Array | null = null;
  let nOob = 0;
  if (data.groupOf !== null && data.nGroups > 0) {
    const res =
      addon !== null && !reg && K === 2
        ? oobPermutationNative(addon, data, tree, counts, rng)
        : oobPermutation(data, tree, counts, reg, K, rng);
    oobPerm = res.drop;
    nOob = res.nOob;
  }
  return { tree, mdi, oobPerm, nOob };
}

// Scratch result of the scan functions: the bin of the best split they found.
let scanBin = 0;

function histReg(
  codes: Uint8Array,
  col: number,
  stride: number,
  idx: Int32Array,
  yv: Float64Array,
  wl: Float64Array,
  start: number,
  end: number,
  hist: Float64Array,
  cnt: Int32Array,
  touched: Int32Array,
): number {
  let nt = 0;
  for (let i = start; i < end; i++) {
    const b = codes[col + idx[i] * stride];
    if (cnt[b]++ === 0) touched[nt++] = b;
    const w = wl[i];
    hist[2 * b] += w;
    hist[2 * b + 1] += w * yv[i];
  }
  return nt;
}

function hist2(
  codes: Uint8Array,
  col: number,
  stride: number,
  idx: Int32Array,
  yl: Int32Array,
  wl: Float64Array,
  start: number,
  end: number,
  hist: Float64Array,
  cnt: Int32Array,
  touched: Int32Array,
): number {
  let nt = 0;
  for (let i = start; i < end; i++) {
    const b = codes[col + idx[i] * stride];
    if (cnt[b]++ === 0) touched[nt++] = b;
    hist[2 * b + yl[i]] += wl[i];
  }
  return nt;
}

function histK(
  codes: Uint8Array,
  col: number,
  stride: number,
  idx: Int32Array,
  yl: Int32Array,
  wl: Float64Array,
  start: number,
  end: number,
  hist: Float64Array,
  cnt: Int32Array,
  touched: Int32Array,
  K: number,
): number {
  let nt = 0;
  for (let i = start; i < end; i++) {
    const b = codes[col + idx[i] * stride];
    if (cnt[b]++ === 0) touched[nt++] = b;
    hist[b * K + yl[i]] += wl[i];
  }
  return nt;
}

function clearTouched(touched: Int32Array, nt: number, hist: Float64Array, cnt: Int32Array, K: number): void {
  for (let t = 0; t < nt; t++) {
    const b = touched[t];
    cnt[b] = 0;
    const hb = b * K;
    for (let k = 0; k < K; k++) hist[hb + k] = 0;
  }
}

/** Insertion-sorts the few touched bins (touched[off .. off + nt)) into `order`. */
function sortTouched(touched: Int32Array, off: number, nt: number, order: Int32Array): number {
  let m = 0;
  for (let t = off; t < off + nt; t++) {
    const b = touched[t];
    let q = m++;
    while (q > 0 && order[q - 1] > b) {
      order[q] = order[q - 1];
      q--;
    }
    order[q] = b;
  }
  return m;
}

/** Non-empty bins in ascending order by a sweep of the touched range. */
function denseOrder(touched: Int32Array, nt: number, cnt: Int32Array, order: Int32Array): number {
  let lo = MAX_BINS;
  let hi = 0;
  for (let t = 0; t < nt; t++) {
    const b = touched[t];
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  let m = 0;
  for (let b = lo; b <= hi; b++) if (cnt[b] !== 0) order[m++] = b;
  return m;
}

/**
 * Best Gini split for two classes. Proxy to maximise: (l0^2 + l1^2) / wl + (r0^2 + r1^2) / wr (the
 * weighted child impurities up to a constant). Sets scanBin; returns -Infinity when no split is valid.
 */
function scanGini2(
  order: Int32Array,
  m: number,
  hist: Float64Array,
  cnt: Int32Array,
  t0: number,
  t1: number,
  W: number,
  ns: number,
  minLeaf: number,
): number {
  let best = -Infinity;
  let l0 = 0;
  let l1 = 0;
  let ln = 0;
  for (let t = 0; t < m - 1; t++) {
    const b = order[t];
    ln += cnt[b];
    l0 += hist[2 * b];
    l1 += hist[2 * b + 1];
    if (ln < minLeaf) continue;
    if (ns - ln < minLeaf) break;
    const lw = l0 + l1;
    const rw = W - lw;
    if (!(lw > 0) || !(rw > 0)) continue;
    const r0 = t0 - l0;
    const r1 = t1 - l1;
    const proxy = (l0 * l0 + l1 * l1) / lw + (r0 * r0 + r1 * r1) / rw;
    if (proxy > best) {
      best = proxy;
      scanBin = (b + order[t + 1]) >> 1;
    }
  }
  return best;
}

function scanGeneric(
  order: Int32Array,
  m: number,
  hist: Float64Array,
  cnt: Int32Array,
  tot: Float64Array,
  lsum: Float64Array,
  W: number,
  ns: number,
  minLeaf: number,
  K: number,
  crit: number,
): number {
  let best = -Infinity;
  lsum.fill(0);
  let lw = 0;
  let ln = 0;
  for (let t = 0; t < m - 1; t++) {
    const b = order[t];
    ln += cnt[b];
    const hb = b * K;
    if (crit === 2) {
      lw += hist[hb];
      lsum[1] += hist[hb + 1];
    } else {
      for (let k = 0; k < K; k++) {
        const h = hist[hb + k];
        lsum[k] += h;
        lw += h;
      }
    }
    if (ln < minLeaf) continue;
    if (ns - ln < minLeaf) break;
    const rw = W - lw;
    if (!(lw > 0) || !(rw > 0)) continue;
    let proxy: number;
    if (crit === 0) {
      let sl = 0;
      let sr = 0;
      for (let k = 0; k < K; k++) {
        const a = lsum[k];
        const c = tot[k] - a;
        sl += a * a;
        sr += c * c;
      }
      proxy = sl / lw + sr / rw;
    } else if (crit === 1) {
      let s = 0;
      for (let k = 0; k < K; k++) s += xlogx(lsum[k]) + xlogx(tot[k] - lsum[k]);
      proxy = s - xlogx(lw) - xlogx(rw);
    } else {
      const sr = tot[1] - lsum[1];
      proxy = (lsum[1] * lsum[1]) / lw + (sr * sr) / rw;
    }
    if (proxy > best) {
      best = proxy;
      scanBin = (b + order[t + 1]) >> 1;
    }
  }
  return best;
}

const PACK = 67108864; // 2^26
const INV_PACK = 1 / PACK;
const SPARSE_PACKED = 48;
/** Nodes of at most this many samples read the row-major codes (measured: see rowCodes). */
const ROW_MAJOR_NODE = 512;
const BITMAP_PACKED = 512;
// Scratch result of evalPacked: true when the feature was constant in the node.
let scanConstant = false;

/**
 * Packed two-class split search for one feature: histogram (one add per sample), then a sweep over the
 * non-empty bins evaluating Gini (or entropy) at each boundary, clearing bins as it goes. Sets scanBin
 * and scanConstant; returns the best proxy or -Infinity.
 */
function evalPacked(
  codes: Uint8Array,
  col: number,
  stride: number,
  idx: Int32Array,
  pw: Float64Array,
  start: number,
  end: number,
  hist: Float64Array,
  touched: Int32Array,
  order: Int32Array,
  nb: number,
  t0: number,
  t1: number,
  W: number,
  entropy: boolean,
): number {
  const ns = end - start;
  let best = -Infinity;
  let nonEmpty = 0;
  let l0 = 0;
  let l1 = 0;
  let prev = -1;
  let m = nb;
  if (ns > SPARSE_PACKED) {
    for (let i = start; i < end; i++) hist[codes[col + idx[i] * stride]] += pw[i];
  } else {
    let nt = 0;
    for (let i = start; i < end; i++) {
      const b = codes[col + idx[i] * stride];
      if (hist[b] === 0) touched[nt++] = b;
      hist[b] += pw[i];
    }
    m = sortTouched(touched, 0, nt, order);
  }
  const dense = ns > SPARSE_PACKED;
  for (let t = 0; t < m; t++) {
    const b = dense ? t : order[t];
    const v = hist[b];
    if (v === 0) continue;
    hist[b] = 0;
    nonEmpty++;
    if (prev >= 0) {
      const lw = l0 + l1;
      const rw = W - lw;
      const r0 = t0 - l0;
      const r1 = t1 - l1;
      if (entropy) {
        const proxy = xlogx(l0) + xlogx(l1) + xlogx(r0) + xlogx(r1) - xlogx(lw) - xlogx(rw);
        if (proxy > best) {
          best = proxy;
          scanBin = (prev + b) >> 1;
        }
      } else {
        // A / lw + B / rw > best  <=>  A * rw + B * lw > best * lw * rw (both weights > 0): no division.
        const a = l0 * l0 + l1 * l1;
        const c = r0 * r0 + r1 * r1;
        const lr = lw * rw;
        if (a * rw + c * lw > best * lr) {
          best = (a * rw + c * lw) / lr;
          scanBin = (prev + b) >> 1;
        }
      }
    }
    const c1 = Math.floor(v * INV_PACK);
    l0 += v - c1 * PACK;
    l1 += c1;
    prev = b;
  }
  scanConstant = nonEmpty <= 1;
  return best;
}

/**
 * Histograms of up to four features of one node in one pass over its samples (int32 packing: total
 * weight < 2^16, class 0 count in the low and class 1 in the high 16 bits), feature j into
 * hist[256 j ..]; a sample's codes of the four features are read together, so its row (or the four
 * columns' entries) and its weight are loaded once. Small nodes also list each feature's touched bins
 * (touched[256 j ..], counts in nts[j]); medium ones mark them in bits[8 j ..].
 */
function fillPacked16(
  codes: Uint8Array,
  bases: Int32Array,
  k: number,
  stride: number,
  idx: Int32Array,
  pw: Int32Array,
  start: number,
  end: number,
  hist: Int32Array,
  touched: Int32Array,
  nts: Int32Array,
  bits: Int32Array,
): void {
  const ns = end - start;
  if (k === 4) {
    const c0 = bases[0],
      c1 = bases[1],
      c2 = bases[2],
      c3 = bases[3];
    if (ns <= SPARSE_PACKED) {
      let n0 = 0,
        n1 = 0,
        n2 = 0,
        n3 = 0;
      for (let i = start; i < end; i++) {
        const r = idx[i] * stride;
        const w = pw[i];
        const b0 = codes[c0 + r],
          b1 = 256 + codes[c1 + r],
          b2 = 512 + codes[c2 + r],
          b3 = 768 + codes[c3 + r];
        if (hist[b0] === 0) touched[n0++] = b0;
        hist[b0] += w;
        if (hist[b1] === 0) touched[256 + n1++] = b1 - 256;
        hist[b1] += w;
        if (hist[b2] === 0) touched[512 + n2++] = b2 - 512;
        hist[b2] += w;
        if (hist[b3] === 0) touched[768 + n3++] = b3 - 768;
        hist[b3] += w;
      }
      nts[0] = n0;
      nts[1] = n1;
      nts[2] = n2;
      nts[3] = n3;
    } else if (ns <= BITMAP_PACKED) {
      for (let i = start; i < end; i++) {
        const r = idx[i] * stride;
        const w = pw[i];
        const b0 = codes[c0 + r],
          b1 = codes[c1 + r],
          b2 = codes[c2 + r],
          b3 = codes[c3 + r];
        hist[b0] += w;
        bits[b0 >>> 5] |= 1 << (b0 & 31);
        hist[256 + b1] += w;
        bits[8 + (b1 >>> 5)] |= 1 << (b1 & 31);
        hist[512 + b2] += w;
        bits[16 + (b2 >>> 5)] |= 1 << (b2 & 31);
        hist[768 + b3] += w;
        bits[24 + (b3 >>> 5)] |= 1 << (b3 & 31);
      }
    } else {
      for (let i = start; i < end; i++) {
        const r = idx[i] * stride;
        const w = pw[i];
        hist[codes[c0 + r]] += w;
        hist[256 + codes[c1 + r]] += w;
        hist[512 + codes[c2 + r]] += w;
        hist[768 + codes[c3 + r]] += w;
      }
    }
    return;
  }
  for (let j = 0; j < k; j++) {
    const col = bases[j];
    const off = 256 * j;
    if (ns <= SPARSE_PACKED) {
      let nt = 0;
      for (let i = start; i < end; i++) {
        const b = codes[col + idx[i] * stride];
        if (hist[off + b] === 0) touched[off + nt++] = b;
        hist[off + b] += pw[i];
      }
      nts[j] = nt;
    } else if (ns <= BITMAP_PACKED) {
      const bo = 8 * j;
      for (let i = start; i < end; i++) {
        const b = codes[col + idx[i] * stride];
        hist[off + b] += pw[i];
        bits[bo + (b >>> 5)] |= 1 << (b & 31);
      }
    } else for (let i = start; i < end; i++) hist[off + codes[col + idx[i] * stride]] += pw[i];
  }
}

/**
 * The split sweep of feature j's histogram from fillPacked16: the non-empty bins in order, Gini (or
 * entropy) at each boundary, bins cleared as it goes. Sets scanBin and scanConstant; returns the best
 * proxy or -Infinity.
 */
function sweepPacked16(
  j: number,
  ns: number,
  hist: Int32Array,
  touched: Int32Array,
  nts: Int32Array,
  bits: Int32Array,
  order: Int32Array,
  nb: number,
  t0: number,
  t1: number,
  W: number,
  entropy: boolean,
): number {
  const off = 256 * j;
  let m = nb;
  let dense = true;
  if (ns <= SPARSE_PACKED) {
    m = sortTouched(touched, off, nts[j], order);
    dense = false;
  } else if (ns <= BITMAP_PACKED) {
    // The marked bins in order, via each word's lowest set bit.
    m = 0;
    for (let w = 8 * j; w < 8 * j + 8; w++) {
      let x = bits[w];
      bits[w] = 0;
      while (x !== 0) {
        const low = x & -x;
        order[m++] = ((w - 8 * j) << 5) + 31 - Math.clz32(low);
        x ^= low;
      }
    }
    dense = false;
  }
  let best = -Infinity;
  let nonEmpty = 0;
  let l0 = 0;
  let l1 = 0;
  let prev = -1;
  for (let t = 0; t < m; t++) {
    const b = dense ? t : order[t];
    const v = hist[off + b];
    if (v === 0) continue;
    hist[off + b] = 0;
    nonEmpty++;
    if (prev >= 0) {
      const lw = l0 + l1;
      const rw = W - lw;
      const r0 = t0 - l0;
      const r1 = t1 - l1;
      if (entropy) {
        const proxy = xlogx(l0) + xlogx(l1) + xlogx(r0) + xlogx(r1) - xlogx(lw) - xlogx(rw);
        if (proxy > best) {
          best = proxy;
          scanBin = (prev + b) >> 1;
        }
      } else {
        const a = l0 * l0 + l1 * l1;
        const c = r0 * r0 + r1 * r1;
        const lr = lw * rw;
        if (a * rw + c * lw > best * lr) {
          best = (a * rw + c * lw) / lr;
          scanBin = (prev + b) >> 1;
        }
      }
    }
    l0 += v & 0xffff;
    l1 += v >>> 16;
    prev = b;
  }
  scanConstant = nonEmpty <= 1;
  return best;
}

export function leafOf(t: TreeArrays, codes: Uint8Array, n: number, r: number): number {
  const { feature, bin, left, right } = t;
  let node = 0;
  while (left[node] >= 0) node = codes[feature[node] * n + r] <= bin[node] ? left[node] : right[node];
  return node;
}

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
function oobPermutationNative(
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
function oobPermutation(
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
