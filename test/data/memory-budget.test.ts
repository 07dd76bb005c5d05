// The readers' memory budget (issue 16, inputs): every reader sizes what it will allocate from the
// header (NIfTI, .npy inside .npz, DICOM tags, the spec's own numbers) and refuses beyond the budget
// before allocating, naming the file and the size in GiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync as zlibGzip } from 'node:zlib';
import sharp from 'sharp';
import { zipSync } from 'fflate';
import { DataError } from '../../src/data/errors.js';
import { MEMORY_BUDGET_ENV, checkMemory, memoryBudget, parseByteSize } from '../../src/data/memory-budget.js';
import { encodeNpy } from '../../src/data/npy.js';
import { parseNifti, readNifti, readNiftiHeader } from '../../src/data/nifti.js';
import { loadDataset } from '../../src/data/spec.js';
import { imageElements, writeDicom } from '../helpers/dicom-writer.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'll-memory-'));

/** Runs `body` with LATENTLENS_MEMORY_BUDGET set to `value` (restored afterwards). */
async function withBudget<T>(value: string | undefined, body: () => T | Promise<T>): Promise<T> {
  const old = process.env[MEMORY_BUDGET_ENV];
  if (value === undefined) delete process.env[MEMORY_BUDGET_ENV];
  else process.env[MEMORY_BUDGET_ENV] = value;
  try {
    return await body();
  } finally {
    if (old === undefined) delete process.env[MEMORY_BUDGET_ENV];
    else process.env[MEMORY_BUDGET_ENV] = old;
  }
}

