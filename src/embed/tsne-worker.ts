// Worker side of the t-SNE force pool: takes attraction chunks, waits for the caller's tree, takes
// repulsion groups (tsne-force-chunks.ts), then bumps the shared done-counter.
import { parentPort } from 'node:worker_threads';
import type { PointGroups, QuadTreeArrays } from './quadtree.js';
import type { Csr } from './sparse.js';
import { runAndSignal } from './shared-arrays.js';
import { attractionChunks, awaitTree, FORCE_TIMEOUT_MS, repulsionChunks, TREE_READY } from './tsne-force-chunks.js';
import { RepulsionScratch } from './tsne-gradient.js';

export interface ForceTask {
  /** Take attraction chunks before the repulsion (false when only the repulsion is re-run). */
  attract: boolean;
  /** Also fill the KL divergence's per-point terms (a convergence check). */
  withKl: boolean;
  theta: number;
  exaggeration: number;
  /** Present when the shared buffers changed since the last task. */
  buffers?: {
    tree: QuadTreeArrays;
    groups: PointGroups;
    p: Csr;
    y: Float64Array;
    negForce: Float64Array;
    sumQ: Float64Array;
    posForce: Float64Array;
    kl: Float64Array;
    control: Int32Array;
  };
}

let buffers: ForceTask['buffers'];
const scratch = new RepulsionScratch();

parentPort?.on('message', (task: ForceTask) =>
  runAndSignal(
    () => {
      buffers = task.buffers ?? buffers;
      if (!buffers) throw new Error('force task before buffers');
      const { tree, groups, p, y, negForce, sumQ, posForce, kl, control } = buffers;
      if (task.attract) attractionChunks(control, p, y, task.exaggeration, posForce, task.withKl ? kl : null);
      if (awaitTree(control, FORCE_TIMEOUT_MS) === TREE_READY)
        repulsionChunks(control, tree, groups, y, task.theta, negForce, sumQ, scratch);
    },
    () => buffers?.control ?? new Int32Array(2),
  ),
);
