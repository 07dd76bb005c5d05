// Constant and random constructors. Random ones draw from `o.generator` when given (engine/generator.ts:
// what library code uses, so it leaves global random state alone), else from libtorch's global generator,
// seeded by `manualSeed` (runtime.ts) — what training uses, reseeded per step (train/seed.ts).
import { currentGenerator, type Generator } from './generator.js';
import type { Dtype } from './native.js';
import { full, op, Tensor, withOptions, type CreateOptions } from './tensor.js';

export { full, tensor } from './tensor.js';

/** Options of random constructors: a generator of their own instead of libtorch's global one. */
export interface RandomOptions extends CreateOptions {
  /**
   * A CPU generator (default: the one set by withGenerator, else libtorch's global generator). With one,
   * samples are drawn on the CPU and then moved to `device`, so a seed gives the same values on every
   * device.
   */
  generator?: Generator;
}

const dt = (o: CreateOptions, d: Dtype = 'float32') => o.dtype ?? d;
const dev = (o: CreateOptions) => o.device ?? null;

// Draws with the generator on the CPU (a CPU generator cannot drive another device's kernel), then moves.
function drawn(o: RandomOptions, withGen: (g: Generator) => Tensor, global: () => Tensor): Tensor {
  const g = o.generator ?? currentGenerator();
  if (!g) return withOptions(global(), o);
  const t = withGen(g);
  return withOptions(o.device && o.device !== 'cpu' ? t.to(o.device) : t, o);
}

export const zeros = (shape: number[], o: CreateOptions = {}) => full(shape, 0, o);
export const ones = (shape: number[], o: CreateOptions = {}) => full(shape, 1, o);
export const zerosLike = (t: Tensor, o: CreateOptions = {}) => full(t.shape, 0, { dtype: t.dtype, device: t.device, ...o });
export const onesLike = (t: Tensor, o: CreateOptions = {}) => full(t.shape, 1, { dtype: t.dtype, device: t.device, ...o });

/** Uninitialised memory of the given shape (fill it before reading). */
export function empty(shape: number[], o: CreateOptions = {}): Tensor {
  return withOptions(op('empty.memory_format', shape, dt(o), null, dev(o), null, null), o);
}
/** Standard normal samples. */
export function randn(shape: number[], o: RandomOptions = {}): Tensor {
  return drawn(
    o,
    (g) => op('randn.generator', shape, g, dt(o), null, null),
    () => op('randn', shape, dt(o), null, dev(o)),
  );
}
/** Uniform samples in [0, 1). */
export function rand(shape: number[], o: RandomOptions = {}): Tensor {
  return drawn(
    o,
    (g) => op('rand.generator', shape, g, dt(o), null, null),
    () => op('rand', shape, dt(o), null, dev(o)),
  );
}
export const randnLike = (t: Tensor, o: RandomOptions = {}) => randn(t.shape, { dtype: t.dtype, device: t.device, ...o });
export const randLike = (t: Tensor, o: RandomOptions = {}) => rand(t.shape, { dtype: t.dtype, device: t.device, ...o });
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], o: RandomOptions = {}): Tensor {
  return drawn(
    o,
    (g) => op('randint.low_generator', low, high, shape, g, dt(o, 'int64'), null, null),
    () => op('randint.low', low, high, shape, dt(o, 'int64'), null, dev(o)),
  );
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, o: RandomOptions = {}): Tensor {
  return drawn(
    o,
    (g) => op('randperm.generator', n, g, dt(o, 'int64'), null, null),
    () => op('randperm', n, dt(o, 'int64'), null, dev(o)),
  );
}
/** start, start+step, ... below end. Integer arguments give int64 unless dtype says otherwise. */
export function arange(start: number, end: number, step = 1, o: CreateOptions = {}): Tensor {
  return op('arange.start_step', start, end, step, o.dtype ?? null, null, dev(o));
}
export function linspace(start: number, end: number, steps: number, o: CreateOptions = {}): Tensor {
  return op('linspace', start, end, steps, dt(o), null, dev(o));
}
export function eye(n: number, o: CreateOptions = {}): Tensor {
  return op('eye', n, dt(o), null, dev(o));
}
/** Bernoulli draws with probability p per element of `probabilities` (on the CPU when a generator is used). */
export function bernoulli(probabilities: Tensor, o: { generator?: Generator } = {}): Tensor {
  const g = o.generator ?? currentGenerator();
  if (!g || probabilities.device === 'cpu') return op('bernoulli', probabilities.id, g);
  return op('bernoulli', probabilities.cpu().id, g).to(probabilities.device);
}
