// A small run folder written directly from objects of the documented shapes (typed with the real
// record types, so a shape change breaks this file at compile time), plus tiny PNG figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RunConfig } from '../../src/train/run-folder.js';
import type { EpochRecord, StepRecord } from '../../src/train/state.js';
import type { EmbedFile, ExplainFile, MetricsFile, RankFile, TcavFile } from '../../src/report/run-files.js';
import { resolveTrainOptions } from '../../src/train/options.js';
import { runEnvelope, type RunInputs } from '../../src/runs/run-file.js';
import { RANK_DEFAULTS } from '../../src/runs/rank-run.js';

const inputs = (cases: number): RunInputs => ({
  run: 'run',
  data: 'phantom:n=64',
  split: 'all',
  cases,
  health: { status: 'recorded', passed: true, warning: null },
});

/** A channel name that is markup: the report must show it as text. */
export const EVIL = '<script>alert(1)</script>';
export const CHANNELS = ['T1', EVIL];

export function tinyPng(r: number, g: number, b: number): Promise<Buffer> {
  return sharp(
    Buffer.alloc(8 * 8 * 3).map((_, i) => [r, g, b][i % 3]!),
    { raw: { width: 8, height: 8, channels: 3 } },
  )
    .png()
    .toBuffer();
}

const share = (a: number) => ({
  channels: CHANNELS,
  mean: [a, 1 - a],
  ci: [
    [a - 0.05, a + 0.05],
    [0.95 - a, 1.05 - a],
  ] as [number, number][],
});
const muting = (baseline: 'mean' | 'zero', driver: string | null) => ({
  map: 1,
  channels: CHANNELS,
  baseline,
  spearman: [0.9, 0.3],
  disturbance: [0.1, 0.7],
  naiveDrivers: [...CHANNELS],
  pRandomMaps: [0.8, 0.01],
  pShuffledChannels: [0.9, 0.001],
  share: [0.3, 0.7],
  shareCI: [
    [0.25, 0.35],
    [0.65, 0.75],
  ] as [number, number][],
  driver,
  mapSpecific: true,
  cases: 64,
});

export function explainFile(): ExplainFile {
  return runEnvelope('explain', {
    inputs: inputs(64),
    settings: { map: 1, cases: 32, maxCases: 2000, seed: 0 },
    result: {
      format: 'latentlens-explain',
      version: 1,
      map: 1,
      channels: CHANNELS,
      cases: { explained: [0, 2], reference: [1, 3] },
      encoder: {
        attributions: {
          gradient: { share: share(0.4), shareAbs: share(0.45), seconds: 0.1 },
          'integrated-gradients': { share: share(0.2), shareAbs: share(0.3), convergenceDeltaMaxAbs: 0.002, seconds: 1 },
          'grad-cam': { share: null, shareAbs: null, seconds: 0.1 },
        },
        contrastive: {
          channels: CHANNELS,
          difference: [-0.01, 0.2],
          share: [0, 1],
          ci: [
            [0, 0.1],
            [0.9, 1],
          ],
        },
        muting: { controlled: muting('mean', EVIL), naive: muting('zero', EVIL) },
        localization: { lesion: { pointingGame: 0.8, iou: 0.4, cases: 2 } },
        direction: 1,
        sanity: [{ method: 'gradient', rankCorrelation: 0.2, ssim: 0.3, passed: true }],
        faithfulness: { deletionAuc: 0.2, insertionAuc: 0.8, randomDeletionAuc: 0.5, randomInsertionAuc: 0.5, steps: 16 },
      },
      decoder: {
        ablation: {
          map: 1,
          channels: CHANNELS,
          effect: [0.001, 0.004],
          controlMean: [0.001, 0.002],
          ratio: [1, 2],
          pValue: [0.3, 0.001],
          insideMask: [0.1, 0.6],
        },
        entanglement: { map: 0.3, overall: 0.5, perMap: [0.6, 0.3, 0.55] },
        maskedDecode: {
          keep: [1],
          fill: 'zero',
          channels: CHANNELS,
          naiveChannelShare: [0.5, 0.5],
          naiveInsideMask: 0.1,
          specificEffect: [0, 0.02],
          pValue: [0.6, 0.05],
          randomSets: 20,
        },
        traversal: { quantiles: [0.05, 0.5, 0.95], levels: [0.1, 0.5, 0.9] },
      },
      responds: {
        exemplars: { map: 1, top: [{ index: 0, activation: 2 }], bottom: [{ index: 1, activation: 0.1 }] },
        activationMax: { startValue: 1, finalValue: 3 },
      },
      conclusion: { inputChannel: EVIL, decoderChannels: [EVIL], decoderEntangled: false, notes: [`note naming ${EVIL}`] },
      figures: [
        'figures/map-1/gradient-case0-T1.png',
        `figures/map-1/traversal-T1.png`,
        'figures/map-1/activation-max.png',
        '../outside.png',
      ],
      figureOutlines: [],
    },
  });
}

