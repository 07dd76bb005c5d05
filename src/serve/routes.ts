// The API under /api/. Analysis results are served as the files the analyses wrote (the explorer never
// recomputes them), each checked through the run-file schema first, so a file of another version reaches
// the page as an error saying what to re-run; only encoding, decoding and case images go to the run's
// compute worker.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { ComputeAbandoned, ComputeError } from './compute.js';
import { CONTENT_TYPES, HttpError, readJsonBody, send, sendJson } from './http-util.js';
import { resolveInside } from './paths.js';
import { channelStripPng, MAX_SCALE, MAX_STRIP_SIDE, stripScale } from './png.js';
import { centreVoxel, volumeSheetPng, volumeSheetScale } from './volume-png.js';
import type { ImageReply, LatentEdit, LatentsReply, PooledReply, RunMeta } from './protocol.js';
import { runFiles, type ServedRun } from './runs.js';
import { readRunEnvelope, type AnalysisFileKind } from '../runs/run-file.js';
import { decoderComparison } from '../runs/run-decoder.js';
import { readRunConfig } from '../train/run-folder.js';

export interface ApiContext {
  runs: ServedRun[];
  maxBodyBytes: number;
  started: number;
}

const intParam = (s: string | undefined | null, what: string): number => {
  if (s == null || !/^\d{1,9}$/.test(s)) throw new HttpError(400, `${what} must be a non-negative integer`);
  return Number(s);
};

async function serveRunFile(res: ServerResponse, run: ServedRun, segments: string[], allowed: string[]): Promise<void> {
  const ext = extname(segments[segments.length - 1] ?? '').toLowerCase();
  if (!allowed.includes(ext)) throw new HttpError(404, 'not found');
  const real = resolveInside(run.root, segments);
  if (!real) throw new HttpError(404, 'not found');
  send(res, 200, await readFile(real), CONTENT_TYPES[ext]!);
}

/** An analysis file as its envelope; 422 with the reason (what to re-run) when the schema refuses it. */
function serveAnalysis(res: ServerResponse, run: ServedRun, kind: AnalysisFileKind, segments: string[]): void {
  const real = resolveInside(run.root, segments);
  if (!real) throw new HttpError(404, 'not found');
  let envelope: unknown;
  try {
    envelope = readRunEnvelope(kind, real);
  } catch (err) {
    throw new HttpError(422, (err as Error).message.replace(real, segments.join('/')));
  }
  sendJson(res, envelope);
}

async function meta(run: ServedRun): Promise<RunMeta> {
  try {
    return await run.compute.ready;
  } catch (err) {
    throw new HttpError(503, `run ${run.id} could not be loaded: ${(err as Error).message}`);
  }
}

