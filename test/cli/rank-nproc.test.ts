// `latentlens rank --nproc 2` and the same command under torchrun's variables write the rank.json of one
// process (all but the timings and the run's path), with the refits split: rank 0 reports fitting its
// share of each null, and it alone prints.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { runRanks } from '../helpers/ranks.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';
const dir = mkdtempSync(join(tmpdir(), 'latentlens-rank-nproc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Null sizes that 2 does not divide: rank 0 fits 3 of the 5 label shuffles, 2 of the 3 permutations.
const RANK = ['--trees', '10', '--folds', '3', '--repeats', '2', '--marginal-null', '5', '--conditional-null', '5'];
const rankArgs = (run: string) => ['rank', run, ...RANK, '--bootstraps', '3', '--null-permutations', '3', '--seed', '2'];

function latentlens(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...argv], { env: { ...process.env, LATENTLENS_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    // 'close', not 'exit': only then has the child's stdout been read to its end.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const runs = { single: join(dir, 'single'), nproc: join(dir, 'nproc'), torchrun: join(dir, 'torchrun') };

before(async () => {
  if (skip) return;
  const trained = await latentlens([
    'train',
    ...['--data', 'phantom:n=60,size=28,channels=gray,seed=3', '--model', 'conv-ae', '--width', '4', '--latent-maps', '3'],
    ...['--steps', '2', '--batch-size', '16', '--seed', '1', '--no-progress', '--out', runs.single],
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  cpSync(runs.single, runs.nproc, { recursive: true });
  cpSync(runs.single, runs.torchrun, { recursive: true });
});

/** rank.json without what may differ between equal rankings: when it was written, the timings, the run's path. */
function verdicts(run: string) {
  const f = JSON.parse(readFileSync(join(run, 'rank.json'), 'utf8'));
  const { timings: _t, ...result } = f.result;
  const { run: _r, ...inputs } = f.inputs;
  return { format: f.format, version: f.version, inputs, settings: f.settings, result };
}
const withoutTiming = (stdout: string) => stdout.replace(/ in [\d.]+ s -> \S+rank\.json/, ' -> rank.json');

test('rank --nproc 2 and under torchrun: the single-process rank.json, split refits, one report', { skip }, async () => {
  const [single, nproc, ranks] = await Promise.all([
    latentlens(rankArgs(runs.single)),
    latentlens([...rankArgs(runs.nproc), '--nproc', '2', '--dist-timeout', '30']),
    runRanks(main, rankArgs(runs.torchrun), { worldSize: 2 }),
  ]);
  assert.equal(single.code, 0, single.stderr);
  assert.equal(nproc.code, 0, nproc.stderr);
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const want = verdicts(runs.single);
  assert.deepEqual(verdicts(runs.nproc), want);
  assert.deepEqual(verdicts(runs.torchrun), want);
  // Nulls that vary, so the equality is not of constants.
  assert.ok(want.result.groups.some((g: { marginal: { null: { std: number } } }) => g.marginal.null.std > 0));
  assert.ok(want.result.groups.some((g: { conditional: { null: { std: number } } }) => g.conditional.null.std > 0));
  // Rank 0 prints what one process prints; rank 1 prints nothing.
  assert.equal(withoutTiming(nproc.stdout), withoutTiming(single.stdout));
  assert.equal(withoutTiming(ranks[0]!.stdout), withoutTiming(single.stdout));
  assert.equal(ranks[1]!.stdout, '');
  assert.doesNotMatch(nproc.stderr, /\[rank 1\]/);
  // Rank 0's progress counts its share of each null; one process counts them all.
  for (const [stage, all, share] of [
    ['marginal-null', 5, 3],
    ['null', 3, 2],
    ['stability', 3, 2],
  ] as const) {
    assert.match(single.stderr, new RegExp(`^${stage} done: ${all} in`, 'm'));
    assert.match(nproc.stderr, new RegExp(`^${stage} done: ${share} in`, 'm'));
  }
});
