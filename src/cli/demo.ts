// `latentlens demo`: from nothing to answers. Generates phantoms (or reads --data), trains a ConvAE and a
// beta-VAE, ranks their maps, explains the top maps, runs TCAV for the label concept, embeds the latents,
// computes the disentanglement metrics, writes the report, and says how to open the explorer. Each stage
// calls the same function of src/runs/ that its command calls, and prints that command first, so a user
// can re-run any stage by hand. After each model is trained its health check (health.json) is printed
// first: a model that reconstructs no better than the mean image is announced as failed before any
// analysis of it, and its report carries the banner.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { wholeNumberFlag } from './flags.js';
import { healthLine, readHealth, type HealthRecord } from '../train/health.js';
import { trainRun, trainSummary } from '../runs/train-run.js';
import { rankRun, type RankRunOutput } from '../runs/rank-run.js';
import { tcavRun } from '../runs/tcav-run.js';
import { embedRun } from '../runs/embed-run.js';
import { metricsRun } from '../runs/metrics-run.js';
import { explainRun } from '../runs/explain-run.js';
import type { RunLog } from '../runs/run-log.js';
import { writeReport } from '../report/index.js';
import { StageProgress } from '../util/progress.js';
import { describeTrainEvent } from './train-session.js';

export interface DemoOptions {
  /** Data spec; default: 4,000 two-channel phantoms with the lesion in FLAIR and a distractor in T1. */
  data: string;
  /** Folder for the runs. */
  out: string;
  seed: number;
  /** Reduced setting (few epochs, small forests, no t-SNE) for tests and a first look. */
  quick: boolean;
  /** Target expression of rank, explain, TCAV and embed (src/data/target.ts); default: the labels as they are. */
  target?: string;
}

export const DEFAULT_DEMO_DATA = 'phantom:n=4000,size=32,channels=T1,FLAIR,lesion=FLAIR,distractor=T1,organScale=1,lesionIntensity=0.5:0.9';

/**
 * The demo's beta-VAE: Higgins' beta 4 under a Gaussian likelihood whose sigma is the phantoms' pixel noise
 * (0.03): loss SSE + 2 sigma^2 beta KL = SSE + 0.0072 KL. The model's default Bernoulli (BCE) likelihood
 * leaves these continuous images only ~33 nats per image between the mean image (BCE 755.5) and a perfect
 * reconstruction (722.3), so beta 4 x KL made posterior collapse optimal: after the full 30 epochs KL 0.01
 * nats, 0 of 8 active units, PSNR 12.7 dB against the mean image's 22.7 dB (beta 1 and 2 collapsed too).
 */
export const DEMO_BETA_VAE = { reconLoss: 'mse', beta: 0.0072 } as const;

/** One step of the demo: the command a user would type for it, and the runs/ call that does it. */
export interface Stage {
  name: string;
  command: string[];
  run: (out: RunLog) => Promise<unknown>;
}

/**
 * The demo's phantom spec with both objects in every case: factors of an absent object are drawn but
 * not visible, and would cap every disentanglement score. Rates the user set are kept.
 */
export function alwaysVisible(spec: string): string {
  const extra = ['lesionRate', 'distractorRate'].filter((k) => !new RegExp(`[:?&,]${k}=`).test(spec)).map((k) => `${k}=1`);
  if (extra.length === 0) return spec;
  return spec + (/[:?&,][A-Za-z]+=/.test(spec) ? ',' : '') + extra.join(',');
}

export function demoStages(o: DemoOptions): {
  runs: Record<'convAe' | 'betaVae', string>;
  train: Stage[];
  analyse: (run: string, primary: boolean) => Stage[];
} {
  const runs = { convAe: join(o.out, 'conv-ae'), betaVae: join(o.out, 'beta-vae') };
  const { seed, target } = o;
  const phantom = o.data.startsWith('phantom:');
  const geometry = phantom ? { latentMaps: 8, latentGrid: [8, 8], width: 16 } : { latentMaps: 16 };
  const epochs = o.quick ? 2 : 30;
  const common = { data: o.data, epochs, batchSize: 32, lr: 0.002, seed };
  // The flags of each stage's command, for the log: `--key value` in the order given.
  const flags = (opts: Record<string, unknown>): string[] =>
    Object.entries(opts)
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) => {
        const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        return Array.isArray(v) ? (k === 'latentGrid' ? [flag, v.join('x')] : [flag, ...v.map(String)]) : [flag, String(v)];
      });
  const tgt = target !== undefined ? { target } : {};
  const trainStage = (name: string, model: 'conv-ae' | 'beta-vae', out: string, modelOptions: Record<string, unknown>): Stage => ({
    name,
    command: ['train', ...flags({ ...common, model, ...modelOptions, out })],
    run: async (log) => {
      const r = await trainRun({ ...common, model, out, modelOptions }, { ...log, onEvent: (e) => describeTrainEvent(e, false) });
      for (const l of trainSummary(r)) log.log?.(l);
    },
  });
  const train = [
    trainStage('train ConvAE', 'conv-ae', runs.convAe, geometry),
    trainStage('train beta-VAE', 'beta-vae', runs.betaVae, { ...DEMO_BETA_VAE, ...geometry }),
  ];
  const analyse = (run: string, primary: boolean): Stage[] => {
    const rank = { ...tgt, seed, ...(o.quick ? { bootstraps: 5, trees: 50 } : {}) };
    const concepts = [...(phantom ? ['factor:lesion_present=1#lesion'] : []), 'random:200#random'];
    const tcav = { ...tgt, seed, ...(o.quick ? { runs: 5 } : {}) };
    const umapEpochs = o.quick ? 100 : undefined; // UMAP's own default otherwise
    const embed = (method: 'umap' | 'tsne' | 'pca'): Stage => ({
      name: `embed (${{ umap: 'UMAP', tsne: 't-SNE', pca: 'PCA' }[method]})`,
      command: ['embed', run, ...flags({ ...tgt, method, seed, epochs: method === 'umap' ? umapEpochs : undefined })],
      run: (log) => embedRun(run, { ...tgt, embed: method === 'umap' ? { method, seed, nEpochs: umapEpochs } : { method, seed } }, log),
    });
    return [
      { name: 'rank maps', command: ['rank', run, ...flags(rank)], run: (log) => rankRun(run, rank, log) },
      {
        name: 'TCAV',
        command: ['tcav', run, ...flags({ ...tcav, concept: concepts })],
        run: (log) => tcavRun(run, { ...tcav, concepts }, log),
      },
      embed('umap'),
      ...(primary && !o.quick ? [embed('tsne')] : []),
      embed('pca'),
      ...(phantom
        ? [
            {
              name: 'disentanglement metrics',
              command: ['metrics', run, ...flags({ data: alwaysVisible(o.data), seed })],
              run: (log: RunLog) => metricsRun(run, { data: alwaysVisible(o.data), seed }, log),
            },
          ]
        : []),
    ];
  };
  return { runs, train, analyse };
}

