// `latentlens metrics <run>`: flags of metricsRun (src/runs/metrics-run.ts), which writes metrics.json.
import type { Command } from 'commander';
import { METRIC_NAMES, type MetricName } from '../metrics/index.js';
import { parsePooling } from '../models/pool-latents.js';
import { metricsRun, METRICS_DEFAULTS as D, METRICS_POOLINGS, type MetricsRunOptions } from '../runs/metrics-run.js';
import { positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

type MetricsFlags = Omit<MetricsRunOptions, 'metrics'> & { metrics?: string };

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description(
      'Disentanglement metrics (beta-VAE, FactorVAE, MIG, DCI, SAP, modularity, explicitness, TC, active units) of a run; writes metrics.json.',
    )
    .argument('<run>', 'run folder (from latentlens train)')
    .option('--data <spec>', "data spec (default: the run's)")
    .option('--split <name>', 'cases: all, train, val or test', 'all')
    .option(
      '--pooling <mode>',
      'spatial latents: mean (one value per map) or grid (every cell)',
      (v: string) => parsePooling(v, METRICS_POOLINGS),
      D.pooling,
    )
    .option('--metrics <list>', `comma-separated subset of ${METRIC_NAMES.join(',')}`)
    .option('--seed <n>', 'seed', whole('--seed'), D.seed)
    .option('--bins <n>', 'equal-width latent bins for MIG and modularity', atLeast('--bins', 2), D.bins)
    .option('--factor-bins <n>', 'quantile bins of continuous factors', atLeast('--factor-bins', 2), D.factorBins)
    .option('--dci-importance <kind>', 'forest or lasso', D.dciImportance)
    .option('--out <file>', 'output JSON (default <run>/metrics.json)')
    .action(async (dir: string, f: MetricsFlags) => {
      await metricsRun(
        dir,
        { ...f, metrics: f.metrics?.split(',').map((s) => s.trim()) as MetricName[] | undefined },
        { log: (l) => console.log(l) },
      );
    });
}
