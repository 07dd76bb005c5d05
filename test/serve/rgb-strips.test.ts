// The explorer on an RGB run (channels R, G, B): meta names the composite's channels, thumbnails and
// decodings start with the colour composite (RGB PNGs, one panel wider than the channels alone), a
// single channel stays gray.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/spec.js';
import { manualSeed, setNumThreads } from '../../src/engine/index.js';
import { createModel } from '../../src/models/registry.js';
import { startServer } from '../../src/serve/index.js';
import { trainModel } from '../../src/train/trainer.js';
import { pngHeader } from '../../src/util/png.js';

setNumThreads(1);

test('explorer strips of an RGB run: the colour composite first', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'serve-rgb-'));
  const spec = 'phantom:n=32,size=28,channels=R,G,B,lesion=B,seed=2';
  const dir = join(tmp, 'run');
  const data = await loadDataset(spec);
  manualSeed(0);
  const model = createModel('conv-ae', { inputShape: [3, 28, 28], latentMaps: 2, latentGrid: [7, 7], width: 4 } as never);
  await trainModel(model, data, { steps: 2, batchSize: 16, lr: 0.003, out: dir, progress: false, extraConfig: { dataSpec: spec } });
  model.dispose();
  const server = await startServer({ runs: [dir], threads: 1 });
  try {
    const runs = (await (await fetch(`${server.url}/api/runs`)).json()) as { id: string }[];
    const id = runs[0]!.id;
    const meta = (await (await fetch(`${server.url}/api/${id}/meta`)).json()) as { channels: string[]; composite: number[] | null };
    assert.deepEqual(meta.channels, ['R', 'G', 'B']);
    assert.deepEqual(meta.composite, [0, 1, 2]);
    const png = async (r: Response) => {
      assert.equal(r.status, 200);
      return pngHeader(new Uint8Array(await r.arrayBuffer()));
    };
    const thumb = await png(await fetch(`${server.url}/api/${id}/thumb/0.png?scale=2`));
    assert.deepEqual(
      [thumb.colourType, thumb.width, thumb.height],
      [2, 4 * 56 + 3 * 4, 56],
      'composite + 3 channels at scale 2, 4 px gaps',
    );
    const one = await png(await fetch(`${server.url}/api/${id}/thumb/0.png?scale=2&channel=2`));
    assert.deepEqual([one.colourType, one.width], [0, 56]);
    const dec = await png(
      await fetch(`${server.url}/api/${id}/decode?scale=2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ case: 0, edits: [] }),
      }),
    );
    assert.deepEqual([dec.colourType, dec.width], [2, 4 * 56 + 3 * 4]);
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
