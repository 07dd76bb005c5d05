// The report shows a volume as its middle slices across depth, height and width. Known answer: a 4^3
// volume that is 1 on the plane z = 2 (the middle depth) and 0 elsewhere is all white across depth, and
// across height and width a white row at z = 2 on black.
import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { VolumeDataset } from '../../src/data/types.js';
import { sampleVolumes } from '../../src/report/case-volumes.js';

test('sample volumes are shown as their depth, height and width middle slices, in that order', async () => {
  const n = 4;
  const images = new Float32Array(n * n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) images[(2 * n + y) * n + x] = 1;
  const data: VolumeDataset = { images, shape: [1, 1, n, n, n], channelNames: ['gray'], source: 'a plane phantom', skipped: [] };
  const s = await sampleVolumes(data, 6);
  assert.deepEqual(s.slices, [2, 2, 2]);
  assert.equal(s.classes.length, 1);
  assert.equal(s.classes[0]!.name, 'all cases');
  const { data: px, info } = await sharp(s.classes[0]!.png).raw().toBuffer({ resolveWithObject: true });
  // Three 64 px tiles (4 px upscaled 16x) stacked with 2 px gaps.
  assert.deepEqual([info.width, info.height], [64, 3 * 64 + 2 * 2]);
  const at = (x: number, y: number) => px[(y * info.width + x) * info.channels]!;
  const tileTop = [0, 66, 132];
  for (let r = 0; r < 4; r++) {
    const y = 16 * r + 8;
    assert.equal(at(30, tileTop[0]! + y), 255, `depth slice row ${r}`);
    for (const t of [1, 2]) assert.equal(at(30, tileTop[t]! + y), r === 2 ? 255 : 0, `axis ${t} row ${r}`);
  }
});
