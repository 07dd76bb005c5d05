// Map importance: per-case held-out Brier importance, marginal (against a label-shuffle null) and conditional (LOCO refits or CPI),
// with FDR; opt-in PIMP null-model p-values; rank stability; univariate baselines — all behind rankFeatureMaps.
export { rankFeatureMaps, rankGroups, caseTest, MARGINAL_MEANING, conditionalMeaning } from './rank.js';
export { univariateAucs } from './map-stats.js';
export {
  planEvaluation,
  stratifiedFolds,
  stratifiedGroupFolds,
  stratifiedSplit,
  groupIndex,
  groupsOnBothSides,
  type EvaluationPlan,
  type PlannedFit,
  type PlanOptions,
} from './plan.js';
export {
  caseImportance,
  fitConditionalSampler,
  mapMeans,
  type CaseImportanceOptions,
  type CaseImportanceResult,
  type ConditionalSampler,
} from './cpi.js';
export { pimpNull, pimpPValues, groupStatistic, type PimpOptions, type GroupedRefitOptions, type PimpNull } from './pimp.js';
export { rankStability, rankOrder, type StabilityOptions, type StabilityResult } from './stability.js';
export { auc, benjaminiHochberg, ksUniform, tCritical, normalQuantile, mean, std } from '../../core/stats.js';
export type {
  SplitInfo,
  FeatureMatrix,
  RankOptions,
  RankResult,
  GroupRank,
  ImportanceTest,
  RankEvaluation,
  RankProgress,
  RankStage,
  NullStatistic,
} from './types.js';
