// Quantile binning: every feature is cut once into at most 256 bins and stored as Uint8 codes,
// column-major, in shared memory so worker threads read it without copies.

import type { Matrix as CoreMatrix } from '../core/table.js';

/** Core's row-major matrix over typed arrays (the binning loops index them directly). */
export type Matrix = CoreMatrix<Float32Array | Float64Array>;

/** Anything accepted as feature input: a dense row-major matrix or an array of rows. */
export type MatrixLike = Matrix | ArrayLike<ArrayLike<number>>;

/**
 * Features quantile-binned to Uint8 codes.
 * - `codes[f * rows + r]` is the bin of row r in feature f (column-major; one column is contiguous).
 * - `edges[f]` holds the `nBins[f] - 1` increasing cut points of feature f: a raw value x has bin
 *   b = number of edges below x, i.e. x <= edges[f][b] goes to bin b or lower.
 * Edges are midpoints between neighbouring distinct training values, so a split "bin <= b" on codes is
 * exactly the split "x <= edges[f][b]" on raw values for every training row.
 */
export interface BinnedMatrix {
  rows: number;
  cols: number;
  codes: Uint8Array;
  nBins: Uint16Array;
  edges: Float64Array[];
}

export function toMatrix(x: MatrixLike): Matrix {
  if (isMatrix(x)) {
    if (x.data.length !== x.rows * x.cols) throw new Error(`matrix data has ${x.data.length} values, expected ${x.rows} x ${x.cols}`);
    return x;
  }
  const rows = x.length;
  const cols = rows > 0 ? x[0].length : 0;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (row.length !== cols) throw new Error(`row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c];
  }
  return { data, rows, cols };
}

function isMatrix(x: MatrixLike): x is Matrix {
  return typeof (x as Matrix).rows === 'number' && typeof (x as Matrix).cols === 'number' && 'data' in x;
}

/** Allocates a typed array over shared memory (so it can be handed to workers without a copy). */
export function sharedArray<T extends Uint8Array | Uint16Array | Int32Array | Float64Array | Float32Array>(
  ctor: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT)).subarray(0, length) as T;
}

/** A shared-memory copy of `src` as a `ctor` array. */
export function sharedCopy<T extends Uint8Array | Uint16Array | Int32Array | Float64Array | Float32Array>(
  ctor: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  src: ArrayLike<number>,
): T {
  const out = sharedArray(ctor, src.length);
  out.set(src);
  return out;
}

/** `a` itself when it already lies in shared memory, else a shared copy. */
export function toShared<T extends Uint8Array | Uint16Array | Int32Array | Float64Array | Float32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  return sharedCopy(a.constructor as unknown as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, a);
}

export interface BinOptions {
  /** Maximum bins per feature, 2..256. Default 256. */
  maxBins?: number;
  /** Rows used to place the cut points (a strided subsample when there are more). Default 200000. */
  sampleRows?: number;
}

/**
 * Quantile-bins every column of `x`. Features with at most `maxBins` distinct values get one bin per
 * value; others get cut points at (approximately) equal-count quantiles. Ties are never split.
 * Throws on NaN or infinite values (impute first).
 */
export function binMatrix(input: MatrixLike, options: BinOptions = {}): BinnedMatrix {
  const x = toMatrix(input);
  const { rows, cols } = x;
  const codes = sharedArray(Uint8Array, rows * cols);
  const nBins = sharedArray(Uint16Array, cols);
  const edges = binColumns(x, 0, cols, binSettings(options), codes, nBins);
  return { rows, cols, codes, nBins, edges };
}

/** Resolved binning options (see BinOptions). */
export interface BinSettings {
  maxBins: number;
  sampleRows: number;
}

export function binSettings(options: BinOptions = {}): BinSettings {
  const maxBins = Math.min(256, Math.max(2, Math.floor(options.maxBins ?? 256)));
  return { maxBins, sampleRows: Math.max(maxBins, options.sampleRows ?? 200000) };
}

/**
 * Bins columns c0..c1-1 of `x` into `codes` and `nBins` (a whole matrix's arrays) and returns their
 * edges. Columns are independent, so ranges of them can be binned on different threads.
 */
export function binColumns(x: Matrix, c0: number, c1: number, o: BinSettings, codes: Uint8Array, nBins: Uint16Array): Float64Array[] {
  const { rows, cols, data } = x;
  const { maxBins, sampleRows } = o;
  const edges: Float64Array[] = [];
  const col = new Float32Array(rows);
  const bits = new Uint32Array(col.buffer);
  const sorter = new RadixSorter(rows);
  const sorted = new Float32Array(rows);
  const block = 64;
  for (let b0 = c0; b0 < c1; b0 += block) {
    const b1 = Math.min(c1, b0 + block);
    // Transpose a block of columns at a time (row-major reads stay cache friendly).
    const tmp = new Float32Array((b1 - b0) * rows);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = b0; c < b1; c++) tmp[(c - b0) * rows + r] = data[base + c];
    }
    for (let c = b0; c < b1; c++) {
      col.set(tmp.subarray((c - b0) * rows, (c - b0 + 1) * rows));
      for (let r = 0; r < rows; r++)
        if (!Number.isFinite(col[r])) throw new Error(`feature ${c} has a non-finite value (${col[r]}) at row ${r}; impute before fitting`);
      // Sort once (radix sort on order-preserving keys), then cut and encode in one sweep.
      const order = sorter.sort(bits);
      for (let i = 0; i < rows; i++) sorted[i] = col[order[i]];
      const e = cutPoints(rows > sampleRows ? strided(sorted, sampleRows) : sorted, maxBins);
      edges.push(e);
      nBins[c] = e.length + 1;
      const out = codes.subarray(c * rows, (c + 1) * rows);
      let b = 0;
      const m = e.length;
      for (let i = 0; i < rows; i++) {
        const v = sorted[i];
        while (b < m && e[b] < v) b++;
        out[order[i]] = b;
      }
    }
  }
  return edges;
}

/** The codes row-major (`out[r * cols + f]`), in shared memory: the transpose of `codes`. */
export function rowMajorCodes(b: Pick<BinnedMatrix, 'rows' | 'cols' | 'codes'>): Uint8Array {
  const { rows: n, cols: d, codes } = b;
  const out = sharedArray(Uint8Array, n * d);
  for (let f = 0; f < d; f++) {
    const col = f * n;
    for (let r = 0; r < n; r++) out[r * d + f] = codes[col + r]!;
  }
  return out;
}

/** Bins new rows with the cut points of an existing binning (e.g. held-out data). */
export function applyBins(input: MatrixLike, bins: Pick<BinnedMatrix, 'edges' | 'cols'>): BinnedMatrix {
  const x = toMatrix(input);
  if (x.cols !== bins.cols) throw new Error(`expected ${bins.cols} columns, got ${x.cols}`);
  const { rows, cols, data } = x;
  const codes = sharedArray(Uint8Array, rows * cols);
  const nBins = sharedArray(Uint16Array, cols);
  const col = new Float32Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) col[r] = data[r * cols + c];
    encodeColumn(col, bins.edges[c], codes.subarray(c * rows, (c + 1) * rows));
    nBins[c] = bins.edges[c].length + 1;
  }
  return { rows, cols, codes, nBins, edges: bins.edges };
}

/** A view of some rows of a binned matrix (copies the codes of those rows). */
export function selectRows(b: BinnedMatrix, rowIds: ArrayLike<number>): BinnedMatrix {
  const m = rowIds.length;
  const codes = sharedArray(Uint8Array, m * b.cols);
  for (let c = 0; c < b.cols; c++) {
    const src = c * b.rows;
    const dst = c * m;
    for (let i = 0; i < m; i++) codes[dst + i] = b.codes[src + rowIds[i]];
  }
  return { rows: m, cols: b.cols, codes, nBins: b.nBins, edges: b.edges };
}

/** Every (n / k)-th value of a sorted array (still sorted): quantiles of a large column from k values. */
function strided(sorted: Float32Array, k: number): Float32Array {
  const out = new Float32Array(k);
  const step = sorted.length / k;
  for (let i = 0; i < k; i++) out[i] = sorted[Math.floor(i * step)];
  return out;
}

/** LSD radix sort (3 passes of 11 bits) of float32 bit patterns, returning the sorting permutation. */
class RadixSorter {
  private keys: Uint32Array;
  private keys2: Uint32Array;
  private idx: Int32Array;
  private idx2: Int32Array;
  private counts = new Int32Array(2048);
  private counts2 = new Int32Array(2048);

  constructor(n: number) {
    this.keys = new Uint32Array(n);
    this.keys2 = new Uint32Array(n);
    this.idx = new Int32Array(n);
    this.idx2 = new Int32Array(n);
  }

  sort(bits: Uint32Array): Int32Array {
    const n = bits.length;
    let k = this.keys;
    let k2 = this.keys2;
    let ix = this.idx;
    let ix2 = this.idx2;
    for (let i = 0; i < n; i++) {
      const u = bits[i];
      // Order-preserving map of IEEE floats to unsigned integers.
      k[i] = (u & 0x80000000) !== 0 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      ix[i] = i;
    }
    // Each pass counts and scatters the two halves of the array separately, the second half's bucket
    // starting after the first half's share of it: the same stable order, but two independent chains
    // of increments instead of one (on Intel Xeons increments of one address, e.g. a bucket full of
    // zeros, wait on each other's stores).
    const c1 = this.counts;
    const c2 = this.counts2;
    const half = n >>> 1;
    for (let shift = 0; shift < 32; shift += 11) {
      c1.fill(0);
      c2.fill(0);
      for (let i = 0, j = half; i < half; i++, j++) {
        c1[(k[i] >>> shift) & 2047]++;
        c2[(k[j] >>> shift) & 2047]++;
      }
      if (n & 1) c2[(k[n - 1] >>> shift) & 2047]++;
      let sum = 0;
      for (let b = 0; b < 2048; b++) {
        const a = c1[b];
        c1[b] = sum;
        sum += a;
        const c = c2[b];
        c2[b] = sum;
        sum += c;
      }
      for (let i = 0, j = half; i < half; i++, j++) {
        const key = k[i];
        const key2 = k[j];
        const pos = c1[(key >>> shift) & 2047]++;
        const pos2 = c2[(key2 >>> shift) & 2047]++;
        k2[pos] = key;
        ix2[pos] = ix[i];
        k2[pos2] = key2;
        ix2[pos2] = ix[j];
      }
      if (n & 1) {
        const key = k[n - 1];
        const pos = c2[(key >>> shift) & 2047]++;
        k2[pos] = key;
        ix2[pos] = ix[n - 1];
      }
      const t = k;
      k = k2;
      k2 = t;
      const ti = ix;
      ix = ix2;
      ix2 = ti;
    }
    // Three passes: the result is in the swapped buffers.
    this.keys = k;
    this.keys2 = k2;
    this.idx = ix;
    this.idx2 = ix2;
    return ix;
  }
}

function cutPoints(sorted: Float32Array, maxBins: number): Float64Array {
  const n = sorted.length;
  // Distinct values first: few distinct values get one bin each.
  let distinct = n > 0 ? 1 : 0;
  for (let i = 1; i < n && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const out: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) out.push(0.5 * (sorted[i - 1] + sorted[i]));
    return Float64Array.from(out);
  }
  let last = -Infinity;
  for (let b = 1; b < maxBins; b++) {
    let k = Math.floor((b * n) / maxBins);
    if (k <= 0) continue;
    // Move the cut to the next change of value at or after k (never split a tie).
    while (k < n && sorted[k] === sorted[k - 1]) k++;
    if (k >= n) break;
    const e = 0.5 * (sorted[k - 1] + sorted[k]);
    if (e > last) {
      out.push(e);
      last = e;
    }
  }
  return Float64Array.from(out);
}

function encodeColumn(col: Float32Array, e: Float64Array, out: Uint8Array): void {
  const m = e.length;
  for (let r = 0; r < col.length; r++) {
    const v = col[r];
    // Lower bound: first edge >= v; the bin is its index.
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    out[r] = lo;
  }
}
