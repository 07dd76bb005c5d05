// What the reader of rank.json must know before trusting the ranking (RankResult.warnings), in the order
// they are reported.

import { CORRELATED, maxAbsCorrelation } from './map-stats.js';
import type { FitEvaluation } from './rank-fits.js';
import { SMALL_CLASS, type RankClasses, type RankSettings } from './rank-settings.js';
import type { LabelPermuter } from './marginal-null.js';
import type { EvaluationPlan } from './plan.js';
import type { Table } from '../../core/table.js';
import type { ConditionalNullKind, GroupRank, ImportanceTest } from './types.js';

/** Fewer evaluated cases of a class than this draws a warning. */
const FEW_CASES = 10;

/** The verdicts and the order the warnings are about. */
export interface RankOutcome {
  marginal: ImportanceTest[];
  conditional: ImportanceTest[] | null;
  groups: GroupRank[];
  ranking: number[];
  permuter: LabelPermuter;
  conditionalNullKind: ConditionalNullKind | null;
}

/** The warnings of one ranking, from the saturated metric to a tie at the top. */
export function rankWarnings(
  features: Table,
  s: RankSettings,
  c: RankClasses,
  plan: EvaluationPlan,
  ev: FitEvaluation,
  o: RankOutcome,
): string[] {
  const { fits } = plan;
  const { fdr, marginalNullPermutations } = s;
  const { metric, classes } = c;
  const { marginal: marginalTests, conditional: conditionalTests, groups, ranking, permuter, conditionalNullKind } = o;
  const nEval = ev.cases.rows.length;
  const warnings: string[] = [];
  const saturated = ev.baselines.filter((b) => b >= 1 - 1e-12).length;
  if (saturated > 0) {
    warnings.push(
      `${metric === 'auc' ? 'AUC' : 'accuracy'} is 1 on the evaluation rows${fits.length > 1 ? ` of ${saturated} of ${fits.length} fits` : ''} (saturated): ` +
        `maps are ranked by the Brier score; ${metric === 'auc' ? 'AUC' : 'accuracy'} drops cannot tell maps apart there.`,
    );
  }
  ev.nEvalPerClass.forEach((count, k) => {
    if (count < FEW_CASES)
      warnings.push(`only ${count} evaluated case(s) of class ${classes[k]}: the intervals and p-values rest on few cases.`);
  });
  const smallest = Math.min(...ev.nEvalPerClass);
  if (smallest >= FEW_CASES && smallest < SMALL_CLASS && ev.nEvalPerClass.length >= 2) {
    const shifts = conditionalNullKind === 'within-group shifts';
    warnings.push(
      `the smallest class has ${smallest} evaluated cases (under ${SMALL_CLASS}): ` +
        (s.exactNull === true
          ? `the intervals are rough, and the p-values are rank p-values over the null draws (marginal: ${marginalNullPermutations} label permutations${conditionalNullKind === 'label permutations' ? `; conditional: LOCO re-made on ${s.conditionalNullRefits} label permutations, its ${s.G} maps pooled into ${s.conditionalNullRefits * s.G} draws` : ''}), because at this size the t approximation and the refit null were measured to be liberal` +
            (shifts ? '; the conditional test against label shifts still uses it, so read a single conditional star as tentative.' : '.')
          : 'at this size the verdicts were measured to be liberal ' +
            '(100 shuffled-label runs on 100 cases with 21 in the smaller class starred some map in 10, against 5 expected at FDR 0.05), ' +
            'so read a single star as tentative and confirm it on more cases (or use exact p-values: exactNull).'),
    );
  }
  if (s.exactNull === true) {
    // perDraw: null draws per unit the caller sizes (a conditional label permutation gives one per map).
    const reach = (units: number, which: string, perDraw: number): void => {
      const B = units * perDraw;
      if (B > 0 && 1 / (B + 1) > fdr / s.G)
        warnings.push(
          `with ${B} ${which} null draws the smallest p-value is ${(1 / (B + 1)).toPrecision(2)}, above BH's bar for one of ${s.G} maps (${(fdr / s.G).toPrecision(2)}): no map can be starred ${which}ly; use at least ${Math.ceil(Math.ceil(s.G / fdr) / perDraw)} ${perDraw > 1 ? `label permutations (${perDraw} draws each)` : 'draws'}.`,
        );
    };
    reach(marginalNullPermutations, 'marginal', 1);
    if (conditionalNullKind === 'refits') reach(s.conditionalNullRefits, 'conditional', 1);
    if (conditionalNullKind === 'label permutations') reach(s.conditionalNullRefits, 'conditional', s.G);
  }
  const planned = new Uint8Array(s.n);
  for (const f of fits) for (const r of f.eval) planned[r] = 1;
  const unevaluated = planned.reduce((a, b) => a + b, 0) - nEval;
  if (unevaluated > 0) warnings.push(`${unevaluated} case(s) were never out of bag and are not evaluated.`);
  const nSigM = marginalTests.filter((t) => t.significant).length;
  if (nSigM === 0) warnings.push(`no map is significant in the marginal test (BH FDR ${fdr}, interval above 0).`);
  if (conditionalTests && nSigM > 0 && !conditionalTests.some((t) => t.significant)) {
    warnings.push(
      conditionalNullKind === 'label permutations'
        ? 'no map is significant in the conditional test, so whether a map carries information the others lack is not determined: the maps may carry overlapping information, or the cases may be too few for this test (' +
            'with its null at this size (LOCO on shuffled labels), a label planted in one map of an ISIC model (100 cases, 24 to 31 positive) was starred conditionally in 1 of 6 runs, marginally in 6 of 6).'
        : noConditionalMap(conditionalTests, groups, nEval, s),
    );
  }
  for (const [which, tests] of [
    ['marginal', marginalTests],
    ['conditional', conditionalTests],
  ] as const) {
    const names = (tests ?? []).flatMap((t, g) => (t.significant && t.nChanged < FEW_CASES ? [`${groups[g].name} (${t.nChanged})`] : []));
    if (names.length)
      warnings.push(
        `${which} verdicts resting on fewer than ${FEW_CASES} cases whose Brier score moved at all: ${names.join(', ')}; the t-test is unreliable for such sparse effects.`,
      );
  }
  // Measured by bench calibration: with shuffled labels, 52% of a PneumoniaMNIST ConvAE's maps were starred
  // marginally (0% conditionally), while decorrelated maps gave 2%. Replacing one of several correlated maps
  // puts cases where no real case lies, and a forest fitted to noise predicts slightly worse there.
  // Only the plain t-test needs it (marginalNull 0): the label-shuffle null carries that bias.
  const corr = marginalNullPermutations > 0 ? null : maxAbsCorrelation(features);
  const correlatedStars = corr
    ? marginalTests.flatMap((t, g) => (t.significant && corr[g]! >= CORRELATED ? [`${groups[g].name} (|r| ${corr[g]!.toFixed(2)})`] : []))
    : [];
  if (correlatedStars.length) {
    warnings.push(
      `marginal verdicts of maps correlated with another map are not calibrated: ${correlatedStars.join(', ')}. ` +
        'Under shuffled labels such maps were starred marginally in about half the cases measured (bench calibration) when the label-permutation null is off (marginalNull 0); rely on the conditional verdict for them.',
    );
  }
  if (
    conditionalTests?.some((t) => t.significant) &&
    plan.split.groupsOnBothSides > 0 &&
    permuter.grouped &&
    conditionalNullKind !== 'within-group shifts' &&
    conditionalNullKind !== 'label permutations'
  ) {
    warnings.push(
      `the conditional tests treat the cases as independent, but ${plan.split.groupsOnBothSides} group(s) (subjects) have cases on both sides of the split: neighbouring cases of one subject are nearly the same case, so the conditional stars are liberal${marginalNullPermutations > 0 && permuter.kind !== 'cases' ? ' (the marginal test, whose null keeps the groups, is the one to read)' : ''}.`,
    );
  }
  if (marginalNullPermutations > 0 && permuter.kind === 'cases' && permuter.grouped) {
    warnings.push(
      "the marginal null shuffles labels across cases (labels vary within groups and the cases' order in their group is unknown); with several cases per group (subject) the real labels are correlated within groups and the shuffled ones are not, so the marginal p-values are somewhat liberal.",
    );
  }
  if (s.G > 1 && groups[ranking[0]].marginal.mean === groups[ranking[1]].marginal.mean) {
    warnings.push(
      `${groups[ranking[0]].name} and ${groups[ranking[1]].name} tie on marginal Brier importance; their order comes from the tie-break (conditional, then |AUC - 0.5|, then index).`,
    );
  }
  return warnings;
}

// A conditional test that stars no map has not shown that each map can be left out without loss: how
// large a map's own share could still be is its interval's upper end, said with the explanation.
function noConditionalMap(tests: ImportanceTest[], groups: GroupRank[], nEval: number, s: RankSettings): string {
  let widest = 0;
  for (let g = 1; g < tests.length; g++) if (tests[g]!.ciHigh > tests[widest]!.ciHigh) widest = g;
  const bound = tests[widest]!.ciHigh;
  return (
    'no map is significant in the conditional test: leaving any one map out cost no Brier score the test could detect, so the maps ' +
    `carry overlapping information${s.useCpi ? ' (or the linear sampler cannot separate them)' : ''} or a map's own share is below ` +
    `what ${nEval} cases resolve (the upper ${Math.round(100 * s.confidence)}% bounds reach ${bound.toPrecision(2)}, for ${groups[widest]!.name}).`
  );
}
