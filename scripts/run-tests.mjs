// Runs every compiled test file with node's built-in runner; optional arguments filter files by name.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return p.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = find('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// spec for people, TAP to a file for the closing count line that CI reads.
const tap = join(tmpdir(), `latentlens-tests-${process.pid}.tap`);
// Two test files at a time, each libtorch single-threaded: on two cores this halves the wall time of a
// suite whose files are mostly single-threaded, without two thread pools fighting over the same cores.
const concurrency = Number(process.env.LATENTLENS_TEST_CONCURRENCY) || Math.max(1, availableParallelism());
const env = { ...process.env, LATENTLENS_THREADS: process.env.LATENTLENS_THREADS ?? (concurrency > 1 ? '1' : '') };
const started = Date.now();
const r = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit', env },
);
const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
const count = (key) => Number((text.match(new RegExp(`^# ${key} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
const wall = (Date.now() - started) / 1000;
console.log(`suite wall time: ${Math.floor(wall / 60)} min ${(wall % 60).toFixed(0)} s (${files.length} files)`);
console.log(`${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
process.exit(r.status ?? 1);
