// The `train` command end to end on phantoms with the registry's ConvAE (SIGINT wiring and --resume
// included), and openRun loading the run back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTrain } from '../../src/cli/train.js';
import { openRun } from '../../src/train/run-folder.js';
import { scope } from '../../src/engine/scope.js';
import { loadTensorMap } from '../../src/train/checkpoint.js';
import { loadDataset } from '../../src/data/spec.js';
import { tensor } from '../../src/engine/tensor.js';
import { setNumThreads } from '../../src/engine/runtime.js';

setNumThreads(1); // test files run in parallel processes (see tiny-model.ts)

const SPEC = 'phantom:n=120,size=28,channels=gray,seed=3';
const ARGS = [
  '--data',
  SPEC,
  '--model',
  'conv-ae',
  '--latent-maps',
  '4',
  '--width',
  '4',
  '--steps',
  '8',
  '--batch-size',
  '16',
  '--checkpoint-every',
  '3',
  '--seed',
  '5',
  '--no-progress',
];

function cli(args: string[]): Promise<unknown> {
  const program = new Command().exitOverride();
  registerTrain(program);
  return program.parseAsync(['node', 'latentlens', 'train', ...args]);
}

test('train CLI: Ctrl-C checkpoints, --resume reaches the uninterrupted weights, openRun loads the run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'latentlens-cli-a-')),
    b = mkdtempSync(join(tmpdir(), 'latentlens-cli-b-'));
  const exitCode = process.exitCode;
  try {
    await cli([...ARGS, '--out', a]);
    const running = cli([...ARGS, '--out', b]);
    process.emit('SIGINT'); // what Ctrl-C delivers; the command's handler turns it into an abort
    await running;
    assert.equal(process.exitCode, 130);
    process.exitCode = exitCode;
    assert.equal(process.listenerCount('SIGINT'), 0, 'the handler is removed after the run');
    const stopped = JSON.parse(readFileSync(join(b, 'checkpoints', 'latest.json'), 'utf8')).step;
    assert.ok(stopped >= 1 && stopped < 8, `stopped at step ${stopped}`);
    await cli(['--resume', '--out', b, '--no-progress']);
    assert.ok(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors'))));

    const run = openRun(a);
    assert.equal(run.config.model.kind, 'conv-ae');
    assert.equal(run.config.dataSpec, SPEC);
    assert.equal(run.config.train?.steps, 8);
    assert.equal(run.log().filter((l) => l.type === 'step').length, 8);
    const ds = await loadDataset(SPEC);
    scope(() => {
      const want = loadTensorMap(join(a, 'model.safetensors')).tensors;
      for (const [name, t] of run.model.stateDict()) assert.equal(t.sub(want.get(name)!).abs().max().item(), 0, name);
      const z = run.model.encode(tensor(ds.images.subarray(0, 2 * 28 * 28), [2, 1, 28, 28])).z;
      assert.deepEqual(z.shape, [2, 4, 7, 7]);
    });
    run.model.dispose();
  } finally {
    process.exitCode = exitCode;
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('train CLI refuses a missing data spec and an unknown model with clear messages', async () => {
  const out = join(tmpdir(), `latentlens-cli-none-${process.pid}`);
  await assert.rejects(cli(['--model', 'conv-ae', '--out', out]), /--data <spec> is required/);
  await assert.rejects(cli(['--data', SPEC, '--model', 'resnet', '--out', out]), /--model resnet: expected one of conv-ae/);
  assert.equal(process.listenerCount('SIGINT'), 0);
});
