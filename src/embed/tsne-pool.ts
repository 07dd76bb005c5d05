// Splits t-SNE's force passes (the Barnes-Hut tree walk and the attraction over P) over worker
// threads that read the layout, tree and P from SharedArrayBuffers. The calling thread takes the first
// range and then blocks on an Atomics counter, so `fit` stays synchronous. Each point's forces are
// computed alone and summed in a fixed order afterwards, so results do not depend on the thread count.
import { Worker } from 'node:worker_threads';
import type { QuadTree } from './quadtree.js';
import type { Csr } from './sparse.js';
import { awaitWorkers, sharedInt32 } from './shared-arrays.js';
import { attractiveForces, repulsiveForces } from './tsne-gradient.js';
import type { ForceTask } from './tsne-worker.js';

export class ForcePool {
  private readonly workers: Worker[] = [];
  private readonly control = sharedInt32(2);
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

  /** `p` and `posForce` on SharedArrayBuffers (sharedCsr, sharedFloat64), like `y`, `negForce` and `sumQ`. */
  run(
    tree: QuadTree,
    p: Csr,
    y: Float64Array,
    theta: number,
    exaggeration: number,
    negForce: Float64Array,
    sumQ: Float64Array,
    posForce: Float64Array,
    stack: Int32Array,
  ): void {
    const n = p.n;
    const parts = this.workers.length + 1;
    const chunk = Math.ceil(n / parts);
    const resend = tree.generation !== this.sentGeneration || y !== this.sentY;
    const buffers = resend
      ? {
          tree: { massX: tree.massX, massY: tree.massY, count: tree.count, child: tree.child, halfX: tree.halfX, halfY: tree.halfY },
          p,
          y,
          negForce,
          sumQ,
          posForce,
          control: this.control,
        }
      : undefined;
    this.sentGeneration = tree.generation;
    this.sentY = y;
    Atomics.store(this.control, 0, 0);
    this.workers.forEach((worker, w) => {
      const task: ForceTask = { start: Math.min(n, (w + 1) * chunk), end: Math.min(n, (w + 2) * chunk), theta, exaggeration, buffers };
      worker.postMessage(task);
    });
    repulsiveForces(tree, y, theta, 0, Math.min(n, chunk), negForce, sumQ, stack);
    attractiveForces(p, y, exaggeration, 0, Math.min(n, chunk), posForce);
    awaitWorkers(this.control, this.workers.length, 't-SNE force', 60_000);
  }

  close(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
