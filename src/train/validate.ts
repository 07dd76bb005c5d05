// Validation: the model's own loss terms plus reconstruction MSE, PSNR and SSIM over a split.
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/functional.js';
import { scope } from '../engine/scope.js';
import { tensor } from '../engine/tensor.js';
import { batches } from '../data/batches.js';
import type { ImageDataset } from '../data/types.js';
import type { LatentModel, LossTerms } from '../models/types.js';
import { psnrFromMse, ssimPerImage } from './image-quality.js';
import type { ValidationRecord } from './state.js';

export interface EvaluateOptions {
  /** Images per forward pass. Default 256. */
  batchSize?: number;
  /** Pixel range for PSNR and SSIM. Default 1. */
  dataRange?: number;
}

/**
 * Evaluates reconstruction on the samples at `indices` in eval mode without gradients, then puts the
 * model back in training mode. Loss terms are averaged over images.
 */
export function evaluateReconstruction(model: LatentModel, data: ImageDataset, indices: ArrayLike<number>, o: EvaluateOptions = {}): ValidationRecord {
  const dataRange = o.dataRange ?? 1;
  const sums: LossTerms = {};
  let sqErr = 0, pixels = 0, ssimSum = 0, images = 0;
  model.eval();
  try {
    noGrad(() => {
      for (const b of batches(data, { batchSize: o.batchSize ?? 256, indices })) {
        scope(() => {
          const x = tensor(b.images, b.shape);
          const n = b.shape[0];
          for (const [k, v] of Object.entries(model.evalLoss(x))) sums[k] = (sums[k] ?? 0) + v * n;
          const y = model.reconstruct(x);
          sqErr += F.mseLoss(y, x, 'sum').item();
          pixels += x.numel;
          for (const s of ssimPerImage(y, x, { dataRange })) ssimSum += s;
          images += n;
        });
      }
    });
  } finally {
    model.train(true);
  }
  const terms = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, images)]));
  const mse = sqErr / Math.max(1, pixels);
  return { terms, mse, psnr: psnrFromMse(mse, dataRange), ssim: ssimSum / Math.max(1, images), images };
}
