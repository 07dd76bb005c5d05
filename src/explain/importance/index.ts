// Map importance: grouped permutation importance, PIMP null-model p-values with FDR, rank stability,
// univariate baselines — all behind rankFeatureMaps.
export { rankFeatureMaps, univariateAucs, stratifiedSplit } from './rank.js';
export { groupPermutationImportance, type GroupPermutationOptions, type GroupPermutationResult } from './permutation.js';
export { pimpNull, pimpPValues, groupStatistic, type PimpOptions, type GroupedRefitOptions, type PimpNull } from './pimp.js';
export { rankStability, rankOrder, type StabilityOptions, type StabilityResult } from './stability.js';
export { auc, benjaminiHochberg, ksUniform, tCritical, normalQuantile, mean, std } from './stats.js';
export type { FeatureMatrix, RankOptions, RankResult, GroupRank, RankProgress, RankStage, NullStatistic } from './types.js';