/** The explanation of map `map` of `run`, as the demo runs it. */
function explainStage(o: DemoOptions, run: string, map: number): Stage {
  const methods = o.quick
    ? ['gradient', 'integrated-gradients', 'channel-occlusion']
    : ['gradient', 'gradient-x-input', 'integrated-gradients', 'smoothgrad', 'grad-cam', 'occlusion', 'channel-occlusion'];
  const tgt = o.target !== undefined ? { target: o.target } : {};
  return {
    name: `explain map ${map}`,
    command: [
      'explain',
      run,
      '--map',
      String(map),
      ...(o.target !== undefined ? ['--target', o.target] : []),
      '--seed',
      String(o.seed),
      '--methods',
      methods.join(','),
    ],
    run: (log) => explainRun(run, { map, ...tgt, seed: o.seed, methods }, log),
  };
}

const MODEL_NAMES: Record<string, string> = { convAe: 'ConvAE', betaVae: 'beta-VAE' };

/** The demo's line about a trained model's health: what is printed first about it. */
export function demoHealthLine(name: string, h: HealthRecord | null): string {
  if (!h) return `${name}: health not recorded (training did not finish)`;
  return h.passed ? `${name} ${healthLine(h)}` : `${name} FAILED the health check; its analyses below describe noise. ${h.warning}`;
}

export async function runDemo(
  o: DemoOptions,
  log: (line: string) => void = (l) => console.log(l),
): Promise<{ runs: Record<string, string>; health: Record<string, HealthRecord | null> }> {
  const t0 = performance.now();
  const clock = () => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
  const { runs, train, analyse } = demoStages(o);
  const run = async (s: Stage): Promise<unknown> => {
    log(`${clock()} ${s.name}: latentlens ${s.command.join(' ')}`);
    const progress = new StageProgress(process.stderr);
    try {
      return await s.run({ log: (l) => log(`${clock()}   ${l}`), progress });
    } finally {
      progress.end();
    }
  };
  const health: Record<string, HealthRecord | null> = {};
  const names = Object.keys(runs) as (keyof typeof runs)[];
  for (const [i, s] of train.entries()) {
    await run(s);
    const key = names[i]!;
    health[key] = readHealth(runs[key]);
    log(`${clock()} ${demoHealthLine(MODEL_NAMES[key]!, health[key]!)}`);
  }
  for (const [name, dir] of Object.entries(runs)) {
    let ranking: number[] = [];
    for (const s of analyse(dir, name === 'convAe')) {
      const r = await run(s);
      if (s.command[0] === 'rank') ranking = (r as RankRunOutput).file.result.ranking;
    }
    for (const m of ranking.slice(0, name === 'convAe' ? 2 : 1)) await run(explainStage(o, dir, m));
    log(`${clock()} report: latentlens report ${dir}`);
    await writeReport(dir);
  }
  log(`${clock()} done.`);
  for (const [key, dir] of Object.entries(runs)) {
    const h = health[key] ?? null;
    if (!h?.passed) log(demoHealthLine(MODEL_NAMES[key]!, h));
    const report = join(dir, 'report.html');
    if (existsSync(report))
      log(`report: ${resolve(report)}${h?.passed ? '' : '   (the health-check banner on top says why not to trust it)'}`);
  }
  log(`explore: latentlens serve ${resolve(runs.convAe)} ${resolve(runs.betaVae)}   (or ./run.sh cli serve ...)`);
  return { runs, health };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline on phantoms (or --data): train a ConvAE and a beta-VAE, rank, explain, TCAV, embed, metrics, report')
    .option('--data <spec>', 'data spec (default: two-channel phantoms with a FLAIR lesion and a T1 distractor)', DEFAULT_DEMO_DATA)
    .option('--out <dir>', 'folder for the run folders (default: runs/demo-<date>-<time>, new each time)')
    .option('--seed <n>', 'seed of every random choice', wholeNumberFlag('--seed'), 0)
    .option('--quick', 'reduced setting (2 epochs, small forests, no t-SNE): a first look in about two minutes', false)
    .option(
      '--target <expr>',
      "target of rank, explain, TCAV and embed: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column",
    )
    .action(async (f: Omit<DemoOptions, 'out'> & { out?: string }) => {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      await runDemo({ ...f, out: f.out ?? join('runs', `demo-${stamp}`) });
    });
}
