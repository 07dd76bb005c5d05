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
// Steps (all seeded from options.seed, independent of thread count): bin all columns once (labels unused,
// so nothing leaks); plan the fits; per fit: fit the forest, (cpi) fit the conditional sampler on its
// training rows, per-case importance on its evaluation rows; pool per case; the marginal null; (loco) the
// refits without each map and the refit null; test; PIMP (opt-in); stability; univariate AUC.

import { binMatrix, RandomForest, type BinnedMatrix } from '../../forest/index.js';
import { deriveSeed } from '../../core/random.js';
import { caseImportance, fitConditionalSampler, mapMeans } from './cpi.js';
import { labelPermuter, marginalNull, marginalNullTest } from './marginal-null.js';
import { locoImportance, locoLabelNull } from './loco.js';
import { CORRELATED, maxAbsCorrelation, univariateAucs } from './map-stats.js';
import { groupStatistic, pimpNull, pimpPValues } from './pimp.js';
import { planEvaluation } from './plan.js';
import { rankStability } from './stability.js';
import { benjaminiHochberg, mean, std, tCritical, tUpperTail } from '../../core/stats.js';
import type { ConditionalMethod, FeatureMatrix, GroupRank, ImportanceTest, RankEvaluation, RankOptions, RankResult } from './types.js';

export { conditionalMeaning, MARGINAL_MEANING } from './meaning.js';

/** Fewer evaluated cases of a class than this draws a warning. */
const FEW_CASES = 10;

/**
 * Ranks the latent maps (column groups) of `features` by how much a random forest's held-out Brier score
 * worsens when the map is replaced — marginally and conditionally on the other maps — with per-case
 * t-intervals, one-sided p-values and BH q-values, plus descriptive AUC/accuracy drops, optional PIMP,
 * bootstrap rank stability and a univariate AUC baseline. See RankOptions for defaults and RankResult for
 * the shape (written as rank.json).
 */
