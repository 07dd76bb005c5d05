// Latent feature maps as a feature matrix for the forest: per map either pooled summaries (mean, max,
// std) or its whole h x w grid. Every column knows its map, so importance is computed per map. Maps of
// volumes (d x h x w) are pooled the same way over all their cells.
import type { Tensor } from '../engine/index.js';
import { encodeImages, encodeVolumes } from '../models/encode.js';
import type { LatentModel } from '../models/types.js';
import type { FeatureMatrix } from './importance/types.js';

export type Pooling = 'summary' | 'grid';

/** Latent maps of N cases: N x K x h x w, or N x K x d x h x w for a 3D model. */
export type LatentShape = [number, number, number, number] | [number, number, number, number, number];

/** Encodes x in batches (bounded memory) and returns N x K x h x w latents (d x h x w for volumes) as a flat array. */
export function encodeLatents(model: LatentModel, x: Tensor, batchSize = 256): { values: Float32Array; shape: LatentShape } {
  if (x.ndim === 5) return encodeVolumes(model, x.toFloat32(), x.shape, Math.min(batchSize, 32));
  return encodeImages(model, x.toFloat32(), x.shape, batchSize);
}

/** Feature columns per map from latents N x K x h x w (or N x K x d x h x w: 'grid' then gives d x h x w columns per map). */
export function latentFeatures(values: Float32Array, shape: LatentShape, pooling: Pooling = 'summary'): FeatureMatrix {
  const [n, k] = shape;
  const hw = shape.slice(2).reduce((a, b) => a * b, 1); // cells of one map
  const per = pooling === 'grid' ? hw : 3;
  const data = new Float32Array(n * k * per);
  for (let i = 0; i < n; i++) for (let m = 0; m < k; m++) {
    const off = (i * k + m) * hw;
    const out = (i * k + m) * per;
    if (pooling === 'grid') { data.set(values.subarray(off, off + hw), out); continue; }
    let s = 0, ss = 0, mx = -Infinity;
    for (let p = 0; p < hw; p++) { const v = values[off + p]!; s += v; ss += v * v; if (v > mx) mx = v; }
    const mean = s / hw;
    data[out] = mean; data[out + 1] = mx; data[out + 2] = Math.sqrt(Math.max(0, ss / hw - mean * mean));
  }
  return {
    data, rows: n, cols: k * per,
    groupOf: Int32Array.from({ length: k * per }, (_, c) => Math.floor(c / per)),
    groupNames: Array.from({ length: k }, (_, m) => `map ${m}`),
  };
}
