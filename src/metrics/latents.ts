// Latents of a whole dataset as plain arrays: what the metrics, TCAV and the CLI read. Encoding runs
// in batches without gradients; spatial latents can be kept whole (flattened) or averaged per map.
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import { tensor } from '../engine/tensor.js';
import type { LatentModel } from '../models/types.js';
import type { LatentTable } from './compute.js';

/** Latent maps of N cases: N x K x h x w, row-major. */
export interface LatentMaps {
  data: Float32Array;
  shape: [number, number, number, number];
}

/** Encodes images (N x C x H x W, row-major) to the model's latent `z` (posterior means for VAEs). */
export function encodeLatents(model: LatentModel, images: Float32Array, shape: readonly number[], batch = 128): LatentMaps {
  const [n, c, h, w] = shape as [number, number, number, number];
  const per = c * h * w;
  let out: Float32Array | null = null;
  let zShape: [number, number, number, number] = [n, 0, 0, 0];
  model.eval();
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    scope(() => noGrad(() => {
      const x = tensor(images.subarray(start * per, (start + b) * per), [b, c, h, w]);
      const z = model.encode(x).z.contiguous();
      const s = z.shape;
      const zs: [number, number, number, number] = [n, s[1]!, s[2] ?? 1, s[3] ?? 1];
      const zPer = zs[1] * zs[2] * zs[3];
      if (!out) { out = new Float32Array(n * zPer); zShape = zs; }
      out.set(z.float().cpu().toArray() as Float32Array, start * zPer);
    }));
  }
  return { data: out ?? new Float32Array(0), shape: zShape };
}

/**
 * A latent table from maps: 'flatten' keeps every position (D = K h w, names `mapK@y,x`); 'mean'
 * averages each map over its grid (D = K, names `mapK`). Vector latents (1 x 1 grids) are the same either way.
 */
export function latentTable(maps: LatentMaps, pooling: 'flatten' | 'mean' = 'mean'): LatentTable {
  const [n, k, h, w] = maps.shape;
  const cells = h * w;
  if (pooling === 'flatten' || cells === 1) {
    const names = cells === 1
      ? Array.from({ length: k }, (_, j) => `map${j}`)
      : Array.from({ length: k * cells }, (_, j) => `map${Math.floor(j / cells)}@${Math.floor((j % cells) / w)},${j % w}`);
    return { data: maps.data, rows: n, cols: k * cells, names };
  }
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      const o = (i * k + j) * cells;
      for (let p = 0; p < cells; p++) s += maps.data[o + p]!;
      data[i * k + j] = s / cells;
    }
  }
  return { data, rows: n, cols: k, names: Array.from({ length: k }, (_, j) => `map${j}`) };
}
