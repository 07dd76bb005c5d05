// Latents of a whole dataset as plain arrays: what the metrics, TCAV and the CLI read. Encoding runs
// in batches without gradients; spatial latents can be kept whole (flattened) or averaged per map.
import { encodeImages } from '../models/encode.js';
import type { LatentModel } from '../models/types.js';
import type { LatentTable } from './compute.js';

/** Latent maps of N cases: N x K x h x w, row-major. */
export interface LatentMaps {
  data: Float32Array;
  shape: [number, number, number, number];
}

/** Encodes images (N x C x H x W, row-major) to the model's latent `z` (posterior means for VAEs). */
export function encodeLatents(model: LatentModel, images: Float32Array, shape: readonly number[], batch = 128): LatentMaps {
  const r = encodeImages(model, images, shape, batch);
  return { data: r.values, shape: r.shape };
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
