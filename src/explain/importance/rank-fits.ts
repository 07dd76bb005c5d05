// The observed evaluation of rankFeatureMaps: the binned columns, the plan of fits (plan.ts), and per fit
// the forest, (cpi) its conditional sampler and the per-case importance on its evaluation rows, pooled
// per case.

import { binMatrix, RandomForest, type BinnedMatrix } from '../../forest/index.js';
import { deriveSeed } from '../../core/random.js';
import { caseImportance, fitConditionalSampler, mapMeans } from './cpi.js';
import { groupStatistic } from './pimp.js';
import { planEvaluation, type EvaluationPlan } from './plan.js';
import type { EvaluatedCases } from './case-test.js';
import type { RankClasses, RankSettings } from './rank-settings.js';
import type { StageClock } from './rank-timings.js';
import type { Table } from '../../core/table.js';

/** What the evaluation fits leave for the tests, the warnings and rank.json. */
export interface FitEvaluation {
  /** Per fit: each evaluation row's Brier score with all maps (NaN where the case could not be evaluated). */
  fullBrier: Float64Array[];
  /** sumM[g * n + r]: marginal d of map g summed over the evaluations of case r; sumC the conditional (cpi) one. */
  sumM: Float64Array;
  sumC: Float64Array;
  sumBrier: Float64Array;
  /** Per fit: the metric drops of each (map, draw). */
  drops: { marginal: Float64Array; conditional: Float64Array | null }[];
  /** Per fit: the metric on the evaluation rows, unreplaced. */
  baselines: number[];
  oobScores: number[];
  /** Each map's impurity share, mean over fits. */
  impurity: Float64Array;
  /** The single fit's forest when PIMP can reuse it, else null (PIMP fits its own). */
  pimpForest: RandomForest | null;
  /** Training rows summed over fits. */
  trainSum: number;
  cases: EvaluatedCases;
  nEvalPerClass: number[];
}

/** Bins all columns once; the labels are not used, so nothing leaks into the held-out rows. */
export function binFeatures(features: Table, s: RankSettings, clock: StageClock): BinnedMatrix {
  const t0 = performance.now();
  s.progress?.({ stage: 'bin', done: 0, total: 1 });
  const binned = binMatrix({ data: features.data, rows: s.n, cols: s.d }, { maxBins: s.forestOpts.maxBins });
  s.progress?.({ stage: 'bin', done: 1, total: 1 });
  clock('bin', t0);
  return binned;
}

/** The fits of the evaluation (group-aware when caseGroups are given); `refitRows` are the rows PIMP and stability refit on. */
export function planFits(s: RankSettings, c: RankClasses): EvaluationPlan {
  const plan = planEvaluation(c.yIdx, c.K, { ...s.plan, forestSeed: s.forestOpts.seed });
  for (const f of plan.fits) if (f.train.length === 0 || f.eval.length === 0) throw new Error('empty training or evaluation rows');
  return plan;
}

/** Fits every planned forest and pools its per-case importance; fails when fewer than two cases could be evaluated. */
export async function evaluateFits(
  features: Table,
  labels: ArrayLike<number>,
  binned: BinnedMatrix,
  s: RankSettings,
  c: RankClasses,
  plan: EvaluationPlan,
  clock: StageClock,
): Promise<FitEvaluation> {
  const { n, d, G, groupOf, progress } = s;
  const { K, yIdx } = c;
  const { fits } = plan;
  const means = s.useCpi ? mapMeans(features.data, n, d, groupOf, G) : null;
  const fullBrier: Float64Array[] = [];
  const sumM = new Float64Array(G * n);
  const sumC = new Float64Array(G * n);
  const sumBrier = new Float64Array(n);
  const evalCount = new Int32Array(n);
  const drops: FitEvaluation['drops'] = [];
  const baselines: number[] = [];
  const oobScores: number[] = [];
  const impurity = new Float64Array(G);
  // The forest whose OOB statistic PIMP compares with its null: the single fit's, or one on all rows for CV.
  const pimpOn = s.nullPermutations > 0;
  let pimpForest: RandomForest | null = null;
  let trainSum = 0;
  for (let fi = 0; fi < fits.length; fi++) {
    const fit = fits[fi];
    let t0 = performance.now();
    const forest = new RandomForest({ ...s.forestOpts, seed: fit.forestSeed, oobScore: true });
    const withGroups = pimpOn && s.nullStatistic === 'oob-permutation' && fits.length === 1;
    await forest.fitBinned(binned, labels, {
      rows: fit.train,
      groups: withGroups ? { groupOf, nGroups: G } : null,
      onProgress: (done, total) => progress?.({ stage: 'fit', done: fi * total + done, total: fits.length * total }),
    });
    clock('fit', t0);
    if (forest.nClasses !== K)
      throw new Error(`every class must occur among the training rows${fits.length > 1 ? ` of every fold (fit ${fi + 1} lacks one)` : ''}`);
    if (fits.length === 1 && pimpOn) pimpForest = forest;
    oobScores.push(forest.oobScore ?? NaN);
    trainSum += fit.train.length;
    const imp = groupStatistic(forest, 'impurity', groupOf, G);
    for (let g = 0; g < G; g++) impurity[g] += imp[g] / fits.length;

    t0 = performance.now();
    const sampler = s.useCpi ? fitConditionalSampler(features.data, n, d, groupOf, G, means!, fit.train, s.conditionalRidge) : null;
    const ci = await caseImportance(forest, binned, yIdx, {
      groupOf,
      nGroups: G,
      rows: fit.eval,
      oobTrainRows: fit.oob ? fit.train : undefined,
      metric: c.metric,
      repeats: s.repeats,
      seed: deriveSeed(s.seed, fi, 0x70657266),
      conditional: sampler ? { sampler, data: features.data, means: means! } : null,
      onProgress: (done, total) => progress?.({ stage: 'permutation', done: fi * total + done, total: fits.length * total }),
    });
    clock('permutation', t0);
    baselines.push(ci.baseline);
    fullBrier.push(ci.brier.map((b, i) => (ci.valid[i] ? b : NaN)));
    drops.push({ marginal: ci.marginalDrops, conditional: ci.conditionalDrops });
    const m = fit.eval.length;
    for (let i = 0; i < m; i++) {
      if (ci.valid[i] === 0) continue;
      const r = fit.eval[i];
      evalCount[r]++;
      sumBrier[r] += ci.brier[i];
      for (let g = 0; g < G; g++) {
        sumM[g * n + r] += ci.marginal[g * m + i];
        if (ci.conditional) sumC[g * n + r] += ci.conditional[g * m + i];
      }
    }
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const evaluated = all.filter((r) => evalCount[r] > 0);
  const nEval = evaluated.length;
  if (nEval < 2) throw new Error(`only ${nEval} case(s) could be evaluated`);
  const nEvalPerClass = new Array<number>(K).fill(0);
  for (const r of evaluated) nEvalPerClass[yIdx[r]]++;
  return {
    fullBrier,
    sumM,
    sumC,
    sumBrier,
    drops,
    baselines,
    oobScores,
    impurity,
    pimpForest,
    trainSum,
    cases: { rows: evaluated, count: evalCount, n },
    nEvalPerClass,
  };
}

/** Mean Brier score of the evaluated cases with all maps, each case's evaluations averaged first. */
export function baselineBrierOf(ev: FitEvaluation): number {
  const { rows, count } = ev.cases;
  let baselineBrier = 0;
  for (const r of rows) baselineBrier += ev.sumBrier[r] / count[r];
  return baselineBrier / rows.length;
}
