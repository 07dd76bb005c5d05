// `latentlens demo`: from nothing to answers. Generates phantoms (or reads --data), trains a ConvAE and a
// beta-VAE, ranks their maps, explains the top maps, runs TCAV for the label concept, embeds the latents,
// computes the disentanglement metrics, writes the report, and says how to open the explorer. Each stage
// is the same command a user would run, called in-process, so the demo and the CLI cannot drift apart.
// After each model is trained its health check (health.json) is printed first: a model that reconstructs
// no better than the mean image is announced as failed before any analysis of it, and its report carries
// the banner.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { wholeNumberFlag } from './flags.js';
import { healthLine, readHealth, type HealthRecord } from '../train/health.js';

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
export const DEMO_BETA_VAE = ['--recon-loss', 'mse', '--beta', '0.0072'];

interface Stage { name: string; args: string[]; optional?: boolean }

/** Runs one latentlens command in-process; false when the command does not exist in this build. */
async function runCommand(args: string[]): Promise<boolean> {
  const { commands } = await import('./commands.js');
  const program = new Command().name('latentlens').exitOverride();
  for (const register of commands) register(program);
  if (!program.commands.some((c) => c.name() === args[0])) return false;
  await program.parseAsync(['node', 'latentlens', ...args]);
  return true;
}

function topMaps(run: string, count: number): number[] {
  const p = join(run, 'rank.json');
  if (!existsSync(p)) return [];
  return (JSON.parse(readFileSync(p, 'utf8')) as { ranking: number[] }).ranking.slice(0, count);
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

export function demoStages(o: DemoOptions): { runs: Record<string, string>; train: Stage[]; analyse: (run: string, primary: boolean) => Stage[] } {
  const runs = { convAe: join(o.out, 'conv-ae'), betaVae: join(o.out, 'beta-vae') };
  const seed = String(o.seed);
  const phantom = o.data.startsWith('phantom:');
  const geometry = phantom ? ['--latent-maps', '8', '--latent-grid', '8x8', '--width', '16'] : ['--latent-maps', '16'];
  const epochs = o.quick ? '2' : '30';
  const tgt = o.target !== undefined ? ['--target', o.target] : [];
  const common = ['--data', o.data, '--epochs', epochs, '--batch-size', '32', '--lr', '0.002', '--seed', seed];
  const train: Stage[] = [
    { name: 'train ConvAE', args: ['train', ...common, '--model', 'conv-ae', ...geometry, '--out', runs.convAe] },
    { name: 'train beta-VAE', args: ['train', ...common, '--model', 'beta-vae', ...DEMO_BETA_VAE, ...geometry, '--out', runs.betaVae] },
  ];
  const analyse = (run: string, primary: boolean): Stage[] => [
    { name: 'rank maps', args: ['rank', run, ...tgt, '--seed', seed, ...(o.quick ? ['--bootstraps', '5', '--trees', '50'] : [])] },
    { name: 'TCAV', optional: true, args: ['tcav', run, ...tgt, '--concept', ...(phantom ? ['factor:lesion_present=1#lesion'] : []), 'random:200#random', '--seed', seed, ...(o.quick ? ['--runs', '5'] : [])] },
    { name: 'embed (UMAP)', optional: true, args: ['embed', run, ...tgt, '--method', 'umap', '--seed', seed, ...(o.quick ? ['--epochs', '100'] : [])] },
    ...(primary && !o.quick ? [{ name: 'embed (t-SNE)', optional: true, args: ['embed', run, ...tgt, '--method', 'tsne', '--seed', seed] }] : []),
    { name: 'embed (PCA)', optional: true, args: ['embed', run, ...tgt, '--method', 'pca', '--seed', seed] },
    ...(phantom ? [{ name: 'disentanglement metrics', optional: true, args: ['metrics', run, '--data', alwaysVisible(o.data), '--seed', seed] }] : []),
  ];
  return { runs, train, analyse };
}

const MODEL_NAMES: Record<string, string> = { convAe: 'ConvAE', betaVae: 'beta-VAE' };

/** The demo's line about a trained model's health: what is printed first about it. */
export function demoHealthLine(name: string, h: HealthRecord | null): string {
  if (!h) return `${name}: health not recorded (training did not finish)`;
  return h.passed ? `${name} ${healthLine(h)}` : `${name} FAILED the health check; its analyses below describe noise. ${h.warning}`;
}

export async function runDemo(o: DemoOptions, log: (line: string) => void = (l) => console.log(l)): Promise<{ runs: Record<string, string>; skipped: string[]; health: Record<string, HealthRecord | null> }> {
  const t0 = performance.now();
  const clock = () => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
  const skipped: string[] = [];
  const { runs, train, analyse } = demoStages(o);
  const run = async (s: Stage) => {
    log(`${clock()} ${s.name}: latentlens ${s.args.join(' ')}`);
    if (!(await runCommand(s.args))) {
      if (!s.optional) throw new Error(`demo: command '${s.args[0]}' is missing from this build`);
      skipped.push(s.name);
      log(`${clock()}   (skipped: this build has no '${s.args[0]}' command)`);
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
    for (const s of analyse(dir, name === 'convAe')) await run(s);
    const maps = topMaps(dir, name === 'convAe' ? 2 : 1);
    for (const m of maps) {
      await run({ name: `explain map ${m}`, args: ['explain', dir, '--map', String(m), ...(o.target !== undefined ? ['--target', o.target] : []), '--seed', String(o.seed),
        '--methods', o.quick ? 'gradient,integrated-gradients,channel-occlusion' : 'gradient,gradient-x-input,integrated-gradients,smoothgrad,grad-cam,occlusion,channel-occlusion'] });
    }
    await run({ name: 'report', optional: true, args: ['report', dir] });
  }
  log(`${clock()} done.`);
  for (const [key, dir] of Object.entries(runs)) {
    const h = health[key] ?? null;
    if (!h?.passed) log(demoHealthLine(MODEL_NAMES[key]!, h));
    const report = join(dir, 'report.html');
    if (existsSync(report)) log(`report: ${resolve(report)}${h?.passed ? '' : '   (the health-check banner on top says why not to trust it)'}`);
  }
  log(`explore: latentlens serve ${resolve(runs.convAe)} ${resolve(runs.betaVae)}   (or ./run.sh cli serve ...)`);
  return { runs, skipped, health };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline on phantoms (or --data): train a ConvAE and a beta-VAE, rank, explain, TCAV, embed, metrics, report')
    .option('--data <spec>', 'data spec (default: two-channel phantoms with a FLAIR lesion and a T1 distractor)', DEFAULT_DEMO_DATA)
    .option('--out <dir>', 'folder for the run folders (default: runs/demo-<date>-<time>, new each time)')
    .option('--seed <n>', 'seed of every random choice', wholeNumberFlag('--seed'), 0)
    .option('--quick', 'reduced setting (2 epochs, small forests, no t-SNE): a first look in about two minutes', false)
    .option('--target <expr>', "target of rank, explain, TCAV and embed: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column")
    .action(async (f: Omit<DemoOptions, 'out'> & { out?: string }) => {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      await runDemo({ ...f, out: f.out ?? join('runs', `demo-${stamp}`) });
    });
}
