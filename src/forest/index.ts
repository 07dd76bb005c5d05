// Public surface of the random forest.
export {
  RandomForest,
  resolveOptions,
  type ForestOptions,
  type ResolvedForestOptions,
  type ForestJSON,
  type FitBinnedOptions,
  type FittedTree,
  type ForestTask,
} from './forest.js';
export {
  binMatrix,
  applyBins,
  selectRows,
  toMatrix,
  sharedArray,
  sharedCopy,
  toShared,
  type BinnedMatrix,
  type Matrix,
  type MatrixLike,
  type BinOptions,
} from './binning.js';
export { TreePool, sharedPool, closeSharedPool, defaultThreads } from './pool.js';
export { forestAddon } from './native-tree.js';
export type { Criterion } from './tree.js';
