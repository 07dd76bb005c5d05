// Worker side of exactKnn's parallel path: one share of the row tiles into its own shared heaps.
import { parentPort } from 'node:worker_threads';
import { knnTiles, type KnnTask } from './knn.js';
import { runAndSignal } from './shared-arrays.js';

parentPort?.once('message', (t: KnnTask) =>
  runAndSignal(
    () => knnTiles(t.data, t.n, t.d, t.k, t.heapDist, t.heapIdx, t.first, t.step),
    () => t.control,
  ),
);
