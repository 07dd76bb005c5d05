// t-SNE's optional compiled forces (native/embed-tsne.cc): tsne-gradient.ts's groupRepulsion with the
// same cells in the same order and the same arithmetic lane by lane, and its attractiveForces, so the
// forces are equal bit for bit.
// Loaded once per thread; when the addon is not built, or LATENTLENS_EMBED_NATIVE=0, the TypeScript
// loop runs.
import { loadOptionalAddon } from '../util/optional-addon.js';

export interface EmbedAddon {
  /**
   * groupRepulsion for groups claimed from control[slot] (Atomics-compatible) until groupCount; `avx2`
   * false keeps to the SSE2 lanes (same results; the tests compare the two).
   */
  repulsionGroups(
    massX: Float64Array,
    massY: Float64Array,
    count: Int32Array,
    child: Int32Array,
    width: Float64Array,
    cell: Int32Array,
    start: Int32Array,
    members: Int32Array,
    y: Float64Array,
    theta: number,
    groupCount: number,
    negForce: Float64Array,
    sumQ: Float64Array,
    control: Int32Array,
    slot: number,
    avx2: boolean,
  ): void;
  /** tsne-gradient.ts's attractiveForces of points start..end-1 (the same sums bit for bit). */
  attractiveForces(
    indptr: Int32Array,
    indices: Int32Array,
    values: Float64Array,
    y: Float64Array,
    exaggeration: number,
    start: number,
    end: number,
    posForce: Float64Array,
  ): void;
  /** quadtree.ts's QuadTree.build into its arrays (one capacity); the cell count, or -1 when they are too small. */
  quadtreeBuild(
    y: Float64Array,
    n: number,
    centreX: Float64Array,
    centreY: Float64Array,
    halfX: Float64Array,
    halfY: Float64Array,
    width: Float64Array,
    massX: Float64Array,
    massY: Float64Array,
    count: Int32Array,
    child: Int32Array,
    point: Int32Array,
  ): number;
  /** Whether the vector lanes run in AVX2 (else SSE2); the results are the same. */
  avx2: boolean;
}

let loaded: EmbedAddon | null | undefined;

/** The compiled repulsion, or null when it is not built or turned off. */
export function embedAddon(): EmbedAddon | null {
  if (loaded === undefined) loaded = loadOptionalAddon<EmbedAddon>('latentlens_embed', 'LATENTLENS_EMBED_NATIVE');
  return loaded;
}
