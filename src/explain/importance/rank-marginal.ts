// The marginal verdict: per-case t-tests of the marginal d, whose p-values the statistic's own null
// under shuffled labels replaces when marginalNull > 0 (marginal-null.ts).

import type { BinnedMatrix } from '../../forest/index.js';
import { deriveSeed } from '../../core/random.js';
import { caseTest, perCaseMeans, type CaseTestResult } from './case-test.js';
import { marginalNull, marginalNullTest, type LabelPermuter } from './marginal-null.js';
import type { FitEvaluation } from './rank-fits.js';
import type { RankClasses, RankSettings } from './rank-settings.js';
import type { StageClock } from './rank-timings.js';

/** Each map's marginal test, its p-value and t from the label-shuffle null when there is one. */
export async function marginalTests(
  binned: BinnedMatrix,
  s: RankSettings,
  c: RankClasses,
  ev: FitEvaluation,
  permuter: LabelPermuter,
  clock: StageClock,
): Promise<CaseTestResult[]> {
  const { G } = s;
  const marginal = Array.from({ length: G }, (_, g) => caseTest(perCaseMeans(ev.sumM, g, ev.cases), s.confidence));
  if (s.marginalNullPermutations === 0) return marginal;
  const t0 = performance.now();
  const nul = await marginalNull(binned, c.yIdx, c.K, {
    groupOf: s.groupOf,
    nGroups: G,
    classes: c.classes,
    metric: c.metric,
    repeats: s.repeats,
    permutations: s.marginalNullPermutations,
    plan: s.plan,
    permute: permuter.permute,
    forest: s.forestOpts,
    seed: deriveSeed(s.seed, 4, 0x6d6e756c),
    ...(s.share ? { share: s.share } : {}),
    onProgress: (done, total) => s.progress?.({ stage: 'marginal-null', done, total }),
  });
  for (let g = 0; g < G; g++) {
    const r = marginalNullTest(marginal[g].mean, nul, g, G, s.exactNull === true);
    marginal[g] = {
      ...marginal[g],
      t: r.t,
      pValue: r.pValue,
      null: { mean: r.nullMean, std: r.nullStd, permutations: r.permutations, exceedances: r.exceedances },
    };
  }
  clock('marginal-null', t0);
  return marginal;
}
