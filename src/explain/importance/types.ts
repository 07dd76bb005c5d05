// Shapes shared by the importance functions. `RankResult` is what `latentlens rank` writes as rank.json.

import type { ForestOptions } from '../../forest/index.js';

/**
 * Latent features of N cases: `data[r * cols + c]` (row-major, float32). Column c belongs to the map
 * (group) `groupOf[c]`, an index into `groupNames`. A map may contribute pooled summaries (mean, max,
 * std) or its full h x w grid: importance is always computed per map, never per column.
 */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
  groupOf: ArrayLike<number>;
  groupNames: string[];
}

export type RankStage = 'bin' | 'fit' | 'permutation' | 'null' | 'stability' | 'univariate';

/** Progress of long work: `done` of `total` units within `stage`. */
export interface RankProgress {
  stage: RankStage;
  done: number;
  total: number;
}

/** Statistic whose null distribution PIMP builds (see pimp.ts). */
export type NullStatistic = 'oob-permutation' | 'impurity';

export interface RankOptions {
  /** Forest settings (defaults: 100 trees, sqrt features, fully grown). Its seed defaults to `seed`. */
  forest?: ForestOptions;
  /**
   * Where permutation importance is measured: 'holdout' (default) fits on a stratified
   * (1 - testFraction) split and permutes on the rest; 'oob' fits on all rows and permutes each
   * tree's out-of-bag rows.
   */
  evaluation?: 'holdout' | 'oob';
  /** Held-out fraction for 'holdout'. Default 0.25. */
  testFraction?: number;
  /** Explicit held-out rows (overrides testFraction). */
  testRows?: ArrayLike<number>;
  /** 'auto' (default: AUC for two classes, accuracy otherwise), 'auc' (binary only) or 'accuracy'. */
  metric?: 'auto' | 'auc' | 'accuracy';
  /** Permutations per map for the importance mean and interval. Default 10. */
  repeats?: number;
  /** Confidence level of the interval. Default 0.95. */
  confidence?: number;
  /** Label permutations of the PIMP null model; 0 skips p-values. Default 100. */
  nullPermutations?: number;
  /** Statistic for PIMP. Default 'oob-permutation'. */
  nullStatistic?: NullStatistic;
  /** Trees per null-model forest. Default: the forest's nTrees. */
  nullTrees?: number;
  /** FDR level for `significant` (Benjamini–Hochberg). Default 0.05. */
  fdr?: number;
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
}

/** One map's row in rank.json. */
export interface GroupRank {
  /** Map index (position in groupNames). */
  index: number;
  name: string;
  /** Feature columns of this map. */
  nColumns: number;
  /** 1-based rank by mean permutation importance (1 = most important). */
  rank: number;
  /**
   * Drop in the metric when all of this map's columns are permuted together (positive = the forest
   * relies on the map). `ciLow`/`ciHigh`: t-interval over the repeats at `confidence` — it reflects
   * permutation noise for this fitted forest, not refitting variability (see `stability` for that).
   */
  importance: { mean: number; std: number; ciLow: number; ciHigh: number; repeats: number[] };
  /** The map's share of the forest's mean decrease in impurity (sums to 1 over maps). Biased; for reference only. */
  impurity: number;
  /**
   * PIMP: the map's statistic on the real labels, its null distribution's mean and sd, the permutation
   * p-value (1 + #null >= observed) / (1 + nullPermutations), the BH q-value and q <= fdr. Null when
   * nullPermutations is 0.
   */
  pimp: { statistic: number; nullMean: number; nullStd: number; pValue: number; qValue: number; significant: boolean } | null;
  /** Fraction of bootstrap refits in which this map ranked first / in the top k. Null when skipped. */
  stability: { top1: number; topK: number; meanRank: number } | null;
  /**
   * AUC of the map's pooled value (mean of its columns) for the positive class, all rows; for more
   * than two classes, the macro one-vs-rest AUC. Below 0.5 means a negative association.
   */
  univariateAuc: number;
}

/** The result of rankFeatureMaps (written as rank.json). */
export interface RankResult {
  format: 'latentlens-rank';
  version: 1;
  /** Sorted distinct labels; classes[1] is the positive class for a binary AUC. */
  classes: number[];
  metric: 'auc' | 'accuracy';
  evaluation: 'holdout' | 'oob';
  nRows: number;
  nColumns: number;
  nTrain: number;
  /** Rows the permutation importance was measured on. */
  nEval: number;
  /** The forest's metric on the evaluation rows, unpermuted. */
  baselineScore: number;
  /** The forest's OOB accuracy on its training rows. */
  oobAccuracy: number;
  /** Map indices, most important first (by importance.mean). */
  ranking: number[];
  /** Maps in their original order. */
  groups: GroupRank[];
  /** The settings used, with defaults filled in. */
  settings: {
    nTrees: number;
    repeats: number;
    confidence: number;
    nullPermutations: number;
    nullStatistic: NullStatistic;
    nullTrees: number;
    fdr: number;
    stabilityBootstraps: number;
    topK: number;
    seed: number;
    testFraction: number | null;
  };
  /** Wall-clock seconds per stage. */
  timings: Record<string, number>;
}
