import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { loadMedMNIST, resolveMedMNIST } from '../../src/data/medmnist.js';
import { encodeNpy, parseNpy, parseNpz, readNpy, type NpyData } from '../../src/data/npy.js';
import { DataError } from '../../src/data/errors.js';
import { loadCases, loadDataset } from '../../src/data/spec.js';
import { isVolumeDataset } from '../../src/data/types.js';
import { needSharedData, sharedData, SHARED_DATA } from '../helpers/shared-data.js';

function counts(labels: Int32Array, idx: Int32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const i of idx) c[labels[i]!]++;
  return c;
}

test(
  'PneumoniaMNIST (real file) loads with the README shapes and class counts',
  { skip: needSharedData('pneumoniamnist/pneumoniamnist.npz') },
  async () => {
    // Looked up by name the way MedMNIST does: <root>/<flag>/<flag>.npz is one of the places tried.
    const ds = await loadMedMNIST('pneumoniamnist', { root: SHARED_DATA });
    assert.deepEqual(ds.shape, [5856, 1, 28, 28]);
    assert.deepEqual(ds.channelNames, ['gray']);
    assert.deepEqual(ds.classNames, ['normal', 'pneumonia']);
    assert.equal(ds.task, 'binary');
    assert.deepEqual([ds.splits!.train.length, ds.splits!.val.length, ds.splits!.test.length], [4708, 524, 624]);
    assert.deepEqual(counts(ds.labels!, ds.splits!.train, 2), [1214, 3494]);
    assert.deepEqual(counts(ds.labels!, ds.splits!.val, 2), [135, 389]);
    assert.deepEqual(counts(ds.labels!, ds.splits!.test, 2), [234, 390]);
    // Pixel values known from numpy: train_images[0, 0, :5] = 92 108 117 111 101, mean of train 145.84.
    assert.deepEqual(
      [...ds.images.subarray(0, 5)].map((v) => Math.round(v * 255)),
      [92, 108, 117, 111, 101],
    );
    let sum = 0;
    for (let i = 0; i < 4708 * 784; i++) sum += ds.images[i]!;
    assert.ok(Math.abs((sum / (4708 * 784)) * 255 - 145.84) < 0.01);
    assert.equal(ds.ids![4708], 'val/0');
    const test = await loadMedMNIST(sharedData('pneumoniamnist/pneumoniamnist.npz'), { split: 'test' });
    assert.deepEqual(test.shape, [624, 1, 28, 28]);
    assert.deepEqual(
      [...test.images.subarray(0, 5)].map((v) => Math.round(v * 255)),
      [62, 19, 15, 42, 54],
    );
  },
);

test(
  'BreastMNIST (real file) loads with the README shapes and class counts',
  { skip: needSharedData('breastmnist/breastmnist.npz') },
  async () => {
    const ds = await loadMedMNIST(sharedData('breastmnist/breastmnist.npz'));
    assert.deepEqual(ds.shape, [780, 1, 28, 28]);
    assert.deepEqual(ds.classNames, ['malignant', 'normal, benign']);
    assert.deepEqual([ds.splits!.train.length, ds.splits!.val.length, ds.splits!.test.length], [546, 78, 156]);
    assert.deepEqual(counts(ds.labels!, ds.splits!.train, 2), [147, 399]);
    assert.deepEqual(counts(ds.labels!, ds.splits!.test, 2), [42, 114]);
  },
);

// --- synthetic files with known contents ---
const dir = mkdtempSync(join(tmpdir(), 'latentlens-npz-'));
function npz(name: string, arrays: Record<string, [NpyData, number[]]>): string {
  const files: Record<string, Uint8Array> = {};
  for (const [k, [data, shape]] of Object.entries(arrays)) files[`${k}.npy`] = encodeNpy(data, shape);
  const path = join(dir, name);
  writeFileSync(path, zipSync(files));
  return path;
}
function rawNpy(descr: string, shape: number[], body: Uint8Array, fortran = false): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

