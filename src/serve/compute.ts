// The HTTP side of a run's compute worker: starts it, waits for it to load, and turns requests into
// promises. Jobs wait in a bounded queue here and go to the worker one at a time, so a job whose client
// hung up before it started can still be dropped (a message posted to the worker cannot be taken back).
import { Worker } from 'node:worker_threads';
import type { ComputeRequest, RunMeta, WorkerInit, WorkerMessage } from './protocol.js';

export const DEFAULT_MAX_QUEUE = 64;

export class ComputeError extends Error {
  /** @param retryAfter seconds a client should wait before retrying (with status 503) */
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** A queued job dropped because its request was abandoned (its signal aborted) before it started. */
export class ComputeAbandoned extends Error {
  constructor() {
    super('request abandoned before its computation started');
  }
}

interface Job {
  id: number;
  req: ComputeRequest;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  started?: number;
}

export interface ComputeOptions {
  /** Most jobs at once, running or waiting; beyond it `request` fails with a 503 ComputeError. Default 64. */
  maxQueue?: number;
}

export class ComputeClient {
  private readonly worker: Worker;
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private nextId = 1;
  private closed = false;
  private avgMs = 0;
  readonly maxQueue: number;
  /** Jobs dropped unstarted because their request was abandoned. */
  dropped = 0;
  /** Requests refused because the queue was full. */
  refused = 0;
  /** Resolves with the run's metadata once the worker has loaded the model and data. */
  readonly ready: Promise<RunMeta>;

  constructor(init: WorkerInit, o: ComputeOptions = {}) {
    this.maxQueue = o.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 1) throw new Error(`maxQueue must be a positive integer, got ${this.maxQueue}`);
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    this.ready = new Promise<RunMeta>((resolve, reject) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve(m.meta);
        else if (m.type === 'failed') reject(new Error(`${init.dir}: ${m.error}`));
        else {
          const job = this.running;
          if (!job || job.id !== m.id) return;
          this.running = null;
          const ms = performance.now() - job.started!;
          this.avgMs = this.avgMs === 0 ? ms : 0.8 * this.avgMs + 0.2 * ms;
          if (m.ok) job.resolve(m.result);
          else job.reject(new ComputeError(m.error, m.status));
          this.pump();
        }
      });
      this.worker.on('error', (err) => {
        reject(err);
        this.failAll(err);
      });
      this.worker.on('exit', (code) => {
        const err = new Error(`compute worker for ${init.dir} exited (${code})`);
        reject(err);
        this.failAll(err);
      });
    });
    // A failed load is reported through `ready`; this keeps it from also counting as unhandled.
    this.ready.catch(() => {});
  }

  /** Jobs not finished: the running one and those waiting. */
  get inFlight(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Jobs waiting for the worker. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs `req` in the worker. Fails with a 503 ComputeError (with retryAfter) when maxQueue jobs are
   * already running or waiting, and with ComputeAbandoned when `signal` aborts before the job starts
   * (a job already started runs to its end; its result is dropped by the caller).
   */
  async request<T>(req: ComputeRequest, signal?: AbortSignal): Promise<T> {
    await this.ready;
    if (this.closed) throw new Error('compute worker closed');
    if (signal?.aborted) {
      this.dropped++;
      throw new ComputeAbandoned();
    }
    if (this.inFlight >= this.maxQueue) {
      this.refused++;
      // The queue's expected wait, from the recent mean job time: 1 to 60 s.
      const retryAfter = Math.min(60, Math.max(1, Math.ceil((this.inFlight * this.avgMs) / 1000)));
      throw new ComputeError(`the run's compute queue is full (${this.maxQueue} requests); retry in ${retryAfter} s`, 503, retryAfter);
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { id: this.nextId++, req, resolve: resolve as (v: unknown) => void, reject, signal };
      if (signal) {
        job.onAbort = () => {
          const at = this.queue.indexOf(job);
          if (at < 0) return;
          this.queue.splice(at, 1);
          this.dropped++;
          reject(new ComputeAbandoned());
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    job.started = performance.now();
    this.running = job;
    this.worker.postMessage({ id: job.id, req: job.req });
  }

  private failAll(err: Error): void {
    const jobs = [...(this.running ? [this.running] : []), ...this.queue];
    this.running = null;
    this.queue.length = 0;
    for (const j of jobs) {
      if (j.onAbort) j.signal!.removeEventListener('abort', j.onAbort);
      j.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('compute worker closed'));
    await this.worker.terminate();
  }
}
