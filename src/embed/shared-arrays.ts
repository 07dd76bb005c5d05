// What the embedding's worker threads share with the caller: typed arrays on SharedArrayBuffers, and the
// caller's blocking wait on a [done count, failed flag] control array (so fits stay synchronous).
import type { Csr } from './sparse.js';

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
