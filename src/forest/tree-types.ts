// The shapes tree.ts grows from and into, shared by its split search, its OOB importance and the workers.

export type Criterion = 'gini' | 'entropy' | 'squared_error';

/** Fully resolved tree-growing parameters (see ForestOptions for the user-facing ones). */
export interface TreeParams {
  regression: boolean;
  /** Number of classes (classification) — ignored for regression. */
  nClasses: number;
  criterion: Criterion;
  /** Candidate features per node (1..d). */
  mtry: number;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Minimum weighted impurity decrease (fraction of total weight, as in scikit-learn). */
  minImpurityDecrease: number;
  bootstrap: boolean;
  /** Draws per tree when bootstrapping; 0 means as many as training rows. */
  maxSamples: number;
}

/** The training data one tree sees; all arrays may live in shared memory. */
export interface TreeData {
  n: number;
  d: number;
  codes: Uint8Array;
  /**
   * The same codes row-major (n x d), or null. Small nodes' histograms read these: a node's rows then sit in a few
   * cache lines each, which every node below it reads again, where a column-major read of a fresh
   * candidate feature misses the cache once per sample.
   */
  rowCodes: Uint8Array | null;
  nBins: Uint16Array;
  /** Class index per row (classification). */
  yClass: Int32Array | null;
  /** Target per row (regression). */
  yReg: Float64Array | null;
  /** Per-row weight (class weights folded in), or null for all ones. */
  weight: Float64Array | null;
  /** Training rows (indices into 0..n-1; may repeat, e.g. an outer bootstrap). */
  rows: Int32Array;
  /** Column → group, for per-tree out-of-bag permutation importance; null to skip it. */
  groupOf: Int32Array | null;
  nGroups: number;
}

/** A grown tree as flat arrays; node 0 is the root, `left[i] < 0` marks a leaf. */
export interface TreeArrays {
  feature: Int32Array;
  bin: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** nNodes x width: class probabilities (classification) or the mean (regression). */
  value: Float64Array;
  /** Distinct training samples reaching each node. */
  nodeSamples: Int32Array;
}

export interface TreeBuildResult {
  tree: TreeArrays;
  /** Weighted impurity decrease summed per feature (not normalised). */
  mdi: Float64Array;
  /**
   * Per-group drop in this tree's out-of-bag accuracy (classification) or rise in its OOB mean squared
   * error (regression) when the group's columns are permuted together among the OOB rows (Breiman's
   * per-tree permutation importance). Null when no groups were given or there are no OOB rows.
   */
  oobPerm: Float64Array | null;
  nOob: number;
}
