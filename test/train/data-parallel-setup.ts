// What the data-parallel trainer tests and their rank processes share: the data (36 training cases, so
// every global batch splits evenly over 2 and 3 ranks and the sampler pads nothing), the models and the
// trainer settings.
import { generator, withGenerator } from '../../src/engine/generator.js';
import { createModel } from '../../src/models/registry.js';
import type { LatentModel } from '../../src/models/types.js';
import type { TrainOptions } from '../../src/train/options.js';
import type { ImageDataset } from '../../src/data/types.js';
import { generatePhantoms } from '../../src/data/phantom.js';

export type DdpKind = 'conv-ae' | 'factor-vae' | 'infogan';

export function ddpData(): ImageDataset {
  // 28 x 28, the smallest input the backbone takes.
  const ds = generatePhantoms({ n: 42, size: 28, seed: 3, channels: ['gray'], lesionChannels: ['gray'], distractorChannels: [] });
  for (let i = 0; i < ds.images.length; i++) ds.images[i] = Math.min(1, Math.max(0, ds.images[i]!));
  ds.splits = {
    train: Int32Array.from({ length: 36 }, (_, i) => i),
    val: Int32Array.from({ length: 6 }, (_, i) => 36 + i),
    test: new Int32Array(0),
  };
  return ds;
}

/**
 * The model with initial weights drawn from `initSeed`. ConvAE without normalisation is deterministic,
 * so a single process given the whole global batch computes what the ranks compute; FactorVAE and
 * InfoGAN keep their BatchNorm (buffers broadcast each step) and their noise.
 */
export function ddpModel(kind: DdpKind, initSeed: number): LatentModel {
  return withGenerator(generator(initSeed), () => {
    if (kind === 'conv-ae')
      return createModel('conv-ae', { inputShape: [1, 28, 28], width: 4, latentMaps: 2, latentGrid: [7, 7], norm: 'none' });
    if (kind === 'infogan') return createModel('infogan', { inputShape: [1, 28, 28], width: 4, noiseDim: 8, categories: 3, continuous: 1 });
    return createModel('factor-vae', {
      inputShape: [1, 28, 28],
      width: 4,
      latentMaps: 3,
      latent: 'vector',
      discriminatorWidth: 16,
      discriminatorLayers: 2,
    });
  });
}

/** 12 images a step, 3 steps an epoch; checkpoints every 3 steps. */
export function ddpOptions(steps: number): TrainOptions {
  return { batchSize: 12, steps, lr: 3e-3, seed: 5, checkpointEvery: 3, keepCheckpoints: 5, sampler: 'distributed' };
}

/** Every value of the state dict, in its order, as numbers. */
export function flatState(model: LatentModel): number[] {
  const out: number[] = [];
  for (const t of model.stateDict().values()) for (const v of t.toNumbers()) out.push(Number(v));
  return out;
}
