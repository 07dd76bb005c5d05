// Small HTTP pieces: responses with the explorer's security headers, bounded JSON bodies, token checks.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  /** @param headers extra response headers (e.g. Retry-After on a 503) */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

// The UI is same-origin only; no file data is ever script. no-referrer keeps the token out of Referer.
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

export function send(res: ServerResponse, status: number, body: Buffer | string, type: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return; // answered already, or the client hung up
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(buf.length),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

export const sendJson = (res: ServerResponse, value: unknown, status = 200) =>
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
export const sendError = (res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}) =>
  send(res, status, JSON.stringify({ error: message }), 'application/json; charset=utf-8', extra);

/** Reads a JSON body of at most `limit` bytes: 413 above it (by Content-Length or as it streams), 415 unless JSON. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) return reject(new HttpError(413, `request body over ${limit} bytes`));
    // A cross-site form cannot send application/json without a CORS preflight, which we never grant.
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json') return reject(new HttpError(415, 'POST bodies must be application/json'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body over ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > limit) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        reject(new HttpError(400, 'body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token from `?token=`, `X-Latentlens-Token` or `Authorization: Bearer`, compared in constant time. */
export function tokenMatches(req: IncomingMessage, query: URLSearchParams, token: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const given =
    query.get('token') ??
    (req.headers['x-latentlens-token'] as string | undefined) ??
    (auth.startsWith('Bearer ') ? auth.slice(7) : undefined);
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(token));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * On a loopback server only Host headers naming loopback are accepted: a web page elsewhere that
 * rebinds its DNS name to 127.0.0.1 still sends its own name and is refused.
 */
export function hostHeaderAllowed(req: IncomingMessage): boolean {
  const host = String(req.headers.host ?? '');
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  return isLoopback(name);
}

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
