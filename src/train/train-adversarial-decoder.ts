// Fine-tuning a trained run's own conv decoder against a patch discriminator, its encoder frozen: the
// base model comes from a run folder with its trained weights, the ordinary trainer does batches,
// checkpoints, resume, train.jsonl and health, and the new run folder's model is an AdversarialAE,
// so openRun and every analysis open it like any run.
import { resolve } from 'node:path';
import { streamSeed } from '../core/random.js';
import type { CaseDataset } from '../data/types.js';
import { generator, withGenerator } from '../engine/generator.js';
import { AdversarialAE, type AdversarialDecoderOptions } from '../models/adversarial/adversarial-ae.js';
import type { TrainOptions } from './options.js';
import { openRun } from './run-folder.js';
import type { TrainResult } from './state.js';
import { decoderRunInputs } from './train-decoder.js';
import { trainModel, type TrainEvent } from './trainer.js';

/** The decoder's learning rate unless `lr` is given: a fine-tune from a trained decoder, five times below the trainer's default. */
export const ADVERSARIAL_DECODER_LR = 2e-4;

export interface TrainAdversarialDecoderOptions extends TrainOptions {
  /** The cases to train on: a data spec or a dataset. Default: the base run's recorded data spec. */
  data?: string | CaseDataset;
  /** The adversarial settings (adversarial-ae.ts). */
  decoder?: AdversarialDecoderOptions;
}

/**
 * Fine-tunes the decoder of the model in run folder `fromRun` with a patch discriminator (the encoder
 * and every other part of the model frozen) and writes the run to `o.out` like `trainModel`. The split
 * and seed default to the base run's, so validation cases are the ones the base decoder was checked on.
 * `lr` (the decoder's) defaults to ADVERSARIAL_DECODER_LR. `o.resume` continues an unfinished run in `o.out`.
 */
export async function trainAdversarialDecoder(
  fromRun: string,
  o: TrainAdversarialDecoderOptions = {},
  onEvent?: (e: TrainEvent) => void,
): Promise<TrainResult> {
  const base = openRun(fromRun);
  let model: AdversarialAE | null = null;
  try {
    const { spec, data, seed } = await decoderRunInputs(fromRun, base.config, o);
    // The discriminator's initial weights from a stream of the seed: the run depends on its seed only.
    const init = generator(streamSeed(seed, 'adversarial/init'));
    model = withGenerator(init, () => new AdversarialAE(base.model, o.decoder));
    const extra = {
      ...(o.extraConfig ?? {}),
      decoder: 'adversarial',
      from: resolve(fromRun),
      ...(typeof spec === 'string' ? { dataSpec: spec } : {}),
    };
    const { data: _d, decoder: _o, ...train } = o;
    return await trainModel(model, data, { ...train, lr: o.lr ?? ADVERSARIAL_DECODER_LR, seed, extraConfig: extra }, onEvent);
  } finally {
    // The AdversarialAE owns the base model once built; before that the opened run's model is freed alone.
    if (model) model.dispose();
    else base.model.dispose();
  }
}
