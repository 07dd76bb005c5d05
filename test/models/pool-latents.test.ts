// poolLatents: the one pooling of latent maps; its column names are what metrics.json and rank.json show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latentCells } from '../../src/models/encode.js';
import { parsePooling, poolLatents } from '../../src/models/pool-latents.js';

const maps = { data: Float32Array.from([1, 2, 3, 4, 10, 10, 10, 10]), shape: [1, 2, 2, 2] as [number, number, number, number] }; // N=1, K=2, 2 x 2

test('mean: one column per map, named mapK, grouped as map K', () => {
  const t = poolLatents(maps, 'mean');
  assert.deepEqual(Array.from(t.data), [2.5, 10]);
  assert.deepEqual(t.names, ['map0', 'map1']);
  assert.deepEqual(t.groupNames, ['map 0', 'map 1']);
});

test("summary: mean, max and std per map, all in the map's group", () => {
  const t = poolLatents(maps, 'summary');
  assert.deepEqual(Array.from(t.data), [2.5, 4, Math.fround(Math.sqrt(1.25)), 10, 10, 0]);
  assert.deepEqual(Array.from(t.groupOf), [0, 0, 0, 1, 1, 1]);
});

test("grid: every cell, named mapK@row,col; volumes' rows run over z·h + y as their cells view does", () => {
  const t = poolLatents(maps, 'grid');
  assert.deepEqual(Array.from(t.data), Array.from(maps.data));
  assert.deepEqual(t.names, ['map0@0,0', 'map0@0,1', 'map0@1,0', 'map0@1,1', 'map1@0,0', 'map1@0,1', 'map1@1,0', 'map1@1,1']);
  const vol = { data: new Float32Array(2 * 3 * 2 * 4), shape: [1, 2, 3, 2, 4] as [number, number, number, number, number] };
  assert.deepEqual(poolLatents(vol, 'grid').names, poolLatents(latentCells(vol), 'grid').names);
  assert.equal(poolLatents(vol, 'grid').names![13], 'map0@3,1');
});

test('1 x 1 maps are named mapK under every pooling but summary', () => {
  const v = { data: Float32Array.from([1, 2]), shape: [1, 2, 1, 1] as [number, number, number, number] };
  assert.deepEqual(poolLatents(v, 'grid').names, ['map0', 'map1']);
  assert.deepEqual(poolLatents(v, 'mean').names, ['map0', 'map1']);
});

test('a pooling outside the allowed choices is refused naming them', () => {
  assert.throws(() => parsePooling('flatten', ['mean', 'grid']), /--pooling flatten: expected mean, grid/);
  assert.equal(parsePooling('grid', ['mean', 'grid']), 'grid');
});
