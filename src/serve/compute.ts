// The HTTP side of a run's compute worker: starts it, waits for it to load, and turns requests into
// promises matched by id.
import { Worker } from 'node:worker_threads';
import type { ComputeRequest, RunMeta, WorkerInit, WorkerMessage } from './protocol.js';

export class ComputeError extends Error {
  constructor(message: string, readonly status: number) { super(message); }
}

export class ComputeClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;
  /** Resolves with the run's metadata once the worker has loaded the model and data. */
  readonly ready: Promise<RunMeta>;

  constructor(init: WorkerInit) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    this.ready = new Promise<RunMeta>((resolve, reject) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve(m.meta);
        else if (m.type === 'failed') reject(new Error(`${init.dir}: ${m.error}`));
        else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.ok) p.resolve(m.result);
          else p.reject(new ComputeError(m.error, m.status));
        }
      });
      this.worker.on('error', (err) => { reject(err); this.failAll(err); });
      this.worker.on('exit', (code) => {
        const err = new Error(`compute worker for ${init.dir} exited (${code})`);
        reject(err);
        this.failAll(err);
      });
    });
    // A failed load is reported through `ready`; this keeps it from also counting as unhandled.
    this.ready.catch(() => {});
  }

  /** Requests waiting for the worker. */
  get inFlight(): number { return this.pending.size; }

  async request<T>(req: ComputeRequest): Promise<T> {
    await this.ready;
    if (this.closed) throw new Error('compute worker closed');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, req });
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('compute worker closed'));
    await this.worker.terminate();
  }
}
