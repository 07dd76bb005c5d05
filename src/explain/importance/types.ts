// Shapes shared by the importance functions. `RankResult` is what `latentlens rank` writes as rank.json.

import type { Table } from '../../core/table.js';
import type { RefitShare } from './refit-share.js';
import type { ForestOptions } from '../../forest/index.js';

/**
 * LOCO's null: 'refits' (full forests with other seeds), 'within-group shifts' (LOCO re-made on labels
 * rotated along each subject's slices, used when subjects sit on both sides of the split) or 'label
 * permutations' (LOCO re-made on permuted labels, pooled over the maps: exact p-values at small classes).
 */
export type ConditionalNullKind = 'refits' | 'within-group shifts' | 'label permutations';

/** The same type as core's Table (importance is judged per group, i.e. per map); the name stays for callers of the package. */
export type FeatureMatrix = Table;

export type RankStage =
  'bin' | 'fit' | 'permutation' | 'marginal-null' | 'conditional' | 'conditional-null' | 'null' | 'stability' | 'univariate';

/** Progress of long work: `done` of `total` units within `stage`. */
export interface RankProgress {
  stage: RankStage;
  done: number;
  total: number;
}

/** How the conditional statistic is made (see RankOptions.conditionalMethod). */
export type ConditionalMethod = 'loco' | 'cpi';

/** Statistic whose null distribution PIMP builds (see pimp.ts). */
export type NullStatistic = 'oob-permutation' | 'impurity';

/** Where the per-case importance is measured (see RankOptions.evaluation). */
export type RankEvaluation = 'cv' | 'holdout' | 'oob';

export interface RankOptions {
  /** Forest settings (defaults: 100 trees, sqrt features, fully grown). Its seed defaults to `seed`. */
  forest?: ForestOptions;
  /**
   * Where the per-case importance is measured:
   * - 'cv' (default): stratified K-fold cross-validation — every case is evaluated (once per CV repeat)
   *   by the forest of the fold that did not train on it;
   * - 'holdout': one forest fitted on a stratified (1 - testFraction) split (or on the rows outside
   *   `testRows`), evaluated on the rest;
   * - 'oob': one forest fitted on all rows; each case is predicted only by the trees it was out of bag
   *   for (per-case OOB predictions; the conditional sampler is then fitted on all rows, the case's own
   *   included, a small leak that matters only for very few rows).
   * Explicit `testRows` imply 'holdout'.
   */
  evaluation?: RankEvaluation;
  /** Folds of 'cv'. Default 5. */
  folds?: number;
  /** Repeats of the K-fold split for 'cv' (each case's statistic averages its evaluations). Default 1. */
  cvRepeats?: number;
  /** Held-out fraction for 'holdout'. Default 0.25. */
  testFraction?: number;
  /** Explicit held-out rows (overrides testFraction; implies 'holdout'). */
  testRows?: ArrayLike<number>;
  /**
   * The group (subject, patient, volume) of each row; equal values = one group. With groups holding more
   * than one case, 'cv' uses stratified group K-fold and 'holdout' a group-aware split: every group on
   * one side (plan.ts). Absent, or one case per group: the case-level split, unchanged.
   */
  caseGroups?: ArrayLike<string | number>;
  /**
   * Each case's position within its group (slice index). With groups whose labels vary, the marginal
   * null then rotates each group's labels along this order instead of shuffling cases (marginal-null.ts).
   */
  caseOrder?: ArrayLike<number>;
  /** Secondary, descriptive metric: 'auto' (default: AUC for two classes, accuracy otherwise), 'auc' (binary only) or 'accuracy'. */
  metric?: 'auto' | 'auc' | 'accuracy';
  /** Replacement draws per map and case (the d_i average over them). Default 10. */
  repeats?: number;
  /** Confidence level of the intervals. Default 0.95. */
  confidence?: number;
  /** Compute the conditional test too (it needs at least two maps). Default true. */
  conditional?: boolean;
  /**
   * How the conditional statistic is made: 'loco' (default; loco.ts) refits the forest without the map and
   * refers the held-out Brier loss to refits with other seeds; 'cpi' (cpi.ts) replaces the map by a draw
   * from a linear model of it given the other maps' means, tested by the paired t-test — cheaper (no
   * refits) but it errs towards the marginal answer where the maps' relation is non-linear.
   */
  conditionalMethod?: ConditionalMethod;
  /** LOCO only: full-forest refits with other seeds per fit, the null of the conditional verdict. Default 19; at least 5. */
  conditionalNull?: number;
  /** 'cpi' only: ridge of the conditional sampler's regressions, relative to the mean diagonal of the Gram matrix. Default 1e-3. */
  conditionalRidge?: number;
  /** FDR level of `significant` (Benjamini–Hochberg across maps, separately for marginal and conditional). Default 0.05. */
  fdr?: number;
  /**
   * Label permutations of the marginal verdict's null (marginal-null.ts): the whole evaluation re-run on
   * shuffled labels; the marginal p-value compares the observed mean with these null means (Student t,
   * B - 1 degrees of freedom). 0 falls back to the paired t-test of mean d > 0, which is not calibrated
   * on correlated maps (a warning says so). Default 19; at least 5 when on. Costs B times the evaluation's forests.
   */
  marginalNull?: number;
  /**
   * p-values of the nulls: false refers the observed mean to a Student t fitted to the B null means; true
   * uses the rank p-value (exceedances + 1) / (B + 1), exact under exchangeable cases, with B sized so BH
   * can star a map (exactNullDraws: 699 for 16 maps at FDR 0.05) unless marginalNull / conditionalNull are
   * given. 'auto' (default): exact when the smallest class has under 50 evaluated cases, where the null means
   * are skewed and the t approximation was measured to be liberal (rank-settings.ts). There LOCO's refit
   * null gives way to LOCO on conditionalNull label permutations (default (B + 1) / G rounded up), pooled
   * over the maps. LOCO's label-shift null always uses the t approximation.
   */
  exactNull?: boolean | 'auto';
  /**
   * Label permutations of the PIMP null model (pimp.ts): opt-in, descriptive; it never sets
   * `significant`. Default 0 (skipped).
   */
  nullPermutations?: number;
  /** Statistic for PIMP and for the stability refits. Default 'oob-permutation'. */
  nullStatistic?: NullStatistic;
  /** Trees per null-model forest. Default: the forest's nTrees. */
  nullTrees?: number;
  /** Bootstrap refits for rank stability; 0 skips. Default 30. */
  stabilityBootstraps?: number;
  /** k of "in the top k". Default 3 (at most the number of maps). */
  topK?: number;
  /** Seed for the split, forests, permutations and bootstraps. Default 0. */
  seed?: number;
  /** Worker threads (default: core count; 0 = calling thread). Overrides forest.threads. */
  threads?: number;
  /** Progress callback. */
  onProgress?: (p: RankProgress) => void;
  /**
   * Data-parallel ranks to split the refits over (refit-share.ts; processGroupShare for c10d): the
   * marginal null's label shuffles, LOCO's forests without each map and its null refits (or its label
   * rotations), the PIMP permutations and the stability bootstraps. Every rank gets the single-process
   * result bit for bit. The evaluation's own fits (one per fold) run on every rank.
   */
  share?: RefitShare;
}