test('RGB subset: N x H x W x 3 becomes N x 3 x H x W; name lookup with a size suffix', async () => {
  const img = new Uint8Array(2 * 2 * 2 * 3);
  img.forEach((_, i) => (img[i] = i)); // pixel (n, y, x, c) = ((n*2 + y)*2 + x)*3 + c
  npz('dermamnist_64.npz', { train_images: [img, [2, 2, 2, 3]], train_labels: [Uint8Array.from([6, 0]), [2, 1]] });
  const ds = await loadMedMNIST('dermamnist_64', { root: dir });
  assert.deepEqual(ds.shape, [2, 3, 2, 2]);
  assert.deepEqual(ds.channelNames, ['R', 'G', 'B']);
  // Sample 1, channel G (1), pixel (0, 1): source index ((1*2+0)*2+1)*3+1 = 16.
  assert.equal(Math.round(ds.images[((1 * 3 + 1) * 2 + 0) * 2 + 1]! * 255), 16);
  assert.equal(ds.classNames![6], 'vascular lesions');
  assert.deepEqual([...ds.labels!], [6, 0]);
  assert.deepEqual(
    ds.skipped.map((s) => s.reason),
    ['split not in file', 'split not in file'],
  );
  assert.equal(resolveMedMNIST('dermamnist_64', dir), join(dir, 'dermamnist_64.npz'));
});

test('multi-label ChestMNIST-like file keeps N x 14 labels', async () => {
  const labels = new Uint8Array(3 * 14);
  labels[0 * 14 + 13] = 1;
  labels[2 * 14 + 0] = 1;
  labels[2 * 14 + 5] = 1;
  const p = npz('chestmnist.npz', { test_images: [new Uint8Array(3 * 4 * 4), [3, 4, 4]], test_labels: [labels, [3, 14]] });
  const ds = await loadMedMNIST(p);
  assert.equal(ds.task, 'multilabel');
  assert.equal(ds.labelWidth, 14);
  assert.equal(ds.classNames![13], 'hernia');
  assert.deepEqual(
    [...ds.labels!.subarray(28, 42)].flatMap((v, i) => (v ? [i] : [])),
    [0, 5],
  );
});

test('3D subset: volumes by default (N x 1 x D x H x W); middle slice, slices as channels, or every slice a sample when asked', async () => {
  const vol = new Uint8Array(2 * 3 * 2 * 2);
  vol.forEach((_, i) => (vol[i] = i)); // (n, z, y, x)
  const p = npz('nodulemnist3d.npz', { val_images: [vol, [2, 3, 2, 2]], val_labels: [Uint8Array.from([1, 0]), [2, 1]] });
  const asVolumes = await loadMedMNIST(p);
  assert.deepEqual(asVolumes.shape, [2, 1, 3, 2, 2]);
  assert.deepEqual(
    [...asVolumes.images].map((v) => Math.round(v * 255)),
    [...vol],
  ); // stored order is N x D x H x W
  assert.deepEqual(asVolumes.channelNames, ['gray']);
  assert.deepEqual([...asVolumes.labels!], [1, 0]);
  assert.deepEqual(asVolumes.ids, ['val/0', 'val/1']);
  assert.equal(asVolumes.groups, undefined);
  const mid = await loadMedMNIST(p, { volumes: 'middle' });
  assert.deepEqual(mid.shape, [2, 1, 2, 2]);
  assert.deepEqual(
    [...mid.images.subarray(4, 8)].map((v) => Math.round(v * 255)),
    [16, 17, 18, 19],
  ); // n=1, z=1
  const ch = await loadMedMNIST(p, { volumes: 'channels' });
  assert.deepEqual(ch.shape, [2, 3, 2, 2]);
  assert.deepEqual(ch.channelNames, ['z0', 'z1', 'z2']);
  const sl = await loadMedMNIST(p, { volumes: 'slices' });
  assert.deepEqual(sl.shape, [6, 1, 2, 2]);
  assert.deepEqual([...sl.labels!], [1, 1, 1, 0, 0, 0]);
  assert.equal(sl.ids![4], 'val/1/slice 1');
  assert.deepEqual(mid.classNames, ['benign', 'malignant']);
});

