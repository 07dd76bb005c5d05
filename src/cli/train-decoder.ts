// `latentlens train-decoder`: trains a generative decoder on the frozen encoder of a trained run
// (trainDiffusionDecoder, library) into a new run folder whose model decodes with it. A separate
// command rather than flags of `train`: it starts from a run, not from a model kind, and takes the
// decoder's own settings. Progress goes to stderr, the summary to stdout.
import type { Command } from 'commander';
import { getNumThreads, setNumThreads, torchVersion } from '../engine/runtime.js';
import type { DiffusionConditioning, DiffusionPrediction } from '../models/diffusion/diffusion-ae.js';
import type { ScheduleKind } from '../models/diffusion/schedule.js';
import { resumeRun } from '../train/resume.js';
import type { TrainResult } from '../train/state.js';
import { trainDiffusionDecoder } from '../train/train-decoder.js';
import type { TrainEvent } from '../train/trainer.js';
import { healthLine } from '../train/health.js';
import { numberFlag as num, wholeNumberFlag as int } from './flags.js';
import { describeTrainEvent, withCtrlC } from './train-session.js';

interface Flags {
  from?: string;
  out: string;
  decoder: string;
  data?: string;
  resume: boolean;
  conditioning: string;
  prediction: string;
  width: number;
  mults: string;
  noiseSchedule: string;
  timesteps: number;
  ddimSteps: number;
  epochs: number;
  steps?: number;
  batchSize: number;
  lr: number;
  clipGradNorm: number;
  checkpointEvery: number;
  seed?: number;
  threads?: number;
  progress: boolean;
}

function summary(r: TrainResult): void {
  if (r.stopReason === 'aborted') process.exitCode = 130;
  const v = r.finalVal
    ? `; val PSNR ${r.finalVal.psnr.toFixed(2)} dB, SSIM ${r.finalVal.ssim.toFixed(4)} (DDIM inversion then decoding)`
    : '';
  console.log(`${r.stopReason}: ${r.steps} steps in ${r.seconds.toFixed(1)} s${v}`);
  console.log(
    r.stopReason === 'aborted'
      ? `checkpoint ${r.checkpoint}; continue with: latentlens train-decoder --resume --out ${r.out}`
      : `run folder: ${r.out}`,
  );
  if (r.health) console.log(`${healthLine(r.health)} (health decodes from the fixed noise x_T, not an inverted one)`);
}

async function action(f: Flags): Promise<void> {
  if (f.threads) setNumThreads(f.threads);
  if (f.decoder !== 'diffusion')
    throw new Error(`train-decoder: --decoder ${f.decoder}: only 'diffusion' exists (the adversarial decoder is not built yet)`);
  await withCtrlC(async (signal) => {
    const progress = f.progress && process.stderr.isTTY === true;
    const onEvent = (e: TrainEvent) => describeTrainEvent(e, progress, 'eps');
    if (f.resume) {
      console.error(`resuming ${f.out} (settings from its config.json)`);
      summary(await resumeRun(f.out, { signal, progress }, onEvent));
      return;
    }
    if (!f.from) throw new Error("train-decoder: --from <run> (the trained encoder's run folder) is required");
    const mults = f.mults.split(',').map(num('--mults'));
    console.error(
      `training a diffusion decoder on the frozen encoder of ${f.from}, libtorch ${torchVersion()}, ${getNumThreads()} threads -> ${f.out}`,
    );
    summary(
      await trainDiffusionDecoder(
        f.from,
        {
          out: f.out,
          ...(f.data ? { data: f.data } : {}),
          epochs: f.epochs,
          ...(f.steps !== undefined ? { steps: f.steps } : {}),
          batchSize: f.batchSize,
          lr: f.lr,
          clipGradNorm: f.clipGradNorm,
          checkpointEvery: f.checkpointEvery,
          ...(f.seed !== undefined ? { seed: f.seed } : {}),
          progress,
          signal,
          extraConfig: { threads: getNumThreads() },
          decoder: {
            conditioning: f.conditioning as DiffusionConditioning,
            prediction: f.prediction as DiffusionPrediction,
            width: f.width,
            mults,
            schedule: { kind: f.noiseSchedule as ScheduleKind, steps: f.timesteps },
            ddimSteps: f.ddimSteps,
          },
        },
        onEvent,
      ),
    );
  });
}

export function registerTrainDecoder(program: Command): void {
  program
    .command('train-decoder')
    .description('train a diffusion decoder (DDPM, DDIM decoding) on the frozen encoder of a trained run, into a new run folder')
    .option('--from <run>', 'run folder of the trained encoder (its conv decoder stays in the new run, unused by decode)')
    .requiredOption('--out <run>', 'run folder to create (or to continue with --resume)')
    .option('--decoder <kind>', 'decoder kind: diffusion (the only one so far)', 'diffusion')
    .option('--data <spec>', "data spec (default: the encoder run's)")
    .option('--resume', 'continue the decoder run in --out from its latest checkpoint', false)
    .option(
      '--conditioning <kind>',
      'adagn (pooled latent scales and shifts, as Diff-AE) | adagn+spatial (also the maps concatenated to x_t) | adagn+cross-attention (also attention to the maps as tokens, as EncDiff)',
      'adagn+spatial',
    )
    .option(
      '--prediction <kind>',
      'what the U-Net learns: eps (the noise, as DDPM and Diff-AE) | v (Salimans & Ho; decodes from noise far better in short training, see README)',
      'eps',
    )
    .option('--width <c>', 'U-Net channels of the first level', int('--width'), 32)
    .option('--mults <list>', 'U-Net channel multipliers per level', '1,2,2')
    .option('--noise-schedule <kind>', 'linear (DDPM, beta 1e-4..0.02) | cosine (Nichol & Dhariwal)', 'linear')
    .option('--timesteps <T>', 'diffusion timesteps T of training', int('--timesteps'), 1000)
    .option('--ddim-steps <n>', 'DDIM steps of decoding and inversion (validation, decode, reconstruct)', int('--ddim-steps'), 20)
    .option('--epochs <n>', 'passes over the training split', int('--epochs'), 10)
    .option('--steps <n>', 'total steps instead of epochs', int('--steps'))
    .option('--batch-size <n>', "images per step (16 and the lr below: bench generative's settings)", int('--batch-size'), 16)
    .option('--lr <x>', 'Adam learning rate', num('--lr'), 2e-3)
    .option('--clip-grad-norm <x>', 'clip gradients to this global L2 norm (0: off)', num('--clip-grad-norm'), 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints (0: only at the end)', int('--checkpoint-every'), 500)
    .option('--seed <n>', "seed of the noise, timesteps and batch order (default: the encoder run's, which keeps its split)", int('--seed'))
    .option('--threads <n>', 'libtorch threads', int('--threads'))
    .option('--no-progress', 'no progress bar')
    .action(action);
}
