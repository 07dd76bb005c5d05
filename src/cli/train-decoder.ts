// `latentlens train-decoder`: trains a generative decoder on the frozen encoder of a trained run
// (trainDiffusionDecoder or trainAdversarialDecoder, library) into a new run folder whose model decodes
// with it. A separate
// command rather than flags of `train`: it starts from a run, not from a model kind, and takes the
// decoder's own settings. Progress goes to stderr, the summary to stdout.
import type { Command } from 'commander';
import { getNumThreads, setNumThreads, torchVersion } from '../engine/runtime.js';
import type { AdversarialLoss } from '../models/adversarial/adversarial-ae.js';
import type { DiffusionConditioning, DiffusionPrediction } from '../models/diffusion/diffusion-ae.js';
import type { ScheduleKind } from '../models/diffusion/schedule.js';
import { resumeRun } from '../train/resume.js';
import { readRunConfig } from '../train/run-folder.js';
import type { TrainResult } from '../train/state.js';
import { ADVERSARIAL_DECODER_LR, trainAdversarialDecoder } from '../train/train-adversarial-decoder.js';
import { trainDiffusionDecoder } from '../train/train-decoder.js';
import type { TrainEvent } from '../train/trainer.js';
import { healthLine } from '../train/health.js';
import { numberFlag as num, wholeNumberFlag as int } from './flags.js';
import { describeTrainEvent, lossKind, withCtrlC } from './train-session.js';

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
  advWeight: number;
  advStart: number;
  advLoss: string;
  adaptiveWeight: boolean;
  discLr: number;
  discWidth: number;
  discLayers: number;
  epochs: number;
  steps?: number;
  batchSize: number;
  lr?: number;
  clipGradNorm: number;
  checkpointEvery: number;
  seed?: number;
  threads?: number;
  progress: boolean;
}

/** The diffusion decoder's learning rate unless --lr is given (bench generative's). */
const DIFFUSION_LR = 2e-3;

function summary(r: TrainResult, diffusion: boolean): void {
  if (r.stopReason === 'aborted') process.exitCode = 130;
  const v = r.finalVal
    ? `; val PSNR ${r.finalVal.psnr.toFixed(2)} dB, SSIM ${r.finalVal.ssim.toFixed(4)}${diffusion ? ' (DDIM inversion then decoding)' : ''}`
    : '';
  console.log(`${r.stopReason}: ${r.steps} steps in ${r.seconds.toFixed(1)} s${v}`);
  console.log(
    r.stopReason === 'aborted'
      ? `checkpoint ${r.checkpoint}; continue with: latentlens train-decoder --resume --out ${r.out}`
      : `run folder: ${r.out}`,
  );
  if (r.health) console.log(`${healthLine(r.health)}${diffusion ? ' (health decodes from the fixed noise x_T, not an inverted one)' : ''}`);
}

