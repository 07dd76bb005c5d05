// Explicit random generators for libtorch's random ops. A library call that needs libtorch randomness
// (randperm, rand, randn, normal_, uniform_, bernoulli) makes its own generator from its seed and passes
// it, so it never reseeds or advances libtorch's global generator: its result does not depend on what
// ran before it, and it does not change what runs after it (nor what another worker thread draws).
// libtorch's global generator stays for training, which seeds it once per step (train/seed.ts).
import { native, type NativeGenerator } from './native.js';

/** A seeded CPU generator (libtorch's mt19937, the same stream as the global generator after manualSeed(seed)). */
export type Generator = NativeGenerator;

/** A new generator seeded with `seed`, an integer in [0, 2^53). */
export function generator(seed: number): Generator {
  return new native.Generator(seed);
}

let current: Generator | null = null;

/**
 * Runs `fn` (synchronous) with `gen` as the generator of every random constructor and initialiser that
 * is not given one (create.ts, nn/init.ts): code that draws deep inside, such as a model's
 * reparameterisation noise during evaluation or a layer's initial weights, then leaves the global
 * generator alone. A generator seeded with s draws what manualSeed(s) before `fn` would have.
 */
export function withGenerator<T>(gen: Generator, fn: () => T): T {
  const outer = current;
  current = gen;
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('withGenerator: fn must be synchronous (the generator would leak into other work)');
    return result;
  } finally {
    current = outer;
  }
}

/** The generator set by the innermost withGenerator, or null (libtorch's global generator). */
export function currentGenerator(): Generator | null {
  return current;
}
