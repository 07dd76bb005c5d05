// Worker-thread entry: grows trees, bins a range of columns, or runs a named export of another module
// (so a layer above the forest can spread its own work over the same workers without the forest
// importing it). Data arrives in shared memory (no copies); tree results go back as transferred buffers.
import { parentPort } from 'node:worker_threads';
import { binColumns, type BinSettings, type Matrix } from './binning.js';
import { buildTree, type TreeBuildResult, type TreeData, type TreeParams } from './tree.js';

export interface TreeJob {
  data: TreeData;
  params: TreeParams;
  seeds: number[];
}

export interface TreeJobResult {
  results: TreeBuildResult[];
}

/** Columns c0..c1-1 of `x` (shared memory) binned into the shared `codes` and `nBins`; returns their edges. */
export interface BinJob {
  bin: { x: Matrix; c0: number; c1: number; settings: BinSettings; codes: Uint8Array; nBins: Uint16Array };
}

/** `fn(...args)` of the ES module at URL `module`; its (awaited) return value is cloned back. */
export interface CallJob {
  call: { module: string; fn: string; args: unknown[] };
}

export type WorkerJob = TreeJob | BinJob | CallJob;

async function runCall(c: CallJob['call']): Promise<unknown> {
  const mod = (await import(c.module)) as Record<string, unknown>;
  const f = mod[c.fn];
  if (typeof f !== 'function') throw new Error(`${c.module} has no function export ${c.fn}`);
  return (f as (...a: unknown[]) => unknown)(...c.args);
}

/** Buffers of a build result, for transfer. */
export function transferList(results: TreeBuildResult[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const r of results) {
    const t = r.tree;
    for (const a of [t.feature, t.bin, t.left, t.right, t.value, t.nodeSamples, r.mdi, r.oobPerm]) {
      if (a !== null && a.buffer instanceof ArrayBuffer) out.push(a.buffer);
    }
  }
  return out;
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (msg: { id: number; job: WorkerJob }) => {
    try {
      const job = msg.job;
      if ('call' in job) {
        runCall(job.call).then(
          (value) => port.postMessage({ id: msg.id, ok: true, value }),
          (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
        );
        return;
      }
      if ('bin' in job) {
        const b = job.bin;
        const edges = binColumns(b.x, b.c0, b.c1, b.settings, b.codes, b.nBins);
        port.postMessage(
          { id: msg.id, ok: true, value: edges },
          edges.map((e) => e.buffer as ArrayBuffer),
        );
        return;
      }
      const results = job.seeds.map((s) => buildTree(job.data, job.params, s));
      port.postMessage({ id: msg.id, ok: true, value: { results } }, transferList(results));
    } catch (e) {
      port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
}
