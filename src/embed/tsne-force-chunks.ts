// The force pass's work queue, shared by the caller and the force workers: the attraction over P in
// chunks of points, and the repulsion group by group once the caller has built the tree. Each thread
// claims the next chunk with an atomic counter in the pool's control array, so a thread whose points
// sit in dense regions (long walks) takes fewer chunks; each point's forces are still computed alone.
import type { PointGroups, QuadTreeArrays } from './quadtree.js';
import type { Csr } from './sparse.js';
import { attractiveForces, groupRepulsion, klTerms, type RepulsionScratch } from './tsne-gradient.js';
import { embedAddon } from './native-embed.js';

/** Slots of the pool's control array after awaitWorkers' [done count, failed flag]. */
export const SLOT = { attraction: 2, repulsion: 3, tree: 4, groups: 5 } as const;
export const CONTROL_LENGTH = 6;
/** control[SLOT.tree]: 0 while the caller builds the tree; then TREE_READY, or TREE_MOVED when its buffers were reallocated (workers skip the repulsion and the caller re-sends them). */
export const TREE_READY = 1;
export const TREE_MOVED = 2;

const ATTRACTION_CHUNK = 128;
/** How long the caller waits for the workers, and a worker for the caller's tree. */
export const FORCE_TIMEOUT_MS = 60_000;

/** Attraction chunks, and the KL divergence's per-point terms into `kl` when given (convergence checks). */
export function attractionChunks(
  control: Int32Array,
  p: Csr,
  y: Float64Array,
  exaggeration: number,
  posForce: Float64Array,
  kl: Float64Array | null,
): void {
  const n = p.n;
  const addon = embedAddon();
  for (;;) {
    const start = Atomics.add(control, SLOT.attraction, 1) * ATTRACTION_CHUNK;
    if (start >= n) return;
    const end = Math.min(n, start + ATTRACTION_CHUNK);
    if (addon !== null) addon.attractiveForces(p.indptr, p.indices, p.values, y, exaggeration, start, end, posForce);
    else attractiveForces(p, y, exaggeration, start, end, posForce);
    if (kl) klTerms(p, y, start, end, kl);
  }
}

export function repulsionChunks(
  control: Int32Array,
  tree: QuadTreeArrays,
  groups: PointGroups,
  y: Float64Array,
  theta: number,
  negForce: Float64Array,
  sumQ: Float64Array,
  scratch: RepulsionScratch,
): void {
  const count = Atomics.load(control, SLOT.groups);
  const addon = embedAddon();
  if (addon !== null) {
    const { massX, massY, count: cnt, child, width } = tree;
    addon.repulsionGroups(
      massX,
      massY,
      cnt,
      child,
      width,
      groups.cell,
      groups.start,
      groups.members,
      y,
      theta,
      count,
      negForce,
      sumQ,
      control,
      SLOT.repulsion,
      true,
    );
    return;
  }
  for (;;) {
    const g = Atomics.add(control, SLOT.repulsion, 1);
    if (g >= count) return;
    groupRepulsion(tree, groups, y, theta, g, negForce, sumQ, scratch);
  }
}

/** Blocks until the caller has built the tree; returns TREE_READY or TREE_MOVED. */
export function awaitTree(control: Int32Array, timeoutMs: number): number {
  for (;;) {
    const state = Atomics.load(control, SLOT.tree);
    if (state !== 0) return state;
    if (Atomics.wait(control, SLOT.tree, 0, timeoutMs) === 'timed-out')
      throw new Error(`t-SNE tree not built within ${timeoutMs / 1000} s`);
  }
}
