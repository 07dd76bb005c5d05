// Exact k-nearest neighbours by brute force over typed arrays: each pair's distance is computed once
// (in cache-sized tiles) and offered to both rows' bounded max-heaps. O(N^2 D), about 0.5 s for
// 4708 x 50 here; exact, so t-SNE's and UMAP's graphs do not depend on an approximation's luck.

/** k nearest neighbours of every row, self excluded, nearest first. */
export interface KnnGraph {
  n: number;
  k: number;
  /** N x k neighbour indices. */
  indices: Int32Array;
  /** N x k squared Euclidean distances, ascending per row. */
  sqDistances: Float64Array;
}

const TILE = 64;

export function exactKnn(data: Float32Array | Float64Array, n: number, d: number, k: number): KnnGraph {
  if (k < 1 || k > n - 1) throw new RangeError(`k must be in 1..${n - 1} for ${n} points, got ${k}`);
  const heapDist = new Float64Array(n * k).fill(Infinity);
  const heapIdx = new Int32Array(n * k).fill(-1);
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const j1 = Math.min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const oi = i * d;
        const rowI = i * k;
        for (let j = j0 === i0 ? i + 1 : j0; j < j1; j++) {
          const oj = j * d;
          let s = 0;
          for (let c = 0; c < d; c++) {
            const t = data[oi + c] - data[oj + c];
            s += t * t;
          }
          if (s < heapDist[rowI]) heapReplaceTop(heapDist, heapIdx, rowI, k, s, j);
          const rowJ = j * k;
          if (s < heapDist[rowJ]) heapReplaceTop(heapDist, heapIdx, rowJ, k, s, i);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) sortRowAscending(heapDist, heapIdx, i * k, k);
  return { n, k, indices: heapIdx, sqDistances: heapDist };
}

/** Replaces the largest entry of a full max-heap (pre-filled with Infinity) and sifts down. */
function heapReplaceTop(dist: Float64Array, idx: Int32Array, off: number, k: number, value: number, index: number): void {
  let pos = 0;
  for (;;) {
    const left = 2 * pos + 1;
    if (left >= k) break;
    const right = left + 1;
    let big = left;
    if (right < k && dist[off + right] > dist[off + left]) big = right;
    if (dist[off + big] <= value) break;
    dist[off + pos] = dist[off + big];
    idx[off + pos] = idx[off + big];
    pos = big;
  }
  dist[off + pos] = value;
  idx[off + pos] = index;
}

/** Sorts one heap row into ascending order (ties by index, for determinism). */
function sortRowAscending(dist: Float64Array, idx: Int32Array, off: number, k: number): void {
  // Rows are short (k <= a few hundred): an insertion sort keyed on (distance, index) is simple and fast enough.
  for (let a = 1; a < k; a++) {
    const dv = dist[off + a];
    const iv = idx[off + a];
    let b = a - 1;
    while (b >= 0 && (dist[off + b] > dv || (dist[off + b] === dv && idx[off + b] > iv))) {
      dist[off + b + 1] = dist[off + b];
      idx[off + b + 1] = idx[off + b];
      b--;
    }
    dist[off + b + 1] = dv;
    idx[off + b + 1] = iv;
  }
}
