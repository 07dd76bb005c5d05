// Disentanglement metrics: public surface (see README.md in this folder).
export { computeMetrics, METRIC_NAMES, type MetricName, type MetricsOptions, type MetricsResult, type LatentTable } from './compute.js';
export { prepareFactors, type FactorTable, type PreparedFactor } from './factors.js';
export { encodeLatents, type LatentMaps } from '../models/encode.js';
export { poolLatents, type Pooling } from '../models/pool-latents.js';
// Core's AUC (ties counted half), under the name this namespace has always exported.
export { auc as rocAuc } from '../core/stats.js';
export { betaVaeScore, factorVaeScore, type BetaVaeScoreResult, type FactorVaeScoreResult } from './fixed-factor-scores.js';
export { mig, modularity, mutualInformationMatrix, type MigResult, type ModularityResult } from './information-metrics.js';
export { dci, type DciResult } from './dci.js';
export { sap, explicitness, type SapResult, type ExplicitnessResult } from './sap-explicitness.js';
export { gaussianTotalCorrelation, activeUnits, type TotalCorrelationResult, type ActiveUnitsResult } from './unsupervised.js';
export {
  fitLogistic,
  predictProba,
  accuracy,
  rSquared,
  fitLasso,
  type LogisticModel,
  type LogisticOptions,
  type Matrix,
} from './linear.js';