async function action(f: Flags): Promise<void> {
  if (f.threads) setNumThreads(f.threads);
  if (f.decoder !== 'diffusion' && f.decoder !== 'adversarial')
    throw new Error(`train-decoder: --decoder ${f.decoder}: one of diffusion, adversarial`);
  if (!['non-saturating', 'hinge'].includes(f.advLoss))
    throw new Error(`train-decoder: --adv-loss ${f.advLoss}: one of non-saturating, hinge`);
  await withCtrlC(async (signal) => {
    const progress = f.progress && process.stderr.isTTY === true;
    if (f.resume) {
      // The kind is the run's own, whatever --decoder says: its config.json decides what resumes.
      const what = lossKind(readRunConfig(f.out).model);
      console.error(`resuming ${f.out} (settings from its config.json)`);
      const onEvent = (e: TrainEvent) => describeTrainEvent(e, progress, what);
      summary(await resumeRun(f.out, { signal, progress }, onEvent), what !== 'loss');
      return;
    }
    if (!f.from) throw new Error("train-decoder: --from <run> (the trained encoder's run folder) is required");
    const diffusion = f.decoder === 'diffusion';
    const onEvent = (e: TrainEvent) =>
      describeTrainEvent(e, progress, diffusion ? lossKind({ kind: 'diffusion-ae', prediction: f.prediction }) : 'loss');
    const train = {
      out: f.out,
      ...(f.data ? { data: f.data } : {}),
      epochs: f.epochs,
      ...(f.steps !== undefined ? { steps: f.steps } : {}),
      batchSize: f.batchSize,
      lr: f.lr ?? (diffusion ? DIFFUSION_LR : ADVERSARIAL_DECODER_LR),
      clipGradNorm: f.clipGradNorm,
      checkpointEvery: f.checkpointEvery,
      ...(f.seed !== undefined ? { seed: f.seed } : {}),
      progress,
      signal,
      extraConfig: { threads: getNumThreads() },
    };
    const how = `libtorch ${torchVersion()}, ${getNumThreads()} threads -> ${f.out}`;
    if (!diffusion) {
      console.error(`fine-tuning the conv decoder of ${f.from} against a patch discriminator (encoder frozen, no perceptual term), ${how}`);
      const decoder = {
        advWeight: f.advWeight,
        advStart: f.advStart,
        advLoss: f.advLoss as AdversarialLoss,
        adaptiveWeight: f.adaptiveWeight,
        discriminatorLr: f.discLr,
        discriminatorWidth: f.discWidth,
        discriminatorLayers: f.discLayers,
      };
      summary(await trainAdversarialDecoder(f.from, { ...train, decoder }, onEvent), false);
      return;
    }
    const mults = f.mults.split(',').map(num('--mults'));
    console.error(`training a diffusion decoder on the frozen encoder of ${f.from}, ${how}`);
    summary(
      await trainDiffusionDecoder(
        f.from,
        {
          ...train,
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
      true,
    );
  });
}

export function registerTrainDecoder(program: Command): void {
  program
    .command('train-decoder')
    .description(
      'train a generative decoder on the frozen encoder of a trained run, into a new run folder: diffusion (DDPM, DDIM decoding) or adversarial (the conv decoder fine-tuned against a patch discriminator)',
    )
    .option(
      '--from <run>',
      'run folder of the trained model (diffusion: its conv decoder stays in the new run, unused by decode; adversarial: its conv decoder is the one fine-tuned)',
    )
    .requiredOption('--out <run>', 'run folder to create (or to continue with --resume)')
    .option('--decoder <kind>', 'decoder kind: diffusion | adversarial', 'diffusion')
    .option('--data <spec>', "data spec (default: the encoder run's)")
    .option('--resume', 'continue the decoder run in --out from its latest checkpoint', false)
    .option(
      '--conditioning <kind>',
      'diffusion: adagn (pooled latent scales and shifts, as Diff-AE) | adagn+spatial (also the maps concatenated to x_t) | adagn+cross-attention (also attention to the maps as tokens, as EncDiff)',
      'adagn+spatial',
    )
    .option(
      '--prediction <kind>',
      'diffusion: what the U-Net learns: eps (the noise, as DDPM and Diff-AE) | v (Salimans & Ho; decodes from noise far better in short training, see README)',
      'eps',
    )
    .option('--width <c>', 'diffusion: U-Net channels of the first level', int('--width'), 32)
    .option('--mults <list>', 'diffusion: U-Net channel multipliers per level', '1,2,2')
    .option('--noise-schedule <kind>', 'diffusion: linear (DDPM, beta 1e-4..0.02) | cosine (Nichol & Dhariwal)', 'linear')
    .option('--timesteps <T>', 'diffusion: timesteps T of training', int('--timesteps'), 1000)
    .option(
      '--ddim-steps <n>',
      'diffusion: DDIM steps of decoding and inversion (validation, decode, reconstruct)',
      int('--ddim-steps'),
      20,
    )
    .option('--adv-weight <x>', 'adversarial: weight of the generator term (VQGAN disc_weight)', num('--adv-weight'), 0.5)
    .option(
      '--adv-start <n>',
      'adversarial: reconstruction-only steps before the adversarial terms start (VQGAN disc_start)',
      int('--adv-start'),
      100,
    )
    .option('--adv-loss <kind>', 'adversarial: non-saturating | hinge', 'non-saturating')
    .option(
      '--no-adaptive-weight',
      "adversarial: no VQGAN adaptive factor (gradient-norm ratio at the decoder's last layer); the weight is --adv-weight alone",
    )
    .option('--disc-lr <x>', 'adversarial: discriminator learning rate (Adam, betas 0.5, 0.9)', num('--disc-lr'), 2e-4)
    .option('--disc-width <c>', 'adversarial: channels of the patch discriminator first layer', int('--disc-width'), 32)
    .option('--disc-layers <n>', 'adversarial: stride-2 layers of the patch discriminator', int('--disc-layers'), 2)
    .option('--epochs <n>', 'passes over the training split', int('--epochs'), 10)
    .option('--steps <n>', 'total steps instead of epochs', int('--steps'))
    .option('--batch-size <n>', "images per step (16 and the lr below: bench generative's settings)", int('--batch-size'), 16)
    .option(
      '--lr <x>',
      `Adam learning rate of the decoder (default ${DIFFUSION_LR} diffusion, ${ADVERSARIAL_DECODER_LR} adversarial)`,
      num('--lr'),
    )
    .option('--clip-grad-norm <x>', 'clip gradients to this global L2 norm (0: off)', num('--clip-grad-norm'), 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints (0: only at the end)', int('--checkpoint-every'), 500)
    .option('--seed <n>', "seed of the noise, timesteps and batch order (default: the encoder run's, which keeps its split)", int('--seed'))
    .option('--threads <n>', 'libtorch threads', int('--threads'))
    .option('--no-progress', 'no progress bar')
    .action(action);
}
