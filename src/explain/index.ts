// The explain layer's public face: map ranking, attribution, ablation, concepts, and explainMap.
export * from './importance/index.js';
export { attribute, type AttributeOptions } from './attribution/attribute.js';
export type { AttributionMethod, AttributionResult } from './attribution/types.js';
export { channelMutingTest, type ChannelMutingOptions, type ChannelMutingResult } from './attribution/channel-muting.js';
export {
  contrastiveShares,
  summarizeShares,
  channelSums,
  type ContrastiveShares,
  type ChannelShareSummary,
} from './attribution/aggregate.js';
export { localization, type LocalizationResult } from './attribution/localization.js';
export { randomizedEncoderCheck, type SanityResult } from './attribution/sanity.js';
export { faithfulness, type FaithfulnessResult } from './attribution/faithfulness.js';
export { makeBaseline, blur, type BaselineKind } from './attribution/baseline.js';
export {
  mapEffects,
  singleMapAblation,
  entanglementIndex,
  type MapEffects,
  type SingleMapAblation,
  type Entanglement,
} from './ablation/map-effects.js';
export { maskedDecodeReport, type MaskedDecodeReport } from './ablation/masked-decode.js';
export { fillMaps, ablateMap, setMapLevel, type FillKind } from './ablation/latent-edit.js';
export { traverseMap, type Traversal } from './ablation/traversal.js';
export { activationMaximization, type ActivationMaxOptions, type ActivationMaxResult } from './activation-max.js';
export { exemplars, type Exemplars } from './exemplars.js';
export { explainMap, type ExplainInput, type ExplainOptions, type ExplainResult } from './explain-map.js';
export { encodeLatents, type LatentMaps, type LatentShape } from '../models/encode.js';
export { poolLatents, type Pooling } from '../models/pool-latents.js';
export type { MapTarget } from './target.js';
export * as tcav from './tcav/index.js';
export {
  studyDesign,
  nuisanceStatistics,
  designSummary,
  FEW_GROUPS,
  type DesignReport,
  type DesignInput,
  type NuisanceStats,
  type ConfoundResult,
} from './design.js';
export { chooseReference, type ReferenceChoice, type ReferenceOptions } from './reference.js';
