// latentlens as a library: the public surface. Each layer's index lists its own exports; layers whose
// names could clash are namespaced.
export * from './engine/index.js';
export { Random, randomStream, streamSeed } from './core/random.js';
export * as nn from './nn/index.js';
export * as data from './data/index.js';
export { createModel, modelFromConfig, MODEL_KINDS } from './models/registry.js';
export type { LatentModel, Encoding, ModelConfig, ModelKind } from './models/types.js';
export { ReferenceAE } from './models/reference-ae.js';
export {
  DiffusionAE,
  type DiffusionDecoderOptions,
  type DiffusionAEConfig,
  type ReconstructOptions,
} from './models/diffusion/diffusion-ae.js';
export {
  AdversarialAE,
  type AdversarialDecoderOptions,
  type AdversarialAEConfig,
  type AdversarialLoss,
} from './models/adversarial/adversarial-ae.js';
export { PatchDiscriminator, type PatchDiscriminatorOptions } from './models/adversarial/patch-discriminator.js';
export { makeSchedule, ddimTimesteps, type NoiseSchedule, type ScheduleOptions } from './models/diffusion/schedule.js';
export { ddimDecode, ddimInvert, qSample, type EpsModel, type DdimOptions } from './models/diffusion/ddim.js';
export * as train from './train/index.js';
export * as forest from './forest/index.js';
export * as explain from './explain/index.js';
export * as embed from './embed/index.js';
export * as metrics from './metrics/index.js';
export * as runs from './runs/index.js';
export { buildReport, writeReport, type ReportOptions } from './report/index.js';
