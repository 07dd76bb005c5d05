// rankFeatureMaps: which latent maps predict the label, with intervals, p-values and stability.
//
// Steps (all seeded from options.seed, independent of thread count):
//  1. Quantile-bin all columns once (labels are not used, so binning on all rows leaks nothing).
//  2. Split rows (stratified holdout, default 25%) or use all rows with OOB evaluation.
//  3. Fit the forest on the training rows; also get each map's per-tree OOB permutation statistic.
//  4. Grouped permutation importance on the evaluation rows: drop in AUC (binary) or accuracy,
//     `repeats` permutations per map -> mean, sd, t-interval.
//  5. PIMP null model: refit on permuted labels `nullPermutations` times -> per-map p-values -> BH q-values.
//  6. Stability: bootstrap refits -> how often each map is top-1 / in the top k.
//  7. Univariate baseline: AUC of each map's pooled (mean) value.

import { binMatrix, deriveSeed, RandomForest, Rng, type BinnedMatrix } from '../../forest/index.js';
import { groupPermutationImportance } from './permutation.js';
import { groupStatistic, pimpNull, pimpPValues } from './pimp.js';
import { rankOrder, rankStability } from './stability.js';
import { auc, benjaminiHochberg, mean, std, tCritical } from './stats.js';
import type { FeatureMatrix, GroupRank, RankOptions, RankResult } from './types.js';

