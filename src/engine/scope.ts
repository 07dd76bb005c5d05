// Tensor lifetimes. Node runs N-API finalizers only on later event-loop ticks, so a synchronous training
// loop that waits for GC grows without bound (DESIGN.md). Every tensor made inside `scope(fn)` is freed
// when fn returns, except the tensors fn returns (which move to the enclosing scope).
import { AsyncLocalStorage } from 'node:async_hooks';

/** Anything with an explicit lifetime; Tensor implements it. */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
  /** Told when the object belongs to no scope any more, so it can arrange to be freed by GC. */
  unscoped?(): void;
}

type Frame = Disposable[];

// Synchronous scopes use a plain stack (cheap on the hot path); asynchronous continuations find their
// scope through AsyncLocalStorage when the synchronous stack is empty.
const syncStack: Frame[] = [];
const asyncFrames = new AsyncLocalStorage<Frame>();

function currentFrame(): Frame | undefined {
  return syncStack.length > 0 ? syncStack[syncStack.length - 1] : asyncFrames.getStore();
}

/** Registers a new tensor with the innermost scope, if any. */
export function track<T extends Disposable>(t: T): T {
  const frame = currentFrame();
  if (frame) frame.push(t);
  else t.unscoped?.();
  return t;
}

/** Takes a tensor out of scope management: it lives until disposed by hand (e.g. module parameters). */
export function keep<T extends Disposable>(t: T): T {
  for (const frame of [...syncStack, asyncFrames.getStore()]) {
    const i = frame ? frame.lastIndexOf(t) : -1;
    if (frame && i >= 0) frame[i] = NOOP;
  }
  t.unscoped?.();
  return t;
}

const NOOP: Disposable = { dispose() {}, disposed: true };

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (typeof (value as Disposable).dispose === 'function' && 'disposed' in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

function close(frame: Frame, result: unknown): void {
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = currentFrame();
  for (const t of frame) {
    if (!kept.has(t)) t.dispose();
    else if (parent) parent.push(t);
    else t.unscoped?.();
  }
  frame.length = 0;
}

function closeOnError(frame: Frame): void {
  for (const t of frame) t.dispose();
  frame.length = 0;
}

/**
 * Runs fn and disposes every tensor created during it except those in its result (a tensor, or arrays,
 * Maps and plain objects holding tensors). Works for async functions too: the scope closes when the
 * promise settles. Concurrent async scopes each see their own tensors.
 */
export function scope<T>(fn: () => T): T {
  const frame: Frame = [];
  syncStack.push(frame);
  let result: T;
  try {
    result = asyncFrames.run(frame, fn);
  } catch (err) {
    syncStack.pop();
    closeOnError(frame);
    throw err;
  }
  syncStack.pop();
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        close(frame, value);
        return value;
      },
      (err) => {
        closeOnError(frame);
        throw err;
      },
    ) as T;
  }
  close(frame, result);
  return result;
}
