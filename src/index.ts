// latentlens as a library: the public surface. Each layer's index lists its own exports.
export * from './engine/index.js';
export * as nn from './nn/index.js';
export { ReferenceAE } from './models/reference-ae.js';
