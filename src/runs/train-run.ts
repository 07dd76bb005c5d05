// trainRun: a model of the zoo built from its kind and options and trained on a data spec into a run
// folder (config.json, train.jsonl, checkpoints/, model.safetensors, health.json); resumeTrainRun
// continues one from its last checkpoint. The initial weights come from a generator of the run's seed,
// so training touches no global random state before the trainer's own per-step seeding.
import { loadCases } from '../data/spec.js';
import { generator, withGenerator } from '../engine/generator.js';
import { getNumThreads, torchVersion } from '../engine/runtime.js';
import { createModel, MODEL_KINDS, type ModelOptions } from '../models/registry.js';
import type { ModelKind } from '../models/types.js';
import { HEALTH_FILE, healthLine } from '../train/health.js';
import type { TrainOptions } from '../train/options.js';
import { resumeRun } from '../train/resume.js';
import type { TrainResult } from '../train/state.js';
import { trainingSplits, trainModel, type TrainEvent } from '../train/trainer.js';
import { logOf, type RunLog } from './run-log.js';

export interface TrainRunOptions extends Omit<TrainOptions, 'out' | 'resume' | 'extraConfig'> {
  /** Data spec (src/data/README.md): images, or volumes for the 3D variants. */
  data: string;
  model: ModelKind;
  /** The run folder to create. */
  out: string;
  /** The model's own options (latentMaps, latentGrid, width, beta, ...); inputShape comes from the data. */
  modelOptions?: Record<string, unknown>;
}

/** Where a training's events go, beside the summary lines of RunLog. */
export type TrainRunLog = RunLog & { onEvent?: (e: TrainEvent) => void };

export async function trainRun(o: TrainRunOptions, out: TrainRunLog = {}): Promise<TrainResult> {
  if (!MODEL_KINDS.includes(o.model)) throw new Error(`train: --model ${o.model}: expected one of ${MODEL_KINDS.join(', ')}`);
  const { data: spec, model: kind, modelOptions: given = {}, ...train } = o;
  // Images or volumes: a volume's [C, D, H, W] builds the model's 3D variant (backbone.ts).
  const data = await loadCases(spec);
  const inputShape = data.shape.slice(1) as ModelOptions['inputShape'];
  const modelOptions = { ...given };
  const seed = o.seed ?? 0;
  if (kind === 'beta-tcvae' && modelOptions.datasetSize === undefined) modelOptions.datasetSize = trainingSplits(data, seed).train.length;
  // A joint diffusion autoencoder's training noise, timesteps and fixed x_T follow the run's seed too.
  if (kind === 'diffusion-ae' && modelOptions.noiseSeed === undefined) modelOptions.noiseSeed = seed;
  const model = withGenerator(generator(seed), () => createModel(kind, { ...modelOptions, inputShape } as ModelOptions));
  const ranks = o.distributed ? `${o.distributed.worldSize} ranks x ` : '';
  logOf(out)(
    `training ${kind} on ${spec} (${data.shape.join(' x ')}), libtorch ${torchVersion()}, ${ranks}${getNumThreads()} threads -> ${o.out}`,
  );
  try {
    return await trainModel(
      model,
      data,
      {
        ...train,
        seed,
        // The world size is a record, not a setting: the run resumes on any number of ranks that divides the batch.
        extraConfig: {
          dataSpec: spec,
          modelOptions,
          threads: getNumThreads(),
          ...(o.distributed ? { worldSize: o.distributed.worldSize } : {}),
        },
      },
      out.onEvent,
    );
  } finally {
    model.dispose();
  }
}

/** Continues the run in `dir` from its latest checkpoint, with its recorded settings. */
export async function resumeTrainRun(
  dir: string,
  o: Pick<TrainOptions, 'signal' | 'progress' | 'distributed'> = {},
  out: TrainRunLog = {},
): Promise<TrainResult> {
  logOf(out)(`resuming ${dir} (settings from its config.json)`);
  return resumeRun(dir, o, out.onEvent);
}

/**
 * What a finished (or stopped) training says: how it ended, where the run is, and its health. `diffusion`:
 * the model is a diffusion autoencoder, whose validation reconstruction inverts each case to its x_T and
 * whose health check decodes from the fixed noise x_T; both are said.
 */
const FEW_STEPS = 1000;

export function trainSummary(r: TrainResult, resumeCommand = 'latentlens train --resume --out', diffusion = false): string[] {
  const lines: string[] = [];
  if (r.finalized) {
    // A resumed run that had already finished: nothing was trained.
    const wrote = r.finalized.length ? `wrote ${r.finalized.join(' and ')} from checkpoint ${r.checkpoint}` : 'nothing to do';
    lines.push(`already ${r.stopReason} at step ${r.steps}: ${wrote}`);
  } else {
    const v = r.finalVal
      ? `; val MSE ${r.finalVal.mse.toPrecision(4)}, PSNR ${r.finalVal.psnr.toFixed(2)} dB, SSIM ${r.finalVal.ssim.toFixed(4)}${diffusion ? ' (DDIM inversion then decoding)' : ''}`
      : '';
    lines.push(`${r.stopReason}: ${r.steps} steps in ${r.seconds.toFixed(1)} s${v}`);
  }
  lines.push(r.stopReason === 'aborted' ? `checkpoint ${r.checkpoint}; continue with: ${resumeCommand} ${r.out}` : `run folder: ${r.out}`);
  if (r.health) {
    lines.push(`${healthLine(r.health)}${diffusion ? ' (health decodes from the fixed noise x_T, not an inverted one)' : ''}`);
    for (const reason of r.health.reasons) lines.push(`  - ${reason}`);
    if (!r.health.passed) {
      lines.push(`  (recorded in ${HEALTH_FILE}; every analysis of this run repeats the warning)`);
      // Seen on a 100-image folder: the default 10 epochs were 20 steps, too few to beat the mean image.
      if (r.stopReason === 'completed' && r.steps < FEW_STEPS)
        lines.push(
          `  hint: it trained ${r.steps} step${r.steps === 1 ? '' : 's'}; on few cases the default epochs are few steps, so try --steps ${FEW_STEPS} or more`,
        );
    }
  } else if (r.stopReason === 'aborted') lines.push('health: not checked yet (it is checked when training finishes)');
  return lines;
}
