// openRun refuses a run whose weights would make every analysis wrong: NaN decoder weights (explain used
// to exit 0 with nulls and 51 figures) and a tensor stored with another dtype (issue 20, finding 5).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { scope } from '../../src/engine/scope.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { tensor } from '../../src/engine/tensor.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { saveTensorMap } from '../../src/train/checkpoint.js';
import { openRun } from '../../src/train/run-folder.js';

setNumThreads(1);

test('openRun refuses NaN decoder weights and an I32 weight, naming the weights file and the tensor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-open-weights-'));
  const model = new ConvAE({ inputShape: [1, 28, 28], latentMaps: 2, latentGrid: [7, 7], width: 4 });
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: model.config }));
    const weights = join(dir, 'model.safetensors');
    const decoderWeight = [...model.stateDict().keys()].find((n) => n.startsWith('dec') && n.endsWith('weight'))!;
    assert.ok(decoderWeight, 'the model has a decoder weight');
    const save = (replace: (t: ReturnType<typeof tensor>) => ReturnType<typeof tensor>) =>
      scope(() => {
        const map = new Map([...model.stateDict()].map(([n, t]) => [n, n === decoderWeight ? replace(t) : t]));
        saveTensorMap(weights, map, { config: JSON.stringify(model.config) });
      });

    save((t) => {
      const v = t.toFloat32();
      v[3] = NaN;
      return tensor(v, t.shape);
    });
    assert.throws(
      () => openRun(dir),
      (e: Error) => e.message.startsWith(`${weights}: loadStateDict: '${decoderWeight}' holds 1 NaN or Inf value of `),
    );

    save((t) => t.to('int32'));
    assert.throws(
      () => openRun(dir),
      (e: Error) =>
        e.message ===
        `${weights}: loadStateDict: '${decoderWeight}' is int32, the module's tensor is float32; expected a float32 tensor (values of another dtype are not converted)`,
    );

    save((t) => t);
    const run = openRun(dir);
    run.model.dispose();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
