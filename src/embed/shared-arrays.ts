// What the embedding's worker threads share with the caller: typed arrays on SharedArrayBuffers, the
// caller's blocking wait on a [done count, failed flag] control array (so fits stay synchronous) and the
// worker's side of it, and the default thread count.
import { availableParallelism } from 'node:os';
import type { Csr } from './sparse.js';

/** `threads` as asked (at least 1), or the machine's cores, at most 8. */
export const embedThreads = (threads?: number): number => Math.max(1, Math.floor(threads ?? Math.min(availableParallelism(), 8)));

export const sharedFloat64 = (length: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * length));
export const sharedInt32 = (length: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * length));

/** A copy of `p` on SharedArrayBuffers. */
export function sharedCsr(p: Csr): Csr {
  const indptr = sharedInt32(p.indptr.length);
  const indices = sharedInt32(p.indices.length);
  const values = sharedFloat64(p.values.length);
  indptr.set(p.indptr);
  indices.set(p.indices);
  values.set(p.values);
  return { n: p.n, indptr, indices, values };
}

/** Blocks until `workers` tasks bumped control[0]; throws naming `what` on a timeout or when one set control[1]. */
export function awaitWorkers(control: Int32Array, workers: number, what: string, timeoutMs: number): void {
  for (;;) {
    const done = Atomics.load(control, 0);
    if (done >= workers) break;
    if (Atomics.wait(control, 0, done, timeoutMs) === 'timed-out')
      throw new Error(`${what} worker did not answer within ${timeoutMs / 1000} s`);
  }
  if (Atomics.load(control, 1) !== 0) throw new Error(`a ${what} worker failed (its error is on stderr)`);
}

/** A worker's task: runs `work`, records a failure (its error on stderr), then bumps and signals control[0]. */
export function runAndSignal(work: () => void, control: () => Int32Array): void {
  try {
    work();
  } catch (err) {
    Atomics.store(control(), 1, 1);
    console.error(err);
  }
  const c = control();
  Atomics.add(c, 0, 1);
  Atomics.notify(c, 0);
}
