// Exact k-nearest neighbours by brute force over typed arrays: each pair's distance is computed once
// (in cache-sized tiles) and offered to both rows' bounded max-heaps. O(N^2 D), about 1 s for
// 4708 x 50 on one thread; exact, so t-SNE's and UMAP's graphs do not depend on an approximation's luck.
import { Worker } from 'node:worker_threads';
import { awaitWorkers, sharedFloat64, sharedInt32 } from './shared-arrays.js';

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
/** Below this many pair-coordinate products (n^2 d / 2) a worker costs more than it saves. */
const PARALLEL_MIN_WORK = 2 ** 26;

/**
 * `threads` > 1 splits the tiles over worker threads (knn-worker.ts) for large inputs; the graph is the
 * same for any thread count (see mergeParts).
 */
export function exactKnn(data: Float32Array | Float64Array, n: number, d: number, k: number, threads = 1): KnnGraph {
  if (k < 1 || k > n - 1) throw new RangeError(`k must be in 1..${n - 1} for ${n} points, got ${k}`);
  const parts = Math.min(Math.max(1, Math.floor(threads)), Math.ceil(n / TILE));
  if (parts > 1 && (n * n * d) / 2 >= PARALLEL_MIN_WORK) return knnOnWorkers(data, n, d, k, parts);
  const heapDist = new Float64Array(n * k).fill(Infinity);
  const heapIdx = new Int32Array(n * k).fill(-1);
  knnTiles(data, n, d, k, heapDist, heapIdx, 0, 1);
  for (let i = 0; i < n; i++) sortRowAscending(heapDist, heapIdx, i * k, k);
  return { n, k, indices: heapIdx, sqDistances: heapDist };
}

/**
 * Offers every pair (i, j > i) whose row tile is first, first + step, ... to both rows' heaps. Each row
 * receives its candidates in increasing index order (earlier row tiles first, then its own tile's rows,
 * then the later columns), so a candidate at the heap's largest distance never displaces it, and each
 * heap ends as the k smallest of its candidates by (distance, index).
 */
export function knnTiles(
  data: Float32Array | Float64Array,
  n: number,
  d: number,
  k: number,
  heapDist: Float64Array,
  heapIdx: Int32Array,
  first: number,
  step: number,
): void {
  for (let i0 = first * TILE; i0 < n; i0 += step * TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const j1 = Math.min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const oi = i * d;
        const rowI = i * k;
        for (let j = j0 === i0 ? i + 1 : j0; j < j1; j++) {
          const oj = j * d;
          // Four partial sums: one chain of dependent adds held the loop to the add latency.
          let s0 = 0,
            s1 = 0,
            s2 = 0,
            s3 = 0;
          let c = 0;
          for (; c + 3 < d; c += 4) {
            const t0 = data[oi + c] - data[oj + c],
              t1 = data[oi + c + 1] - data[oj + c + 1],
              t2 = data[oi + c + 2] - data[oj + c + 2],
              t3 = data[oi + c + 3] - data[oj + c + 3];
            s0 += t0 * t0;
            s1 += t1 * t1;
            s2 += t2 * t2;
            s3 += t3 * t3;
          }
          for (; c < d; c++) {
            const t = data[oi + c] - data[oj + c];
            s0 += t * t;
          }
          const s = s0 + s1 + (s2 + s3);
          if (s < heapDist[rowI]) heapReplaceTop(heapDist, heapIdx, rowI, k, s, j);
          const rowJ = j * k;
          if (s < heapDist[rowJ]) heapReplaceTop(heapDist, heapIdx, rowJ, k, s, i);
        }
      }
    }
  }
}

/** A worker's share: row tiles first, first + step, ... into its own heaps. */
export interface KnnTask {
  data: Float64Array;
  n: number;
  d: number;
  k: number;
  first: number;
  step: number;
  heapDist: Float64Array;
  heapIdx: Int32Array;
  /** [done count, failed flag] */
  control: Int32Array;
}

function knnOnWorkers(data: Float32Array | Float64Array, n: number, d: number, k: number, parts: number): KnnGraph {
  // float32 values are exact as float64, so the workers compute the same distances.
  const shared = sharedFloat64(n * d);
  shared.set(data);
  const control = sharedInt32(2);
  const heaps = Array.from({ length: parts }, () => ({
    dist: sharedFloat64(n * k).fill(Infinity),
    idx: sharedInt32(n * k).fill(-1),
  }));
  const workers = heaps.slice(1).map((h, w) => {
    const worker = new Worker(new URL('./knn-worker.js', import.meta.url));
    const task: KnnTask = { data: shared, n, d, k, first: w + 1, step: parts, heapDist: h.dist, heapIdx: h.idx, control };
    worker.postMessage(task);
    return worker;
  });
  try {
    knnTiles(shared, n, d, k, heaps[0]!.dist, heaps[0]!.idx, 0, parts);
    awaitWorkers(control, workers.length, 'kNN', 120_000);
  } finally {
    for (const w of workers) void w.terminate();
  }
  return mergeParts(heaps, n, k);
}

/**
 * Each pair was offered to exactly one part, and each part's heap holds the k smallest of its candidates
 * by (distance, index); so the k smallest of their union by (distance, index), in that order, are what
 * one thread finds: a merge of the sorted parts.
 */
function mergeParts(heaps: { dist: Float64Array; idx: Int32Array }[], n: number, k: number): KnnGraph {
  const sqDistances = new Float64Array(n * k);
  const indices = new Int32Array(n * k);
  const pos = new Int32Array(heaps.length);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    for (const h of heaps) sortRowAscending(h.dist, h.idx, off, k);
    pos.fill(0);
    for (let a = 0; a < k; a++) {
      let best = -1;
      let bestD = Infinity;
      let bestI = 0;
      for (let p = 0; p < heaps.length; p++) {
        if (pos[p]! >= k) continue;
        const dv = heaps[p]!.dist[off + pos[p]!]!;
        const iv = heaps[p]!.idx[off + pos[p]!]!;
        if (best < 0 || dv < bestD || (dv === bestD && iv < bestI)) {
          best = p;
          bestD = dv;
          bestI = iv;
        }
      }
      sqDistances[off + a] = bestD;
      indices[off + a] = bestI;
      pos[best]!++;
    }
  }
  return { n, k, indices, sqDistances };
}

/**
 * Replaces the largest entry of a full max-heap (pre-filled with Infinity) and sifts down. The heap is
 * ordered by (distance, index), so among entries at the same largest distance the latest index leaves
 * first: what the heap keeps does not depend on the order its candidates came in.
 */
function heapReplaceTop(dist: Float64Array, idx: Int32Array, off: number, k: number, value: number, index: number): void {
  let pos = 0;
  for (;;) {
    const left = 2 * pos + 1;
    if (left >= k) break;
    const right = left + 1;
    let big = left;
    if (
      right < k &&
      (dist[off + right] > dist[off + left] || (dist[off + right] === dist[off + left] && idx[off + right] > idx[off + left]))
    )
      big = right;
    if (dist[off + big] < value || (dist[off + big] === value && idx[off + big] < index)) break;
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