export async function rankFeatureMaps(features: FeatureMatrix, labels: ArrayLike<number>, options: RankOptions = {}): Promise<RankResult> {
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
  if (options.testRows && options.evaluation !== undefined && options.evaluation !== 'holdout') throw new Error(`testRows need evaluation 'holdout', not '${options.evaluation}'`);
  const evaluation: RankEvaluation = options.evaluation ?? (options.testRows ? 'holdout' : 'cv');
  if (evaluation !== 'cv' && evaluation !== 'holdout' && evaluation !== 'oob') throw new Error(`unknown evaluation ${String(evaluation)}`);
  const repeats = Math.max(1, Math.floor(options.repeats ?? 10));
  const confidence = options.confidence ?? 0.95;
  // With one map there is nothing to condition on.
  const useConditional = (options.conditional ?? true) && G > 1;
  const conditionalMethod: ConditionalMethod = options.conditionalMethod ?? 'loco';
  if (conditionalMethod !== 'loco' && conditionalMethod !== 'cpi') throw new Error(`unknown conditional method ${String(conditionalMethod)} (loco or cpi)`);
  const useCpi = useConditional && conditionalMethod === 'cpi';
  const conditionalNullRefits = Math.floor(options.conditionalNull ?? 19);
  if (useConditional && conditionalMethod === 'loco' && !(conditionalNullRefits >= 5)) throw new Error(`conditionalNull must be at least 5 refits, got ${options.conditionalNull}`);
  const conditionalRidge = options.conditionalRidge ?? 1e-3;
  const nullPermutations = Math.max(0, Math.floor(options.nullPermutations ?? 0));
  const marginalNullPermutations = Math.floor(options.marginalNull ?? 19);
  if (!(marginalNullPermutations === 0 || marginalNullPermutations >= 5)) throw new Error(`marginalNull must be 0 (off) or at least 5 permutations, got ${options.marginalNull}`);
  const nullStatistic = options.nullStatistic ?? 'oob-permutation';
  const fdr = options.fdr ?? 0.05;
  const stabilityBootstraps = Math.max(0, Math.floor(options.stabilityBootstraps ?? 30));
  const topK = Math.max(1, Math.min(G, Math.floor(options.topK ?? 3)));
  const threads = options.threads ?? options.forest?.threads;
  const forestOpts = { ...options.forest, task: 'classification' as const, seed: options.forest?.seed ?? seed, ...(threads !== undefined ? { threads } : {}) };
  const nTrees = forestOpts.nTrees ?? 100;
  const nullTrees = Math.floor(options.nullTrees ?? nTrees);
  const progress = options.onProgress;
  const timings: Record<string, number> = {};
  const clock = (name: string, t0: number): void => {
    timings[name] = Math.round((timings[name] ?? 0) * 1000 + (performance.now() - t0)) / 1000;
  };

  // Classes.
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (classes.length < 2) throw new Error('labels need at least two classes');
  for (const c of classes) if (!Number.isFinite(c)) throw new Error('labels must be finite numbers');
  const K = classes.length;
  const yIdx = new Int32Array(n);
  const cIndex = new Map(classes.map((c, i) => [c, i]));
  for (let r = 0; r < n; r++) yIdx[r] = cIndex.get(labels[r])!;
  const metric = options.metric === undefined || options.metric === 'auto' ? (K === 2 ? 'auc' : 'accuracy') : options.metric;
  if (metric === 'auc' && K !== 2) throw new Error('metric auc needs two classes');

  // 1. Bin.
  let t0 = performance.now();
  progress?.({ stage: 'bin', done: 0, total: 1 });
  const binned: BinnedMatrix = binMatrix({ data: features.data, rows: n, cols: d }, { maxBins: forestOpts.maxBins });
  progress?.({ stage: 'bin', done: 1, total: 1 });
  clock('bin', t0);

  // 2. Plan the fits (plan.ts; group-aware when caseGroups are given). `refitRows`: the rows PIMP and stability refit on.
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const plan = planEvaluation(yIdx, K, {
    evaluation, folds: options.folds, cvRepeats: options.cvRepeats, testFraction: options.testFraction, testRows: options.testRows,
    caseGroups: options.caseGroups, seed, forestSeed: forestOpts.seed,
  });
  const { fits, refitRows, testFraction, folds, cvRepeats } = plan;
  for (const f of fits) if (f.train.length === 0 || f.eval.length === 0) throw new Error('empty training or evaluation rows');

  // 3. Per fit: forest, conditional sampler, per-case importance; pooled per case.
  const means = useCpi ? mapMeans(features.data, n, d, groupOf, G) : null;
  const fullBrier: Float64Array[] = [];
  const sumM = new Float64Array(G * n);
  const sumC = new Float64Array(G * n);
  const sumBrier = new Float64Array(n);
  const evalCount = new Int32Array(n);
  const drops: { marginal: Float64Array; conditional: Float64Array | null }[] = [];
  const baselines: number[] = [];
  const oobScores: number[] = [];
  const impurity = new Float64Array(G);
  // The forest whose OOB statistic PIMP compares with its null: the single fit's, or one on all rows for CV.
  const pimpOn = nullPermutations > 0;
  let pimpForest: RandomForest | null = null;
  let trainSum = 0;
  for (let fi = 0; fi < fits.length; fi++) {
    const fit = fits[fi];
    t0 = performance.now();
    const forest = new RandomForest({ ...forestOpts, seed: fit.forestSeed, oobScore: true });
    const withGroups = pimpOn && nullStatistic === 'oob-permutation' && fits.length === 1;
    await forest.fitBinned(binned, labels, {
      rows: fit.train,
      groups: withGroups ? { groupOf, nGroups: G } : null,
      onProgress: (done, total) => progress?.({ stage: 'fit', done: fi * total + done, total: fits.length * total }),
    });
    clock('fit', t0);
    if (forest.nClasses !== K) throw new Error(`every class must occur among the training rows${fits.length > 1 ? ` of every fold (fit ${fi + 1} lacks one)` : ''}`);
    if (fits.length === 1 && pimpOn) pimpForest = forest;
    oobScores.push(forest.oobScore ?? NaN);
    trainSum += fit.train.length;
    const imp = groupStatistic(forest, 'impurity', groupOf, G);
    for (let g = 0; g < G; g++) impurity[g] += imp[g] / fits.length;

    t0 = performance.now();
    const sampler = useCpi ? fitConditionalSampler(features.data, n, d, groupOf, G, means!, fit.train, conditionalRidge) : null;
    const ci = caseImportance(forest, binned, yIdx, {
      groupOf,
      nGroups: G,
      rows: fit.eval,
      oobTrainRows: fit.oob ? fit.train : undefined,
      metric,
      repeats,
      seed: deriveSeed(seed, fi, 0x70657266),
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
  const evaluated = all.filter((r) => evalCount[r] > 0);
  const nEval = evaluated.length;
  if (nEval < 2) throw new Error(`only ${nEval} case(s) could be evaluated`);
  const nEvalPerClass = new Array<number>(K).fill(0);
  for (const r of evaluated) nEvalPerClass[yIdx[r]]++;

  // 4. Per-map tests over the evaluated cases.
  const perCase = (sum: Float64Array, g: number): Float64Array => {
    const out = new Float64Array(nEval);
    for (let i = 0; i < nEval; i++) out[i] = sum[g * n + evaluated[i]] / evalCount[evaluated[i]];
    return out;
  };
  const marginal = Array.from({ length: G }, (_, g) => caseTest(perCase(sumM, g), confidence));
  // 4b. The marginal statistic's own null under shuffled labels (marginal-null.ts): it replaces the t-test's p.
  const permuter = labelPermuter(yIdx, options.caseGroups, options.caseOrder);
  if (marginalNullPermutations > 0) {
    t0 = performance.now();
    const nul = await marginalNull(binned, yIdx, K, {
      groupOf, nGroups: G, classes, metric, repeats, permutations: marginalNullPermutations,
      plan: { evaluation, folds: options.folds, cvRepeats: options.cvRepeats, testFraction: options.testFraction, testRows: options.testRows, caseGroups: options.caseGroups, seed },
      permute: permuter.permute,
      forest: forestOpts,
      seed: deriveSeed(seed, 4, 0x6d6e756c),
      onProgress: (done, total) => progress?.({ stage: 'marginal-null', done, total }),
    });
    for (let g = 0; g < G; g++) {
      const r = marginalNullTest(marginal[g].mean, nul, g, G);
      marginal[g] = { ...marginal[g], t: r.t, pValue: r.pValue, null: { mean: r.nullMean, std: r.nullStd, permutations: r.permutations, exceedances: r.exceedances } };
    }
    clock('marginal-null', t0);
  }
  let conditional = useCpi ? Array.from({ length: G }, (_, g) => caseTest(perCase(sumC, g), confidence)) : null;
  // 4c. Conditional by LOCO refits, against the refit null or, where subjects straddle the split with
  // labels along their slices, against LOCO on rotated labels (loco.ts).
  const conditionalNullKind: 'refits' | 'within-group shifts' | null = useConditional && !useCpi
    ? (permuter.kind === 'within-group shifts' && plan.split.groupsOnBothSides > 0 ? 'within-group shifts' : 'refits') : null;
  if (useConditional && !useCpi) {
    t0 = performance.now();
    const loco = await locoImportance(binned, labels, yIdx, {
      groupOf, nGroups: G, fits, fullBrier, refits: conditionalNullKind === 'refits' ? conditionalNullRefits : 0, forest: forestOpts,
      seed: deriveSeed(seed, 5, 0x6c6f636f),
      onProgress: (done, total) => progress?.({ stage: 'conditional', done, total }),
    });
    const nullMeans = new Float64Array(conditionalNullRefits);
    for (let j = 0; j < conditionalNullRefits; j++) nullMeans[j] = mean(perCase(loco.nullSum, j));
    // Subjects on both sides of the split with labels running along their slices: refit noise misses the
    // shortcut of recognising the neighbouring slice, so the null is LOCO on labels rotated along the slices.
    const shiftNull = conditionalNullKind === 'within-group shifts'
      ? await locoLabelNull(binned, K, n, {
        groupOf, nGroups: G, classes, permutations: conditionalNullRefits, permute: permuter.permute, forest: forestOpts,
        plan: { evaluation, folds: options.folds, cvRepeats: options.cvRepeats, testFraction: options.testFraction, testRows: options.testRows, caseGroups: options.caseGroups, seed },
        seed: deriveSeed(seed, 6, 0x6c736866),
        onProgress: (done, total) => progress?.({ stage: 'conditional-null', done, total }),
      })
      : null;
    conditional = Array.from({ length: G }, (_, g) => {
      const test = caseTest(perCase(loco.sum, g), confidence);
      const r = shiftNull ? marginalNullTest(test.mean, shiftNull, g, G) : marginalNullTest(test.mean, { means: nullMeans, permutations: conditionalNullRefits }, 0, 1);
      return { ...test, t: r.t, pValue: r.pValue, null: { mean: r.nullMean, std: r.nullStd, permutations: r.permutations, exceedances: r.exceedances } };
    });
    clock('conditional', t0);
  }
  const finish = (tests: Omit<ImportanceTest, 'qValue' | 'significant'>[]): ImportanceTest[] => {
    const q = benjaminiHochberg(tests.map((t) => t.pValue));
    return tests.map((t, g) => ({ ...t, qValue: q[g], significant: q[g] <= fdr && t.ciLow > 0 }));
  };
  const marginalTests = finish(marginal);
  const conditionalTests = conditional ? finish(conditional) : null;
  let baselineBrier = 0;
  for (const r of evaluated) baselineBrier += sumBrier[r] / evalCount[r];
  baselineBrier /= nEval;

  // 5. PIMP (opt-in).
  let pValues: Float64Array | null = null;
  let qValues: Float64Array | null = null;
  let observed: Float64Array | null = null;
  let nullMean: Float64Array | null = null;
  let nullSd: Float64Array | null = null;
  if (pimpOn) {
    t0 = performance.now();
    if (pimpForest === null || (nullStatistic === 'oob-permutation' && pimpForest.groupOobImportance === null)) {
      pimpForest = new RandomForest({ ...forestOpts, oobScore: false });
      await pimpForest.fitBinned(binned, labels, { rows: refitRows, groups: nullStatistic === 'oob-permutation' ? { groupOf, nGroups: G } : null });
    }
    observed = groupStatistic(pimpForest, nullStatistic, groupOf, G);
    const nul = await pimpNull(binned, labels, {
      groupOf,
      nGroups: G,
      permutations: nullPermutations,
      statistic: nullStatistic,
      forest: { ...forestOpts, nTrees: nullTrees },
      rows: refitRows,
      seed: deriveSeed(seed, 2, 0x6e756c6c),
      onProgress: (done, total) => progress?.({ stage: 'null', done, total }),
    });
    pValues = pimpPValues(observed, nul);
    qValues = benjaminiHochberg(pValues);
    nullMean = new Float64Array(G);
    nullSd = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const col = new Float64Array(nullPermutations);
      for (let p = 0; p < nullPermutations; p++) col[p] = nul.null[p * G + g];
      nullMean[g] = mean(col);
      nullSd[g] = std(col);
    }
    clock('null', t0);
  }

  // 6. Stability.
  let stab: Awaited<ReturnType<typeof rankStability>> | null = null;
  if (stabilityBootstraps > 0) {
    t0 = performance.now();
    stab = await rankStability(binned, labels, {
      groupOf,
      nGroups: G,
      bootstraps: stabilityBootstraps,
      topK,
      statistic: nullStatistic,
      forest: forestOpts,
      rows: refitRows,
      seed: deriveSeed(seed, 3, 0x626f6f74),
      onProgress: (done, total) => progress?.({ stage: 'stability', done, total }),
    });
    clock('stability', t0);
  }

  // 7. Univariate.
  t0 = performance.now();
  const uni = univariateAucs(features, yIdx, K);
  progress?.({ stage: 'univariate', done: 1, total: 1 });
  clock('univariate', t0);

  // Assemble.
  const groups: GroupRank[] = [];
  for (let g = 0; g < G; g++) {
    const values: number[] = [];
    for (const dr of drops) for (let r = 0; r < repeats; r++) values.push(dr.marginal[g * repeats + r]);
    groups.push({
      index: g,
      name: features.groupNames[g],
      nColumns: nCols[g],
      rank: 0,
      marginal: marginalTests[g],
      conditional: conditionalTests ? conditionalTests[g] : null,
      metricDrop: { mean: mean(values), std: std(values), values },
      impurity: impurity[g],
      pimp:
        pValues === null
          ? null
          : { statistic: observed![g], nullMean: nullMean![g], nullStd: nullSd![g], pValue: pValues[g], qValue: qValues![g], significant: qValues![g] <= fdr },
      stability: stab === null ? null : { top1: stab.top1[g], topK: stab.topKFraction[g], meanRank: stab.meanRank[g] },
      univariateAuc: uni[g],
      direction: K === 2 && Number.isFinite(uni[g]) && uni[g] !== 0.5 ? (uni[g] > 0.5 ? 'higher in positive class' : 'lower in positive class') : null,
    });
  }
  const ranking = rankGroups(groups);
  ranking.forEach((g, i) => (groups[g].rank = i + 1));

  // Warnings.
  const warnings: string[] = [];
  const saturated = baselines.filter((b) => b >= 1 - 1e-12).length;
  if (saturated > 0) {
    warnings.push(`${metric === 'auc' ? 'AUC' : 'accuracy'} is 1 on the evaluation rows${fits.length > 1 ? ` of ${saturated} of ${fits.length} fits` : ''} (saturated): ` +
      `maps are ranked by the Brier score; ${metric === 'auc' ? 'AUC' : 'accuracy'} drops cannot tell maps apart there.`);
  }
  nEvalPerClass.forEach((c, k) => {
    if (c < FEW_CASES) warnings.push(`only ${c} evaluated case(s) of class ${classes[k]}: the intervals and p-values rest on few cases.`);
  });
  const planned = new Uint8Array(n);
  for (const f of fits) for (const r of f.eval) planned[r] = 1;
  const unevaluated = planned.reduce((a, b) => a + b, 0) - nEval;
  if (unevaluated > 0) warnings.push(`${unevaluated} case(s) were never out of bag and are not evaluated.`);
  const nSigM = marginalTests.filter((t) => t.significant).length;
  if (nSigM === 0) warnings.push(`no map is significant in the marginal test (BH FDR ${fdr}, interval above 0).`);
  if (conditionalTests && nSigM > 0 && !conditionalTests.some((t) => t.significant)) {
    warnings.push(`no map is significant in the conditional test: the maps the forest relies on carry overlapping information${useCpi ? ' (or the linear sampler cannot separate them)' : ' (each can be left out without loss)'}.`);
  }
  for (const [which, tests] of [['marginal', marginalTests], ['conditional', conditionalTests]] as const) {
    const names = (tests ?? []).flatMap((t, g) => (t.significant && t.nChanged < FEW_CASES ? [`${groups[g].name} (${t.nChanged})`] : []));
    if (names.length) warnings.push(`${which} verdicts resting on fewer than ${FEW_CASES} cases whose Brier score moved at all: ${names.join(', ')}; the t-test is unreliable for such sparse effects.`);
  }
  // Measured by bench calibration: with shuffled labels, 52% of a PneumoniaMNIST ConvAE's maps were starred
  // marginally (0% conditionally), while decorrelated maps gave 2%. Replacing one of several correlated maps
  // puts cases where no real case lies, and a forest fitted to noise predicts slightly worse there.
  // Only the plain t-test needs it (marginalNull 0): the label-shuffle null carries that bias.
  const corr = marginalNullPermutations > 0 ? null : maxAbsCorrelation(features);
  const correlatedStars = corr ? marginalTests.flatMap((t, g) => (t.significant && corr[g]! >= CORRELATED ? [`${groups[g].name} (|r| ${corr[g]!.toFixed(2)})`] : [])) : [];
  if (correlatedStars.length) {
    warnings.push(`marginal verdicts of maps correlated with another map are not calibrated: ${correlatedStars.join(', ')}. ` +
      'Under shuffled labels such maps were starred marginally in about half the cases measured (bench calibration) when the label-permutation null is off (marginalNull 0); rely on the conditional verdict for them.');
  }
  if (conditionalTests?.some((t) => t.significant) && plan.split.groupsOnBothSides > 0 && permuter.grouped && conditionalNullKind !== 'within-group shifts') {
    warnings.push(`the conditional tests treat the cases as independent, but ${plan.split.groupsOnBothSides} group(s) (subjects) have cases on both sides of the split: neighbouring cases of one subject are nearly the same case, so the conditional stars are liberal${marginalNullPermutations > 0 && permuter.kind !== 'cases' ? ' (the marginal test, whose null keeps the groups, is the one to read)' : ''}.`);
  }
  if (marginalNullPermutations > 0 && permuter.kind === 'cases' && permuter.grouped) {
    warnings.push('the marginal null shuffles labels across cases (labels vary within groups and the cases\' order in their group is unknown); with several cases per group (subject) the real labels are correlated within groups and the shuffled ones are not, so the marginal p-values are somewhat liberal.');
  }
  if (G > 1 && groups[ranking[0]].marginal.mean === groups[ranking[1]].marginal.mean) {
    warnings.push(`${groups[ranking[0]].name} and ${groups[ranking[1]].name} tie on marginal Brier importance; their order comes from the tie-break (conditional, then |AUC - 0.5|, then index).`);
  }

  return {
    format: 'latentlens-rank',
    version: 2,
    classes,
    metric,
    evaluation,
    nRows: n,
    nColumns: d,
    nFits: fits.length,
    nTrain: Math.round(trainSum / fits.length),
    nEval,
    nEvalPerClass,
    baselineScore: mean(baselines),
    baselineBrier,
    oobAccuracy: mean(oobScores),
    ranking,
    groups,
    warnings,
    split: plan.split,
    settings: {
      nTrees, folds, cvRepeats, testFraction, repeats, confidence, conditional: useConditional, conditionalMethod,
      conditionalNull: useConditional && !useCpi ? conditionalNullRefits : 0, ...(conditionalNullKind ? { conditionalNullKind } : {}), conditionalRidge, fdr,
      marginalNull: marginalNullPermutations, marginalNullPermutation: permuter.kind, nullPermutations, nullStatistic, nullTrees, stabilityBootstraps, topK, seed,
    },
    timings,
  };
}

/**
 * The map order of rank.json: marginal mean (descending), then conditional mean, then
 * |univariateAuc - 0.5| (NaN counts as 0), then index.
 */
export function rankGroups(groups: Pick<GroupRank, 'index' | 'marginal' | 'conditional' | 'univariateAuc'>[]): number[] {
  const strength = (a: number): number => (Number.isFinite(a) ? Math.abs(a - 0.5) : 0);
  return [...groups]
    .sort((a, b) =>
      b.marginal.mean - a.marginal.mean ||
      (b.conditional?.mean ?? 0) - (a.conditional?.mean ?? 0) ||
      strength(b.univariateAuc) - strength(a.univariateAuc) ||
      a.index - b.index)
    .map((g) => g.index);
}

/**
 * The per-case test of one map: mean of `d`, sd, t-interval at `level`, and the one-sided p-value of
 * mean > 0 from Student's t with n - 1 degrees of freedom. When sd is 0 the test is degenerate:
 * p = 0 if the mean is positive, else 1.
 */
export function caseTest(d: ArrayLike<number>, level: number): Omit<ImportanceTest, 'qValue' | 'significant'> {
  const nc = d.length;
  let nChanged = 0;
  for (let i = 0; i < nc; i++) if (d[i] !== 0) nChanged++;
  const m = mean(d);
  const s = std(d);
  const se = nc > 1 ? s / Math.sqrt(nc) : 0;
  if (!(se > 0)) {
    return { mean: m, std: s, ciLow: m, ciHigh: m, t: m > 0 ? Infinity : m < 0 ? -Infinity : 0, pValue: m > 0 && nc > 1 ? 0 : 1, nCases: nc, nChanged };
  }
  const t = m / se;
  const df = nc - 1;
  const half = tCritical(df, level) * se;
  return { mean: m, std: s, ciLow: m - half, ciHigh: m + half, t, pValue: tUpperTail(t, df), nCases: nc, nChanged };
}

