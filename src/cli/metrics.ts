// `latentlens metrics <run>`: disentanglement metrics of a run's latents against the data's
// ground-truth factors (phantoms), or only the unsupervised ones when the data has no factors.
// Writes <run>/metrics.json: { command, created, run, dataSpec, split, pooling, cases, supervised, health, result }
// with `result` a MetricsResult (src/metrics/README.md).
import { join } from 'node:path';
import type { Command } from 'commander';
import { computeMetrics, latentTable, METRIC_NAMES, type MetricName } from '../metrics/index.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { encodeRun, pickRows, type SplitChoice } from './analysis-run.js';
import { positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';
import { healthSummary } from '../runs/run-health.js';

interface MetricsFlags { data?: string; split: string; pooling: string; metrics?: string; seed: number; bins: number; factorBins: number; dciImportance: string; out?: string }

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('Disentanglement metrics (beta-VAE, FactorVAE, MIG, DCI, SAP, modularity, explicitness, TC, active units) of a run; writes metrics.json.')
    .argument('<run>', 'run folder (from latentlens train)')
    .option('--data <spec>', "data spec (default: the run's)")
    .option('--split <name>', 'cases: all, train, val or test', 'all')
    .option('--pooling <mode>', 'spatial latents: mean (one value per map) or flatten (every position)', 'mean')
    .option('--metrics <list>', `comma-separated subset of ${METRIC_NAMES.join(',')}`)
    .option('--seed <n>', 'seed', whole('--seed'), 0)
    .option('--bins <n>', 'equal-width latent bins for MIG and modularity', atLeast('--bins', 2), 20)
    .option('--factor-bins <n>', 'quantile bins of continuous factors', atLeast('--factor-bins', 2), 10)
    .option('--dci-importance <kind>', 'forest or lasso', 'forest')
    .option('--out <file>', 'output JSON (default <run>/metrics.json)')
    .action(async (dir: string, f: MetricsFlags) => {
      if (f.pooling !== 'mean' && f.pooling !== 'flatten') throw new Error(`--pooling ${f.pooling}: expected mean or flatten`);
      if (f.dciImportance !== 'forest' && f.dciImportance !== 'lasso') throw new Error(`--dci-importance ${f.dciImportance}: expected forest or lasso`);
      const enc = await encodeRun(dir, { data: f.data, split: f.split as SplitChoice, command: 'metrics' });
      const table = latentTable(enc.maps, f.pooling);
      const factors = enc.data.factors;
      let metrics = f.metrics ? (f.metrics.split(',').map((s) => s.trim()) as MetricName[]) : [...METRIC_NAMES];
      if (!factors) {
        console.log(`${enc.dataSpec} has no ground-truth factors: computing the unsupervised metrics only`);
        metrics = metrics.filter((m) => m === 'totalCorrelation' || m === 'activeUnits');
      }
      console.log(`encoded ${enc.indices.length} cases -> ${table.cols} latent dimensions (${f.pooling})`);
      const result = await computeMetrics(
        table,
        factors ? { names: factors.names, values: pickRows(factors.values, factors.names.length, enc.indices) } : null,
        { metrics, seed: f.seed, bins: f.bins, factorBins: f.factorBins, dci: { importance: f.dciImportance } },
      );
      if (result.constantFactors.length > 0) console.log(`left out constant factors: ${result.constantFactors.join(', ')}`);
      const partlyHidden = result.factors.filter((x) => x.name.endsWith('_present')).map((x) => x.name.slice(0, -'_present'.length));
      if (partlyHidden.length > 0) {
        console.log(`note: the ${partlyHidden.join(' and ')} factors of cases without that object are drawn but not visible, which caps every ` +
          `score; for disentanglement, score on phantoms where each object is always present (e.g. lesionRate=1,distractorRate=1)`);
      }
      const out = f.out ?? join(dir, 'metrics.json');
      writeJsonAtomic(out, {
        command: 'metrics', created: new Date().toISOString(), run: dir, dataSpec: enc.dataSpec, split: f.split,
        pooling: f.pooling, cases: enc.indices.length, supervised: !!factors, health: healthSummary(enc.health), result,
      });
      const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
      const lines: [string, number | undefined][] = [
        ['beta-VAE score', result.betaVae?.score], ['FactorVAE score', result.factorVae?.score], ['MIG', result.mig?.score],
        ['DCI disentanglement', result.dci?.disentanglement], ['DCI completeness', result.dci?.completeness],
        ['DCI informativeness', result.dci?.informativeness], ['SAP', result.sap?.score], ['modularity', result.modularity?.score],
        ['explicitness', result.explicitness?.score], ['total correlation (nats)', result.totalCorrelation?.nats],
      ];
      for (const [name, v] of lines) if (v !== undefined) console.log(`${name.padEnd(26)} ${fmt(v)}`);
      if (result.activeUnits) console.log(`${'active units'.padEnd(26)} ${result.activeUnits.count}/${table.cols}`);
      console.log(`wrote ${out}`);
    });
}
