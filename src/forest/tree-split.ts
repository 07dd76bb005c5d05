// The split search of tree.ts's TypeScript loop: histograms of a node's samples over one feature's bins
// and the sweeps that score every boundary (Gini, entropy, squared error; packed two-class fast paths).
// The native loop (native/forest-tree.cc) ports the packed16 fill and sweep.

export const MAX_BINS = 256;
export const SPARSE_LIMIT = 40;

export function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/** Scratch results of the scan functions: the bin of the best split they found, and whether the feature was constant in the node (evalPacked, sweepPacked16). */
export const scan = { bin: 0, constant: false };

export function histReg(
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

export function hist2(
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

export function histK(
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

export function clearTouched(touched: Int32Array, nt: number, hist: Float64Array, cnt: Int32Array, K: number): void {
  for (let t = 0; t < nt; t++) {
    const b = touched[t];
    cnt[b] = 0;
    const hb = b * K;
    for (let k = 0; k < K; k++) hist[hb + k] = 0;
  }
}

/** Insertion-sorts the few touched bins (touched[off .. off + nt)) into `order`. */
export function sortTouched(touched: Int32Array, off: number, nt: number, order: Int32Array): number {
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
export function denseOrder(touched: Int32Array, nt: number, cnt: Int32Array, order: Int32Array): number {
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
 * weighted child impurities up to a constant). Sets scan.bin; returns -Infinity when no split is valid.
 */
export function scanGini2(
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
      scan.bin = (b + order[t + 1]) >> 1;
    }
  }
  return best;
}

export function scanGeneric(
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
      scan.bin = (b + order[t + 1]) >> 1;
    }
  }
  return best;
}

export const PACK = 67108864; // 2^26
const INV_PACK = 1 / PACK;
const SPARSE_PACKED = 48;
/** Nodes of at most this many samples read the row-major codes (measured: see rowCodes). */
export const ROW_MAJOR_NODE = 512;
const BITMAP_PACKED = 512;

/**
 * Packed two-class split search for one feature: histogram (one add per sample), then a sweep over the
 * non-empty bins evaluating Gini (or entropy) at each boundary, clearing bins as it goes. Sets scan.bin
 * and scan.constant; returns the best proxy or -Infinity.
 */
export function evalPacked(
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
          scan.bin = (prev + b) >> 1;
        }
      } else {
        // A / lw + B / rw > best  <=>  A * rw + B * lw > best * lw * rw (both weights > 0): no division.
        const a = l0 * l0 + l1 * l1;
        const c = r0 * r0 + r1 * r1;
        const lr = lw * rw;
        if (a * rw + c * lw > best * lr) {
          best = (a * rw + c * lw) / lr;
          scan.bin = (prev + b) >> 1;
        }
      }
    }
    const c1 = Math.floor(v * INV_PACK);
    l0 += v - c1 * PACK;
    l1 += c1;
    prev = b;
  }
  scan.constant = nonEmpty <= 1;
  return best;
}

/**
 * Histograms of up to four features of one node in one pass over its samples (int32 packing: total
 * weight < 2^16, class 0 count in the low and class 1 in the high 16 bits), feature j into
 * hist[256 j ..]; a sample's codes of the four features are read together, so its row (or the four
 * columns' entries) and its weight are loaded once. Small nodes also list each feature's touched bins
 * (touched[256 j ..], counts in nts[j]); medium ones mark them in bits[8 j ..].
 */
export function fillPacked16(
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
 * entropy) at each boundary, bins cleared as it goes. Sets scan.bin and scan.constant; returns the best
 * proxy or -Infinity.
 */
export function sweepPacked16(
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
          scan.bin = (prev + b) >> 1;
        }
      } else {
        const a = l0 * l0 + l1 * l1;
        const c = r0 * r0 + r1 * r1;
        const lr = lw * rw;
        if (a * rw + c * lw > best * lr) {
          best = (a * rw + c * lw) / lr;
          scan.bin = (prev + b) >> 1;
        }
      }
    }
    l0 += v & 0xffff;
    l1 += v >>> 16;
    prev = b;
  }
  scan.constant = nonEmpty <= 1;
  return best;
}