test('npy: Fortran order, big-endian, float16 and int64 read correctly', () => {
  // 2 x 3 array [[1,2,3],[4,5,6]] stored column-major: 1 4 2 5 3 6.
  const f = parseNpy(rawNpy('|u1', [2, 3], Uint8Array.from([1, 4, 2, 5, 3, 6]), true), 'f.npy');
  assert.deepEqual([...f.data], [1, 2, 3, 4, 5, 6]);
  assert.equal(f.fortranOrder, true);
  const f3 = parseNpy(rawNpy('|u1', [2, 2, 2], Uint8Array.from([0, 4, 2, 6, 1, 5, 3, 7]), true), 'f3.npy');
  assert.deepEqual([...f3.data], [0, 1, 2, 3, 4, 5, 6, 7]);
  const be = parseNpy(rawNpy('>i2', [2], Uint8Array.from([0x01, 0x02, 0xff, 0xfe])), 'be.npy');
  assert.deepEqual([...be.data], [258, -2]);
  const half = parseNpy(rawNpy('<f2', [3], Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38])), 'h.npy');
  assert.deepEqual([...half.data], [1, -2, 0.5]);
  const i8 = parseNpy(
    rawNpy('<i8', [2], Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    'i8.npy',
  );
  assert.deepEqual([...i8.data], [5, -1]);
  // A .npy read from disk (a Node Buffer) decodes its own bytes, not the header's.
  const path = join(dir, 'plain.npy');
  writeFileSync(path, encodeNpy(Float32Array.from([1.5, -2, 3]), [3]));
  assert.deepEqual([...readNpy(path).data], [1.5, -2, 3]);
});

test('bad input: non-zip, truncated zip, unsupported dtype, truncated npy, NaN pixels, label mismatch', async () => {
  const notZip = join(dir, 'notzip.npz');
  writeFileSync(notZip, 'hello, I am text');
  await assert.rejects(
    loadMedMNIST(notZip),
    (e: Error) => e instanceof DataError && e.message.startsWith(notZip) && /not a zip archive/.test(e.message),
  );

  const good = npz('good.npz', { train_images: [new Uint8Array(4 * 8 * 8).fill(7), [4, 8, 8]], train_labels: [new Uint8Array(4), [4, 1]] });
  const truncated = join(dir, 'truncated.npz');
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await assert.rejects(loadMedMNIST(truncated), (e: Error) => e.message.startsWith(truncated) && /truncated or corrupt/.test(e.message));

  writeFileSync(join(dir, 'complex.npz'), zipSync({ 'train_images.npy': rawNpy('<c8', [1, 1], new Uint8Array(8)) }));
  await assert.rejects(loadMedMNIST(join(dir, 'complex.npz')), (e: Error) =>
    /complex\.npz:train_images\.npy: unsupported npy dtype '<c8' \(complex\); expected one of bool/.test(e.message),
  );

  assert.throws(
    () => parseNpy(rawNpy('<f4', [10], new Uint8Array(12)), 'short.npy'),
    /short\.npy: truncated data: shape \(10\) of '<f4' needs 40 bytes, the file has 12/,
  );
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy'), /x\.npy: not a \.npy array/);

  const img = new Float32Array(2 * 3 * 3);
  img[1 * 9 + 2 * 3 + 1] = NaN;
  const nan = npz('nan.npz', { train_images: [img, [2, 3, 3]], train_labels: [new Uint8Array(2), [2, 1]] });
  await assert.rejects(
    loadMedMNIST(nan),
    (e: Error) => e.message === `${nan} (train_images.npy): pixel [1, 2, 1] is NaN; expected finite values (NaN and Inf are not allowed)`,
  );

  const mismatch = npz('mismatch.npz', { train_images: [new Uint8Array(3 * 4), [3, 2, 2]], train_labels: [new Uint8Array(2), [2, 1]] });
  await assert.rejects(loadMedMNIST(mismatch), /2 labels for 3 images; expected one label row per image/);

  const badLabel = npz('pneumoniamnist.npz', {
    train_images: [new Uint8Array(4), [1, 2, 2]],
    train_labels: [Uint8Array.from([7]), [1, 1]],
  });
  await assert.rejects(loadMedMNIST(badLabel), /label 7 of train\/0; expected 0\.\.1/);

  await assert.rejects(loadMedMNIST('bloodmnist', { root: dir }), (e: Error) =>
    /medmnist:bloodmnist: no file found; looked for .*bloodmnist\.npz/.test(e.message),
  );
  assert.throws(() => parseNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), 'tiny.npz'), /tiny\.npz: cannot unzip/);
});