/**
 * One map's per-case held-out Brier test. Each evaluated case i has d_i = Brier(case i with the map
 * replaced, averaged over the draws) - Brier(case i) under a forest that did not train on the case;
 * Brier = sum over classes of (p_k - 1[y = k])^2. Conditional LOCO (the default): d_i = Brier(case i,
 * forest refitted without the map) - Brier(case i).
 */
export interface ImportanceTest {
  /** mean_i d_i (positive = replacing the map worsens the forest's predictions). */
  mean: number;
  /** Standard deviation of d_i over the evaluated cases. */
  std: number;
  /** mean -/+ t_{n-1} sd / sqrt(n) at `confidence`: it reflects which cases were evaluated, not only the draws. */
  ciLow: number;
  ciHigh: number;
  /** The t statistic: against `null` when there is one, else mean / (sd / sqrt(n)). */
  t: number;
  /**
   * One-sided p-value of mean d above its null `null`: t = (mean - null.mean) / (null.std sqrt(1 + 1/B)),
   * B - 1 df. Marginal: B evaluations on permuted labels. Conditional LOCO: B full forests refitted with
   * other seeds (the refit noise). Without a null (marginalNull 0; conditional 'cpi') the paired t-test of
   * mean d > 0 (Watson & Wright's CPI test).
   */
  pValue: number;
  /**
   * The null's B means of d (their mean and sd) and how many reached the observed mean ((exceedances + 1) /
   * (B + 1) is the distribution-free rank p-value): evaluations on permuted labels (marginal) or the
   * refit null of LOCO (conditional).
   */
  null?: { mean: number; std: number; permutations: number; exceedances: number };
  /** Benjamini–Hochberg q-value across maps (within this test). */
  qValue: number;
  /** qValue <= fdr AND ciLow > 0: a map whose interval reaches zero or below is never significant. */
  significant: boolean;
  /** Evaluated cases n. */
  nCases: number;
  /**
   * Cases with d_i != 0. When few cases move at all (a saturated forest that barely reads the map), d is
   * sparse and skewed and the t-test is unreliable: a warning names such starred maps.
   */
  nChanged: number;
}

