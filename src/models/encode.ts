// Encoding a dataset to latents: batched, without gradients, bounded memory. Every analysis starts here.
import { noGrad, scope, tensor } from '../engine/index.js';
import { takeRows } from '../util/rows.js';
import type { LatentModel } from './types.js';

/**
 * Latents of images (contiguous NCHW float32 with `shape`), or of the cases `indices` only, in batches:
 * values N x K x h x w (vector latents 1 x 1), N the number of cases encoded. Volumes are refused here
 * (a caller written for h x w maps would misread d x h x w ones): use `encodeVolumes`.
 */
export function encodeImages(model: LatentModel, images: Float32Array, shape: readonly number[], batchSize = 256, indices?: ArrayLike<number>): { values: Float32Array; shape: [number, number, number, number] } {
  if (shape.length !== 4) throw new RangeError(`encodeImages: expected images N x C x H x W, got shape [${shape.join(', ')}]${shape.length === 5 ? ' (volumes: use encodeVolumes)' : ''}`);
  const r = encodeCases(model, images, shape, batchSize, indices);
  const s = r.shape;
  if (s.length === 2) return { values: r.values, shape: [s[0]!, 0, 0, 0] }; // no cases: no latent shape
  return { values: r.values, shape: [s[0]!, s[1]!, s[2] ?? 1, s[3] ?? 1] };
}

/** Latents of volumes (contiguous NCDHW with `shape`) as `encodeImages` does it: values N x K x d x h x w (vector latents 1 x 1 x 1). */
export function encodeVolumes(model: LatentModel, images: Float32Array, shape: readonly number[], batchSize = 32, indices?: ArrayLike<number>): { values: Float32Array; shape: [number, number, number, number, number] } {
  if (shape.length !== 5) throw new RangeError(`encodeVolumes: expected volumes N x C x D x H x W, got shape [${shape.join(', ')}]`);
  const r = encodeCases(model, images, shape, batchSize, indices);
  const s = r.shape;
  if (s.length === 2) return { values: r.values, shape: [s[0]!, 0, 0, 0, 0] };
  return { values: r.values, shape: [s[0]!, s[1]!, s[2] ?? 1, s[3] ?? 1, s[4] ?? 1] };
}

// The batched loop of both: cases of any rank, latents of the model's rank.
function encodeCases(model: LatentModel, images: Float32Array, shape: readonly number[], batchSize: number, indices?: ArrayLike<number>): { values: Float32Array; shape: number[] } {
  const total = shape[0]!;
  const caseShape = shape.slice(1);
  const n = indices ? indices.length : total;
  const per = caseShape.reduce((a, b) => a * b, 1);
  let values: Float32Array | null = null;
  let zShape: number[] = [n, 0];
  model.eval();
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const batch = indices
      ? takeRows(images, per, Array.from({ length: b }, (_, r) => indices[start + r]!))
      : images.subarray(start * per, (start + b) * per);
    scope(() => noGrad(() => {
      const z = model.encode(tensor(batch, [b, ...caseShape])).z;
      const s = z.shape;
      const zPer = s.slice(1).reduce((a, v) => a * v, 1);
      if (!values) { values = new Float32Array(n * zPer); zShape = [n, ...s.slice(1)]; }
      values.set(z.toFloat32(), start * zPer);
    }));
  }
  return { values: values ?? new Float32Array(0), shape: zShape };
}