/** Aborts when the client hangs up before its response is complete: its queued work is then dropped. */
function abandonSignal(res: ServerResponse): AbortSignal {
  const ctl = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

async function compute<T>(run: ServedRun, req: Parameters<ServedRun['compute']['request']>[0], signal: AbortSignal): Promise<T> {
  await meta(run);
  try {
    return await run.compute.request<T>(req, signal);
  } catch (err) {
    if (err instanceof ComputeError)
      throw new HttpError(err.status, err.message, err.retryAfter ? { 'Retry-After': String(err.retryAfter) } : {});
    // Never sent: the client is gone (nginx's "client closed request").
    if (err instanceof ComputeAbandoned) throw new HttpError(499, err.message);
    throw err;
  }
}

interface StripQuery {
  channel?: number;
  scale?: number;
  composite?: [number, number, number];
  /** Volumes: the voxel [z, y, x] the three slices go through (`at=z,y,x`; default the centre). */
  at?: [number, number, number];
}

/** `at=z,y,x` of a volume run: three integers inside its D x H x W (400 otherwise). */
function atQuery(query: URLSearchParams, m: RunMeta): [number, number, number] {
  const dims = m.shape.slice(1);
  const s = query.get('at');
  if (s === null) return centreVoxel(dims);
  const bad = () => new HttpError(400, `at must be z,y,x: three integers in 0..${dims.map((d) => d - 1).join(', 0..')}`);
  if (!/^\d{1,4},\d{1,4},\d{1,4}$/.test(s)) throw bad();
  const at = s.split(',').map(Number) as [number, number, number];
  if (at.some((v, i) => v >= dims[i]!)) throw bad();
  return at;
}

function stripQuery(query: URLSearchParams, m: RunMeta): StripQuery {
  const channel = query.has('channel') ? intParam(query.get('channel'), 'channel') : undefined;
  if (channel !== undefined && channel >= m.shape[0]) throw new HttpError(400, `channel must be in 0..${m.shape[0] - 1}`);
  const s = query.get('scale');
  const scale = s === null ? undefined : /^\d{1,2}$/.test(s) ? Number(s) : NaN;
  if (scale !== undefined && !(scale >= 1 && scale <= MAX_SCALE)) {
    throw new HttpError(400, `scale must be an integer in 1..${MAX_SCALE} (it is lowered further so no side exceeds ${MAX_STRIP_SIDE} px)`);
  }
  if (m.volume) return { channel, scale, at: atQuery(query, m) };
  if (query.has('at')) throw new HttpError(400, 'at (a voxel z,y,x) is for volume runs only');
  // RGB runs: a strip of every channel starts with their colour composite.
  const composite = channel === undefined ? m.composite : null;
  return composite ? { channel, scale, composite } : { channel, scale };
}

/** The scale an image of the run is drawn at (a channel strip, or for volumes a sheet of slices). */
const drawnScale = (m: RunMeta, o: StripQuery): number =>
  m.volume ? volumeSheetScale(m.shape, o) : stripScale(m.shape as [number, number, number], o);

/** One case or decoding as a PNG: channels side by side, or for volumes a row of three slices per channel. */
const imagePng = (img: ImageReply, o: StripQuery, scale: number): Promise<Buffer> =>
  img.shape.length === 4
    ? volumeSheetPng(img.pixels, img.shape, { ...o, scale })
    : channelStripPng(img.pixels, img.shape as [number, number, number], { ...o, scale });

export function status(ctx: ApiContext) {
  return {
    ok: true,
    uptimeSeconds: (Date.now() - ctx.started) / 1000,
    runs: ctx.runs.map((r) => ({
      id: r.id,
      ready: r.ready,
      error: r.loadError ?? null,
      inFlight: r.compute.inFlight,
      queued: r.compute.queued,
      maxQueue: r.compute.maxQueue,
      dropped: r.compute.dropped,
      refused: r.compute.refused,
      thumbCache: { entries: r.pngCache.size, bytes: r.pngCache.bytes, maxBytes: r.pngCache.maxBytes },
    })),
  };
}

export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  seg: string[],
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const isGet = method === 'GET' || method === 'HEAD';
  if (seg.length === 1 && seg[0] === 'status' && isGet) return sendJson(res, status(ctx));
  if (seg.length === 1 && seg[0] === 'runs' && isGet) {
    return sendJson(
      res,
      ctx.runs.map((r) => ({ id: r.id, ready: r.ready, error: r.loadError ?? null, files: runFiles(r) })),
    );
  }
  const run = ctx.runs.find((r) => r.id === seg[0]);
  if (!run) throw new HttpError(404, 'no such run');
  const [, what, ...rest] = seg;
  const signal = abandonSignal(res);
  if (method === 'POST') {
    if (what === 'decode' && rest.length === 0) return decode(ctx, req, res, run, query, signal);
    if (what === 'latents' && rest.length === 1) {
      await readJsonBody(req, ctx.maxBodyBytes);
      return sendJson(res, await compute<LatentsReply>(run, { op: 'latents', case: intParam(rest[0], 'case') }, signal));
    }
    throw new HttpError(405, 'method not allowed');
  }
  if (!isGet) throw new HttpError(405, 'method not allowed');
  switch (what) {
    case 'meta':
      if (rest.length === 0) return sendJson(res, await meta(run));
      break;
    case 'config':
    case 'health':
      if (rest.length === 0) return serveRunFile(res, run, [`${what}.json`], ['.json']);
      break;
    case 'decoder': {
      // A decoder run's decoder next to the conv decoder of its encoder's run (404 for other runs).
      const c = rest.length === 0 ? decoderComparison(run.root, readRunConfig(run.root)) : null;
      if (!c) throw new HttpError(404, 'not a decoder run');
      return sendJson(res, c);
    }
    case 'rank':
    case 'tcav':
    case 'metrics':
      if (rest.length === 0) return serveAnalysis(res, run, what, [`${what}.json`]);
      break;
    case 'explain':
      if (rest.length === 0) return sendJson(res, { maps: runFiles(run).explain });
      if (rest.length === 1) return serveAnalysis(res, run, 'explain', ['explain', `map-${intParam(rest[0], 'map')}.json`]);
      break;
    case 'embed':
      if (rest.length === 0) return sendJson(res, { methods: runFiles(run).embed });
      if (rest.length === 1 && /^[a-z0-9]{1,16}$/.test(rest[0]!)) return serveAnalysis(res, run, 'embed', [`embed-${rest[0]}.json`]);
      break;
    case 'figures':
      if (rest.length >= 1) return serveRunFile(res, run, ['figures', ...rest], ['.png']);
      break;
    case 'latents':
      if (rest.length === 0) {
        const p = await compute<PooledReply>(run, { op: 'pooled' }, signal);
        return sendJson(res, { ...p, pooled: Array.from(p.pooled) });
      }
      if (rest.length === 1)
        return sendJson(res, await compute<LatentsReply>(run, { op: 'latents', case: intParam(rest[0], 'case') }, signal));
      break;
    case 'thumb':
      if (rest.length === 1 && rest[0]!.endsWith('.png')) return thumb(res, run, intParam(rest[0]!.slice(0, -4), 'case'), query, signal);
      break;
  }
  throw new HttpError(404, 'not found');
}