export function rankFile(): RankFile {
  // Brier importances are small (1e-5 .. 1e-2): the chart and table must still show them.
  const verdict = (mean: number, q: number) => ({
    mean,
    std: 0.01,
    ciLow: mean - 0.00002,
    ciHigh: mean + 0.00002,
    t: 3,
    pValue: q / 2,
    qValue: q,
    significant: q <= 0.05 && mean - 0.00002 > 0,
    nCases: 64,
    nChanged: 40,
  });
  const group = (index: number, rank: number, imp: number, q: number) => ({
    index,
    name: `map ${index}`,
    nColumns: 3,
    rank,
    marginal: verdict(imp, q),
    conditional: verdict(imp / 2, Math.min(1, 2 * q)),
    metricDrop: { mean: 0, std: 0, values: [0, 0] },
    impurity: 1 / 3,
    pimp: { statistic: imp, nullMean: 0, nullStd: 0.001, pValue: q, qValue: q, significant: q <= 0.05 },
    stability: { top1: rank === 1 ? 0.9 : 0.05, topK: 1, meanRank: rank },
    univariateAuc: 0.5 + imp,
    direction: imp > 0 ? ('higher in positive class' as const) : null,
  });
  return runEnvelope('rank', {
    inputs: { ...inputs(64), latentShape: [3, 4, 4] },
    settings: RANK_DEFAULTS,
    result: {
      format: 'latentlens-rank',
      version: 2,
      classes: [0, 1],
      metric: 'auc',
      evaluation: 'cv',
      nRows: 64,
      nColumns: 9,
      nFits: 5,
      nTrain: 51,
      nEval: 64,
      nEvalPerClass: [32, 32],
      baselineScore: 1,
      baselineBrier: 0.02,
      oobAccuracy: 0.9,
      ranking: [1, 0, 2],
      groups: [group(0, 2, 0.0001, 0.03), group(1, 1, 0.004, 0.01), group(2, 3, 0.0, 0.6)],
      warnings: [`AUC is 1 on the evaluation rows of 5 of 5 fits (saturated): maps are ranked by the Brier score ${EVIL}`],
      settings: {
        nTrees: 10,
        folds: 5,
        cvRepeats: 1,
        testFraction: null,
        repeats: 5,
        confidence: 0.95,
        conditional: true,
        conditionalRidge: 1e-3,
        fdr: 0.05,
        nullPermutations: 20,
        nullStatistic: 'oob-permutation',
        nullTrees: 10,
        stabilityBootstraps: 5,
        topK: 2,
        seed: 0,
      },
      timings: {},
      design: {
        warnings: [],
        nCases: 64,
        groupsKnown: false,
        nGroups: 64,
        largestGroup: 1,
        classes: [0, 1],
        casesPerClass: [32, 32],
        split: null,
        nuisance: null,
        confound: null,
        notes: [],
      },
    },
  });
}

export function tcavFile(): TcavFile {
  const reason = `Score 1.00 in 3 of 3 runs; 0 of 39 random concepts of 30 cases were as far from 0.5 ${EVIL}; p 0.025 (Bonferroni 0.025) ≤ α 0.05.`;
  return runEnvelope('tcav', {
    inputs: { ...inputs(64), concepts: [{ name: 'lesion', spec: 'factor:lesion_present=1', cases: 30 }] },
    settings: { concepts: ['factor:lesion_present=1'], head: 'mlp', runs: 3, setSize: 20, alpha: 0.05, seed: 0, keepRandomConcept: false },
    result: {
      version: 2,
      targetClass: 1,
      cases: 30,
      head: { kind: 'mlp', classes: 2, heldOutAccuracy: 0.9 },
      gate: {
        source: 'held-out',
        cases: 20,
        accuracy: 0.9,
        lowerBound: 0.7,
        majorityRate: 0.5,
        passed: true,
        note: `the mlp probe's held-out accuracy is 0.900 ${EVIL}`,
      },
      latentShape: [3, 4, 4],
      runs: 3,
      setSize: 20,
      alpha: 0.05,
      seed: 0,
      significance: {
        test: 'random-concept permutation',
        statistic: '|mean score over runs - 0.5|, two-sided',
        tieBreak: 'alignment: |mean cos(gradient, CAV)|',
        randomConcepts: 39,
        stopAfter: 10,
        smallestP: 0.025,
      },
      randomConcepts: [
        { size: 30, drawn: 39, scores: Array(39).fill(0.5), alignments: Array(39).fill(0.1), score: 0.5, std: 0.1, cavAccuracy: 0.5 },
      ],
      random: { scores: [0.4, 0.6, 0.5], score: 0.5, std: 0.1, cavAccuracy: 0.5 },
      concepts: [
        {
          name: `concept ${EVIL}`,
          spec: 'factor:lesion_present=1',
          size: 30,
          scores: [1, 1, 0.9],
          score: 0.97,
          std: 0.05,
          cavAccuracy: 0.9,
          cavAccuracies: [0.9, 0.9, 0.9],
          alignment: 0.6,
          randomConcepts: 39,
          asFarInScore: 0,
          asExtreme: 0,
          p: 0.025,
          pBonferroni: 0.025,
          verdict: 'significant',
          reason,
          significant: true,
          circular: false,
          warnings: [`30 cases ${EVIL}`],
          tTest: { t: 8, df: 3, p: 0.004, pBonferroni: 0.004 },
        },
      ],
      cost: { cavFits: 123, seconds: 0.1 },
    },
  });
}

