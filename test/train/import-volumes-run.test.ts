// Imported 3D models carry through the pipeline: a TorchScript Conv3d autoencoder (test/fixtures/
// my_ae3d.pt, made by make_my_ae3d.py with Debian's python3-torch) and a safetensors state dict of the
// latentlens 3D ConvAE are imported against volume data through the CLI, and on each run rank pools the
// d x h x w maps, explain runs the volume methods (Grad-CAM on the TorchScript module through its
// encoder_activation / encode_from_activation) and the explorer serves its volumes and decodings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { scope } from '../../src/engine/scope.js';
import { tensor } from '../../src/engine/tensor.js';
import { createModel } from '../../src/models/registry.js';
import { startServer } from '../../src/serve/index.js';
import { saveTensorMap } from '../../src/train/checkpoint.js';
import { openRun } from '../../src/train/run-folder.js';
import { pngHeader } from '../../src/util/png.js';
import { assertClose } from '../helpers/close.js';

setNumThreads(1);

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-import-volumes-run-'));
after(() => rmSync(root, { recursive: true, force: true }));
const SPEC = 'phantom3d:n=40&size=16&seed=4';

const ok = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
};
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;

interface VolumeExplain {
  volumes: boolean;
  methods: { method: string; settings: Record<string, unknown>; masks: { mask: string; cases: number }[] }[];
  figures: { path: string }[];
  decoder: unknown;
}

/** rank then explain the top map; the explanation. */
function rankAndExplain(run: string): VolumeExplain {
  ok('rank', run, '--trees', '10', '--bootstraps', '0', '--marginal-null', '0', '--folds', '2', '--no-conditional');
  const rank = readJson<{ inputs: { latentShape: number[] }; result: { ranking: number[] } }>(join(run, 'rank.json'));
  assert.deepEqual(rank.inputs.latentShape.slice(1), [4, 4, 4]);
  const out = ok('explain', run, '--map', 'top', '--cases', '2');
  assert.match(out, /occlusion: .*129 forward passes per volume/);
  const top = rank.result.ranking[0]!;
  const ex = readJson<{ result: VolumeExplain }>(join(run, 'explain', `map-${top}.json`)).result;
  assert.equal(ex.volumes, true);
  assert.ok(ex.figures.length > 0 && ex.figures.every((f) => existsSync(join(run, f.path))));
  assert.ok(ex.decoder, 'ablation and entanglement ran through the decoder');
  return ex;
}

/** The explorer on the run: meta of volumes with a d x h x w grid, and a decoding of three slices per channel. */
async function serves(run: string, k: number): Promise<void> {
  const server = await startServer({ runs: [run], threads: 1 });
  try {
    await server.ready;
    const id = server.runs[0]!.id;
    const meta = (await (await fetch(`${server.url}api/${id}/meta`)).json()) as { volume: boolean; grid: number[]; k: number };
    assert.deepEqual([meta.volume, meta.grid, meta.k], [true, [4, 4, 4], k]);
    const r = await fetch(`${server.url}api/${id}/decode?scale=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ case: 1, edits: [{ map: 0, delta: 1 }] }),
    });
    assert.equal(r.status, 200);
    const png = pngHeader(new Uint8Array(await r.arrayBuffer()));
    assert.deepEqual([png.width, png.height], [3 * 16 + 8, 2 * 16 + 4]);
  } finally {
    await server.close();
  }
}

test('a TorchScript Conv3d autoencoder imported against volumes ranks, explains with Grad-CAM and is served', async () => {
  const run = join(root, 'ts3d');
  const out = ok('import', fixture('my_ae3d.pt'), '--data', SPEC, '--out', run);
  assert.match(out, /imported torchscript \(torchscript, 4 maps of 4x4x4\)/);
  const config = readJson<{ model: { inputShape: number[]; latentGrid: number[] } }>(join(run, 'config.json'));
  assert.deepEqual(config.model.inputShape, [2, 16, 16, 16]);
  assert.deepEqual(config.model.latentGrid, [4, 4, 4]);
  // The opened module is PyTorch's: its latents for a fixed input are PyTorch's own.
  const expected = readJson<{ latent_shape: number[]; latent: number[] }>(fixture('my_ae3d.expected.json'));
  const opened = openRun(run);
  try {
    scope(() => {
      const x = tensor(
        Array.from({ length: 2 * 16 ** 3 }, (_, i) => Math.sin(0.37 * i) * 0.5 + 0.5),
        [1, 2, 16, 16, 16],
      );
      const z = opened.model.encode(x).z;
      assert.deepEqual(z.shape, expected.latent_shape);
      assertClose(z.toFloat32(), expected.latent, 1e-3, 1e-4, 'latent');
    });
  } finally {
    opened.model.dispose();
  }
  const ex = rankAndExplain(run);
  const cam = ex.methods.find((m) => m.method === 'grad-cam');
  assert.ok(cam, 'Grad-CAM ran on the TorchScript module');
  assert.equal(cam.settings.layer, 'encoder_activation');
  assert.equal(ex.methods[0]!.masks[0]!.mask, 'lesion');
  await serves(run, 4);
});

test('a safetensors state dict of the 3D ConvAE imported through the CLI ranks, explains and is served', async () => {
  manualSeed(7);
  const source = createModel('conv-ae', { latentMaps: 4, width: 4, inputShape: [2, 16, 16, 16] });
  const file = join(root, 'w3d.safetensors');
  saveTensorMap(file, source.stateDict());
  source.dispose();
  const run = join(root, 'st3d');
  ok('import', file, '--model', 'conv-ae', '--model-opt', 'latentMaps=4', '--model-opt', 'width=4', '--data', SPEC, '--out', run);
  assert.ok(existsSync(join(run, 'model.safetensors')));
  const ex = rankAndExplain(run);
  assert.deepEqual(
    ex.methods.map((m) => m.method),
    ['integrated-gradients', 'occlusion', 'grad-cam'],
  );
  await serves(run, 4);
});
