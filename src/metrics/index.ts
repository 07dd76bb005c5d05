// Disentanglement metrics: public surface (see README.md in this folder).
export { computeMetrics, METRIC_NAMES, type MetricName, type MetricsOptions, type MetricsResult, type LatentTable } from './compute.js';
export { prepareFactors, type FactorTable, type PreparedFactor } from './factors.js';
export { encodeLatents, latentTable, type LatentMaps } from './latents.js';
export { betaVaeScore, factorVaeScore, type BetaVaeScoreResult, type FactorVaeScoreResult } from './fixed-factor-scores.js';
export { mig, modularity, mutualInformationMatrix, type MigResult, type ModularityResult } from './information-metrics.js';
export { dci, type DciResult } from './dci.js';
export { sap, explicitness, type SapResult, type ExplicitnessResult } from './sap-explicitness.js';
export { gaussianTotalCorrelation, activeUnits, type TotalCorrelationResult, type ActiveUnitsResult } from './unsupervised.js';
export { fitLogistic, predictProba, accuracy, rocAuc, rSquared, fitLasso, type LogisticModel, type LogisticOptions, type Matrix } from './linear.js';
