// Worker side of the t-SNE force pool: computes repulsive forces for a range of points from the
// shared quadtree and layout, then bumps the shared done-counter.
import { parentPort } from 'node:worker_threads';
import type { QuadTreeArrays } from './quadtree.js';
import { repulsiveForces } from './tsne-gradient.js';

export interface ForceTask {
  start: number;
  end: number;
  theta: number;
  /** Present when the shared buffers changed since the last task. */
  buffers?: { tree: QuadTreeArrays; y: Float64Array; negForce: Float64Array; sumQ: Float64Array; control: Int32Array };
}

let tree: QuadTreeArrays | null = null;
let y: Float64Array = new Float64Array(0);
let negForce: Float64Array = new Float64Array(0);
let sumQ: Float64Array = new Float64Array(0);
let control: Int32Array = new Int32Array(2);
let stack = new Int32Array(0);

parentPort?.on('message', (task: ForceTask) => {
  try {
    if (task.buffers) ({ tree, y, negForce, sumQ, control } = task.buffers);
    if (!tree) throw new Error('force task before buffers');
    if (stack.length < 3 * tree.count.length + 16) stack = new Int32Array(3 * tree.count.length + 16);
    repulsiveForces(tree, y, task.theta, task.start, task.end, negForce, sumQ, stack);
  } catch (err) {
    Atomics.store(control, 1, 1);
    console.error(err);
  }
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
});
