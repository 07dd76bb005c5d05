// What an explanation is about: one latent map's mean activation (or its value at one location, or its
// maximum) as a function of the input, per case.
import type { Tensor } from '../engine/tensor.js';
import type { LatentModel } from '../models/types.js';

export interface MapTarget {
  /** Index of the latent map k. */
  map: number;
  /** A single location [row, column] of the map instead of its mean. */
  location?: [number, number];
  /** How the map is reduced to one number per case when no location is given. Default 'mean'. */
  reduce?: 'mean' | 'max';
}

/** Pools latents N x K x h x w (or N x K x d x h x w, volumes) to one value per case for the target map: a tensor of N. */
export function poolTarget(z: Tensor, t: MapTarget): Tensor {
  const k = z.shape[1]!;
  if (!Number.isInteger(t.map) || t.map < 0 || t.map >= k) throw new RangeError(`target map ${t.map}: the model has maps 0..${k - 1}`);
  const m = z.select(1, t.map);
  if (t.location) {
    if (m.ndim !== 3)
      throw new RangeError(
        `target location [${t.location.join(', ')}]: a location target is for 2D maps; this map is ${m.shape.slice(1).join('x')} (use the map's mean or max)`,
      );
    const [r, c] = t.location;
    if (r < 0 || r >= m.shape[1]! || c < 0 || c >= m.shape[2]!)
      throw new RangeError(`target location [${r}, ${c}] is outside the ${m.shape[1]}x${m.shape[2]} map`);
    return m.select(1, r).select(1, c);
  }
  // The mean over every cell: [1, 2] for h x w maps (as ever), [1, 2, 3] for d x h x w maps of volumes.
  return t.reduce === 'max' ? m.flatten(1).amax(1) : m.mean(Array.from({ length: m.ndim - 1 }, (_, a) => a + 1));
}

/** The target value per case (N), differentiable with respect to x. */
export function targetOf(model: LatentModel, x: Tensor, t: MapTarget): Tensor {
  return poolTarget(model.encode(x).z, t);
}
