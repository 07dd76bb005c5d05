// PIMP: null-model p-values for map importance (Altmann, Toloşi, Sander & Lengauer, "Permutation
// importance: a corrected feature importance measure", Bioinformatics 26(10), 2010).
//
// What it tests: a MARGINAL null on the forest's OOB statistic of the training rows — "this map has no
// association with the label at all". Every map of an autoencoder is associated with the label through
// the other maps, so on real latents nearly every map passes; and the statistic is not the held-out one
// the ranking reports. rankFeatureMaps therefore runs PIMP only on request (nullPermutations > 0, default
// 0) and reports it for reference: its `significant` is not the verdict. The verdicts come from the
// per-case held-out Brier tests (cpi.ts, rank.ts).
//
// The label vector is permuted many times; each time the forest is refitted with the same settings and
// the same statistic is computed for every map. That gives each map its own null distribution — which
// automatically absorbs the map's size, its number of distinct values and its correlation with other
// maps (exactly the things that bias impurity importance). The p-value is the fraction of null values at
// least as large as the observed one, with the +1 correction so it is never 0:
//     p = (1 + #{null >= observed}) / (1 + permutations).
// With P permutations the smallest attainable p is 1 / (P + 1); Benjamini–Hochberg across M maps needs
// p <= alpha * k / M for k discoveries, so use P >= M / alpha (e.g. 100 permutations for 5 maps at 5%,
// 640 for 32 maps) when the strongest maps must survive the correction on their own.
//
// Statistic: 'oob-permutation' (default) is Breiman's per-tree out-of-bag permutation importance with the
// map's columns permuted together (computed inside each tree's worker, so a null refit costs little
// more than the fit); 'impurity' is the map's share of the mean decrease in impurity — biased on its
// own, but PIMP corrects that bias, and it is the cheapest (Altmann et al. used it).

import { RandomForest, type BinnedMatrix, type ForestOptions } from '../../forest/index.js';
import { Random, deriveSeed } from '../../core/random.js';
import type { NullStatistic } from './types.js';
import { gatherRefits, mineOf, type RefitShare } from './refit-share.js';
import { inLanes } from '../../util/lanes.js';

/** Settings shared by every analysis that refits grouped forests (PIMP nulls, bootstrap stability). */
export interface GroupedRefitOptions {
  /** Column → map (group). */
  groupOf: ArrayLike<number>;
  nGroups: number;
  /** Statistic. Default 'oob-permutation'. */
  statistic?: NullStatistic;
  /** Forest settings for every refit (oobScore is ignored). */
  forest?: ForestOptions;
  /** Training rows (labels are permuted or resampled among these). Default: all. */
  rows?: ArrayLike<number>;
  /** Seed of the permutations or resamples and of the forests. Default 0. */
  seed?: number;
  /** Forests fitted at once (keeps all workers busy between forests). Default 2. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Data-parallel ranks to split the refits over (refit-share.ts); every rank gets the whole result. */
  share?: RefitShare;
}

export interface PimpOptions extends GroupedRefitOptions {
  /** Label permutations. Default 100. */
  permutations?: number;
}

export interface PimpNull {
  statistic: NullStatistic;
  permutations: number;
  nGroups: number;
  /** null[p * nGroups + g]: statistic of map g in the forest fitted on label permutation p. */
  null: Float64Array;
}

/** The per-map statistic of a forest fitted with `groups` (fitBinned's option). */
export function groupStatistic(forest: RandomForest, statistic: NullStatistic, groupOf: ArrayLike<number>, nGroups: number): Float64Array {
  if (statistic === 'oob-permutation') {
    if (forest.groupOobImportance === null)
      throw new Error('forest was fitted without groups (or without bootstrap): no OOB permutation statistic');
    return Float64Array.from(forest.groupOobImportance);
  }
  const s = new Float64Array(nGroups);
  const fi = forest.featureImportances;
  for (let f = 0; f < fi.length; f++) s[groupOf[f]] += fi[f];
  return s;
}

/** Fits `permutations` forests on permuted labels and returns every map's null statistics. */
export async function pimpNull(binned: BinnedMatrix, labels: ArrayLike<number>, o: PimpOptions): Promise<PimpNull> {
  const P = Math.floor(o.permutations ?? 100);
  const G = o.nGroups;
  const statistic = o.statistic ?? 'oob-permutation';
  const seed = (o.seed ?? 0) >>> 0;
  const n = binned.rows;
  const train = o.rows ? Array.from(new Set(Array.from(o.rows))).sort((a, b) => a - b) : Array.from({ length: n }, (_, i) => i);
  const mine = mineOf(P, o.share);
  const own = new Float64Array(mine.length * G);
  let done = 0;
  const one = async (k: number): Promise<void> => {
    const p = mine[k]!;
    const rng = new Random(deriveSeed(seed, p, 0x6e756c6c));
    const y = Float64Array.from(labels);
    const vals = train.map((r) => labels[r]);
    rng.shuffle(vals);
    for (let i = 0; i < train.length; i++) y[train[i]] = vals[i];
    const forest = new RandomForest({ ...o.forest, oobScore: false, seed: deriveSeed(seed, p, 0x66727374) });
    await forest.fitBinned(binned, y, { rows: train, groups: statistic === 'oob-permutation' ? { groupOf: o.groupOf, nGroups: G } : null });
    own.set(groupStatistic(forest, statistic, o.groupOf, G), k * G);
    o.onProgress?.(++done, mine.length);
  };
  await inLanes(mine.length, Math.floor(o.concurrency ?? 2), one);
  return { statistic, permutations: P, nGroups: G, null: gatherRefits(own, P, G, o.share) };
}

/** PIMP p-values (1 + #{null >= observed}) / (1 + P) per map. */
export function pimpPValues(observed: ArrayLike<number>, nul: PimpNull): Float64Array {
  const G = nul.nGroups;
  const P = nul.permutations;
  const p = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let ge = 0;
    // A tiny tolerance makes ties (e.g. an unused map scoring exactly 0 in both) count as >=.
    const tol = 1e-12 * Math.max(1, Math.abs(observed[g]));
    for (let q = 0; q < P; q++) if (nul.null[q * G + g] >= observed[g] - tol) ge++;
    p[g] = (1 + ge) / (1 + P);
  }
  return p;
}
