// A small pool of worker threads that grow trees. Workers are unref'd while idle, so an open pool never
// keeps the process alive; while a job runs its worker is ref'd so awaiting the result keeps it alive.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BinJob, TreeJob, TreeJobResult, WorkerJob } from './tree-worker.js';

interface Pending {
  id: number;
  job: WorkerJob;
  resolve: (v: never) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

/** Default thread count: the machine's available parallelism. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export class TreePool {
  readonly size: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number = defaultThreads()) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./tree-worker.js', import.meta.url));
    const slot: Slot = { worker, busy: null };
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean; value?: never; error?: string }) => {
      const p = slot.busy;
      slot.busy = null;
      worker.unref();
      if (p !== null) {
        if (msg.ok) p.resolve(msg.value!);
        else p.reject(new Error(`tree worker failed: ${msg.error}`));
      }
      this.pump();
    });
    worker.on('error', (err) => {
      const p = slot.busy;
      slot.busy = null;
      if (p !== null) p.reject(err);
      // Replace the dead worker.
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.pump();
      }
    });
    return slot;
  }

  /** Grows the job's trees on the next free worker. */
  run(job: TreeJob): Promise<TreeJobResult> {
    return this.submit(job);
  }

  /** Bins the job's columns on the next free worker; resolves to their edges. */
  bin(job: BinJob): Promise<Float64Array[]> {
    return this.submit(job);
  }

  /**
   * Runs export `fn` of the ES module at URL `module` with `args` on the next free worker. Typed arrays
   * over a SharedArrayBuffer in `args` are shared, everything else is copied (structured clone).
   */
  call<T>(module: string, fn: string, args: unknown[]): Promise<T> {
    return this.submit({ call: { module, fn, args } });
  }

  private submit<T>(job: WorkerJob): Promise<T> {
    if (this.closed) return Promise.reject(new Error('pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve: resolve as (v: never) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy !== null) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage({ id: p.id, job: p.job });
    }
  }

  /** Terminates the workers; pending jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue) p.reject(new Error('pool closed'));
    this.queue = [];
    for (const s of this.slots) {
      if (s.busy !== null) s.busy.reject(new Error('pool closed'));
      s.busy = null;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

const shared = new Map<number, TreePool>();

/**
 * The process-wide pool with `size` workers (one pool per size, created on first use). Idle workers do
 * not keep the process alive; call `closeSharedPool()` to free them early.
 */
export function sharedPool(size: number = defaultThreads()): TreePool {
  const s = Math.max(1, Math.floor(size));
  let p = shared.get(s);
  if (p === undefined) {
    p = new TreePool(s);
    shared.set(s, p);
  }
  return p;
}

/** Terminates every shared pool (pending jobs are rejected). */
export async function closeSharedPool(): Promise<void> {
  const pools = [...shared.values()];
  shared.clear();
  await Promise.all(pools.map((p) => p.close()));
}
