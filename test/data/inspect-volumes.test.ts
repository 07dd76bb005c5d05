// data inspect on volumes: the summary keeps the 5-D shape, and the middle slice across each axis is the
// plane of the volume it names.
import assert from 'node:assert/strict';
import test from 'node:test';
import { formatSummary } from '../../src/data/inspect.js';
import { middleSlices, summarizeVolumes } from '../../src/data/inspect-volumes.js';
import type { VolumeDataset } from '../../src/data/types.js';

// One case, one channel, D x H x W = 2 x 3 x 4 with voxel (z, y, x) = 100 z + 10 y + x; mask marks z = 1.
const [D, H, W] = [2, 3, 4];
const images = Float32Array.from({ length: D * H * W }, (_, p) => 100 * Math.floor(p / (H * W)) + 10 * (Math.floor(p / W) % H) + (p % W));
const ds: VolumeDataset = {
  images,
  shape: [1, 1, D, H, W],
  channelNames: ['gray'],
  labels: Int32Array.from([1]),
  classNames: ['a', 'b'],
  task: 'binary',
  masks: [{ name: 'm', channels: ['gray'], data: Uint8Array.from({ length: D * H * W }, (_, p) => (p >= H * W ? 1 : 0)) }],
  skipped: [],
  source: 'test',
};

test('middle slices across depth, height and width are the planes z = D/2, y = H/2, x = W/2', () => {
  const depth = middleSlices(ds, 'depth');
  assert.deepEqual(depth.shape, [1, 1, H, W]);
  assert.deepEqual([...depth.images], [100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]); // z = 1
  assert.deepEqual([...depth.masks![0]!.data], new Array(H * W).fill(1));
  const height = middleSlices(ds, 'height');
  assert.deepEqual(height.shape, [1, 1, D, W]);
  assert.deepEqual([...height.images], [10, 11, 12, 13, 110, 111, 112, 113]); // y = 1
  const width = middleSlices(ds, 'width');
  assert.deepEqual(width.shape, [1, 1, D, H]);
  assert.deepEqual([...width.images], [2, 12, 22, 102, 112, 122]); // x = 2
  assert.deepEqual([...width.masks![0]!.data], [0, 0, 0, 1, 1, 1]);
  assert.match(width.source, /middle slice across width: w = 2/);
});

test('the summary of volumes prints N x C x D x H x W and statistics over every voxel', () => {
  const s = summarizeVolumes(ds);
  assert.deepEqual(s.volumeShape, [1, 1, D, H, W]);
  assert.equal(s.channels[0]!.max, 123);
  assert.equal(s.channels[0]!.min, 0);
  assert.equal(s.masks![0]!.nonEmpty, 1);
  assert.match(formatSummary(s), /shape {5}1 x 1 x 2 x 3 x 4 {2}\(N x C x D x H x W: volumes\)/);
});
