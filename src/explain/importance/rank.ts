// rankFeatureMaps: which latent maps predict the label — one statistic per verdict, on the same cases.
//
// The statistic (cpi.ts, loco.ts). For every evaluated case i and map g,
//     d_i = Brier(case i with map g replaced, averaged over `repeats` draws, or left out) - Brier(case i),
// where Brier = sum_k (p_k - 1[y = k])^2 of the class probabilities of a forest that did not train on
// case i. The Brier score is a proper scoring rule and bounded, so no clipping is needed, and it still
// moves when AUC or accuracy are saturated at 1.
//
// The test. mean_i d_i with the t-interval mean ± t_{n-1} sd / sqrt(n) at `confidence` — it reflects
// which cases were evaluated, not only the draws — and a one-sided p of mean d above its null: the same
// evaluation on permuted labels (marginal, marginal-null.ts), forests refitted with other seeds
// (conditional LOCO), or without a null the paired t-test of mean d > 0 (Watson & Wright's CPI, Machine
// Learning 2021; marginalNull 0 or conditional 'cpi'). Benjamini–Hochberg q-values across maps,
// separately for each test; `significant` = q <= fdr AND ciLow > 0, so a map whose interval reaches zero
// or below is never starred.
//
// Two questions (reported side by side):
// - marginal — "the forest relies on the map": the map's columns are taken together from another
//   evaluated case (a permutation). Its null is the map being independent of the label and of the other
//   maps; in an autoencoder every map is associated with the others, so a map that merely copies an
//   informative map also passes.
// - conditional — "the map carries label information that the other maps do not". Default LOCO (loco.ts):
//   the forest is refitted without the map, d_i = Brier(refit without it) - Brier(all maps), and the mean is
//   referred to B full-forest refits with other seeds (refit noise is shared by many cases, so a paired
//   t-test would take it for signal). 'cpi': each column of the map is regressed (least squares, small
//   ridge) on the per-map means of all other maps, on the training rows of the fold; the replacement is
//   prediction + a residual permuted among the evaluation cases, tested by the paired t-test. It assumes a
//   linear relation; where the real one is non-linear the draw can land where no real case lies, and the
//   test errs towards the marginal answer.
//
// Evaluation rows: stratified K-fold cross-validation by default (every case evaluated by the forest of
// its own fold), 'holdout' (one split or explicit testRows) or 'oob' (per-case out-of-bag predictions of
// one forest on all rows). Under 'cv' with cvRepeats > 1 each case's d_i averages its evaluations.
// With `caseGroups` (the subject of each case) the folds and the hold-out split keep every group on one
// side (stratified group K-fold, plan.ts); without them, or with one case per group, the split is the
// case-level one, unchanged. `split` in the result says how the groups were treated.
//
// Ranking: by marginal mean; ties (e.g. maps no tree uses, exactly 0) broken by conditional mean, then
// |univariate AUC - 0.5|, then index. The AUC / accuracy drop is kept as descriptive `metricDrop`.
//
// Pitfalls (README.md has the measurements):
// - The t-test treats the cases as independent. Under cross-validation they are not quite: the folds
//   share training cases, which correlates the statistics of different folds, and p-values come out
//   somewhat small (under a pure null the t statistics had sd 1.14-1.23 instead of 1; with one hold-out
//   forest, 0.98). Use evaluation 'holdout' when the test must be close to exact.
// - A saturated forest that barely reads a map moves only a few cases, mostly upwards (a confident
//   correct prediction can only get worse): the t-test is unreliable for such sparse d; `nChanged`
//   counts the cases that moved and a warning names starred maps with fewer than 10.
// - With few evaluated cases of a class (a warning says so) intervals and p-values are rough.
// - Significance is about this forest on these features; `stability` (bootstrap refits) shows how much
//   the order moves with the training sample.
// - PIMP (pimp.ts, opt-in with nullPermutations > 0) tests a marginal null on the OOB statistic of the
//   training rows; it is reported for reference and never sets `significant`.
//
// Steps (all seeded from options.seed, independent of thread count), one function each: the settings
// (rank-settings.ts); bin all columns once (labels unused, so nothing leaks), plan the fits and per fit:
// fit the forest, (cpi) fit the conditional sampler on its training rows, per-case importance on its
// evaluation rows, pooled per case (rank-fits.ts); the marginal test and its null (rank-marginal.ts);
// the conditional test, (loco) the refits without each map and their null (rank-conditional.ts); BH and
// the stars (case-test.ts); PIMP (opt-in) and stability (rank-refits.ts); univariate AUC and the order
// (rank-groups.ts); the warnings (rank-warnings.ts). The stages run in this order, which fixes the order
// of the progress events; every random draw is seeded by its stage, not by what ran before.
// With `share` the refits of the nulls, of LOCO and of stability are split over data-parallel ranks
// (refit-share.ts); because each refit is seeded by its own index, every rank ends with this result.

