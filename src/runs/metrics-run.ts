// metricsRun: disentanglement metrics of a run's latents against the data's ground-truth factors
// (phantoms), or only the unsupervised ones when the data has no factors. Writes metrics.json (one
// envelope, run-file.ts) with `result` a MetricsResult (src/metrics/README.md).
import { computeMetrics, METRIC_NAMES, type MetricName, type MetricsResult } from '../metrics/index.js';
import { parsePooling, poolLatents } from '../models/pool-latents.js';
import { encodeRun, pickRows } from './encode-run.js';
import type { SplitChoice } from './run-data.js';
import { healthSummary } from './run-health.js';
import { writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import { logOf, type RunLog } from './run-log.js';
import { defined } from './run-options.js';

export interface MetricsRunOptions {
  data?: string;
  split?: SplitChoice;
  /** Spatial latents: 'mean' (one value per map) or 'grid' (every cell). */
  pooling?: MetricsPooling;
  /** A subset of METRIC_NAMES; default all (the unsupervised ones only without factors). */
  metrics?: MetricName[];
  seed?: number;
  /** Equal-width latent bins for MIG and modularity. */
  bins?: number;
  /** Quantile bins of continuous factors. */
  factorBins?: number;
  dciImportance?: 'forest' | 'lasso';
  /** Output file; default <run>/metrics.json. */
  out?: string;
}

/** The poolings that give the metrics one latent dimension per column (not 'summary': its columns are not latents). */
export const METRICS_POOLINGS = ['mean', 'grid'] as const;
export type MetricsPooling = (typeof METRICS_POOLINGS)[number];

export const METRICS_DEFAULTS = { pooling: 'mean', seed: 0, bins: 20, factorBins: 10, dciImportance: 'forest' } as const;

export type MetricsSettings = Omit<MetricsRunOptions, 'data' | 'split' | 'out'> & {
  pooling: MetricsPooling;
  metrics: MetricName[];
  seed: number;
  bins: number;
  factorBins: number;
  dciImportance: 'forest' | 'lasso';
};
/** `supervised`: the data had ground-truth factors (else only the unsupervised metrics were computed). */
export type MetricsInputs = RunInputs & { supervised: boolean };
export type MetricsFile = RunFileEnvelope<MetricsResult, MetricsInputs, MetricsSettings>;

export async function metricsRun(
  dir: string,
  options: MetricsRunOptions = {},
  out: RunLog = {},
): Promise<{ file: MetricsFile; path: string }> {
  const log = logOf(out);
  const { data, split: splitAsked, out: outFile, ...rest } = options;
  const split = splitAsked ?? 'all';
  const given = { ...METRICS_DEFAULTS, ...defined(rest) };
  parsePooling(given.pooling, METRICS_POOLINGS);
  if (given.dciImportance !== 'forest' && given.dciImportance !== 'lasso')
    throw new Error(`--dci-importance ${String(given.dciImportance)}: expected forest or lasso`);
  const unknown = (given.metrics ?? []).filter((m) => !(METRIC_NAMES as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`--metrics: unknown ${unknown.join(', ')} (one of ${METRIC_NAMES.join(', ')})`);
  const enc = await encodeRun(dir, { data, split, command: 'metrics', log });
  try {
    const table = poolLatents(enc.maps, given.pooling);
    const factors = enc.data.factors;
    let metrics = given.metrics ?? [...METRIC_NAMES];
    if (!factors) {
      log(`${enc.dataSpec} has no ground-truth factors: computing the unsupervised metrics only`);
      metrics = metrics.filter((m) => m === 'totalCorrelation' || m === 'activeUnits');
    }
    const s: MetricsSettings = { ...given, metrics };
    log(`encoded ${enc.indices.length} cases -> ${table.cols} latent dimensions (${s.pooling})`);
    const result = await computeMetrics(
      table,
      factors ? { names: factors.names, values: pickRows(factors.values, factors.names.length, enc.indices) } : null,
      { metrics, seed: s.seed, bins: s.bins, factorBins: s.factorBins, dci: { importance: s.dciImportance } },
    );
    if (result.constantFactors.length > 0) log(`left out constant factors: ${result.constantFactors.join(', ')}`);
    const partlyHidden = result.factors.filter((x) => x.name.endsWith('_present')).map((x) => x.name.slice(0, -'_present'.length));
    if (partlyHidden.length > 0) {
      log(
        `note: the ${partlyHidden.join(' and ')} factors of cases without that object are drawn but not visible, which caps every ` +
          `score; for disentanglement, score on phantoms where each object is always present (e.g. lesionRate=1,distractorRate=1)`,
      );
    }
    const { envelope, path } = writeRunEnvelope(
      dir,
      'metrics.json',
      'metrics',
      {
        inputs: {
          run: dir,
          data: enc.dataSpec,
          split,
          cases: enc.indices.length,
          health: healthSummary(enc.health),
          supervised: !!factors,
        },
        settings: s,
        result,
      },
      outFile,
    );
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
    const lines: [string, number | undefined][] = [
      ['beta-VAE score', result.betaVae?.score],
      ['FactorVAE score', result.factorVae?.score],
      ['MIG', result.mig?.score],
      ['DCI disentanglement', result.dci?.disentanglement],
      ['DCI completeness', result.dci?.completeness],
      ['DCI informativeness', result.dci?.informativeness],
      ['SAP', result.sap?.score],
      ['modularity', result.modularity?.score],
      ['explicitness', result.explicitness?.score],
      ['total correlation (nats)', result.totalCorrelation?.nats],
    ];
    for (const [name, v] of lines) if (v !== undefined) log(`${name.padEnd(26)} ${fmt(v)}`);
    if (result.activeUnits) log(`${'active units'.padEnd(26)} ${result.activeUnits.count}/${table.cols}`);
    log(`wrote ${path}`);
    return { file: envelope, path };
  } finally {
    enc.run.model.dispose();
  }
}
