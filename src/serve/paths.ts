// Request paths are parsed by hand rather than with WHATWG URL: URL resolves `..` and `%2e%2e` before we
// see them, which would silently re-route a hostile path instead of refusing it. Every file served is
// then resolved through realpath and must stay inside its root, which also catches symlinks out.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

export interface ParsedPath {
  /** Decoded path segments (never empty strings, '.', '..', or segments holding a slash, backslash or NUL). */
  segments: string[];
  query: URLSearchParams;
}

export class PathRefused extends Error {}

/** Splits a raw request target into decoded segments and the query; throws PathRefused on anything suspicious. */
export function parseRequestPath(raw: string): ParsedPath {
  if (!raw.startsWith('/')) throw new PathRefused('absolute-form or relative request target');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (path.includes('\\')) throw new PathRefused('backslash in path');
  const segments: string[] = [];
  for (const part of path.split('/')) {
    if (part === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      throw new PathRefused('bad percent-encoding');
    }
    if (s === '.' || s === '..' || /[/\\\0]/.test(s) || isAbsolute(s)) throw new PathRefused(`segment '${part}'`);
    segments.push(s);
  }
  return { segments, query };
}

/**
 * The real path of `segments` under `root` when it is a regular file inside root's real path, else null.
 * `root` must already be a real path (see `realRoot`).
 */
export function resolveInside(root: string, segments: string[]): string | null {
  if (segments.some((s) => s === '..' || s === '.' || s.includes('/') || s.includes('\\') || s.includes('\0'))) return null;
  let real: string;
  try {
    real = realpathSync([root, ...segments].join(sep));
  } catch {
    return null;
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  try {
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

export function realRoot(dir: string): string {
  return realpathSync(dir);
}
