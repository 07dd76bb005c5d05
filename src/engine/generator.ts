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
