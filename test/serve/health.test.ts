// The explorer and the health check: the run list says whether health.json exists, /api/<run>/health
// serves it (the panel shows the banner from it), and serving a run without one writes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePhantoms } from '../../src/data/phantom.js';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/registry.js';
import { startServer } from '../../src/serve/index.js';
import { trainModel } from '../../src/train/trainer.js';

setNumThreads(1); // test files run in parallel processes

const SPEC = 'phantom:n=80,size=28,channels=gray,seed=2';

test('explorer: health.json in the run list and at /api/<run>/health; a run without one stays without', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'll-health-serve-'));
  const failed = join(tmp, 'failed'),
    old = join(tmp, 'old');
  const data = generatePhantoms({ n: 80, size: 28, seed: 2, channels: ['gray'], lesionChannels: ['gray'], distractorChannels: [] });
  for (const dir of [failed, old]) {
    manualSeed(0);
    const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 4, width: 4 });
    await trainModel(model, data, { steps: 1, lr: 1e-9, batchSize: 16, out: dir, progress: false, extraConfig: { dataSpec: SPEC } });
    model.dispose();
  }
  rmSync(join(old, 'health.json'));
  const server = await startServer({ runs: [failed, old], threads: 1 });
  try {
    await server.ready;
    const api = (path: string) => fetch(new URL(`/api/${path}`, server.url));
    const runs = (await (await api('runs')).json()) as { id: string; files: { health: boolean } }[];
    assert.deepEqual(
      runs.map((r) => r.files.health),
      [true, false],
    );
    const h = (await (await api(`${runs[0]!.id}/health`)).json()) as { passed: boolean; warning: string };
    assert.equal(h.passed, false);
    assert.match(h.warning, /^WARNING: this model does not reconstruct better than the mean image/);
    assert.equal((await api(`${runs[1]!.id}/health`)).status, 404);
    await (await api(`${runs[1]!.id}/meta`)).json();
    assert.equal(existsSync(join(old, 'health.json')), false, 'the explorer only reads run files');
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
