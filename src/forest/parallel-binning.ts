// Binning split over the tree pool's workers by ranges of columns: the same codes and edges as
// binMatrix (each column is binned by the same code, whichever thread runs it).
import {
  binMatrix,
  binSettings,
  sharedArray,
  toMatrix,
  type BinOptions,
  type BinnedMatrix,
  type Matrix,
  type MatrixLike,
} from './binning.js';
import type { TreePool } from './pool.js';

/** Below this many values one thread bins faster than a round trip to the workers. */
const MIN_PARALLEL_VALUES = 1 << 20;

/** binMatrix on the pool's workers, one range of columns each; binMatrix itself for small inputs. */
export async function binMatrixParallel(input: MatrixLike, options: BinOptions, pool: TreePool): Promise<BinnedMatrix> {
  const x = toMatrix(input);
  const { rows, cols } = x;
  if (pool.size < 2 || cols < 2 || rows * cols < MIN_PARALLEL_VALUES) return binMatrix(x, options);
  const shared = finiteInSharedMemory(x);
  // A non-finite value: binMatrix reports the first one by column, as it always has.
  if (shared === null) return binMatrix(x, options);
  const settings = binSettings(options);
  const codes = sharedArray(Uint8Array, rows * cols);
  const nBins = sharedArray(Uint16Array, cols);
  const parts = Math.min(pool.size, cols);
  const edges = await Promise.all(
    Array.from({ length: parts }, (_, p) =>
      pool.bin({
        bin: { x: shared, c0: Math.floor((p * cols) / parts), c1: Math.floor(((p + 1) * cols) / parts), settings, codes, nBins },
      }),
    ),
  );
  return { rows, cols, codes, nBins, edges: edges.flat() };
}

/** `x` with its values in shared memory (copied unless they are), or null when one is not finite. */
function finiteInSharedMemory(x: Matrix): Matrix | null {
  const src = x.data;
  if (src.buffer instanceof SharedArrayBuffer) {
    for (let i = 0; i < src.length; i++) if (!Number.isFinite(src[i])) return null;
    return x;
  }
  const data = src instanceof Float64Array ? sharedArray(Float64Array, src.length) : sharedArray(Float32Array, src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isFinite(v)) return null;
    data[i] = v;
  }
  return { rows: x.rows, cols: x.cols, data };
}
