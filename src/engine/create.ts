// Constant and random constructors. Random ones draw from libtorch's global generator, seeded by
// `manualSeed` (runtime.ts) from the run's one seed.
import type { Dtype } from './native.js';
import { full, op, Tensor, withOptions, type CreateOptions } from './tensor.js';

export { full, tensor } from './tensor.js';

const dt = (o: CreateOptions, d: Dtype = 'float32') => o.dtype ?? d;
const dev = (o: CreateOptions) => o.device ?? null;

export const zeros = (shape: number[], o: CreateOptions = {}) => full(shape, 0, o);
export const ones = (shape: number[], o: CreateOptions = {}) => full(shape, 1, o);
export const zerosLike = (t: Tensor, o: CreateOptions = {}) => full(t.shape, 0, { dtype: t.dtype, device: t.device, ...o });
export const onesLike = (t: Tensor, o: CreateOptions = {}) => full(t.shape, 1, { dtype: t.dtype, device: t.device, ...o });

/** Uninitialised memory of the given shape (fill it before reading). */
export function empty(shape: number[], o: CreateOptions = {}): Tensor {
  return withOptions(op('empty.memory_format', shape, dt(o), null, dev(o), null, null), o);
}
/** Standard normal samples. */
export function randn(shape: number[], o: CreateOptions = {}): Tensor {
  return withOptions(op('randn', shape, dt(o), null, dev(o)), o);
}
/** Uniform samples in [0, 1). */
export function rand(shape: number[], o: CreateOptions = {}): Tensor {
  return withOptions(op('rand', shape, dt(o), null, dev(o)), o);
}
export const randnLike = (t: Tensor) => randn(t.shape, { dtype: t.dtype, device: t.device });
export const randLike = (t: Tensor) => rand(t.shape, { dtype: t.dtype, device: t.device });
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], o: CreateOptions = {}): Tensor {
  return op('randint.low', low, high, shape, dt(o, 'int64'), null, dev(o));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, o: CreateOptions = {}): Tensor {
  return op('randperm', n, dt(o, 'int64'), null, dev(o));
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
/** Bernoulli draws with probability p per element of `like`'s shape. */
export function bernoulli(probabilities: Tensor): Tensor {
  return op('bernoulli', probabilities.id);
}
