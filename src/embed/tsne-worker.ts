// Worker side of the t-SNE force pool: computes repulsive and attractive forces for a range of points
// from the shared quadtree, P and layout, then bumps the shared done-counter.
import { parentPort } from 'node:worker_threads';
import type { QuadTreeArrays } from './quadtree.js';
import type { Csr } from './sparse.js';
import { attractiveForces, repulsiveForces } from './tsne-gradient.js';
import { runAndSignal } from './shared-arrays.js';

export interface ForceTask {
  start: number;
  end: number;
  theta: number;
  exaggeration: number;
  /** Present when the shared buffers changed since the last task. */
  buffers?: {
    tree: QuadTreeArrays;
    p: Csr;
    y: Float64Array;
    negForce: Float64Array;
    sumQ: Float64Array;
    posForce: Float64Array;
    control: Int32Array;
  };
}

let tree: QuadTreeArrays | null = null;
let p: Csr | null = null;
let posForce: Float64Array = new Float64Array(0);
let y: Float64Array = new Float64Array(0);
let negForce: Float64Array = new Float64Array(0);
let sumQ: Float64Array = new Float64Array(0);
let control: Int32Array = new Int32Array(2);
let stack = new Int32Array(0);

parentPort?.on('message', (task: ForceTask) =>
  runAndSignal(
    () => {
      if (task.buffers) ({ tree, p, y, negForce, sumQ, posForce, control } = task.buffers);
      if (!tree || !p) throw new Error('force task before buffers');
      if (stack.length < 3 * tree.count.length + 16) stack = new Int32Array(3 * tree.count.length + 16);
      repulsiveForces(tree, y, task.theta, task.start, task.end, negForce, sumQ, stack);
      attractiveForces(p, y, task.exaggeration, task.start, task.end, posForce);
    },
    () => control,
  ),
);
