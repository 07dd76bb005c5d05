// Compute worker of one run: loads the model and data once, then encodes and decodes on request. It runs
// in its own thread because libtorch calls are synchronous and would stall the HTTP server.
import { parentPort, workerData } from 'node:worker_threads';
import { openRunCases, type RunCases } from '../runs/run-data.js';
import type { CaseDataset } from '../data/types.js';
import { noGrad, scope, setNumThreads, tensor } from '../engine/index.js';
import { encodeLatents } from '../models/encode.js';
import { poolLatents } from '../models/pool-latents.js';
import { rgbChannels } from '../util/png.js';
import type { ComputeRequest, ImageReply, LatentEdit, LatentsReply, PooledReply, RunMeta, WorkerInit, WorkerMessage } from './protocol.js';

class BadRequest extends Error {}

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let rd: RunCases<CaseDataset>;
let meta: RunMeta;
let pooledCache: PooledReply | null = null;

function checkCase(i: unknown): number {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= meta.n)
    throw new BadRequest(`case must be an integer in 0..${meta.n - 1}`);
  return i;
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function caseImage(i: number): Float32Array {
  const len = product(meta.shape);
  return rd.data.images.slice(i * len, (i + 1) * len);
}

function encodeCase(i: number): Float32Array {
  return scope(() => noGrad(() => rd.run.model.encode(tensor(caseImage(i), [1, ...meta.shape])).z.toArray() as Float32Array));
}

function applyEdits(z: Float32Array, edits: LatentEdit[]): void {
  const cells = product(meta.grid);
  if (!Array.isArray(edits) || edits.length > 4 * meta.k) throw new BadRequest(`edits must be an array of at most ${4 * meta.k} entries`);
  for (const e of edits) {
    const k = e?.map;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= meta.k)
      throw new BadRequest(`edit map must be an integer in 0..${meta.k - 1}`);
    const { delta, value } = e;
    if ((delta === undefined) === (value === undefined)) throw new BadRequest('each edit needs exactly one of delta or value');
    const v = (delta ?? value) as unknown;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 1e6) throw new BadRequest('delta/value must be a finite number');
    let shift = v;
    if (value !== undefined) {
      let s = 0;
      for (let c = 0; c < cells; c++) s += z[k * cells + c]!;
      shift = v - s / cells;
    }
    for (let c = 0; c < cells; c++) z[k * cells + c] += shift;
  }
}

function decode(i: number, edits: LatentEdit[]): ImageReply {
  if (init.busyMs) {
    const until = Date.now() + init.busyMs;
    while (Date.now() < until) {
      /* deliberately blocking: see WorkerInit.busyMs */
    }
  }
  const z = encodeCase(i);
  applyEdits(z, edits);
  const pixels = scope(() => noGrad(() => rd.run.model.decode(tensor(z, [1, meta.k, ...meta.grid])).toArray() as Float32Array));
  if (pixels.length !== product(meta.shape)) throw new Error(`decoder returned ${pixels.length} values, expected ${meta.shape.join('x')}`);
  return { pixels, shape: meta.shape };
}

function latents(i: number): LatentsReply {
  const z = encodeCase(i);
  const cells = product(meta.grid);
  const maps = Array.from({ length: meta.k }, (_, k) => Array.from(z.subarray(k * cells, (k + 1) * cells)));
  return { case: i, grid: meta.grid, maps, pooled: maps.map((m) => m.reduce((a, b) => a + b, 0) / cells) };
}

function pooled(): PooledReply {
  if (pooledCache) return pooledCache;
  const { n, k } = meta;
  const out = poolLatents(encodeLatents(rd.run.model, rd.data), 'mean').data;
  const min = new Array<number>(k).fill(Infinity),
    max = new Array<number>(k).fill(-Infinity),
    mean = new Array<number>(k).fill(0),
    std = new Array<number>(k).fill(0);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < k; j++) {
      const v = out[r * k + j]!;
      min[j] = Math.min(min[j]!, v);
      max[j] = Math.max(max[j]!, v);
      mean[j] += v / n;
    }
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) std[j] += (out[r * k + j]! - mean[j]!) ** 2 / Math.max(1, n - 1);
  return (pooledCache = { n, k, pooled: out, min, max, mean, std: std.map(Math.sqrt) });
}

function handle(req: ComputeRequest): { result: unknown; transfer: ArrayBuffer[] } {
  switch (req.op) {
    case 'decode': {
      const r = decode(checkCase(req.case), req.edits ?? []);
      return { result: r, transfer: [r.pixels.buffer as ArrayBuffer] };
    }
    case 'image': {
      const pixels = caseImage(checkCase(req.case));
      return { result: { pixels, shape: meta.shape }, transfer: [pixels.buffer as ArrayBuffer] };
    }
    case 'latents':
      return { result: latents(checkCase(req.case)), transfer: [] };
    // The cached array is copied, never transferred, so it stays usable.
    case 'pooled': {
      const p = pooled();
      return { result: { ...p, pooled: p.pooled.slice() }, transfer: [] };
    }
    default:
      throw new BadRequest(`unknown op ${(req as { op: unknown }).op}`);
  }
}

async function main(): Promise<void> {
  if (init.threads) setNumThreads(init.threads);
  try {
    // Only the cases: the worker encodes one case at a time, so no tensor of the whole data is made.
    rd = await openRunCases(init.dir, { health: 'read', command: 'serve (the explorer)', volumes: true });
  } catch (err) {
    post({ type: 'failed', error: (err as Error).message });
    return;
  }
  const [n, ...shape] = rd.data.shape;
  const cfg = rd.run.config.model;
  const volume = shape.length === 4;
  // openRunCases checked the data against the model's input; the grid must match the data's rank too.
  if (cfg.latentGrid.length !== shape.length - 1) {
    post({
      type: 'failed',
      error: `${init.dir}: latent grid ${cfg.latentGrid.join(' x ')} does not fit ${volume ? 'volumes' : 'images'} of ${shape.join('x')}`,
    });
    return;
  }
  const width = rd.data.labelWidth ?? 1;
  meta = {
    n: n!,
    shape,
    volume,
    channels: rd.data.channelNames,
    // Volumes are drawn as gray slices per channel: no colour composite of slices yet.
    composite: volume ? null : rgbChannels(rd.data.channelNames),
    labels: rd.data.labels && width === 1 ? Array.from(rd.data.labels) : null,
    classNames: rd.data.classNames ?? null,
    ids: rd.data.ids ?? null,
    k: cfg.latentMaps,
    grid: [...cfg.latentGrid],
    modelKind: cfg.kind,
  };
  port.on('message', (m: { id: number; req: ComputeRequest }) => {
    try {
      const { result, transfer } = handle(m.req);
      post({ type: 'reply', id: m.id, ok: true, result }, transfer);
    } catch (err) {
      post({ type: 'reply', id: m.id, ok: false, error: (err as Error).message, status: err instanceof BadRequest ? 400 : 500 });
    }
  });
  post({ type: 'ready', meta });
}

void main();
