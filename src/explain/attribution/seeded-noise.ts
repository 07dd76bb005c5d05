// Noise for attribution methods from latentlens's own seeded generator instead of libtorch's global one:
// a library call never reseeds or advances global random state, and a stream is named by
// (seed, purpose, index), so e.g. SmoothGrad's noise for a case does not depend on the batch it is in.
import { tensor, type Tensor } from '../../engine/index.js';
import { Random } from '../../data/random.js';

/** Standard normal values of the given shape from the stream `${seed}:${purpose}:${index}`. */
export function seededNormal(seed: number, purpose: string, index: number, shape: number[]): Tensor {
  return tensor(normalValues(seed, purpose, index, shape.reduce((a, b) => a * b, 1)), shape);
}

export function normalValues(seed: number, purpose: string, index: number, count: number): Float32Array {
  const rng = new Random(`${seed}:${purpose}:${index}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}

/** Uniform [0, 1) values of the given shape from the stream `${seed}:${purpose}:${index}`. */
export function seededUniform(seed: number, purpose: string, index: number, shape: number[]): Tensor {
  const rng = new Random(`${seed}:${purpose}:${index}`);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return tensor(out, shape);
}