export function metricsFile(): MetricsFile {
  return runEnvelope('metrics', {
    inputs: { ...inputs(64), supervised: true },
    settings: {
      pooling: 'mean',
      metrics: ['mig', 'totalCorrelation', 'activeUnits'],
      seed: 0,
      bins: 20,
      factorBins: 10,
      dciImportance: 'forest',
    },
    result: {
      n: 64,
      latentDims: 3,
      factors: [{ name: 'lesion_present', discrete: true, classes: 2 }],
      constantFactors: [],
      options: {} as MetricsFile['result']['options'],
      mig: { score: 0.42, perFactor: [0.42], factorEntropy: [0.69], topDim: [1] },
      totalCorrelation: { nats: 0.7, dims: [0, 1, 2] },
      activeUnits: { count: 2, threshold: 0.01, active: [true, true, false], variance: [0.1, 0.2, 0] },
      seconds: {},
    },
  });
}

export function embedFile(): EmbedFile {
  return runEnvelope('embed', {
    inputs: { ...inputs(3), latentShape: [3, 4, 4], indices: [0, 1, 2] },
    settings: { embed: { method: 'pca', seed: 0 }, color: 'label', pooling: 'mean', maxPoints: 5000 },
    result: {
      method: 'pca',
      trustworthiness: 0.93,
      seconds: 0.01,
      params: { components: 2, seed: 0 },
      coords: [
        [0, 1],
        [1, 0],
        [0.5, 0.5],
      ],
    },
  });
}

/** Writes config.json and train.jsonl (always) and the given analyses into `dir`. */
export async function writeRunFolder(dir: string, o: { analyses: boolean; dataSpec?: string }): Promise<void> {
  mkdirSync(join(dir, 'figures', 'map-1'), { recursive: true });
  const config: RunConfig = {
    dataSpec: o.dataSpec,
    versions: { latentlens: '0.1.0', libtorch: '1.13.0', node: process.version },
    created: '2026-01-01T00:00:00.000Z',
    seed: 0,
    train: resolveTrainOptions({ epochs: 2, batchSize: 16 }),
    model: { kind: 'conv-ae', inputShape: [2, 16, 16], latentMaps: 3, latentGrid: [4, 4] },
    data: { source: `phantom <b>bold</b>`, shape: [64, 2, 16, 16], channelNames: CHANNELS, splits: { train: 48, val: 8, test: 8 } },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const steps: StepRecord[] = Array.from({ length: 8 }, (_, i) => ({
    type: 'step',
    step: i + 1,
    epoch: i >> 2,
    lr: 0.001,
    terms: { loss: 0.1 / (i + 1), recon: 0.1 / (i + 1) },
    imagesPerSec: 100,
  }));
  const epochs: EpochRecord[] = [0, 1].map((e) => ({
    type: 'epoch',
    epoch: e,
    step: 4 * (e + 1),
    steps: 4,
    train: { loss: 0.05 / (e + 1) },
    lr: 0.001,
    improved: true,
    seconds: 1,
    val: { terms: { loss: 0.04 / (e + 1) }, mse: 0.04 / (e + 1), psnr: 14 + e, ssim: 0.5 + 0.1 * e, images: 8 },
  }));
  writeFileSync(join(dir, 'train.jsonl'), [...steps, ...epochs].map((r) => JSON.stringify(r)).join('\n') + '\n{"type":"step","step":9,"ep');
  if (!o.analyses) return;
  mkdirSync(join(dir, 'explain'), { recursive: true });
  writeFileSync(join(dir, 'rank.json'), JSON.stringify(rankFile()));
  writeFileSync(join(dir, 'explain', 'map-1.json'), JSON.stringify(explainFile()));
  writeFileSync(join(dir, 'figures', 'map-1', 'gradient-case0-T1.png'), await tinyPng(255, 0, 0));
  writeFileSync(join(dir, 'figures', 'map-1', 'traversal-T1.png'), await tinyPng(0, 255, 0));
  writeFileSync(join(dir, 'figures', 'map-1', 'activation-max.png'), await tinyPng(0, 0, 255));
  writeFileSync(join(dir, 'tcav.json'), JSON.stringify(tcavFile()));
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metricsFile()));
  writeFileSync(join(dir, 'embed-pca.json'), JSON.stringify(embedFile()));
}
