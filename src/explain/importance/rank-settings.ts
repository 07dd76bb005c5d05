// rankFeatureMaps' options checked and completed with their defaults, and the labels turned into class
// indices: everything the stages of rank.ts read but never change.

import type { ForestOptions } from '../../forest/index.js';
import type { PlanOptions } from './plan.js';
import type { Table } from '../../core/table.js';
import type { ConditionalMethod, ConditionalNullKind, NullStatistic, RankEvaluation, RankOptions } from './types.js';

/** The settings every stage of rankFeatureMaps shares, defaults filled in (RankOptions documents them). */
export interface RankSettings {
  n: number;
  d: number;
  /** Number of maps (column groups). */
  G: number;
  groupOf: Int32Array;
  /** Columns per map. */
  nCols: Int32Array;
  seed: number;
  evaluation: RankEvaluation;
  repeats: number;
  confidence: number;
  useConditional: boolean;
  conditionalMethod: ConditionalMethod;
  useCpi: boolean;
  conditionalNullRefits: number;
  conditionalRidge: number;
  /** RankOptions.exactNull; resolved to a boolean by withNullDraws once the evaluated class sizes are known. */
  exactNull: boolean | 'auto';
  /** Whether the caller chose the null sizes (then exact p-values keep them). */
  nullDrawsGiven: { marginal: boolean; conditional: boolean };
  nullPermutations: number;
  marginalNullPermutations: number;
  nullStatistic: NullStatistic;
  fdr: number;
  stabilityBootstraps: number;
  topK: number;
  forestOpts: ForestOptions & { task: 'classification'; seed: number };
  nTrees: number;
  nullTrees: number;
  progress: RankOptions['onProgress'];
  share: RankOptions['share'];
  /** The plan of the observed evaluation, less its forest seed: the nulls re-plan with their own. */
  plan: Omit<PlanOptions, 'forestSeed'>;
}

/** Labels as class indices, and the descriptive metric they allow. */
export interface RankClasses {
  /** Sorted distinct labels. */
  classes: number[];
  K: number;
  /** Class index of every row. */
  yIdx: Int32Array;
  metric: 'auc' | 'accuracy';
}

/** Checks the shapes and options (in this order, so the same input meets the same error) and fills in the defaults. */
export function resolveRankSettings(features: Table, labels: ArrayLike<number>, options: RankOptions): RankSettings {
  const { rows: n, cols: d } = features;
  if (features.data.length !== n * d) throw new Error(`features.data has ${features.data.length} values, expected ${n} x ${d}`);
  if (labels.length !== n) throw new Error(`labels has ${labels.length} entries, expected ${n}`);
  if (features.groupOf.length !== d) throw new Error(`groupOf has ${features.groupOf.length} entries, expected ${d}`);
  const G = features.groupNames.length;
  const groupOf = Int32Array.from(features.groupOf);
  const nCols = new Int32Array(G);
  for (let c = 0; c < d; c++) {
    if (!(groupOf[c] >= 0 && groupOf[c] < G)) throw new Error(`column ${c} has group ${groupOf[c]}, outside 0..${G - 1}`);
    nCols[groupOf[c]]++;
  }
  const seed = (options.seed ?? 0) >>> 0;
  if (options.testRows && options.evaluation !== undefined && options.evaluation !== 'holdout')
    throw new Error(`testRows need evaluation 'holdout', not '${options.evaluation}'`);
  const evaluation: RankEvaluation = options.evaluation ?? (options.testRows ? 'holdout' : 'cv');
  if (evaluation !== 'cv' && evaluation !== 'holdout' && evaluation !== 'oob') throw new Error(`unknown evaluation ${String(evaluation)}`);
  const repeats = Math.max(1, Math.floor(options.repeats ?? 10));
  const confidence = options.confidence ?? 0.95;
  // With one map there is nothing to condition on.
  const useConditional = (options.conditional ?? true) && G > 1;
  const conditionalMethod: ConditionalMethod = options.conditionalMethod ?? 'loco';
  if (conditionalMethod !== 'loco' && conditionalMethod !== 'cpi')
    throw new Error(`unknown conditional method ${String(conditionalMethod)} (loco or cpi)`);
  const useCpi = useConditional && conditionalMethod === 'cpi';
  const conditionalNullRefits = Math.floor(options.conditionalNull ?? 19);
  if (useConditional && conditionalMethod === 'loco' && !(conditionalNullRefits >= 5))
    throw new Error(`conditionalNull must be at least 5 refits, got ${options.conditionalNull}`);
  const conditionalRidge = options.conditionalRidge ?? 1e-3;
  const exactNull = options.exactNull ?? 'auto';
  if (exactNull !== 'auto' && typeof exactNull !== 'boolean')
    throw new Error(`exactNull must be 'auto', true or false, got ${String(exactNull)}`);
  const nullPermutations = Math.max(0, Math.floor(options.nullPermutations ?? 0));
  const marginalNullPermutations = Math.floor(options.marginalNull ?? 19);
  if (!(marginalNullPermutations === 0 || marginalNullPermutations >= 5))
    throw new Error(`marginalNull must be 0 (off) or at least 5 permutations, got ${options.marginalNull}`);
  const nullStatistic = options.nullStatistic ?? 'oob-permutation';
  const fdr = options.fdr ?? 0.05;
  const stabilityBootstraps = Math.max(0, Math.floor(options.stabilityBootstraps ?? 30));
  const topK = Math.max(1, Math.min(G, Math.floor(options.topK ?? 3)));
  const threads = options.threads ?? options.forest?.threads;
  const forestOpts = {
    ...options.forest,
    task: 'classification' as const,
    seed: options.forest?.seed ?? seed,
    ...(threads !== undefined ? { threads } : {}),
  };
  const nTrees = forestOpts.nTrees ?? 100;
  const nullTrees = Math.floor(options.nullTrees ?? nTrees);
  return {
    n,
    d,
    G,
    groupOf,
    nCols,
    seed,
    evaluation,
    repeats,
    confidence,
    useConditional,
    conditionalMethod,
    useCpi,
    conditionalNullRefits,
    conditionalRidge,
    exactNull,
    nullDrawsGiven: { marginal: options.marginalNull !== undefined, conditional: options.conditionalNull !== undefined },
    nullPermutations,
    marginalNullPermutations,
    nullStatistic,
    fdr,
    stabilityBootstraps,
    topK,
    forestOpts,
    nTrees,
    nullTrees,
    progress: options.onProgress,
    share: options.share,
    plan: {
      evaluation,
      folds: options.folds,
      cvRepeats: options.cvRepeats,
      testFraction: options.testFraction,
      testRows: options.testRows,
      caseGroups: options.caseGroups,
      seed,
    },
  };
}

