// Tiny training helpers for the metric and TCAV tests.
import { tensor, type Tensor } from '../../src/engine/index.js';
import { fit as trainSteps } from '../helpers/train-loop.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import type { ImageDataset } from '../../src/data/types.js';
import type { LatentModel } from '../../src/models/types.js';

export function phantoms(n: number, size = 32, seed = 0): ImageDataset {
  return generatePhantoms({ n, size, seed, channels: ['T1', 'FLAIR'], lesionChannels: ['FLAIR'], distractorChannels: ['T1'] });
}

export function imagesTensor(ds: ImageDataset): Tensor {
  return tensor(ds.images, ds.shape).clamp(0, 1);
}

/** Trains `steps` Adam steps on batches of 32 cycled from `x`. */
export function fit(model: LatentModel, x: Tensor, steps: number, batch = 32, lr = 2e-3, seed = 0): void {
  trainSteps(model, x, steps, batch, lr, seed);
}
