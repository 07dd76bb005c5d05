// Encoding a dataset to latents: batched, without gradients, bounded memory. Every analysis starts here.
import { noGrad, scope, tensor } from '../engine/index.js';
import { takeRows } from '../util/rows.js';
import type { LatentModel } from './types.js';

/**
 * Latents of images (contiguous NCHW float32 with `shape`), or of the cases `indices` only, in batches:
 * values N x K x h x w (vector latents 1 x 1), N the number of cases encoded.
 */
export function encodeImages(model: LatentModel, images: Float32Array, shape: readonly number[], batchSize = 256, indices?: ArrayLike<number>): { values: Float32Array; shape: [number, number, number, number] } {
  const [total, c, h, w] = shape as [number, number, number, number];
  const n = indices ? indices.length : total;
  const per = c * h * w;
  let values: Float32Array | null = null;
  let zShape: [number, number, number, number] = [n, 0, 0, 0];
  model.eval();
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const batch = indices
      ? takeRows(images, per, Array.from({ length: b }, (_, r) => indices[start + r]!))
      : images.subarray(start * per, (start + b) * per);
    scope(() => noGrad(() => {
      const z = model.encode(tensor(batch, [b, c, h, w])).z;
      const s = z.shape;
      const zPer = s[1]! * (s[2] ?? 1) * (s[3] ?? 1);
      if (!values) { values = new Float32Array(n * zPer); zShape = [n, s[1]!, s[2] ?? 1, s[3] ?? 1]; }
      values.set(z.toFloat32(), start * zPer);
    }));
  }
  return { values: values ?? new Float32Array(0), shape: zShape };
}
