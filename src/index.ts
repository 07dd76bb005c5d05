// latentlens as a library: the public surface. Each layer's index lists its own exports.
export * from './engine/index.js';
export * as nn from './nn/index.js';
export { ReferenceAE } from './models/reference-ae.js';
export * as data from './data/index.js';
export { createModel, modelFromConfig, MODEL_KINDS } from './models/registry.js';
export type { LatentModel, Encoding, ModelConfig, ModelKind } from './models/types.js';
