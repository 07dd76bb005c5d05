// The local explorer's HTTP server: the web UI as static files, the API of routes.ts, one compute worker
// per run. Loopback by default; any other address needs a token on every request.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_TYPES, HttpError, hostHeaderAllowed, isLoopback, send, sendError, tokenMatches } from './http-util.js';
import { parseRequestPath, PathRefused, realRoot, resolveInside } from './paths.js';
import { handleApi, type ApiContext } from './routes.js';
import { openServedRuns, type ServedRun } from './runs.js';

export interface ServerOptions {
  /** Run folders to serve (one, or two to compare). */
  runs: string[];
  /** Address to bind. Default '127.0.0.1'. Any non-loopback address requires a token. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Token required on every request (`?token=`, `X-Latentlens-Token` or `Authorization: Bearer`). Default: none on loopback, a random one otherwise. */
  token?: string;
  /** Largest accepted request body. Default 64 KiB. */
  maxBodyBytes?: number;
  /** The UI folder. Default: the package's `web/`. */
  webDir?: string;
  /** libtorch threads per compute worker. Default: cores / runs, at least 1. */
  threads?: number;
  /** Most compute jobs (decodes, encodings, case images) per run, running or waiting; beyond it a request gets 503 with Retry-After. Default 64. */
  maxQueue?: number;
  /** Bytes of thumbnail PNGs cached per run (least recently used evicted first). Default 64 MiB. */
  thumbCacheBytes?: number;
  /** Test hook: each decode blocks its worker this long first (see WorkerInit.busyMs). */
  decodeBusyMs?: number;
}

export interface ExplorerServer {
  /** Base URL, with `?token=` when a token is required. */
  url: string;
  /** The token in force, or null. */
  token: string | null;
  runs: { id: string; dir: string }[];
  /** Resolves once every run's worker has loaded (rejects when one failed). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** The package's web/ folder: found by walking up from this file (src/serve or dist/src/serve). */
export function defaultWebDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (
      existsSync(join(d, 'web', 'index.html')) &&
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'latentlens'
    )
      return join(d, 'web');
  }
  throw new Error("cannot find the explorer's web/ folder; pass webDir");
}

export async function startServer(o: ServerOptions): Promise<ExplorerServer> {
  if (!o.runs.length || o.runs.length > 2) throw new Error('serve one run, or two to compare');
  const host = o.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (o.token !== undefined && o.token.length < 8) throw new Error('token must be at least 8 characters');
  const token = o.token ?? (loopback ? null : randomBytes(24).toString('base64url'));
  if (!loopback && !token) throw new Error(`refusing to listen on ${host} without a token`);
  const maxBodyBytes = o.maxBodyBytes ?? 64 * 1024;
  const webRoot = realRoot(o.webDir ?? defaultWebDir());
  const threads = o.threads ?? Math.max(1, Math.floor(availableParallelism() / o.runs.length));
  const runs: ServedRun[] = openServedRuns(o.runs, {
    threads,
    busyMs: o.decodeBusyMs,
    maxQueue: o.maxQueue,
    thumbCacheBytes: o.thumbCacheBytes,
  });
  const ctx: ApiContext = { runs, maxBodyBytes, started: Date.now() };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { segments, query } = parseRequestPath(req.url ?? '');
    if (loopback && !hostHeaderAllowed(req)) throw new HttpError(403, 'Host header does not name this machine');
    if (token && !tokenMatches(req, query, token)) throw new HttpError(401, 'token required');
    if (segments[0] === 'api') return handleApi(ctx, req, res, segments.slice(1), query);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    const file = segments.length === 0 ? ['index.html'] : segments;
    const ext = extname(file[file.length - 1]!).toLowerCase();
    const real = CONTENT_TYPES[ext] ? resolveInside(webRoot, file) : null;
    if (!real) throw new HttpError(404, 'not found');
    send(res, 200, await readFile(real), CONTENT_TYPES[ext]!);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof PathRefused) return sendError(res, 403, 'path refused');
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('Connection', 'close');
        return sendError(res, err.status, err.message, err.headers);
      }
      sendError(res, 500, (err as Error).message);
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  let closing: Promise<void> | null = null;
  const ready = Promise.all(runs.map((r) => r.compute.ready)).then(() => {});
  // Callers who never await `ready` (a server closed early) must not see an unhandled rejection.
  ready.catch(() => {});
  return {
    url,
    token,
    runs: runs.map((r) => ({ id: r.id, dir: r.dir })),
    ready,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.all(runs.map((r) => r.compute.close()));
      })()),
  };
}
