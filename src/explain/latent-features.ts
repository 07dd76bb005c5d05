// Latent feature maps as a feature matrix for the forest: per map either pooled summaries (mean, max,
// std) or its whole h x w grid. Every column knows its map, so importance is computed per map.
import type { Tensor } from '../engine/index.js';
import { encodeImages } from '../models/encode.js';
import type { LatentModel } from '../models/types.js';
import type { FeatureMatrix } from './importance/types.js';

export type Pooling = 'summary' | 'grid';

/** Encodes x in batches (bounded memory) and returns N x K x h x w latents as a flat array. */
export function encodeLatents(model: LatentModel, x: Tensor, batchSize = 256): { values: Float32Array; shape: [number, number, number, number] } {
  return encodeImages(model, x.toFloat32(), x.shape, batchSize);
}

/** Feature columns per map from latents N x K x h x w. */
export function latentFeatures(values: Float32Array, shape: [number, number, number, number], pooling: Pooling = 'summary'): FeatureMatrix {
  const [n, k, h, w] = shape;
  const hw = h * w;
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
