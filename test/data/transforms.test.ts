import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitNormalization, applyNormalization, normalize, augmentBatch } from '../../src/data/transforms.js';
import { randomSplits, subset, takeSplit } from '../../src/data/splits.js';
import { batches, streamBatches, datasetSource, type ImageSource } from '../../src/data/batches.js';
import { resizePlane, resizeLabels, squarePlane } from '../../src/data/resize.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { Random } from '../../src/core/random.js';
import type { ImageDataset } from '../../src/data/types.js';

function tiny(values: number[][], splits = true): ImageDataset {
  // N samples of 2 channels x 1 x values[i].length / 2 ... simpler: C=2, H=1, W=2.
  const n = values.length;
  const ds: ImageDataset = {
    images: Float32Array.from(values.flat()),
    shape: [n, 2, 1, 2],
    channelNames: ['a', 'b'],
    labels: Int32Array.from(values.map((_, i) => i % 2)),
    skipped: [],
    source: 'test',
  };
  if (splits) ds.splits = { train: Int32Array.from([0, 1]), val: Int32Array.from([2]), test: Int32Array.from([]) };
  return ds;
}

test('z-score and min-max are fitted on the train split only, per channel', () => {
  // channel a: train values 1,3 | 5,7 ; channel b: 10,10 | 20,20 ; val sample is huge.
  const ds = tiny([
    [1, 3, 10, 10],
    [5, 7, 20, 20],
    [1000, 1000, 1000, 1000],
  ]);
  const z = fitNormalization(ds, { method: 'zscore' });
  assert.deepEqual(z.shift, [4, 15]);
  assert.ok(Math.abs(z.scale[0]! - 1 / Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(z.scale[1]! - 1 / 5) < 1e-12);
  const { dataset } = normalize(ds, { method: 'minmax' });
  assert.deepEqual([...dataset.images.subarray(0, 8)], [0, 1 / 3, 0, 0, 2 / 3, 1, 1, 1].map(Math.fround));
  assert.ok(dataset.images[8]! > 100); // val is transformed with the train fit, not refitted
  const constant = fitNormalization(
    tiny(
      [
        [2, 2, 2, 2],
        [2, 2, 2, 2],
      ],
      false,
    ),
    { method: 'zscore' },
  );
  assert.deepEqual(constant.scale, [1, 1]);
});

test('percentile normalisation clips outliers to [0, 1]', () => {
  // One channel, 101 pixels: 0..99 and a hot pixel at 10000.
  const vals = [...Array.from({ length: 100 }, (_, i) => i), 10000];
  const ds: ImageDataset = { images: Float32Array.from(vals), shape: [1, 1, 1, 101], channelNames: ['x'], skipped: [], source: 't' };
  const norm = fitNormalization(ds, { method: 'percentile', percentiles: [1, 99] });
  assert.ok(Math.abs(norm.shift[0]! - 1) < 1e-9); // 1st percentile of 0..100 positions = 1
  const out = applyNormalization(ds.images, ds.shape, norm);
  assert.equal(out[0], 0);
  assert.equal(out[100], 1);
  assert.ok(out[50]! > 0.45 && out[50]! < 0.55);
});

test('augmentation: identity, exact flips, masks follow, seeded', () => {
  const img = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i); // N=2, C=1, H=3, W=4
  const mask = Uint8Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // left column
  const still = { flipX: 0, rotate: 0, translate: 0, scale: [1, 1] as [number, number] };
  const id = augmentBatch(img, [2, 1, 3, 4], still, new Random(1), [mask]);
  assert.deepEqual(id.images, img);
  const fl = augmentBatch(img, [2, 1, 3, 4], { ...still, flipX: 1 }, new Random(1), [mask]);
  assert.deepEqual([...fl.images.subarray(0, 4)], [3, 2, 1, 0]);
  assert.deepEqual([...fl.masks[0]!.subarray(0, 4)], [0, 0, 0, 1]); // mask moved to the right column
  const a = augmentBatch(img, [2, 1, 3, 4], {}, new Random(9));
  const b = augmentBatch(img, [2, 1, 3, 4], {}, new Random(9));
  assert.deepEqual(a.images, b.images);
  // Bilinear with clamped edges never leaves the input range.
  assert.ok(a.images.every((v) => v >= 0 && v <= 23));
});

