import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { rasterizeScatter, scatterPng, viridis, embeddingJson, writeScatterPng, fitPCA } from '../../src/embed/index.js';

const coords = Float32Array.from([0, 0, 1, 1, 2, 0.5, -1, 2]);

test('scatter writes a valid PNG of the requested size, coloured by label or value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'embed-scatter-'));
  const path = join(dir, 'a.png');
  await writeScatterPng(path, coords, { labels: [0, 1, 1, 2], classNames: ['a', 'b', 'c'], width: 320, height: 240, title: 't' });
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.width, 320);
  assert.equal(meta.height, 240);
  const png = await scatterPng(coords, { values: [0, 1, 2, 3] });
  assert.equal((await sharp(png).metadata()).width, 800);
});

test('rasterised points carry their colour: the highest value is viridis yellow', () => {
  const { rgba, width } = rasterizeScatter(Float32Array.from([0, 0, 10, 10]), {
    values: [0, 1],
    width: 300,
    height: 300,
    alpha: 1,
    pointRadius: 4,
  });
  const yellow = viridis(1);
  let found = false;
  for (let p = 0; p < rgba.length; p += 4)
    if (rgba[p] === yellow[0] && rgba[p + 1] === yellow[1] && rgba[p + 2] === yellow[2]) found = true;
  assert.ok(found, 'a fully covered pixel has the top colour');
  assert.equal(rgba[0], 255, 'background is white');
  assert.equal(width, 300);
  assert.deepEqual(viridis(0), [68, 1, 84]);
});

test('embedding JSON holds the coordinates as pairs and the record fields', () => {
  const x = Float32Array.from([0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 3, 1, 5, 5]);
  const r = fitPCA(x, 7, 2, { trustworthinessK: 2 });
  const j = JSON.parse(JSON.stringify(embeddingJson(r))) as ReturnType<typeof embeddingJson>;
  assert.equal(j.method, 'pca');
  assert.equal(j.coords.length, 7);
  assert.deepEqual(j.coords[3], [r.coords[6], r.coords[7]]);
  assert.equal(j.trustworthiness, 1, 'PCA of 2-D data is a rotation: every neighbour kept');
});
