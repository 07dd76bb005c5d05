// Splits t-SNE's force passes (the attraction over P and the grouped Barnes-Hut walk) over worker
// threads that read the layout, tree, groups and P from SharedArrayBuffers. The workers start on the
// attraction while the calling thread builds the tree, then all threads take repulsion groups from a
// shared counter; the caller then blocks on an Atomics counter, so `fit` stays synchronous. Each point's
// forces are computed alone, so results do not depend on the thread count.
import { Worker } from 'node:worker_threads';
import type { PointGroups, QuadTree } from './quadtree.js';
import type { Csr } from './sparse.js';
import { awaitWorkers, sharedInt32 } from './shared-arrays.js';
import { attractionChunks, CONTROL_LENGTH, FORCE_TIMEOUT_MS, repulsionChunks, SLOT, TREE_MOVED, TREE_READY } from './tsne-force-chunks.js';
import type { RepulsionScratch } from './tsne-gradient.js';
import type { ForceTask } from './tsne-worker.js';

/** What one force pass reads and writes; all arrays on SharedArrayBuffers (sharedCsr, sharedFloat64, makePointGroups(n, true)). */
export interface ForcePass {
  tree: QuadTree;
  groups: PointGroups;
  p: Csr;
  y: Float64Array;
  theta: number;
  exaggeration: number;
  negForce: Float64Array;
  sumQ: Float64Array;
  posForce: Float64Array;
  /** The KL divergence's per-point terms (klTerms), filled when `withKl`. */
  kl: Float64Array;
  withKl: boolean;
}

export class ForcePool {
  private readonly workers: Worker[] = [];
  private readonly control = sharedInt32(CONTROL_LENGTH);
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

  /** One force pass; `buildTree` (run on this thread while the workers attract) rebuilds the tree and groups and returns the group count. */
  run(pass: ForcePass, scratch: RepulsionScratch, buildTree: () => number): void {
    const c = this.control;
    const { tree, p, y, exaggeration } = pass;
    const generation = tree.generation;
    for (const slot of [0, 1, SLOT.attraction, SLOT.repulsion, SLOT.tree]) Atomics.store(c, slot, 0);
    this.post(pass, true);
    Atomics.store(c, SLOT.groups, buildTree());
    const moved = tree.generation !== generation;
    Atomics.store(c, SLOT.tree, moved ? TREE_MOVED : TREE_READY);
    Atomics.notify(c, SLOT.tree);
    attractionChunks(c, p, y, exaggeration, pass.posForce, pass.withKl ? pass.kl : null);
    if (!moved) this.repel(pass, scratch);
    awaitWorkers(c, this.workers.length, 't-SNE force', FORCE_TIMEOUT_MS);
    if (!moved) return;
    // The tree outgrew its buffers while the workers held the old ones: re-send and repel again.
    Atomics.store(c, 0, 0);
    Atomics.store(c, SLOT.repulsion, 0);
    Atomics.store(c, SLOT.tree, TREE_READY);
    this.post(pass, false);
    this.repel(pass, scratch);
    awaitWorkers(c, this.workers.length, 't-SNE force', FORCE_TIMEOUT_MS);
  }

  private repel(pass: ForcePass, scratch: RepulsionScratch): void {
    repulsionChunks(this.control, pass.tree, pass.groups, pass.y, pass.theta, pass.negForce, pass.sumQ, scratch);
  }

  private post(pass: ForcePass, attract: boolean): void {
    const { tree } = pass;
    const resend = tree.generation !== this.sentGeneration || pass.y !== this.sentY;
    const buffers = resend
      ? {
          tree: { massX: tree.massX, massY: tree.massY, count: tree.count, child: tree.child, width: tree.width },
          groups: pass.groups,
          p: pass.p,
          y: pass.y,
          negForce: pass.negForce,
          sumQ: pass.sumQ,
          posForce: pass.posForce,
          kl: pass.kl,
          control: this.control,
        }
      : undefined;
    this.sentGeneration = tree.generation;
    this.sentY = pass.y;
    const task: ForceTask = { attract, withKl: pass.withKl, theta: pass.theta, exaggeration: pass.exaggeration, buffers };
    for (const worker of this.workers) worker.postMessage(task);
  }

  close(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
