// The small compiled addons without libtorch (build/Release/<name>.node): loaded on first use in each
// thread, or null when not built or turned off with <envVar>=0, so the TypeScript twin runs instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export function loadOptionalAddon<T>(name: string, envVar: string): T | null {
  const path = fileURLToPath(new URL(`../../../build/Release/${name}.node`, import.meta.url));
  if (process.env[envVar] === '0' || !existsSync(path)) return null;
  return createRequire(import.meta.url)(path) as T;
}