// Collects the DataWarnings emitted while `run` runs (process warnings arrive on a later tick).
async function warningsOf(run: () => Promise<unknown>): Promise<string[]> {
  const got: string[] = [];
  const on = (w: Error) => {
    if (w.name === 'DataWarning') got.push(w.message);
  };
  process.on('warning', on);
  try {
    await run();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  return got;
}

test('int16 pixels are refused unless pixels=range (scaled by the dtype range, with a warning) or pixels=raw (issue 20)', async () => {
  const img = Int16Array.from([-32700, 0, 100, 32700, 5, 6, 7, 8]);
  const p = npz('int16.npz', { train_images: [img, [2, 2, 2]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] });
  await assert.rejects(
    loadMedMNIST(p),
    (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(
        `${p} (train_images.npy): pixels are int16 (dtype '<i2', values -32700..32700); expected uint8 (read as x / 255) or float pixels.`,
      ) &&
      /pass pixels=range to scale the int16 range \[-32768, 32767\] to \[0, 1\], or pixels=raw/.test(e.message),
  );
  let ds: Awaited<ReturnType<typeof loadMedMNIST>> | undefined;
  const warned = await warningsOf(async () => {
    ds = await loadMedMNIST(p, { pixels: 'range' });
  });
  assert.equal(ds!.images[0], Math.fround(68 / 65535));
  assert.equal(ds!.images[3], Math.fround(65468 / 65535));
  assert.ok(ds!.images.every((v) => v >= 0 && v <= 1));
  assert.equal(warned.length, 1);
  assert.match(
    warned[0]!,
    /int16\.npz \(train_images\.npy\): int16 pixels \(values -32700\.\.32700\) scaled by the dtype's range: -32768 -> 0, 32767 -> 1 \(pixels=range\)/,
  );
  const raw = await loadMedMNIST(p, { pixels: 'raw' });
  assert.deepEqual([...raw.images], [-32700, 0, 100, 32700, 5, 6, 7, 8]);
  // The spec option reaches the reader.
  const viaSpec = await loadDataset(`medmnist:${p}?pixels=raw`);
  assert.equal(viaSpec.images[3], 32700);
  await assert.rejects(loadDataset(`medmnist:${p}?pixels=scaled`), /option pixels=scaled; expected one of range, raw/);
  // uint16 too; uint8 and float are read as before.
  const u16 = npz('u16.npz', { train_images: [new Uint16Array(8).fill(300), [2, 2, 2]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] });
  await assert.rejects(loadMedMNIST(u16), /pixels are uint16 \(dtype '<u2', values 300\.\.300\)/);
});

test('an N x H x W x 5 array is refused as ambiguous unless volumes= says it holds volumes; x1, x3, x4 are channels (issue 20)', async () => {
  const img = new Uint8Array(2 * 4 * 4 * 5);
  const p = npz('five.npz', { train_images: [img, [2, 4, 4, 5]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] });
  await assert.rejects(
    loadMedMNIST(p),
    (e: Error) =>
      e instanceof DataError &&
      e.message ===
        `${p}:train_images.npy: shape (2, 4, 4, 5); a last axis of 5 is not a channel count (1, 3 or 4) and the file does not say it holds volumes; expected N x H x W (gray) or N x H x W x C with C = 1 (gray), 3 (RGB) or 4 (RGBA), or N x D x H x W volumes when the volumes option (volumes, middle, channels or slices) is given`,
  );
  const vol = await loadMedMNIST(p, { volumes: 'channels' });
  assert.deepEqual(vol.shape, [2, 4, 4, 5]);
  const rgba = await loadMedMNIST(
    npz('rgba.npz', { train_images: [new Uint8Array(2 * 4 * 4 * 4), [2, 4, 4, 4]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] }),
  );
  assert.deepEqual(rgba.shape, [2, 4, 4, 4]);
  assert.deepEqual(rgba.channelNames, ['R', 'G', 'B', 'A']);
  const one = await loadMedMNIST(
    npz('one.npz', { train_images: [new Uint8Array(2 * 4 * 4), [2, 4, 4, 1]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] }),
  );
  assert.deepEqual(one.shape, [2, 1, 4, 4]);
  assert.deepEqual(one.channelNames, ['gray']);
  // A known 2D subset with 5 channels is refused without the volume hint.
  const known = npz('breastmnist.npz', { train_images: [img, [2, 4, 4, 5]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] });
  await assert.rejects(
    loadMedMNIST(known),
    /shape \(2, 4, 4, 5\); a last axis of 5 is not a channel count \(1, 3 or 4\); expected N x H x W \(gray\) or N x H x W x C with C = 1 \(gray\), 3 \(RGB\) or 4 \(RGBA\)$/,
  );
});

test('non-integer labels are refused naming the index and value; gaps in unknown files warn (issue 20)', async () => {
  const img = new Uint8Array(3 * 2 * 2);
  const frac = npz('frac.npz', { train_images: [img, [3, 2, 2]], train_labels: [Float32Array.from([0, 0.5, 1.5]), [3, 1]] });
  await assert.rejects(
    loadMedMNIST(frac),
    (e: Error) =>
      e instanceof DataError &&
      e.message === `${frac} (train_labels.npy): label [1, 0] is 0.5; expected whole-number class labels (0, 1, 2, ...)`,
  );
  const nanLabel = npz('nanlabel.npz', { train_images: [img, [3, 2, 2]], train_labels: [Float64Array.from([0, 1, NaN]), [3]] });
  await assert.rejects(
    loadMedMNIST(nanLabel),
    /nanlabel\.npz \(train_labels\.npy\): label \[2\] is NaN; expected whole-number class labels/,
  );
  // Float labels holding whole numbers are fine.
  const whole = await loadMedMNIST(
    npz('whole.npz', { train_images: [img, [3, 2, 2]], train_labels: [Float32Array.from([0, 1, 1]), [3, 1]] }),
  );
  assert.deepEqual([...whole.labels!], [0, 1, 1]);
  // A known binary subset: a label 7 is refused (its INFO says 2 classes).
  const known = npz('breastmnist.npz', { train_images: [img, [3, 2, 2]], train_labels: [Uint8Array.from([0, 7, 1]), [3, 1]] });
  await assert.rejects(loadMedMNIST(known), /label 7 of train\/1; expected 0\.\.1 \(breastmnist\)/);
  // An unknown file with labels 0 and 7: 8 classes, 6 of them empty, said in a warning.
  const gap = npz('gap.npz', { train_images: [img, [3, 2, 2]], train_labels: [Uint8Array.from([0, 7, 0]), [3, 1]] });
  let ds: Awaited<ReturnType<typeof loadMedMNIST>> | undefined;
  const warned = await warningsOf(async () => {
    ds = await loadMedMNIST(gap);
  });
  assert.equal(ds!.classNames!.length, 8);
  assert.deepEqual(warned, [
    `${gap}: labels take the values 0, 7, so 8 classes 0..7 are made and 6 of them (1-6) have no cases. "gap" is not a MedMNIST subset whose classes latentlens knows; if the labels are codes rather than class numbers, renumber them 0..1 (numpy: np.unique(y, return_inverse=True))`,
  ]);
  // No gap, no warning.
  assert.deepEqual(
    await warningsOf(() =>
      loadMedMNIST(npz('nogap.npz', { train_images: [img, [3, 2, 2]], train_labels: [Uint8Array.from([0, 2, 1]), [3, 1]] })),
    ),
    [],
  );
});

test('data specs: a 3D subset loads as volumes through loadCases; loadDataset (2D commands) refuses it naming the command and the 2D readings', async () => {
  const vol = new Uint8Array(2 * 4 * 3 * 3).fill(51);
  const p = npz('organmnist3d.npz', { test_images: [vol, [2, 4, 3, 3]], test_labels: [Uint8Array.from([1, 0]), [2, 1]] });
  const cases = await loadCases(`medmnist:${p}`);
  assert.deepEqual(cases.shape, [2, 1, 4, 3, 3]);
  assert.equal(isVolumeDataset(cases), true);
  await assert.rejects(
    loadDataset(`medmnist:${p}`, { command: 'tcav' }),
    (e: Error) =>
      e instanceof DataError &&
      e.message.includes('holds 3D volumes (2 x 1 x 4 x 3 x 3, N x C x D x H x W), and tcav takes 2D images only') &&
      e.message.includes('volumes=middle (the middle slice of each volume), volumes=slices (every slice a case, grouped by volume)'),
  );
  const slices = await loadDataset(`medmnist:${p}?volumes=slices`);
  assert.deepEqual(slices.shape, [8, 1, 3, 3]);
  assert.equal(isVolumeDataset(await loadCases(`medmnist:${p}?volumes=middle`)), false);
  // norm= and split= work on volumes too: z-score over every voxel of the channel.
  const normed = await loadCases(`medmnist:${p}?norm=zscore`);
  assert.ok(
    normed.images.every((v) => v === 0),
    'a constant channel z-scores to 0',
  );
  await assert.rejects(loadCases(`medmnist:${p}?volumes=stack`), /option volumes=stack; expected one of volumes, middle, channels, slices/);
});
