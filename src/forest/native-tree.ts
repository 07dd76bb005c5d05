// The forest's optional native code (native/forest-tree.cc, forest-walk.cc): tree.ts's packed two-class
// Gini growth and its two-class OOB permutation importance compiled ahead of time (growth about 2.4x, OOB
// about 1.4x as fast), the same trees and importances bit for bit, and rank's replaced walks. Loaded once per thread
// (every forest worker loads its own copy); when the addon is not built, or LATENTLENS_FOREST_NATIVE=0,
// tree.ts grows every tree itself.
import { loadOptionalAddon } from '../util/optional-addon.js';

export interface ForestAddon {
  /** Grows the tree into the output arrays (capacity 2 nu + 1 nodes) and returns its node count. */
  growPacked16(
    codes: Uint8Array,
    rowCodes: Uint8Array | null,
    nBins: Uint16Array,
    n: number,
    d: number,
    idx: Int32Array,
    yl: Int32Array,
    wl: Float64Array,
    pw: Int32Array,
    rngState: Uint32Array,
    params: Float64Array,
    feature: Int32Array,
    bin: Uint8Array,
    left: Int32Array,
    right: Int32Array,
    value: Float64Array,
    nodeSamples: Int32Array,
    mdi: Float64Array,
  ): number;
  /** tree.ts's oobPermutation for two classes: fills drop (one per group), returns the OOB row count. */
  oobPermutation2(
    codes: Uint8Array,
    n: number,
    feature: Int32Array,
    bin: Uint8Array,
    left: Int32Array,
    right: Int32Array,
    value: Float64Array,
    counts: Int32Array,
    rows: Int32Array,
    groupOf: Int32Array,
    nGroups: number,
    yClass: Int32Array,
    rngState: Uint32Array,
    drop: Float64Array,
  ): number;
  /**
   * Rank's replaced walks of one map, every draw in one call (cpi-walk.ts's TypeScript loop, the same sums
   * bit for bit): work (draws x m x K) = acc plus each path's replaced-leaf minus base-leaf values.
   */
  replacedWalks(
    treeStart: Int32Array,
    feature: Int32Array,
    bin: Uint8Array,
    left: Int32Array,
    right: Int32Array,
    value: Float64Array,
    codes: Uint8Array,
    n: number,
    rows: Int32Array,
    include: Uint8Array,
    pathMask: Int32Array,
    W: number,
    firstNode: Int32Array,
    nGroups: number,
    groupOf: Int32Array,
    local: Int32Array,
    g: number,
    nCols: number,
    rep: Uint8Array,
    draws: number,
    baseLeaf: Int32Array,
    acc: Float64Array,
    work: Float64Array,
  ): void;
}

let loaded: ForestAddon | null | undefined;

/** The native growth loop, or null when it is not built or turned off. */
export function forestAddon(): ForestAddon | null {
  if (loaded === undefined) loaded = loadOptionalAddon<ForestAddon>('latentlens_forest', 'LATENTLENS_FOREST_NATIVE');
  return loaded;
}
