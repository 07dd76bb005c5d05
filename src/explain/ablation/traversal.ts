// Latent traversal: map k's level moved through its dataset quantiles, everything else kept, decoded.
import { noGrad, scope, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { setMapLevel } from './latent-edit.js';

export interface Traversal {
  map: number;
  quantiles: number[];
  /** Map k's mean activation at each quantile. */
  levels: number[];
  /** Q x N x C x H x W decoded images, Q = quantiles. */
  images: Float32Array;
  shape: [number, number, number, number, number];
}

/** `z` the cases to traverse (N x K x h x w); `population` the pooled means of map k over the dataset (for quantiles). */
export function traverseMap(
  model: LatentModel,
  z: Tensor,
  map: number,
  population: ArrayLike<number>,
  quantiles = [0.05, 0.25, 0.5, 0.75, 0.95],
): Traversal {
  const sorted = Float64Array.from(population).sort();
  const levels = quantiles.map((q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!);
  return noGrad(() =>
    scope(() => {
      const parts = levels.map((lv) => model.decode(setMapLevel(z, map, lv)).toFloat32());
      const n = z.shape[0]!;
      const per = parts[0]!.length;
      const images = new Float32Array(per * parts.length);
      parts.forEach((p, i) => images.set(p, i * per));
      const [c, h, w] = model.config.inputShape;
      return { map, quantiles, levels, images, shape: [quantiles.length, n, c, h, w] as [number, number, number, number, number] };
    }),
  );
}