/** The sorted distinct labels, each row's class index, and the metric ('auto': AUC for two classes, else accuracy). */
export function indexClasses(labels: ArrayLike<number>, metricOption: RankOptions['metric']): RankClasses {
  const n = labels.length;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (classes.length < 2) throw new Error('labels need at least two classes');
  for (const c of classes) if (!Number.isFinite(c)) throw new Error('labels must be finite numbers');
  const K = classes.length;
  const yIdx = new Int32Array(n);
  const cIndex = new Map(classes.map((c, i) => [c, i]));
  for (let r = 0; r < n; r++) yIdx[r] = cIndex.get(labels[r])!;
  const metric = metricOption === undefined || metricOption === 'auto' ? (K === 2 ? 'auc' : 'accuracy') : metricOption;
  if (metric === 'auc' && K !== 2) throw new Error('metric auc needs two classes');
  return { classes, K, yIdx, metric };
}

/**
 * Below this many evaluated cases in the smallest class the t approximation of the nulls was measured to be
 * liberal: on the ISIC folder (100 cases, 21 malignant, 16 maps of a ConvAE), 100 runs with shuffled labels
 * starred some map in 10 (4 marginally, 6 conditionally; BH at 5%), and the null p-values fell <= 0.05 in
 * 6.8% (marginal) and 8.4% (conditional) of maps, while the rank p-values over the same 19 draws were
 * calibrated (5.0% marginal, 6.4% conditional of 640). BreastMNIST (546 cases, 147 malignant) and
 * PneumoniaMNIST stayed at or under 5% with the t approximation (bench calibration).
 */
export const SMALL_CLASS = 50;

/**
 * Null draws for exact p-values: the smallest rank p-value 1 / (B + 1) must pass BH's bar for one map of G
 * (fdr / G) with room to spare (B + 1 >= 2 G / fdr, in hundreds, at least 200), else no map could be starred.
 */
export function exactNullDraws(G: number, fdr: number): number {
  return Math.max(200, 100 * Math.ceil((2 * G) / fdr / 100)) - 1;
}

/**
 * Decides between the t approximation and exact (rank) p-values, now that the evaluated class sizes are
 * known, sizes the nulls for the latter unless the caller chose them, and settles LOCO's null. Exact
 * p-values replace LOCO's refit null by LOCO re-made on P label permutations, pooled over the G maps
 * (P = (B + 1) / G rounded up, so P G draws): on ISIC (100 cases, 21 malignant) the maps' LOCO means
 * under shuffled labels spread 1.0 to 1.6 times as wide as 699 refits (a forest without a map differs from
 * the full one by more than seed noise); of 40 shuffled-label runs the refit null starred a map
 * conditionally in 3 (p <= 0.05 for 6.9% of maps), the pooled label null in 1 (4.1%; README). LOCO's
 * label-shift null (a full LOCO per draw, per map) keeps its size and the t approximation: at exact sizes
 * it would cost hundreds of LOCO runs.
 */
export function withNullDraws(
  s: RankSettings,
  nEvalPerClass: number[],
  conditionalNullKind: ConditionalNullKind | null,
): { settings: RankSettings; conditionalNullKind: ConditionalNullKind | null } {
  const exact = s.exactNull === 'auto' ? nEvalPerClass.length >= 2 && Math.min(...nEvalPerClass) < SMALL_CLASS : s.exactNull;
  if (!exact) return { settings: { ...s, exactNull: false }, conditionalNullKind };
  const B = exactNullDraws(s.G, s.fdr);
  const pooled = conditionalNullKind === 'refits';
  return {
    settings: {
      ...s,
      exactNull: true,
      marginalNullPermutations: s.nullDrawsGiven.marginal ? s.marginalNullPermutations : B,
      conditionalNullRefits: s.nullDrawsGiven.conditional || !pooled ? s.conditionalNullRefits : Math.ceil((B + 1) / s.G),
    },
    conditionalNullKind: pooled ? 'label permutations' : conditionalNullKind,
  };
}
