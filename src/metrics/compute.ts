// computeMetrics: every disentanglement metric of one latent matrix against ground-truth factors, with
// one seed drawn up front so the result does not depend on which metrics run or in what order.
import { Random } from '../core/random.js';
import type { Matrix, Table } from '../core/table.js';
import { dci, type DciResult } from './dci.js';
import { asMatrix, prepareFactors, splitRows, type FactorTable } from './factors.js';
import { betaVaeScore, factorVaeScore, type BetaVaeScoreResult, type FactorVaeScoreResult } from './fixed-factor-scores.js';
import { mig, modularity, mutualInformationMatrix, type MigResult, type ModularityResult } from './information-metrics.js';
import { explicitness, sap, type ExplicitnessResult, type SapResult } from './sap-explicitness.js';
import { activeUnits, gaussianTotalCorrelation, type ActiveUnitsResult, type TotalCorrelationResult } from './unsupervised.js';

export const METRIC_NAMES = [
  'betaVae',
  'factorVae',
  'mig',
  'dci',
  'sap',
  'modularity',
  'explicitness',
  'totalCorrelation',
  'activeUnits',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The same type as core's Table (what `poolLatents` returns); the name stays for callers of the package. */
export type LatentTable = Table;

/** Options of `computeMetrics`; every field has a default. */
export interface MetricsOptions {
  /** Which metrics to compute. Default all (`METRIC_NAMES`); the unsupervised two need no factors. */
  metrics?: MetricName[];
  /** Seed of every random choice (splits, pair and vote sampling, forests). Default 0. */
  seed?: number;
  /** Equal-width bins per latent dimension for MI (MIG, modularity). Default 20. */
  bins?: number;
  /** Quantile bins of continuous factors (their classes for MI, explicitness and fixed-factor groups). Default 10. */
  factorBins?: number;
  /** A factor with at most this many distinct values is discrete unless `discrete` says otherwise. Default 10. */
  maxDiscreteValues?: number;
  /** Held-out fraction for DCI informativeness, SAP's discrete case and explicitness. Default 0.3. */
  testFraction?: number;
  /** beta-VAE score: classifier training / evaluation points and pairs per point. Default 500 / 300 / 64. */
  betaVae?: { nTrain?: number; nEval?: number; pairs?: number };
  /** FactorVAE score: votes, samples per vote, pruning ratio. Default 500 / 300 / 64 / 0.05. */
  factorVae?: { nTrain?: number; nEval?: number; batch?: number; prunedVarianceRatio?: number };
  /** DCI importances: 'forest' (default; 50 trees per factor) or 'lasso' (alpha 0.01). */
  dci?: { importance?: 'forest' | 'lasso'; trees?: number; lassoAlpha?: number; threads?: number };
  /** L2 penalty of explicitness' softmax regressions. Default 1e-3. */
  explicitnessL2?: number;
  /** Active-unit variance threshold. Default 0.01. */
  activeThreshold?: number;
}

/** The result of `computeMetrics`: one entry per computed metric (absent when not asked for). */
export interface MetricsResult {
  /** Samples and latent dimensions. */
  n: number;
  latentDims: number;
  latentNames?: string[];
  /** Factors as used: name, discrete or not, number of classes. */
  factors: { name: string; discrete: boolean; classes: number }[];
  /**
   * Factors left out because they take one value on these samples (e.g. `lesion_present` when every
   * case has a lesion): no latent can carry information about them, and keeping them would change
   * DCI's entropy base and the fixed-factor votes.
   */
  constantFactors: string[];
  /** Options with defaults filled in. */
  options: Required<Omit<MetricsOptions, 'betaVae' | 'factorVae' | 'dci'>> & {
    betaVae: { nTrain: number; nEval: number; pairs: number };
    factorVae: { nTrain: number; nEval: number; batch: number; prunedVarianceRatio: number };
    dci: { importance: 'forest' | 'lasso'; trees: number; lassoAlpha: number };
  };
  betaVae?: BetaVaeScoreResult;
  factorVae?: FactorVaeScoreResult;
  /** MI matrix (nats), latent dim x factor, shared by MIG and modularity. */
  mutualInformation?: number[][];
  mig?: MigResult;
  dci?: DciResult;
  sap?: SapResult;
  modularity?: ModularityResult;
  explicitness?: ExplicitnessResult;
  totalCorrelation?: TotalCorrelationResult;
  activeUnits?: ActiveUnitsResult;
  /** Seconds each metric took. */
  seconds: Record<string, number>;
}

function resolve(o: MetricsOptions): MetricsResult['options'] {
  return {
    metrics: o.metrics ?? [...METRIC_NAMES],
    seed: o.seed ?? 0,
    bins: o.bins ?? 20,
    factorBins: o.factorBins ?? 10,
    maxDiscreteValues: o.maxDiscreteValues ?? 10,
    testFraction: o.testFraction ?? 0.3,
    betaVae: { nTrain: o.betaVae?.nTrain ?? 500, nEval: o.betaVae?.nEval ?? 300, pairs: o.betaVae?.pairs ?? 64 },
    factorVae: {
      nTrain: o.factorVae?.nTrain ?? 500,
      nEval: o.factorVae?.nEval ?? 300,
      batch: o.factorVae?.batch ?? 64,
      prunedVarianceRatio: o.factorVae?.prunedVarianceRatio ?? 0.05,
    },
    dci: { importance: o.dci?.importance ?? 'forest', trees: o.dci?.trees ?? 50, lassoAlpha: o.dci?.lassoAlpha ?? 0.01 },
    explicitnessL2: o.explicitnessL2 ?? 1e-3,
    activeThreshold: o.activeThreshold ?? 0.01,
  };
}

/**
 * Computes the disentanglement metrics of `latents` (N x D row-major: posterior means for variational
 * models, maps pooled by `poolLatents`; its column names, if any, are reported) against `factors` (N x F). `factors` may
 * be null when only the unsupervised metrics are asked for.
 */
export async function computeMetrics(
  latents: Matrix & Pick<Table, 'names'>,
  factors: FactorTable | null,
  options: MetricsOptions = {},
): Promise<MetricsResult> {
  const o = resolve(options);
  for (const m of o.metrics) if (!METRIC_NAMES.includes(m)) throw new Error(`unknown metric '${m}' (one of ${METRIC_NAMES.join(', ')})`);
  const z = asMatrix(latents.data, latents.rows, latents.cols);
  for (let i = 0; i < z.data.length; i++)
    if (!Number.isFinite(z.data[i]!)) throw new Error(`latents: non-finite value at row ${Math.floor(i / z.cols)}`);
  const supervised = o.metrics.filter((m) => m !== 'totalCorrelation' && m !== 'activeUnits');
  if (supervised.length > 0 && !factors) throw new Error(`metrics ${supervised.join(', ')} need ground-truth factors`);
  const allFactors = factors ? prepareFactors(factors, z.rows, o) : [];
  const prepared = allFactors.filter((f) => f.classes > 1);
  if (supervised.length > 0 && prepared.length === 0) {
    throw new Error(`metrics ${supervised.join(', ')} need a factor that varies; every factor is constant on these ${z.rows} samples`);
  }
  // One stream per metric, forked in a fixed order, so each metric's draws are the same whatever else runs.
  const root = new Random(o.seed);
  const streams = Object.fromEntries(METRIC_NAMES.map((m) => [m, root.fork()])) as Record<MetricName, Random>;
  const split = splitRows(z.rows, o.testFraction, root.fork());
  const result: MetricsResult = {
    n: z.rows,
    latentDims: z.cols,
    ...(latents.names ? { latentNames: latents.names } : {}),
    factors: prepared.map((f) => ({ name: f.name, discrete: f.discrete, classes: f.classes })),
    constantFactors: allFactors.filter((f) => f.classes <= 1).map((f) => f.name),
    options: o,
    seconds: {},
  };
  const want = new Set(o.metrics);
  const timed = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    result.seconds[name] = (performance.now() - t0) / 1000;
    return r;
  };
  if (want.has('betaVae')) result.betaVae = await timed('betaVae', () => betaVaeScore(z, prepared, o.betaVae, streams.betaVae));
  if (want.has('factorVae')) result.factorVae = await timed('factorVae', () => factorVaeScore(z, prepared, o.factorVae, streams.factorVae));
  if (want.has('mig') || want.has('modularity')) {
    const mi = await timed('mutualInformation', () => mutualInformationMatrix(z, prepared, o.bins));
    result.mutualInformation = mi;
    if (want.has('mig')) result.mig = mig(mi, prepared);
    if (want.has('modularity')) result.modularity = modularity(mi);
  }
  if (want.has('dci')) {
    const threads = options.dci?.threads;
    result.dci = await timed('dci', () =>
      dci(z, prepared, split, { ...o.dci, seed: o.seed, ...(threads !== undefined ? { threads } : {}) }),
    );
  }
  if (want.has('sap')) result.sap = await timed('sap', () => sap(z, prepared, split));
  if (want.has('explicitness')) result.explicitness = await timed('explicitness', () => explicitness(z, prepared, split, o.explicitnessL2));
  if (want.has('totalCorrelation')) result.totalCorrelation = await timed('totalCorrelation', () => gaussianTotalCorrelation(z));
  if (want.has('activeUnits')) result.activeUnits = await timed('activeUnits', () => activeUnits(z, o.activeThreshold));
  return result;
}
