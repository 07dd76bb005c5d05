// Worker side of exactKnn's parallel path: one share of the row tiles into its own shared heaps.
import { parentPort } from 'node:worker_threads';
import { knnTiles, type KnnTask } from './knn.js';

parentPort?.once('message', (t: KnnTask) => {
  try {
    knnTiles(t.data, t.n, t.d, t.k, t.heapDist, t.heapIdx, t.first, t.step);
  } catch (err) {
    Atomics.store(t.control, 1, 1);
    console.error(err);
  }
  Atomics.add(t.control, 0, 1);
  Atomics.notify(t.control, 0);
});