async function thumb(res: ServerResponse, run: ServedRun, i: number, query: URLSearchParams, signal: AbortSignal): Promise<void> {
  const m = await meta(run);
  if (i >= m.n) throw new HttpError(404, `case must be in 0..${m.n - 1}`);
  const o = stripQuery(query, m);
  // Keyed by the scale drawn: asked scales lowered to the same one share an entry.
  const scale = drawnScale(m, o);
  const key = `thumb/${i}/${o.channel ?? 'all'}/${scale}${o.at ? `/${o.at.join(',')}` : ''}`;
  let png = run.pngCache.get(key);
  if (!png) {
    const img = await compute<ImageReply>(run, { op: 'image', case: i }, signal);
    png = await imagePng(img, o, scale);
    run.pngCache.set(key, png);
  }
  send(res, 200, png, 'image/png', { 'Cache-Control': 'private, max-age=3600', 'X-Latentlens-Scale': String(scale) });
}

async function decode(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  run: ServedRun,
  query: URLSearchParams,
  signal: AbortSignal,
): Promise<void> {
  const body = (await readJsonBody(req, ctx.maxBodyBytes)) as { case?: unknown; edits?: unknown } | null;
  if (!body || typeof body !== 'object') throw new HttpError(400, 'body must be {"case": i, "edits": [{"map": k, "delta"|"value": v}]}');
  const m = await meta(run);
  const edits = (body.edits ?? []) as LatentEdit[];
  // The query is checked before the decode is queued: a bad one costs no model time.
  const o = stripQuery(query, m);
  const img = await compute<ImageReply>(run, { op: 'decode', case: body.case as number, edits }, signal);
  const scale = drawnScale(m, o);
  send(res, 200, await imagePng(img, o, scale), 'image/png', { 'X-Latentlens-Scale': String(scale) });
}
