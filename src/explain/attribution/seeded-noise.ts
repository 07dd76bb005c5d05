// Noise for attribution methods from latentlens's own seeded streams (core/random.ts) instead of
// libtorch's global generator: a library call never reseeds or advances global random state, and a
// stream is named by (seed, purpose, index), so e.g. SmoothGrad's noise for a case does not depend on
// the batch it is in. Drawn in JS rather than with an addon generator (engine/generator.ts): libtorch
// picks its vectorised normal kernel by the CPU's instruction set, while these values are the same bytes
// on every machine, and they cost little beside the gradients they feed.
import { tensor, type Tensor } from '../../engine/index.js';
import { randomStream } from '../../core/random.js';

/** Standard normal values of the given shape from stream (seed, purpose, index). */
export function seededNormal(seed: number, purpose: string, index: number, shape: number[]): Tensor {
  return tensor(
    normalValues(
      seed,
      purpose,
      index,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );
}

export function normalValues(seed: number, purpose: string, index: number, count: number): Float32Array {
  const rng = randomStream(seed, purpose, index);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}

/** Uniform [0, 1) values of the given shape from stream (seed, purpose, index). */
export function seededUniform(seed: number, purpose: string, index: number, shape: number[]): Tensor {
  const rng = randomStream(seed, purpose, index);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return tensor(out, shape);
}
