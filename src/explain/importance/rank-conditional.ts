// The conditional verdict: the paired t-test of the CPI d, or LOCO refits without each map (loco.ts)
// referred to the refit null, or under exactNull to LOCO on permuted labels pooled over the maps (a rank
// p-value), or, where subjects straddle the split with labels along their slices, to LOCO on labels
// rotated along the slices.

import type { BinnedMatrix } from '../../forest/index.js';
import { deriveSeed } from '../../core/random.js';
import { mean } from '../../core/stats.js';
import { caseTest, perCaseMeans, type CaseTestResult } from './case-test.js';
import { locoImportance, locoLabelNull } from './loco.js';
import { marginalNullTest, type LabelPermuter } from './marginal-null.js';
import type { EvaluationPlan } from './plan.js';
import type { FitEvaluation } from './rank-fits.js';
import type { RankClasses, RankSettings } from './rank-settings.js';
import type { ConditionalNullKind } from './types.js';
import type { StageClock } from './rank-timings.js';

/**
 * Refit noise misses the shortcut of recognising the neighbouring slice of one subject, which only exists
 * when a subject sits on both sides of the split and its labels run along its slices.
 */
export function conditionalNullKindOf(s: RankSettings, plan: EvaluationPlan, permuter: LabelPermuter): ConditionalNullKind | null {
  if (!s.useConditional || s.useCpi) return null;
  return permuter.kind === 'within-group shifts' && plan.split.groupsOnBothSides > 0 ? 'within-group shifts' : 'refits';
}

/** Each map's conditional test, or null when the conditional question is off (or there is one map). */
export async function conditionalTests(
  binned: BinnedMatrix,
  labels: ArrayLike<number>,
  s: RankSettings,
  c: RankClasses,
  plan: EvaluationPlan,
  ev: FitEvaluation,
  permuter: LabelPermuter,
  nullKind: ConditionalNullKind | null,
  clock: StageClock,
): Promise<CaseTestResult[] | null> {
  const { G, conditionalNullRefits: B } = s;
  if (s.useCpi) return Array.from({ length: G }, (_, g) => caseTest(perCaseMeans(ev.sumC, g, ev.cases), s.confidence));
  if (!s.useConditional) return null;
  const t0 = performance.now();
  const loco = await locoImportance(binned, labels, c.yIdx, {
    groupOf: s.groupOf,
    nGroups: G,
    fits: plan.fits,
    fullBrier: ev.fullBrier,
    refits: nullKind === 'refits' ? B : 0,
    forest: s.forestOpts,
    seed: deriveSeed(s.seed, 5, 0x6c6f636f),
    ...(s.share ? { share: s.share } : {}),
    onProgress: (done, total) => s.progress?.({ stage: 'conditional', done, total }),
  });
  // LOCO's null: the refits' means, or LOCO re-made on B label permutations or shifts (B x G means).
  const nul =
    nullKind === 'refits'
      ? { means: Float64Array.from({ length: B }, (_, j) => mean(perCaseMeans(loco.nullSum, j, ev.cases))), permutations: B }
      : await locoLabelNull(binned, c.K, s.n, {
          groupOf: s.groupOf,
          nGroups: G,
          classes: c.classes,
          permutations: B,
          permute: permuter.permute,
          forest: s.forestOpts,
          plan: s.plan,
          seed: deriveSeed(s.seed, 6, 0x6c736866),
          ...(s.share ? { share: s.share } : {}),
          onProgress: (done, total) => s.progress?.({ stage: 'conditional-null', done, total }),
        });
  const conditional = Array.from({ length: G }, (_, g) => {
    const test = caseTest(perCaseMeans(loco.sum, g, ev.cases), s.confidence);
    const r =
      nullKind === 'refits'
        ? marginalNullTest(test.mean, nul, 0, 1, s.exactNull === true)
        : nullKind === 'label permutations'
          ? // Every map's null means in one pool of B x G draws (rank p-value).
            marginalNullTest(test.mean, { means: nul.means, permutations: B * G }, 0, 1, true)
          : marginalNullTest(test.mean, nul, g, G);
    return {
      ...test,
      t: r.t,
      pValue: r.pValue,
      null: { mean: r.nullMean, std: r.nullStd, permutations: r.permutations, exceedances: r.exceedances },
    };
  });
  clock('conditional', t0);
  return conditional;
}
