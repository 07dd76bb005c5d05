// import on volumes: a state dict of a 3D ConvAE imported against volume data makes a run whose model
// is the 3D variant with the file's weights; the wrong dimensionality is refused naming the tensors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadCases } from '../../src/data/spec.js';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { scope } from '../../src/engine/scope.js';
import { createModel } from '../../src/models/registry.js';
import { loadTensorMap, saveTensorMap } from '../../src/train/checkpoint.js';
import { importModel } from '../../src/train/import.js';
import { openRun } from '../../src/train/run-folder.js';

setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'll-import-volumes-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('import a 3D ConvAE state dict against volumes; a 2D one is refused tensor by tensor', async () => {
  const spec = 'phantom3d:n=12&size=16&seed=2';
  const data = await loadCases(spec);
  const options = { latentMaps: 3, width: 4 };
  manualSeed(3);
  const source = createModel('conv-ae', { ...options, inputShape: [2, 16, 16, 16] });
  const file = join(root, 'w3d.safetensors');
  saveTensorMap(file, source.stateDict());
  source.dispose();
  const run = join(root, 'run');
  const r = importModel({ file, data, dataSpec: spec, out: run, model: 'conv-ae', modelOptions: options });
  assert.equal(r.format, 'safetensors');
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.deepEqual(config.model.inputShape, [2, 16, 16, 16]);
  assert.deepEqual(config.model.latentGrid, [4, 4, 4]);
  assert.ok(Number.isFinite(r.health.model.psnr));
  const opened = openRun(run);
  try {
    scope(() => {
      const want = loadTensorMap(file).tensors;
      for (const [name, t] of opened.model.stateDict())
        assert.deepEqual(t.toArray(), want.get(name)!.toArray(), `${name} equals the file's`);
    });
  } finally {
    opened.model.dispose();
  }
  // A 2D model's weights (4-D kernels) do not fit the 3D variant (5-D kernels).
  const flat = createModel('conv-ae', { ...options, inputShape: [2, 32, 32] });
  const file2d = join(root, 'w2d.safetensors');
  saveTensorMap(file2d, flat.stateDict());
  flat.dispose();
  assert.throws(
    () => importModel({ file: file2d, data, dataSpec: spec, out: join(root, 'run2'), model: 'conv-ae', modelOptions: options }),
    /does not fit conv-ae .*"inputShape":\[2,16,16,16\].*\n {2}encoder\.0\.weight: expected \[4, 2, 3, 3, 3\], got \[4, 2, 3, 3\]/,
  );
});