import { labelPermuter } from './marginal-null.js';
import { withSignificance } from './case-test.js';
import { conditionalNullKindOf, conditionalTests } from './rank-conditional.js';
import { baselineBrierOf, binFeatures, evaluateFits, planFits } from './rank-fits.js';
import { rankedGroups, univariateBaseline } from './rank-groups.js';
import { marginalTests } from './rank-marginal.js';
import { pimpVerdicts, refitStability } from './rank-refits.js';
import { indexClasses, resolveRankSettings, withNullDraws } from './rank-settings.js';
import { stageTimings } from './rank-timings.js';
import { rankWarnings } from './rank-warnings.js';
import { mean } from '../../core/stats.js';
import type { Table } from '../../core/table.js';
import type { RankOptions, RankResult } from './types.js';

export { conditionalMeaning, MARGINAL_MEANING } from './meaning.js';
export { caseTest } from './case-test.js';
export { rankGroups } from './rank-groups.js';

/**
 * Ranks the latent maps (column groups) of `features` by how much a random forest's held-out Brier score
 * worsens when the map is replaced — marginally and conditionally on the other maps — with per-case
 * t-intervals, one-sided p-values and BH q-values, plus descriptive AUC/accuracy drops, optional PIMP,
 * bootstrap rank stability and a univariate AUC baseline. See RankOptions for defaults and RankResult for
 * the shape (written as rank.json).
 */
export async function rankFeatureMaps(features: Table, labels: ArrayLike<number>, options: RankOptions = {}): Promise<RankResult> {
  const s0 = resolveRankSettings(features, labels, options);
  const { timings, clock } = stageTimings();
  const c = indexClasses(labels, options.metric);

  const binned = binFeatures(features, s0, clock);
  const plan = planFits(s0, c);
  const ev = await evaluateFits(features, labels, binned, s0, c, plan, clock);

  // The marginal null, LOCO's null and the warnings must permute labels the same way.
  const permuter = labelPermuter(c.yIdx, options.caseGroups, options.caseOrder);
  const { settings: s, conditionalNullKind } = withNullDraws(s0, ev.nEvalPerClass, conditionalNullKindOf(s0, plan, permuter));
  const marginal = withSignificance(await marginalTests(binned, s, c, ev, permuter, clock), s.fdr);
  const conditionalRaw = await conditionalTests(binned, labels, s, c, plan, ev, permuter, conditionalNullKind, clock);
  const conditional = conditionalRaw ? withSignificance(conditionalRaw, s.fdr) : null;

  const pimp = await pimpVerdicts(binned, labels, s, plan.refitRows, ev.pimpForest, clock);
  const stability = await refitStability(binned, labels, s, plan.refitRows, clock);
  const univariate = univariateBaseline(features, s, c, clock);

  const { groups, ranking } = rankedGroups(features, s, c, ev, { marginal, conditional, pimp, stability, univariate });
  const warnings = rankWarnings(features, s, c, plan, ev, { marginal, conditional, groups, ranking, permuter, conditionalNullKind });

  const { fits, folds, cvRepeats, testFraction } = plan;
  return {
    format: 'latentlens-rank',
    version: 2,
    classes: c.classes,
    metric: c.metric,
    evaluation: s.evaluation,
    nRows: s.n,
    nColumns: s.d,
    nFits: fits.length,
    nTrain: Math.round(ev.trainSum / fits.length),
    nEval: ev.cases.rows.length,
    nEvalPerClass: ev.nEvalPerClass,
    baselineScore: mean(ev.baselines),
    baselineBrier: baselineBrierOf(ev),
    oobAccuracy: mean(ev.oobScores),
    ranking,
    groups,
    warnings,
    split: plan.split,
    settings: {
      nTrees: s.nTrees,
      folds,
      cvRepeats,
      testFraction,
      repeats: s.repeats,
      confidence: s.confidence,
      conditional: s.useConditional,
      conditionalMethod: s.conditionalMethod,
      conditionalNull: s.useConditional && !s.useCpi ? s.conditionalNullRefits : 0,
      ...(conditionalNullKind ? { conditionalNullKind } : {}),
      conditionalRidge: s.conditionalRidge,
      fdr: s.fdr,
      exactNull: s.exactNull === true,
      marginalNull: s.marginalNullPermutations,
      marginalNullPermutation: permuter.kind,
      nullPermutations: s.nullPermutations,
      nullStatistic: s.nullStatistic,
      nullTrees: s.nullTrees,
      stabilityBootstraps: s.stabilityBootstraps,
      topK: s.topK,
      seed: s.seed,
    },
    timings,
  };
}
