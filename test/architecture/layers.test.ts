// The layers of DESIGN.md, enforced: an import in src/ may only point to its own folder or a lower
// layer, and no chain of imports between files may come back to where it started.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

// Bottom (0) to top; folders on one rank sit side by side and may import each other.
const RANK: Record<string, number> = {
  engine: 0,
  core: 0,
  util: 0,
  nn: 1,
  data: 2,
  models: 3,
  train: 4,
  forest: 5,
  metrics: 5,
  embed: 5,
  explain: 6,
  runs: 7,
  report: 8,
  serve: 9,
  cli: 10,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const folderOf = (file: string): string => relative(SRC, file).split('/')[0]!;

test('no import in src/ points up the layers of DESIGN.md', () => {
  const bad: string[] = [];
  for (const f of files(SRC)) {
    const from = folderOf(f);
    if (!(from in RANK)) continue; // src/index.ts, the public entry, sits above every layer
    for (const target of imports(f)) {
      const to = folderOf(target);
      if (to === from) continue;
      if (!(to in RANK)) bad.push(`${relative(SRC, f)} imports ${relative(SRC, target)}, outside the layers`);
      else if (RANK[to]! > RANK[from]!) bad.push(`${relative(SRC, f)} (${from}) imports ${relative(SRC, target)} (${to}, a higher layer)`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycles between files in src/', () => {
  const graph = new Map(files(SRC).map((f) => [f, imports(f)]));
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    state.set(f, 1);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 1) cycles.push([...path.slice(path.indexOf(t)), t].map((p) => relative(SRC, p)).join(' -> '));
      else if (!state.has(t)) visit(t, [...path, t]);
    }
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
  assert.deepEqual(cycles, []);
});
