// `latentlens train`: flags of trainRun (src/runs/train-run.ts); progress on stderr, the summary on
// stdout. Ctrl-C writes a checkpoint and exits; --resume continues it.
import type { Command } from 'commander';
import { setNumThreads } from '../engine/runtime.js';
import { MODEL_KINDS, modelOptionsHelp } from '../models/registry.js';
import type { ModelKind } from '../models/types.js';
import type { TrainEvent } from '../train/trainer.js';
import type { TrainOptions } from '../train/options.js';
import { resumeTrainRun, trainRun, trainSummary, type TrainRunOptions } from '../runs/train-run.js';
import { numberFlag as num, wholeNumberFlag as int } from './flags.js';
import { describeTrainEvent, lossKind, withCtrlC } from './train-session.js';
import { DataParallel } from '../train/distributed/data-parallel.js';
import { addDistributedOptions, startDistributed, type DistributedFlags } from './distributed-flags.js';
import { readRunConfig } from '../train/run-folder.js';

interface TrainFlags extends DistributedFlags {
  data?: string;
  model: string;
  out: string;
  resume?: boolean;
  latentMaps?: number;
  latentGrid?: [number, number] | [number, number, number];
  width?: number;
  norm?: string;
  upsample?: string;
  activation?: string;
  reconLoss?: string;
  latent?: string;
  beta?: number;
  modelOpt: string[];
  epochs: number;
  steps?: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  weightDecay?: number;
  betas: [number, number];
  schedule: string;
  warmupSteps: number;
  minLrRatio: number;
  lrStepSize: number;
  lrGamma: number;
  clipGradNorm: number;
  precision: string;
  patience: number;
  minDelta: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  valBatchSize: number;
  seed: number;
  threads?: number;
  progress: boolean;
}

const pair =
  (flag: string, sep: RegExp) =>
  (v: string): [number, number] => {
    const p = v.split(sep).map(num(flag));
    if (p.length !== 2) throw new Error(`${flag} ${v}: expected two numbers`);
    return [p[0]!, p[1]!];
  };
// --latent-grid: h x w for images, d x h x w for volumes (the backbone checks it against the data).
const grid = (v: string): [number, number] | [number, number, number] => {
  const p = v.split(/x/i).map(num('--latent-grid'));
  if (p.length !== 2 && p.length !== 3) throw new Error(`--latent-grid ${v}: expected hxw (e.g. 7x7), or dxhxw for volumes (e.g. 7x7x7)`);
  return p as [number, number] | [number, number, number];
};
const collect = (v: string, prev: string[]) => [...prev, v];

