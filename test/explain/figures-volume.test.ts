// Slices of volumes for the figures: the plane across each axis at an index, and the attribution's peak.
import assert from 'node:assert/strict';
import test from 'node:test';
import { peakVoxel, volumeFigureName, volumeSlice } from '../../src/explain/figures-volume.js';

const dims: [number, number, number] = [2, 3, 4];
const block = Float32Array.from({ length: 24 }, (_, p) => 100 * Math.floor(p / 12) + 10 * (Math.floor(p / 4) % 3) + (p % 4)); // 100 z + 10 y + x

test('volumeSlice cuts the plane it names; peakVoxel finds the largest summed voxel', () => {
  const f32 = (n: number) => new Float32Array(n);
  assert.deepEqual([...volumeSlice(block, dims, 'depth', 0, f32).plane], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  const h = volumeSlice(block, dims, 'height', 2, f32);
  assert.deepEqual([h.rows, h.cols], [2, 4]);
  assert.deepEqual([...h.plane], [20, 21, 22, 23, 120, 121, 122, 123]);
  assert.deepEqual([...volumeSlice(block, dims, 'width', 3, f32).plane], [3, 13, 23, 103, 113, 123]);
  // Two channels: the peak of their sum. Channel 1 is large at (z 0, y 1, x 2).
  const heat = new Float32Array(48);
  heat[5] = 1;
  heat[24 + 6] = 3;
  heat[7] = 2;
  assert.deepEqual(peakVoxel(heat, 0, 2, dims), [0, 1, 2]);
  assert.equal(volumeFigureName('occlusion', 17, 1, 'FLAIR', 'height', 2), 'occlusion-case17-ch1-FLAIR-height2.png');
});
