// The run-folder path of `latentlens embed`: a tiny trained run is encoded, embedded and written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../../src/data/spec.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/registry.js';
import { trainModel } from '../../src/train/trainer.js';
import { embedRun } from '../../src/runs/embed-run.js';

test("embedRun encodes a run's data and writes embed-<method>.json and its figure", async () => {
  const out = mkdtempSync(join(tmpdir(), 'embed-run-'));
  try {
    const spec = 'phantom:n=120,size=28,channels=gray';
    const data = await loadDataset(spec);
    manualSeed(0);
    const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 4, width: 8 } as never);
    await trainModel(model, data, { steps: 2, batchSize: 32, out, progress: false, extraConfig: { dataSpec: spec } });
    model.dispose();
    const { result, json, png } = await embedRun(out, { embed: { method: 'pca' }, color: 'map:1', maxPoints: 100 });
    assert.equal(result.coords.length, 200, 'maxPoints caps the cases');
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(j.format, 'latentlens-embed');
    assert.equal(j.result.coords.length, 100);
    assert.equal(j.inputs.latentShape[0], 4);
    assert.equal(j.inputs.indices.length, 100);
    assert.ok(existsSync(png));
    assert.equal((await sharp(readFileSync(png)).metadata()).width, 800);
    await assert.rejects(embedRun(out, { embed: { method: 'pca' }, color: 'map:9' }), /map:<k> needs k in 0\.\.3/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