/** `key=value` pairs of --model-opt, values parsed as JSON where they parse (numbers, arrays, objects). */
export function parseModelOpts(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--model-opt ${p}: expected key=value (e.g. capacity={"max":25,"steps":10000,"gamma":1000})`);
    const v = p.slice(eq + 1);
    try {
      out[p.slice(0, eq)] = JSON.parse(v);
    } catch {
      out[p.slice(0, eq)] = v;
    }
  }
  return out;
}

async function action(f: TrainFlags): Promise<void> {
  const begun = startDistributed('train', f);
  const start = begun instanceof Promise ? await begun : begun;
  if (start.launched !== null) {
    process.exitCode = start.launched;
    return;
  }
  if (f.threads) setNumThreads(f.threads);
  const { group } = start;
  const distributed = group ? new DataParallel(group) : undefined;
  // Only rank 0 reports: the others' summaries would repeat it.
  const writer = !distributed || distributed.writer;
  try {
    await withCtrlC(async (signal) => {
      const progress = writer && f.progress && process.stderr.isTTY === true;
      const fresh = f.resume ? null : trainOptions(f, signal, progress);
      // A diffusion autoencoder's loss is its prediction error, its validation PSNR that of inversion then decoding.
      const what = lossKind(fresh ? { ...fresh.modelOptions, kind: fresh.model } : readRunConfig(f.out).model);
      const out = {
        log: (l: string) => writer && console.error(l),
        onEvent: (e: TrainEvent) => writer && describeTrainEvent(e, progress, what),
      };
      const r = fresh
        ? await trainRun({ ...fresh, ...(distributed ? { distributed } : {}) }, out)
        : await resumeTrainRun(f.out, { signal, progress, ...(distributed ? { distributed } : {}) }, out);
      if (r.stopReason === 'aborted') process.exitCode = 130; // like a shell's Ctrl-C status: the run is unfinished (its checkpoint is complete)
      if (writer) for (const line of trainSummary(r, undefined, what !== 'loss')) console.log(line);
    });
  } finally {
    group?.close();
  }
}

function trainOptions(f: TrainFlags, signal: AbortSignal, progress: boolean): TrainRunOptions {
  if (!f.data) throw new Error('train: --data <spec> is required (e.g. --data medmnist:pneumoniamnist)');
  const modelOptions: Record<string, unknown> = { ...parseModelOpts(f.modelOpt) };
  for (const k of ['latentMaps', 'latentGrid', 'width', 'norm', 'upsample', 'activation', 'reconLoss', 'latent', 'beta'] as const) {
    if (f[k] !== undefined) modelOptions[k] = f[k];
  }
  return {
    data: f.data,
    model: f.model as ModelKind,
    out: f.out,
    modelOptions,
    epochs: f.epochs,
    batchSize: f.batchSize,
    optimizer: f.optimizer as 'adam' | 'adamw',
    lr: f.lr,
    betas: f.betas,
    schedule: f.schedule as TrainOptions['schedule'],
    warmupSteps: f.warmupSteps,
    minLrRatio: f.minLrRatio,
    lrStepSize: f.lrStepSize,
    lrGamma: f.lrGamma,
    clipGradNorm: f.clipGradNorm,
    precision: f.precision as TrainOptions['precision'],
    patience: f.patience,
    minDelta: f.minDelta,
    checkpointEvery: f.checkpointEvery,
    keepCheckpoints: f.keepCheckpoints,
    valBatchSize: f.valBatchSize,
    seed: f.seed,
    progress,
    signal,
    ...(f.steps !== undefined ? { steps: f.steps } : {}),
    ...(f.weightDecay !== undefined ? { weightDecay: f.weightDecay } : {}),
  };
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a data spec into a run folder (config.json, train.jsonl, checkpoints/, model.safetensors)')
    .option(
      '--data <spec>',
      'data spec, e.g. medmnist:pneumoniamnist or phantom:n=2000,size=64; volumes (medmnist:organmnist3d, phantom3d:n=200) train the 3D variant of conv-ae and the VAEs (see `latentlens data inspect`)',
    )
    .option('--model <kind>', `model: ${MODEL_KINDS.filter((k) => k !== 'torchscript').join('|')}`, 'conv-ae')
    .requiredOption('--out <run>', 'run folder to create (or to continue with --resume)')
    .option('--resume', 'continue the run in --out from its latest checkpoint, with its recorded settings', false)
    .option('--latent-maps <k>', "number of latent maps K (default: the model's, 16 for conv-ae)", int('--latent-maps'))
    .option(
      '--latent-grid <hxw>',
      'latent grid, e.g. 7x7, or 7x7x7 for volumes (default: a quarter of the input side, halved while above 16: 64 -> 16x16, 128 -> 16x16, 240 -> 15x15)',
      grid,
    )
    .option('--width <c>', 'channels of the first stage, doubled per stage (default 32)', int('--width'))
    .option('--norm <kind>', 'batch|group|none (default batch)')
    .option('--upsample <kind>', 'transposed|resize (default transposed)')
    .option('--activation <kind>', 'relu|leaky (default relu)')
    .option('--recon-loss <kind>', 'mse|bce (default: mse for conv-ae, bce for the VAEs)')
    .option('--latent <kind>', 'VAEs: spatial|vector (default spatial)')
    .option('--beta <b>', 'beta-vae: weight of the KL term (default 4)', num('--beta'))
    .option('--model-opt <key=value>', 'any other model option, value as JSON; repeatable (e.g. gamma=10)', collect, [])
    .option('--epochs <n>', 'passes over the training split', int('--epochs'), 10)
    .option('--steps <n>', 'total steps instead of epochs (default: epochs x steps per epoch)', int('--steps'))
    .option('--batch-size <n>', 'images per step', int('--batch-size'), 64)
    .option('--optimizer <name>', 'adam|adamw', 'adam')
    .option('--lr <x>', 'base learning rate', num('--lr'), 1e-3)
    .option('--weight-decay <x>', 'L2 (adam) or decoupled (adamw) weight decay (default 0 for adam, 0.01 for adamw)', num('--weight-decay'))
    .option('--betas <b1,b2>', 'Adam betas', pair('--betas', /,/), [0.9, 0.999])
    .option('--schedule <kind>', 'LR schedule after warmup: constant|cosine|step', 'constant')
    .option('--warmup-steps <n>', 'steps of linear LR warmup', int('--warmup-steps'), 0)
    .option('--min-lr-ratio <x>', 'cosine: final LR as a fraction of --lr', num('--min-lr-ratio'), 0)
    .option('--lr-step-size <n>', 'step schedule: steps between decays', int('--lr-step-size'), 1000)
    .option('--lr-gamma <x>', 'step schedule: decay factor', num('--lr-gamma'), 0.1)
    .option('--clip-grad-norm <x>', 'clip gradients to this global L2 norm (0: off)', num('--clip-grad-norm'), 0)
    .option('--precision <p>', 'fp32|bf16: bf16 runs forward passes under CPU bf16 autocast (needs AVX512-BF16 or AMX)', 'fp32')
    .option('--patience <n>', 'early stopping: epochs without val-loss improvement (0: off)', int('--patience'), 0)
    .option('--min-delta <x>', 'early stopping: smallest val-loss decrease that counts', num('--min-delta'), 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints (0: only at the end)', int('--checkpoint-every'), 500)
    .option('--keep-checkpoints <n>', 'checkpoints kept on disk', int('--keep-checkpoints'), 3)
    .option('--val-batch-size <n>', 'images per validation batch', int('--val-batch-size'), 256)
    .option('--seed <n>', 'the one seed of initial weights, batch order and every random draw', int('--seed'), 0)
    .option('--threads <n>', 'libtorch threads (default: the core count, or LATENTLENS_THREADS)', int('--threads'))
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)');
  addDistributedOptions(cmd, '--batch-size is the global batch')
    .addHelpText(
      'after',
      `\nModels (defaults of their own options):\n${MODEL_KINDS.map((k) => `  ${k.padEnd(12)} ${modelOptionsHelp[k]}`).join('\n')}\n\n` +
        'Ctrl-C writes a checkpoint and exits (status 130); `latentlens train --resume --out <run>` continues to the same weights an\n' +
        'uninterrupted run reaches. train.jsonl gets one JSON line per step and per epoch, and a warning line (also on stderr) when\n' +
        "the first epoch's validation PSNR is below the mean-image baseline.\n\n" +
        'Distributed: rank 0 writes the run folder; --resume needs it on a filesystem every rank sees. A rank that fails ends the\n' +
        'others at their next collective (or after --dist-timeout); `--resume` then continues from the last checkpoint.',
    )
    .action(action);
}
