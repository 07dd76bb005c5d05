// The stages of rankFeatureMaps that refit forests on the training rows (EvaluationPlan.refitRows) and rank
// maps by the PIMP statistic: the opt-in PIMP null (pimp.ts), descriptive only, and bootstrap stability
// (stability.ts).

import { RandomForest, type BinnedMatrix } from '../../forest/index.js';
import { deriveSeed } from '../../core/random.js';
import { benjaminiHochberg, mean, std } from '../../core/stats.js';
import { groupStatistic, pimpNull, pimpPValues } from './pimp.js';
import { rankStability, type StabilityResult } from './stability.js';
import type { RankSettings } from './rank-settings.js';
import type { StageClock } from './rank-timings.js';

/** Per map: the observed PIMP statistic, its null's mean and sd, the permutation p-value and its BH q-value. */
export interface PimpVerdicts {
  observed: Float64Array;
  nullMean: Float64Array;
  nullSd: Float64Array;
  pValues: Float64Array;
  qValues: Float64Array;
}

/**
 * PIMP, or null when nullPermutations is 0. `evaluationForest` is reused when it carries the statistic
 * (one fit, grouped OOB importance recorded); otherwise a forest is fitted on `refitRows`.
 */
export async function pimpVerdicts(
  binned: BinnedMatrix,
  labels: ArrayLike<number>,
  s: RankSettings,
  refitRows: Int32Array,
  evaluationForest: RandomForest | null,
  clock: StageClock,
): Promise<PimpVerdicts | null> {
  if (!(s.nullPermutations > 0)) return null;
  const { G, groupOf, nullStatistic, nullPermutations, forestOpts } = s;
  const t0 = performance.now();
  let pimpForest = evaluationForest;
  if (pimpForest === null || (nullStatistic === 'oob-permutation' && pimpForest.groupOobImportance === null)) {
    pimpForest = new RandomForest({ ...forestOpts, oobScore: false });
    await pimpForest.fitBinned(binned, labels, {
      rows: refitRows,
      groups: nullStatistic === 'oob-permutation' ? { groupOf, nGroups: G } : null,
    });
  }
  const observed = groupStatistic(pimpForest, nullStatistic, groupOf, G);
  const nul = await pimpNull(binned, labels, {
    groupOf,
    nGroups: G,
    permutations: nullPermutations,
    statistic: nullStatistic,
    forest: { ...forestOpts, nTrees: s.nullTrees },
    rows: refitRows,
    seed: deriveSeed(s.seed, 2, 0x6e756c6c),
    ...(s.share ? { share: s.share } : {}),
    onProgress: (done, total) => s.progress?.({ stage: 'null', done, total }),
  });
  const pValues = pimpPValues(observed, nul);
  const qValues = benjaminiHochberg(pValues);
  const nullMean = new Float64Array(G);
  const nullSd = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const col = new Float64Array(nullPermutations);
    for (let p = 0; p < nullPermutations; p++) col[p] = nul.null[p * G + g];
    nullMean[g] = mean(col);
    nullSd[g] = std(col);
  }
  clock('null', t0);
  return { observed, nullMean, nullSd, pValues, qValues };
}

/** How much the order moves over bootstrap refits of `refitRows`, or null when stabilityBootstraps is 0. */
export async function refitStability(
  binned: BinnedMatrix,
  labels: ArrayLike<number>,
  s: RankSettings,
  refitRows: Int32Array,
  clock: StageClock,
): Promise<StabilityResult | null> {
  if (!(s.stabilityBootstraps > 0)) return null;
  const t0 = performance.now();
  const stab = await rankStability(binned, labels, {
    groupOf: s.groupOf,
    nGroups: s.G,
    bootstraps: s.stabilityBootstraps,
    topK: s.topK,
    statistic: s.nullStatistic,
    forest: s.forestOpts,
    rows: refitRows,
    seed: deriveSeed(s.seed, 3, 0x626f6f74),
    ...(s.share ? { share: s.share } : {}),
    onProgress: (done, total) => s.progress?.({ stage: 'stability', done, total }),
  });
  clock('stability', t0);
  return stab;
}