/** A NIfTI-1 header (352 bytes with the extension flag) of int16 voxels, followed by `data` bytes. */
function niftiInt16(dims: [number, number, number], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(352 + data.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  [3, ...dims, 1, 1, 1, 1].forEach((d, k) => dv.setInt16(40 + 2 * k, d, true));
  dv.setInt16(70, 4, true); // int16
  dv.setInt16(72, 16, true);
  [1, 1, 1, 1].forEach((p, k) => dv.setFloat32(76 + 4 * k, p, true));
  dv.setFloat32(108, 352, true);
  out.set([0x6e, 0x2b, 0x31, 0], 344); // n+1
  out.set(data, 352);
  return out;
}

test('byte sizes parse with binary and decimal units; a malformed LATENTLENS_MEMORY_BUDGET is refused', async () => {
  assert.equal(parseByteSize('1073741824'), 2 ** 30);
  assert.equal(parseByteSize('16GiB'), 16 * 2 ** 30);
  assert.equal(parseByteSize('1.5 gib'), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('512MiB'), 512 * 2 ** 20);
  assert.equal(parseByteSize('2GB'), 2e9);
  assert.equal(parseByteSize('8G'), 8 * 2 ** 30);
  for (const bad of ['', 'lots', '-1GiB', '0', '3 parsecs']) assert.equal(parseByteSize(bad), null, bad);
  await withBudget('2GiB', () => assert.deepEqual(memoryBudget(), { bytes: 2 * 2 ** 30, from: `${MEMORY_BUDGET_ENV}=2GiB` }));
  await withBudget(undefined, () => assert.match(memoryBudget().from, /^half of this machine's [\d.]+ GiB$/));
  await withBudget('a lot', () => assert.throws(() => memoryBudget(), /LATENTLENS_MEMORY_BUDGET: "a lot" is not a byte count/));
  // The override (a spec's memory=) wins over the variable.
  await withBudget('1KiB', () => checkMemory('x', [{ what: 'a', bytes: 4096 }], 8192));
});

test('a small .nii.gz whose header says 1024^3 int16 is refused from its header, before inflating, naming the file and GiB', async () => {
  const dir = tmp();
  const file = join(dir, 'bomb.nii.gz');
  // Header plus 8 MiB of zero voxels: a few KiB on disk; the header promises 2 GiB of voxels.
  writeFileSync(file, zlibGzip(niftiInt16([1024, 1024, 1024], new Uint8Array(8 << 20)), { level: 1 }));
  const h = readNiftiHeader(file);
  assert.deepEqual(h.dims, [1024, 1024, 1024]);
  assert.equal(h.gzip, true);
  await withBudget('4GiB', () => {
    const check = (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(`${file}: loading it needs about 10.00 GiB of memory (`) &&
      /inflated int16 voxels 2\.00 GiB/.test(e.message) &&
      e.message.includes(`above the memory budget of 4.00 GiB (${MEMORY_BUDGET_ENV}=4GiB)`) &&
      e.message.includes(`set ${MEMORY_BUDGET_ENV}=<size>`);
    assert.throws(() => readNifti(file), check);
    assert.throws(() => parseNifti(zlibGzip(niftiInt16([1024, 1024, 1024], new Uint8Array(1024))), file), check);
  });
  // Through a spec, the case's whole need (four channels) is checked before any file is read.
  await withBudget('16GiB', async () => {
    await assert.rejects(
      loadDataset(`nifti:A=${file},B=${file},C=${file},D=${file}`),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith(`${file}: loading it needs about `) &&
        /float32 volumes \(4\) 16\.00 GiB/.test(e.message),
    );
  });
});

test('a NIfTI case within a raised budget loads; the memory= option sets the budget both ways', async () => {
  const dir = tmp();
  const file = join(dir, 'ramp.nii.gz');
  const dims: [number, number, number] = [64, 64, 64];
  const vox = new Int16Array(64 ** 3).map((_, i) => (i % 97) + 1);
  writeFileSync(file, zlibGzip(niftiInt16(dims, new Uint8Array(vox.buffer))));
  await withBudget('1MiB', async () => {
    await assert.rejects(loadDataset(`nifti:T1=${file}`), /above the memory budget of 0\.00098 GiB \(LATENTLENS_MEMORY_BUDGET=1MiB\)/);
    const ds = await loadDataset(`nifti:T1=${file}?memory=1GiB`);
    assert.deepEqual(ds.shape, [64, 1, 64, 64]);
  });
  await withBudget(undefined, async () => {
    await assert.rejects(
      loadDataset(`nifti:T1=${file}?memory=2MiB`),
      /above the memory budget of 0\.0020 GiB \(memory= in the data spec\)/,
    );
    await assert.rejects(
      loadDataset(`nifti:T1=${file}?memory=plenty`),
      /option memory=plenty; expected a memory budget in bytes or with a unit/,
    );
  });
});

test('npz: the .npy header sizes the arrays before their data is read', async () => {
  const dir = tmp();
  const file = join(dir, 'huge.npz');
  // The header says 100000 x 1024 x 1024 uint8 (98 GiB); only a few bytes of data follow.
  const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 1024, 1024), }".padEnd(117, ' ') + '\n';
  const fake = new Uint8Array(10 + header.length + 64);
  fake.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  for (let i = 0; i < header.length; i++) fake[10 + i] = header.charCodeAt(i);
  writeFileSync(file, zipSync({ 'train_images.npy': fake, 'train_labels.npy': encodeNpy(new Uint8Array(100000), [100000, 1]) }));
  await withBudget('8GiB', async () => {
    await assert.rejects(
      loadDataset(`medmnist:${file}`),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith(`${file}: loading it needs about `) &&
        /float32 images 390\.63 GiB/.test(e.message) &&
        e.message.includes('above the memory budget of 8.00 GiB'),
    );
  });
});

test('phantom:n=10000000 is refused by the budget (not V8\'s "Invalid typed array length"), and past the array limit by that', async () => {
  await withBudget(undefined, async () => {
    await assert.rejects(
      loadDataset('phantom:n=10000000'),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith('phantom (n=10000000, 3 x 64 x 64): loading it needs about 534.50 GiB') &&
        e.message.includes('float32 images 457.76 GiB') &&
        !/Invalid typed array/.test(e.message),
    );
    await assert.rejects(
      loadDataset('phantom:n=10000000,memory=1TiB'),
      /phantom \(n=10000000, 3 x 64 x 64\): loading it needs one array of 122,880,000,000 elements \(float32 images, 457\.76 GiB\), more than the 4,294,967,296 a JavaScript typed array can hold/,
    );
  });
  await withBudget('1MiB', async () => {
    await assert.rejects(loadDataset('phantom:n=100,size=32'), /phantom \(n=100, 3 x 32 x 32\): loading it needs about 0\.0013 GiB/);
    assert.equal((await loadDataset('phantom:n=100,size=32,memory=64MiB')).shape[0], 100);
  });
});

test('folder: size=4096 on 20 images is sized (N x C x size^2 x 4) before any image is decoded', async () => {
  const dir = tmp();
  const px = Buffer.alloc(8 * 8 * 3, 128);
  for (let i = 0; i < 20; i++)
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toFile(join(dir, `img${i}.png`));
  await withBudget('2GiB', async () => {
    await assert.rejects(
      loadDataset(`folder:${dir}?size=4096`),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith(`${dir}: loading it needs about `) &&
        e.message.includes('float32 pixels of 20 images of 3 x 4096 x 4096 3.75 GiB') &&
        e.message.includes('above the memory budget of 2.00 GiB'),
    );
    assert.deepEqual((await loadDataset(`folder:${dir}?size=16`)).shape, [20, 3, 16, 16]);
  });
});

test('DICOM series: each file is counted with what is held so far; the file that would pass the budget is named', async () => {
  const dir = tmp();
  const series = join(dir, 'series');
  mkdirSync(series);
  const px = new Uint8Array(64 * 64 * 2);
  for (let k = 0; k < 4; k++) {
    writeFileSync(
      join(series, `img${k}.dcm`),
      writeDicom([
        ...imageElements({ rows: 64, columns: 64, position: `0\\0\\${k}`, series: '1.2.9', instance: String(k + 1) }),
        { tag: [0x7fe0, 0x0010], vr: 'OW', value: px },
      ]),
    );
  }
  // Per file: 8 KiB on disk, 32 KiB float64 and 16 KiB float32 while decoding; 16 KiB kept and 16 KiB
  // of dataset array per image held: the third file (img2) passes 100 KiB.
  await withBudget(undefined, async () => {
    await assert.rejects(
      loadDataset(`dicom:${series}?memory=100KiB`),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith(`${join(series, 'img2.dcm')}: loading it needs about `) &&
        e.message.includes('2 images read so far'),
    );
    assert.deepEqual((await loadDataset(`dicom:${series}?memory=1MiB`)).shape, [4, 1, 64, 64]);
  });
});