/**
 * Ranks the latent maps (column groups) of `features` by how much a random forest relies on them to
 * predict `labels` (class labels, one per row), with a confidence interval per map, PIMP p-values and
 * BH q-values, bootstrap rank stability and a univariate AUC baseline. See RankOptions for defaults and
 * RankResult for the shape (written as rank.json).
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
  const evaluation = options.evaluation ?? 'holdout';
  const repeats = Math.max(1, Math.floor(options.repeats ?? 10));
  const confidence = options.confidence ?? 0.95;
  const nullPermutations = Math.max(0, Math.floor(options.nullPermutations ?? 100));
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
    timings[name] = Math.round((performance.now() - t0)) / 1000;
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

  // 2. Split.
  let trainRows: Int32Array;
  let evalRows: Int32Array;
  let testFraction: number | null = null;
  if (evaluation === 'oob') {
    trainRows = Int32Array.from({ length: n }, (_, i) => i);
    evalRows = trainRows;
  } else if (options.testRows) {
    const test = new Uint8Array(n);
    for (let i = 0; i < options.testRows.length; i++) test[options.testRows[i]] = 1;
    evalRows = Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => test[i] === 1));
    trainRows = Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => test[i] === 0));
  } else {
    testFraction = options.testFraction ?? 0.25;
    [trainRows, evalRows] = stratifiedSplit(yIdx, K, testFraction, deriveSeed(seed, 0, 0x73706c74));
  }
  if (trainRows.length === 0 || evalRows.length === 0) throw new Error('empty training or evaluation rows');

  // 3. Fit.
  t0 = performance.now();
  const forest = new RandomForest({ ...forestOpts, oobScore: true });
  await forest.fitBinned(binned, labels, {
    rows: trainRows,
    groups: { groupOf, nGroups: G },
    onProgress: (done, total) => progress?.({ stage: 'fit', done, total }),
  });
  clock('fit', t0);
  if (forest.nClasses !== K) throw new Error('every class must occur among the training rows');

  // 4. Grouped permutation importance.
  t0 = performance.now();
  const perm = groupPermutationImportance(forest, binned, yIdx, {
    groupOf,
    nGroups: G,
    rows: evalRows,
    oobTrainRows: evaluation === 'oob' ? trainRows : undefined,
    metric,
    repeats,
    seed: deriveSeed(seed, 1, 0x7065726d),
    onProgress: (done, total) => progress?.({ stage: 'permutation', done, total }),
  });
  clock('permutation', t0);

  // 5. PIMP.
  let pValues: Float64Array | null = null;
  let qValues: Float64Array | null = null;
  let observed: Float64Array | null = null;
  let nullMean: Float64Array | null = null;
  let nullSd: Float64Array | null = null;
  if (nullPermutations > 0) {
    t0 = performance.now();
    observed = groupStatistic(forest, nullStatistic, groupOf, G);
    const nul = await pimpNull(binned, labels, {
      groupOf,
      nGroups: G,
      permutations: nullPermutations,
      statistic: nullStatistic,
      forest: { ...forestOpts, nTrees: nullTrees },
      rows: trainRows,
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
      rows: trainRows,
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
  const means = new Float64Array(G);
  const groups: GroupRank[] = [];
  const tc = tCritical(repeats - 1, confidence);
  const impurity = groupStatistic(forest, 'impurity', groupOf, G);
  for (let g = 0; g < G; g++) {
    const reps = Array.from(perm.drops.subarray(g * repeats, (g + 1) * repeats));
    const m = mean(reps);
    const s = std(reps);
    const half = repeats > 1 ? tc * (s / Math.sqrt(repeats)) : 0;
    means[g] = m;
    groups.push({
      index: g,
      name: features.groupNames[g],
      nColumns: nCols[g],
      rank: 0,
      importance: { mean: m, std: s, ciLow: m - half, ciHigh: m + half, repeats: reps },
      impurity: impurity[g],
      pimp:
        pValues === null
          ? null
          : { statistic: observed![g], nullMean: nullMean![g], nullStd: nullSd![g], pValue: pValues[g], qValue: qValues![g], significant: qValues![g] <= fdr },
      stability: stab === null ? null : { top1: stab.top1[g], topK: stab.topKFraction[g], meanRank: stab.meanRank[g] },
      univariateAuc: uni[g],
    });
  }
  const ranking = rankOrder(means);
  ranking.forEach((g, i) => (groups[g].rank = i + 1));
  return {
    format: 'latentlens-rank',
    version: 1,
    classes,
    metric,
    evaluation,
    nRows: n,
    nColumns: d,
    nTrain: trainRows.length,
    nEval: evalRows.length,
    baselineScore: perm.baseline,
    oobAccuracy: forest.oobScore ?? NaN,
    ranking,
    groups,
    settings: { nTrees, repeats, confidence, nullPermutations, nullStatistic, nullTrees, fdr, stabilityBootstraps, topK, seed, testFraction },
    timings,
  };
}

/** Stratified split: about `fraction` of each class goes to the evaluation rows. Returns [train, eval]. */
export function stratifiedSplit(yIdx: Int32Array, K: number, fraction: number, seed: number): [Int32Array, Int32Array] {
  if (!(fraction > 0 && fraction < 1)) throw new Error('testFraction must be in (0, 1)');
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let k = 0; k < K; k++) {
    const rows: number[] = [];
    for (let r = 0; r < yIdx.length; r++) if (yIdx[r] === k) rows.push(r);
    rng.shuffle(rows);
    const nt = Math.round(rows.length * fraction);
    for (let i = 0; i < rows.length; i++) (i < nt ? test : train).push(rows[i]);
  }
  return [Int32Array.from(train.sort((a, b) => a - b)), Int32Array.from(test.sort((a, b) => a - b))];
}

/**
 * Univariate baseline: AUC of each map's pooled value (the mean of its columns) — for two classes
 * against class index 1, otherwise the macro average of one-vs-rest AUCs.
 */
export function univariateAucs(features: FeatureMatrix, yIdx: ArrayLike<number>, K: number): Float64Array {
  const { rows: n, cols: d, data } = features;
  const G = features.groupNames.length;
  const pooled = new Float64Array(G * n);
  const cnt = new Int32Array(G);
  for (let c = 0; c < d; c++) cnt[features.groupOf[c]]++;
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) pooled[features.groupOf[c] * n + r] += data[r * d + c];
  const out = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const s = pooled.subarray(g * n, (g + 1) * n);
    if (cnt[g] > 0) for (let r = 0; r < n; r++) s[r] /= cnt[g];
    if (K === 2) out[g] = auc(s, Array.from(yIdx, (v) => (v === 1 ? 1 : 0)));
    else {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += auc(s, Array.from(yIdx, (v) => (v === k ? 1 : 0)));
      out[g] = sum / K;
    }
  }
  return out;
}
