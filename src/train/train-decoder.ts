// Training a diffusion decoder on a frozen trained encoder: the encoder comes from a run folder, the
// denoiser is trained by the ordinary trainer (batches, checkpoints, resume, train.jsonl, health), and
// the new run folder's model is a DiffusionAE, so openRun and every analysis open it like any run.
import { resolve } from 'node:path';
import { streamSeed } from '../core/random.js';
import { loadCases } from '../data/spec.js';
import { generator, withGenerator } from '../engine/generator.js';
import type { CaseDataset } from '../data/types.js';
import { encodeLatents } from '../models/encode.js';
import { DiffusionAE, type DiffusionDecoderOptions } from '../models/diffusion/diffusion-ae.js';
import type { TrainOptions } from './options.js';
import { openRun } from './run-folder.js';
import type { TrainResult } from './state.js';
import { trainingSplits, trainModel, type TrainEvent } from './trainer.js';

export interface TrainDiffusionDecoderOptions extends TrainOptions {
  /** The cases to train on: a data spec or a dataset. Default: the encoder run's recorded data spec. */
  data?: string | CaseDataset;
  /** The decoder's settings (diffusion-ae.ts); its noiseSeed defaults to `seed`. */
  decoder?: DiffusionDecoderOptions;
}

/** Per-map mean and standard deviation of the encoder's latent over the cases `indices`. */
export function latentStats(model: DiffusionAE, data: CaseDataset, indices: ArrayLike<number>): { mean: number[]; std: number[] } {
  if (data.shape.length !== 4) throw new Error('diffusion decoder: images only (N x C x H x W)');
  const { data: values, shape } = encodeLatents(model.encoder, data, { indices });
  const [n, k, h, w] = shape;
  const per = h * w;
  const mean = new Array<number>(k).fill(0),
    sq = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k; m++) {
      const base = (i * k + m) * per;
      for (let j = 0; j < per; j++) {
        const v = values[base + j]!;
        mean[m]! += v;
        sq[m]! += v * v;
      }
    }
  }
  const count = Math.max(1, n * per);
  const std = mean.map((s, m) => Math.sqrt(Math.max(0, sq[m]! / count - (s / count) ** 2)));
  return { mean: mean.map((s) => s / count), std };
}

/**
 * The data and seed of a decoder run started from run `fromRun` (config `config`): by default the run's
 * recorded data spec and seed, so the decoder's split is the encoder's.
 */
export async function decoderRunInputs(
  fromRun: string,
  config: { dataSpec?: unknown; seed: number },
  o: { data?: string | CaseDataset; seed?: number },
): Promise<{ spec: string | CaseDataset; data: CaseDataset; seed: number }> {
  const recorded = config.dataSpec;
  const spec: string | CaseDataset | undefined = o.data ?? (typeof recorded === 'string' ? recorded : undefined);
  if (spec === undefined) throw new Error(`${fromRun}/config.json records no data spec; pass the data to train the decoder on`);
  const data = typeof spec === 'string' ? await loadCases(spec) : spec;
  return { spec, data, seed: o.seed ?? config.seed };
}

/**
 * Trains a diffusion decoder on the latents of the encoder in run folder `fromRun` (kept frozen: only
 * the denoiser has an optimizer) and writes the run to `o.out` like `trainModel`. The split defaults to
 * the encoder run's (same data, and `seed` defaults to that run's seed), so the decoder's validation
 * cases are the encoder's. `o.resume` continues an unfinished decoder run in `o.out`.
 */
export async function trainDiffusionDecoder(
  fromRun: string,
  o: TrainDiffusionDecoderOptions = {},
  onEvent?: (e: TrainEvent) => void,
): Promise<TrainResult> {
  const enc = openRun(fromRun);
  // A diffusion-ae run (one trained jointly, or a decoder run) lends its own encoder, not itself: a
  // diffusion decoder conditioned on a diffusion decoder's output would decode twice.
  const encoder = enc.model instanceof DiffusionAE ? enc.model.encoder : enc.model;
  if (enc.model instanceof DiffusionAE) enc.model.denoiser.dispose();
  let model: DiffusionAE | null = null;
  try {
    const { spec, data, seed } = await decoderRunInputs(fromRun, enc.config, o);
    // The denoiser's initial weights from a generator of their own stream: the run depends on its seed
    // only, never on what libtorch's global generator drew before.
    const init = generator(streamSeed(seed, 'diffusion/init'));
    const built = withGenerator(init, () => new DiffusionAE(encoder, { ...o.decoder, noiseSeed: o.decoder?.noiseSeed ?? seed }));
    model = built;
    const stats = latentStats(built, data, trainingSplits(data, seed).train);
    built.setLatentStats(stats.mean, stats.std);
    const extra = {
      ...(o.extraConfig ?? {}),
      decoder: 'diffusion',
      from: resolve(fromRun),
      ...(typeof spec === 'string' ? { dataSpec: spec } : {}),
    };
    const { data: _d, decoder: _o, ...train } = o;
    return await trainModel(built, data, { ...train, seed, extraConfig: extra }, onEvent);
  } finally {
    // The DiffusionAE owns the encoder once built; before that the opened run's model is freed alone.
    if (model) model.dispose();
    else encoder.dispose();
  }
}
