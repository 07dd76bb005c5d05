// Data-parallel training through the trainer: 2 and 3 local ranks (child processes, torchrun's variables)
// against single-process references of the same global batch, checkpoints by rank 0 only, a rank that
// dies mid-run and the resume that follows, FactorVAE's two optimizers with its noise and BatchNorm, and
// InfoGAN, whose generator loss reads the discriminator stepped just before it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import type { LatentModel } from '../../src/models/types.js';
import { trainModel } from '../../src/train/trainer.js';
import { lastJson, runRanks } from '../helpers/ranks.js';
import { ddpData, ddpModel, ddpOptions, flatState, type DdpKind } from './data-parallel-setup.js';
import { referenceRanks } from './data-parallel-reference.js';

const worker = fileURLToPath(new URL('./data-parallel-worker.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';
const dir = mkdtempSync(join(tmpdir(), 'latentlens-ddp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Out {
  rank: number;
  state?: number[];
  error?: string;
}

async function ranks(
  kind: DdpKind,
  W: number,
  out: string,
  steps: number,
  mode = 'fresh',
  env: Record<string, string> = {},
): Promise<Out[]> {
  const rs = await runRanks(worker, [kind, out, String(steps), mode], { worldSize: W, env });
  // A rank told to die (DIE_AT_STEP) exits with status 3 and prints nothing.
  return rs.map((r) => (r.code === 3 ? { rank: r.rank, error: 'exited' } : lastJson<Out>(r)));
}

const maxDiff = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

/** The parameters' values in a flatState of `model`'s kind (its buffers left out). */
function parametersOf(model: LatentModel, state: number[]): number[] {
  const params = new Set(model.paramGroups().flatMap((g) => g.params));
  const out: number[] = [];
  let k = 0;
  for (const t of model.stateDict().values()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (params.has(t)) out.push(...state.slice(k, k + n));
    k += n;
  }
  assert.equal(k, state.length);
  return out;
}

// The single-process runs of the same global batch (12 images a step, 6 steps) from rank 0's initial weights.
async function single(): Promise<number[]> {
  const m = ddpModel('conv-ae', 100);
  await trainModel(m, ddpData(), ddpOptions(6));
  return flatState(m);
}
const initial = flatState(ddpModel('conv-ae', 100));
// One uninterrupted 2-rank ConvAE run serves three tests (ranks start slowly on a busy machine).
let twoRanks: Promise<Out[]> | null = null;
const aeRun = (W: number): Promise<Out[]> => {
  if (W !== 2) return ranks('conv-ae', W, join(dir, `ae${W}-{rank}`), 6);
  return (twoRanks ??= ranks('conv-ae', 2, join(dir, 'ae2-{rank}'), 6));
};

describe('data-parallel training', { concurrency: true }, () => {
  for (const W of [2, 3]) {
    test(`ConvAE on ${W} ranks reaches the single-process weights; only rank 0 writes the run`, { skip }, async (t) => {
      const [outs, ref] = await Promise.all([aeRun(W), single()]);
      for (const o of outs) assert.equal(o.error, undefined, o.error);
      // Every rank holds the same weights, exactly: the same mean gradients and the same Adam steps.
      for (const o of outs.slice(1)) assert.deepEqual(o.state, outs[0]!.state);
      // Against one process on the whole batch, only the order of float additions differs (a batch of 12
      // reduced in one go versus W partial sums averaged), so weights agree to rounding after 6 Adam steps:
      // 1e-5 is far below the 6 steps' movement (checked) and wide for either CPU's kernels.
      const moved = maxDiff(ref, initial);
      assert.ok(moved > 5e-3, `training moved the weights by ${moved} only`);
      const d = maxDiff(outs[0]!.state!, ref);
      t.diagnostic(`max |w_ddp - w_single| = ${d.toExponential(2)}, max |w - w_initial| = ${moved.toExponential(2)}`);
      assert.ok(d < 1e-5, `max |w_ddp - w_single| = ${d}`);
      // Rank 0 wrote the run (one log line per step, checkpoints at steps 3 and 6); the others wrote nothing.
      const log = readTrainLog(join(dir, `ae${W}-0`, 'train.jsonl')).filter((e) => e.type === 'step');
      assert.deepEqual(
        log.map((e) => e.step),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(readdirSync(join(dir, `ae${W}-0`, 'checkpoints')).filter((n) => n.startsWith('step-')).length, 2);
      for (let r = 1; r < W; r++) assert.equal(existsSync(join(dir, `ae${W}-${r}`)), false);
    });
  }

  test('2 ranks: the step-by-step reference of the ranks gives the same ConvAE weights, bit for bit', { skip }, async () => {
    const outs = await aeRun(2);
    const m = ddpModel('conv-ae', 100);
    referenceRanks(m, 2, 6);
    assert.deepEqual(outs[0]!.state, flatState(m));
  });

  test('a rank that dies ends the other with an error naming it; --resume then reaches the uninterrupted weights', { skip }, async () => {
    const run = join(dir, 'resume');
    const [broken, whole] = await Promise.all([ranks('conv-ae', 2, run, 6, 'fresh', { DIE_AT_STEP: '4' }), aeRun(2)]);
    assert.equal(broken[1]!.error, 'exited');
    assert.match(broken[0]!.error ?? '', /^distributed: rank 0 of 2: \w+ #\d+ failed: peer rank 1 closed the connection/);
    const resumed = await ranks('conv-ae', 2, run, 6, 'resume');
    for (const o of resumed) assert.equal(o.error, undefined, o.error);
    // From the step-3 checkpoint: the same steps 4..6 as the uninterrupted run, so the same bits.
    assert.deepEqual(resumed[0]!.state, whole[0]!.state);
    assert.deepEqual(resumed[1]!.state, whole[0]!.state);
  });

  test('FactorVAE on 2 ranks (two optimizers, noise, BatchNorm buffers) equals the step-by-step reference', { skip }, async () => {
    const outs = await ranks('factor-vae', 2, join(dir, 'fvae-{rank}'), 4);
    for (const o of outs) assert.equal(o.error, undefined, o.error);
    const m = ddpModel('factor-vae', 100);
    const init = flatState(m);
    referenceRanks(m, 2, 4);
    const ref = flatState(m);
    assert.ok(maxDiff(ref, init) > 1e-3);
    assert.deepEqual(outs[0]!.state, ref);
  });

  test(
    'InfoGAN on 2 ranks (the generator stepped on the discriminator just stepped, noise, BatchNorm) equals the step-by-step reference',
    { skip },
    async () => {
      const outs = await ranks('infogan', 2, join(dir, 'infogan-{rank}'), 4);
      for (const o of outs) assert.equal(o.error, undefined, o.error);
      const m = ddpModel('infogan', 100);
      // The ranks end with the same weights; their BatchNorm statistics are each their own last step's, as in DDP.
      assert.deepEqual(parametersOf(m, outs[1]!.state!), parametersOf(m, outs[0]!.state!));
      assert.notDeepEqual(outs[1]!.state, outs[0]!.state);
      const init = flatState(m);
      referenceRanks(m, 2, 4);
      const ref = flatState(m);
      assert.ok(maxDiff(ref, init) > 1e-3);
      assert.deepEqual(outs[0]!.state, ref);
    },
  );
});