test('random splits are stratified, disjoint and seeded; subset keeps every per-sample field', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0));
  const s = randomSplits(100, { val: 0.1, test: 0.2, seed: 3, stratify: labels });
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [70, 10, 20]);
  assert.equal([...s.test].filter((i) => labels[i] === 1).length, 4);
  assert.equal(new Set([...s.train, ...s.val, ...s.test]).size, 100);
  assert.deepEqual(randomSplits(100, { seed: 3, stratify: labels }), s);
  assert.notDeepEqual(randomSplits(100, { seed: 4, stratify: labels }).test, s.test);

  const ph = generatePhantoms({ n: 30, size: 16, seed: 2 });
  const sub = subset(ph, [5, 2]);
  assert.deepEqual(sub.shape, [2, 3, 16, 16]);
  const plane = 3 * 16 * 16;
  assert.deepEqual(sub.images.subarray(0, plane), ph.images.subarray(5 * plane, 6 * plane));
  assert.deepEqual([...sub.labels!], [ph.labels![5], ph.labels![2]]);
  assert.deepEqual(sub.factors!.values.subarray(0, 11), ph.factors!.values.subarray(55, 66));
  assert.deepEqual(sub.masks![0]!.data.subarray(256, 512), ph.masks![0]!.data.subarray(2 * 256, 3 * 256));
  assert.deepEqual(sub.ids, ['phantom 5', 'phantom 2']);
  const test = takeSplit(ph, 'test');
  assert.equal(test.shape[0], 6);
  assert.equal(test.splits!.test.length, 6);
});

test('batches cover the selection once, shuffle with a seed, carry labels; streaming matches', async () => {
  const ph = generatePhantoms({ n: 25, size: 8, seed: 1 });
  const seen: number[] = [];
  let count = 0;
  for (const b of batches(ph, { batchSize: 10, shuffle: true, seed: 5 })) {
    count++;
    seen.push(...b.indices);
    assert.equal(b.images.length, b.indices.length * 3 * 64);
    b.indices.forEach((i, k) => assert.equal(b.labels![k], ph.labels![i]));
    assert.deepEqual(b.images.subarray(0, 192), ph.images.subarray(b.indices[0]! * 192, b.indices[0]! * 192 + 192));
  }
  assert.equal(count, 3);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 25 }, (_, i) => i),
  );
  assert.notDeepEqual(
    seen,
    Array.from({ length: 25 }, (_, i) => i),
  );
  assert.equal([...batches(ph, { batchSize: 10, dropLast: true })].length, 2);
  assert.deepEqual([...batches(ph, { indices: ph.splits!.val })][0]!.indices, ph.splits!.val);

  const streamed: number[] = [];
  for await (const b of streamBatches(datasetSource(ph), { batchSize: 10, shuffle: true, seed: 5 })) streamed.push(...b.indices);
  assert.deepEqual(streamed, seen);
});

test('streaming keeps at most two batches in flight (bounded memory)', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let reads = 0;
  const source: ImageSource = {
    length: 1000,
    sampleShape: [1, 2, 2],
    channelNames: ['x'],
    async read(indices) {
      reads++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return Float32Array.from({ length: indices.length * 4 }, (_, k) => indices[Math.floor(k / 4)]!);
    },
  };
  let n = 0;
  for await (const b of streamBatches(source, { batchSize: 100 })) {
    assert.equal(b.images[0], b.indices[0]);
    n++;
    if (n === 3) assert.ok(reads <= 4, `read ${reads} batches by the third`);
  }
  assert.equal(n, 10);
  assert.ok(maxInFlight <= 2);
});

test('resize: area averaging when shrinking, exact labels by nearest neighbour, centre square', () => {
  const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual([...resizePlane(src, 4, 4, 2, 2)], [3.5, 5.5, 11.5, 13.5]);
  assert.deepEqual([...resizePlane(Float32Array.from([2, 2, 2, 2]), 2, 2, 5, 5)], new Array(25).fill(2));
  assert.deepEqual([...resizeLabels(Uint8Array.from([0, 4, 2, 1]), 2, 2, 4, 4)], [0, 0, 4, 4, 0, 0, 4, 4, 2, 2, 1, 1, 2, 2, 1, 1]);
  // 2 x 4 plane: centre square is columns 1..2.
  assert.deepEqual([...squarePlane(Float32Array.from([0, 1, 2, 0, 0, 3, 4, 0]), 2, 4, 2)], [1, 2, 3, 4]);
});
