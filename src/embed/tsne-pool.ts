// Splits t-SNE's repulsive-force pass (the Barnes-Hut tree walk, ~90% of the time) over worker
// threads that read the layout and tree from SharedArrayBuffers. The calling thread takes the first
// range and then blocks on an Atomics counter, so `fit` stays synchronous. Each point's forces are
// computed alone and summed in a fixed order afterwards, so results do not depend on the thread count.
import { Worker } from 'node:worker_threads';
import type { QuadTree } from './quadtree.js';
import { repulsiveForces } from './tsne-gradient.js';
import type { ForceTask } from './tsne-worker.js';

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * length));
}

export class ForcePool {
  private readonly workers: Worker[] = [];
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private sentGeneration = -1;
  private sentY: Float64Array | null = null;

  /** @param threads total threads including the caller's (>= 2). */
  constructor(threads: number) {
    for (let w = 0; w < threads - 1; w++) {
      const worker = new Worker(new URL('./tsne-worker.js', import.meta.url));
      worker.unref();
      this.workers.push(worker);
    }
  }

  run(tree: QuadTree, y: Float64Array, theta: number, n: number, negForce: Float64Array, sumQ: Float64Array, stack: Int32Array): void {
    const parts = this.workers.length + 1;
    const chunk = Math.ceil(n / parts);
    const resend = tree.generation !== this.sentGeneration || y !== this.sentY;
    const buffers = resend
      ? {
          tree: { massX: tree.massX, massY: tree.massY, count: tree.count, child: tree.child, halfX: tree.halfX, halfY: tree.halfY },
          y,
          negForce,
          sumQ,
          control: this.control,
        }
      : undefined;
    this.sentGeneration = tree.generation;
    this.sentY = y;
    Atomics.store(this.control, 0, 0);
    this.workers.forEach((worker, w) => {
      const task: ForceTask = { start: Math.min(n, (w + 1) * chunk), end: Math.min(n, (w + 2) * chunk), theta, buffers };
      worker.postMessage(task);
    });
    repulsiveForces(tree, y, theta, 0, Math.min(n, chunk), negForce, sumQ, stack);
    for (;;) {
      const done = Atomics.load(this.control, 0);
      if (done >= this.workers.length) break;
      if (Atomics.wait(this.control, 0, done, 60_000) === 'timed-out') throw new Error('t-SNE force worker did not answer within 60 s');
    }
    if (Atomics.load(this.control, 1) !== 0) throw new Error('a t-SNE force worker failed (its error is on stderr)');
  }

  close(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
