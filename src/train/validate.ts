// Validation: the model's own loss terms plus reconstruction MSE, PSNR and SSIM over a split.
import { noGrad } from '../engine/autograd.js';
import { generator, withGenerator } from '../engine/generator.js';
import * as F from '../engine/functional.js';
import { scope } from '../engine/scope.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import { batches } from '../data/batches.js';
import type { CaseDataset } from '../data/types.js';
import type { LatentModel, LossTerms } from '../models/types.js';
import { psnrFromMse, ssimPerImage } from './image-quality.js';
import type { ValidationRecord } from './state.js';

export interface EvaluateOptions {
  /** Images per forward pass. Default 256. */
  batchSize?: number;
  /** Pixel range for PSNR and SSIM. Default 1. */
  dataRange?: number;
  /**
   * Seed of any draws the model makes during evaluation (noise in its loss terms), taken from a
   * generator of their own: libtorch's global generator is neither read nor advanced. Default 0.
   */
  seed?: number;
}

/**
 * Evaluates reconstruction on the samples at `indices` in eval mode without gradients, then puts the
 * model back in training mode. Loss terms are averaged over images.
 */
export function evaluateReconstruction(
  model: LatentModel,
  data: CaseDataset,
  indices: ArrayLike<number>,
  o: EvaluateOptions = {},
): ValidationRecord {
  const dataRange = o.dataRange ?? 1;
  const sums: LossTerms = {};
  let sqErr = 0,
    pixels = 0,
    ssimSum = 0,
    images = 0;
  model.eval();
  try {
    withGenerator(generator(o.seed ?? 0), () =>
      noGrad(() => {
        for (const b of batches(data, { batchSize: o.batchSize ?? 256, indices })) {
          scope(() => {
            const x = tensor(b.images, b.shape);
            const n = b.shape[0];
            for (const [k, v] of Object.entries(model.evalLoss(x))) sums[k] = (sums[k] ?? 0) + v * n;
            const y = model.reconstruct(x);
            sqErr += F.mseLoss(y, x, 'sum').item();
            pixels += x.numel;
            for (const s of ssimPerCase(y, x, dataRange)) ssimSum += s;
            images += n;
          });
        }
      }),
    );
  } finally {
    model.train(true);
  }
  const terms = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, images)]));
  const mse = sqErr / Math.max(1, pixels);
  return { terms, mse, psnr: psnrFromMse(mse, dataRange), ssim: ssimSum / Math.max(1, images), images };
}

// SSIM of each case: of the image, or for a volume the mean SSIM of its D slices (SSIM is a 2D
// measure; the slices along the first spatial axis are scored as images, then averaged per volume).
function ssimPerCase(y: Tensor, x: Tensor, dataRange: number): Float32Array {
  if (x.ndim !== 5) return ssimPerImage(y, x, { dataRange });
  const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
  const slices = (t: Tensor) => t.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w);
  const perSlice = ssimPerImage(slices(y), slices(x), { dataRange });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let z = 0; z < d; z++) sum += perSlice[i * d + z]!;
    out[i] = sum / d;
  }
  return out;
}
