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
import { forestAddon } from './native-tree.js';
import type { TreeBuildResult, TreeData, TreeParams, TreeArrays } from './tree-types.js';
import { oobPermutation, oobPermutationNative } from './tree-oob.js';
import {
  clearTouched,
  denseOrder,
  evalPacked,
  fillPacked16,
  hist2,
  histK,
  histReg,
  MAX_BINS,
  PACK,
  ROW_MAJOR_NODE,
  scan,
  scanGeneric,
  scanGini2,
  sortTouched,
  SPARSE_LIMIT,
  sweepPacked16,
  xlogx,
} from './tree-split.js';

export type { Criterion, TreeArrays, TreeBuildResult, TreeData, TreeParams } from './tree-types.js';

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
        if (scan.constant) continue;
        visited++;
        if (proxy > best) {
          best = proxy;
          bestF = f;
          bestBin = scan.bin;
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
        if (scan.constant) continue;
        visited++;
        if (proxy > best) {
          best = proxy;
          bestF = f;
          bestBin = scan.bin;
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
        bestBin = scan.bin;
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