/** One map's row in rank.json. */
export interface GroupRank {
  /** Map index (position in groupNames). */
  index: number;
  name: string;
  /** Feature columns of this map. */
  nColumns: number;
  /**
   * 1-based rank (1 = most important): by marginal.mean, then conditional.mean, then
   * |univariateAuc - 0.5|, then index.
   */
  rank: number;
  /**
   * Marginal: the forest relies on the map. The map's columns are replaced together by another
   * evaluated case's (a permutation among the evaluation cases).
   */
  marginal: ImportanceTest;
  /**
   * Conditional: the map carries label information that the other maps do not. The map's columns are
   * replaced by a draw given the other maps (linear regression on the other maps' means + a permuted
   * residual). Null when `conditional: false`.
   */
  conditional: ImportanceTest | null;
  /**
   * Descriptive only (no test): drop in the secondary metric (AUC or accuracy) on the evaluation rows
   * when the map is replaced marginally, one value per (fit, draw). Zero everywhere when the metric is
   * saturated — which is why the verdicts use the Brier score.
   */
  metricDrop: { mean: number; std: number; values: number[] };
  /** The map's share of the forest's mean decrease in impurity (sums to 1 over maps; mean over fits). Biased; for reference only. */
  impurity: number;
  /**
   * PIMP (opt-in, descriptive): the map's OOB statistic on the training rows, its null distribution's
   * mean and sd under label permutation (a marginal null: every map associated with the label passes
   * it), the permutation p-value, its BH q-value and q <= fdr. Null when nullPermutations is 0. It does
   * not set the verdicts above.
   */
  pimp: { statistic: number; nullMean: number; nullStd: number; pValue: number; qValue: number; significant: boolean } | null;
  /** Fraction of bootstrap refits in which this map ranked first / in the top k (by the PIMP statistic). Null when skipped. */
  stability: { top1: number; topK: number; meanRank: number } | null;
  /**
   * AUC of the map's pooled value (mean of its columns) for the positive class, all rows; for more
   * than two classes, the macro one-vs-rest AUC. Below 0.5 means a negative association.
   */
  univariateAuc: number;
  /** Two classes: whether the map's mean is higher or lower in the positive class (univariateAuc vs 0.5); null otherwise or at exactly 0.5. */
  direction: 'higher in positive class' | 'lower in positive class' | null;
}

/** How the split treated the case groups (RankResult.split). */
export interface SplitInfo {
  /** Distinct groups among the rows (the number of rows when no groups were given). */
  nGroups: number;
  /** Whether case groups were given. */
  groupsGiven: boolean;
  /** Groups were given and every group lies entirely on one side of every fit's split. */
  groupAware: boolean;
  /** Groups with cases among both the training and the evaluation rows of at least one fit (0 for 'oob' without groups). */
  groupsOnBothSides: number;
  /** Why the split is not group-aware although groups were given (or used fewer folds than asked); null otherwise. */
  note: string | null;
}

/** The result of rankFeatureMaps (written as rank.json). */
export interface RankResult {
  format: 'latentlens-rank';
  version: 2;
  /** Sorted distinct labels; classes[1] is the positive class for a binary AUC. */
  classes: number[];
  /** The secondary, descriptive metric. */
  metric: 'auc' | 'accuracy';
  evaluation: RankEvaluation;
  nRows: number;
  nColumns: number;
  /** Forests fitted for the evaluation (folds x CV repeats, or 1). */
  nFits: number;
  /** Training rows per evaluation forest (mean over fits, rounded). */
  nTrain: number;
  /** Distinct cases evaluated. */
  nEval: number;
  /** Evaluated cases per class (in `classes` order). */
  nEvalPerClass: number[];
  /** The forests' metric on their evaluation rows, unreplaced (mean over fits). */
  baselineScore: number;
  /** Mean Brier score of the evaluated cases, unreplaced. */
  baselineBrier: number;
  /** The evaluation forests' OOB accuracy on their training rows (mean over fits). */
  oobAccuracy: number;
  /** Map indices, most important first (see GroupRank.rank for the order). */
  ranking: number[];
  /** Maps in their original order. */
  groups: GroupRank[];
  /** What the reader must know before trusting the ranking (saturated metric, few cases, nothing significant, ...). */
  warnings: string[];
  /** How the split treated the case groups (group-aware or not, groups on both sides); always set by rankFeatureMaps, absent in older rank.json files. */
  split?: SplitInfo;
  /** The settings used, with defaults filled in. */
  settings: {
    nTrees: number;
    folds: number | null;
    cvRepeats: number | null;
    testFraction: number | null;
    repeats: number;
    confidence: number;
    conditional: boolean;
    /** Absent in older rank.json files, whose conditional test was 'cpi'. */
    conditionalMethod?: ConditionalMethod;
    /** LOCO's null size B (refits per fit, or label rotations). Absent in older files. */
    conditionalNull?: number;
    /** LOCO's null (ConditionalNullKind). Absent in older files and without LOCO. */
    conditionalNullKind?: ConditionalNullKind;
    conditionalRidge: number;
    fdr: number;
    /** Whether the marginal and LOCO-refit p-values are rank p-values (exactNull). Absent in older files. */
    exactNull?: boolean;
    /** Label permutations of the marginal null (0 = off). Absent in older rank.json files. */
    marginalNull?: number;
    /** How the marginal null permuted the labels: across cases, across groups, or shifted within groups. Absent in older files. */
    marginalNullPermutation?: 'cases' | 'groups' | 'within-group shifts';
    nullPermutations: number;
    nullStatistic: NullStatistic;
    nullTrees: number;
    stabilityBootstraps: number;
    topK: number;
    seed: number;
  };
  /** Wall-clock seconds per stage. */
  timings: Record<string, number>;
}
