// Corrupt or surprising inputs from issue 16 ("Inputs"): each is refused with the file and the problem
// named (or read with a stated warning), built here in a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { DataError } from '../../src/data/errors.js';
import { encodeNpy, type NpyData } from '../../src/data/npy.js';
import { loadDataset } from '../../src/data/spec.js';
import { imageElements, writeDicom } from '../helpers/dicom-writer.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'll-inputs-'));

function npz(path: string, arrays: Record<string, [NpyData, number[]]>, level: 0 | 6 = 6): string {
  const files: Record<string, Uint8Array> = {};
  for (const [k, [data, shape]] of Object.entries(arrays)) files[`${k}.npy`] = encodeNpy(data, shape);
  writeFileSync(path, zipSync(files, { level }));
  return path;
}

test('an npz whose images have zero rows is refused naming the file and array ("has 0 cases")', async () => {
  const dir = tmp();
  const empty = npz(join(dir, 'empty.npz'), {
    train_images: [new Uint8Array(0), [0, 28, 28]],
    train_labels: [new Uint8Array(0), [0, 1]],
    val_images: [new Uint8Array(0), [0, 28, 28]],
    val_labels: [new Uint8Array(0), [0, 1]],
  });
  await assert.rejects(
    loadDataset(`medmnist:${empty}`),
    (e: Error) =>
      e instanceof DataError &&
      e.message === `${empty} (train_images.npy): has 0 cases (shape (0, 28, 28)); expected at least one image in every split loaded`,
  );
  const oneEmpty = npz(join(dir, 'one-empty.npz'), {
    train_images: [new Uint8Array(2 * 4 * 4), [2, 4, 4]],
    train_labels: [Uint8Array.from([0, 1]), [2, 1]],
    val_images: [new Uint8Array(0), [0, 4, 4]],
    val_labels: [new Uint8Array(0), [0, 1]],
  });
  await assert.rejects(
    loadDataset(`medmnist:${oneEmpty}`),
    new RegExp(`^DataError: ${oneEmpty} \\(val_images\\.npy\\): has 0 cases .*; load a split that has cases \\(split=train\\)`),
  );
  assert.deepEqual((await loadDataset(`medmnist:${oneEmpty}?split=train`)).shape, [2, 1, 4, 4]);
});

test('CSV rows of a folder dataset stay inside the folder unless paths=any; errors name the CSV and line', async () => {
  const root = tmp();
  const dir = join(root, 'data');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(join(dir, 'imgs'), { recursive: true });
  mkdirSync(elsewhere);
  const px = Buffer.alloc(4 * 4 * 3, 100);
  for (const p of [join(dir, 'imgs', 'a.png'), join(dir, 'imgs', 'b.png'), join(elsewhere, 'secret.png')]) {
    await sharp(px, { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toFile(p);
  }
  symlinkSync(elsewhere, join(dir, 'imgs', 'link'));
  const csv = (name: string, rows: string[]) => {
    writeFileSync(join(dir, name), ['image,label', ...rows].join('\n'));
    return `folder:${dir}?csv=${name}`;
  };
  const ok = csv('ok.csv', ['imgs/a.png,0', `${join(dir, 'imgs', 'b.png')},1`]);
  assert.deepEqual((await loadDataset(ok)).shape, [2, 3, 4, 4]);
  const dotdot = csv('dotdot.csv', ['imgs/a.png,0', '../elsewhere/secret.png,1']);
  await assert.rejects(
    loadDataset(dotdot),
    (e: Error) =>
      e instanceof DataError &&
      e.message ===
        `${join(dir, 'dotdot.csv')} (line 3): image ../elsewhere/secret.png is outside the folder ${dir}; expected images inside it (paths=any in the data spec allows files elsewhere)`,
  );
  // Outside files are refused whether or not they exist (a CSV cannot probe the machine).
  await assert.rejects(loadDataset(csv('abs.csv', ['/etc/passwd,0'])), /abs\.csv \(line 2\): image \/etc\/passwd is outside the folder/);
  await assert.rejects(
    loadDataset(csv('gone.csv', ['../../../no/such.png,0'])),
    /gone\.csv \(line 2\): image \.\.\/\.\.\/\.\.\/no\/such\.png is outside the folder/,
  );
  const link = csv('link.csv', ['imgs/link/secret.png,0']);
  await assert.rejects(
    loadDataset(link),
    (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(
        `${join(dir, 'link.csv')} (line 2): image imgs/link/secret.png resolves (through a symbolic link) to ${join(elsewhere, 'secret.png')}, outside the folder`,
      ),
  );
  // paths=any: the user allows files elsewhere.
  assert.deepEqual((await loadDataset(`${dotdot}&paths=any`)).shape, [2, 3, 4, 4]);
  assert.deepEqual((await loadDataset(`${link}&paths=any`)).shape, [1, 3, 4, 4]);
  await assert.rejects(loadDataset(`${ok}&paths=anywhere`), /option paths=anywhere; expected one of folder, any/);
});

test('float npz pixels that are whole numbers 0..255 are refused with how to convert them (pixels=raw keeps them)', async () => {
  const dir = tmp();
  const img = Float64Array.from({ length: 2 * 4 * 4 }, (_, i) => (i * 17) % 256);
  const file = npz(join(dir, 'float255.npz'), { train_images: [img, [2, 4, 4]], train_labels: [Uint8Array.from([0, 1]), [2, 1]] });
  await assert.rejects(
    loadDataset(`medmnist:${file}`),
    (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(
        `${file} (train_images.npy): float64 pixels that are all whole numbers 0..255: 8-bit pixels stored as float (uint8 files are read as x / 255, float pixels as stored, so these would stay 0..255); expected float pixels in [0, 1]. Convert the file (numpy: x.astype(np.uint8), or (x / 255).astype(np.float32)), or pass pixels=raw`,
      ),
  );
  const raw = await loadDataset(`medmnist:${file}?pixels=raw`);
  assert.equal(Math.max(...raw.images), 255);
  // Integer-valued floats beyond 0..255 (e.g. CT numbers) get the general advice; real floats pass.
  const hu = npz(join(dir, 'hu.npz'), {
    train_images: [Float32Array.from(img, (v) => v * 10 - 1000), [2, 4, 4]],
    train_labels: [Uint8Array.from([0, 1]), [2, 1]],
  });
  await assert.rejects(
    loadDataset(`medmnist:${hu}`),
    /float32 pixels that are all whole numbers -1000\.\.1550: integer pixels stored as float/,
  );
  const unit = npz(join(dir, 'unit.npz'), {
    train_images: [Float32Array.from(img, (v) => v / 255), [2, 4, 4]],
    train_labels: [Uint8Array.from([0, 1]), [2, 1]],
  });
  assert.deepEqual((await loadDataset(`medmnist:${unit}`)).shape, [2, 1, 4, 4]);
  const binary = npz(join(dir, 'binary.npz'), {
    train_images: [Float32Array.from(img, (v) => (v > 100 ? 1 : 0)), [2, 4, 4]],
    train_labels: [Uint8Array.from([0, 1]), [2, 1]],
  });
  assert.deepEqual((await loadDataset(`medmnist:${binary}`)).shape, [2, 1, 4, 4], 'whole numbers within 0..1 are fine');
});

test('an npz with a flipped data byte is refused by its zip CRC-32, stored or deflated', async () => {
  const dir = tmp();
  const arrays: Record<string, [NpyData, number[]]> = {
    train_images: [Uint8Array.from({ length: 3 * 8 * 8 }, (_, i) => i % 251), [3, 8, 8]],
    train_labels: [Uint8Array.from([0, 1, 0]), [3, 1]],
  };
  for (const level of [0, 6] as const) {
    const file = npz(join(dir, `flip${level}.npz`), arrays, level);
    assert.deepEqual((await loadDataset(`medmnist:${file}`)).shape, [3, 1, 8, 8]);
    const bytes = readFileSync(file);
    if (level === 0) {
      // Stored: the pixel bytes lie in the file as they are; flip one in the middle of the images.
      const at = bytes.indexOf(Buffer.from([100, 101, 102, 103]));
      bytes[at + 1]! ^= 0x01;
    } else {
      // Deflated: flip a bit of the last literal-coded byte before the labels entry's local header.
      const labels = bytes.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4);
      bytes[labels - 3]! ^= 0x04;
    }
    writeFileSync(file, bytes);
    await assert.rejects(
      loadDataset(`medmnist:${file}`),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith(`${file} (train_images.npy): `) &&
        (level === 0
          ? /CRC-32 0x[0-9a-f]{8} of the contents does not match 0x[0-9a-f]{8} in the zip directory: the file is corrupt/.test(e.message)
          : /CRC-32|cannot unzip/.test(e.message)),
      `level ${level}`,
    );
  }
});

test('DICOM Rescale Slope NaN (or Inf, text, 0) is refused naming the file and tag; an absent slope means 1', async () => {
  const dir = tmp();
  const write = (name: string, slope?: string, intercept?: string) => {
    const p = join(dir, name);
    writeFileSync(
      p,
      writeDicom([
        ...imageElements({
          rows: 2,
          columns: 2,
          ...(slope === undefined ? {} : { slope }),
          ...(intercept === undefined ? {} : { intercept }),
        }),
        { tag: [0x7fe0, 0x0010], vr: 'OW', value: new Uint8Array(8) },
      ]),
    );
    return p;
  };
  for (const bad of ['NaN', 'Infinity', 'abc', '0']) {
    const p = write(`slope-${bad}.dcm`, bad);
    await assert.rejects(
      loadDataset(`dicom:${p}`),
      (e: Error) =>
        e instanceof DataError &&
        e.message === `${p} (tag (0028,1053)): Rescale Slope is "${bad}"; expected a finite, nonzero number (or the tag left out for 1)`,
    );
  }
  const inter = write('intercept-nan.dcm', '1', 'NaN');
  await assert.rejects(
    loadDataset(`dicom:${inter}`),
    /\(tag \(0028,1052\)\): Rescale Intercept is "NaN"; expected a finite number \(or the tag left out for 0\)/,
  );
  assert.deepEqual((await loadDataset(`dicom:${write('plain.dcm')}`)).shape, [1, 1, 2, 2]);
});

test('an empty spec option is refused instead of meaning its default (phantom:channels= gave T1,T2,FLAIR)', async () => {
  await assert.rejects(
    loadDataset('phantom:channels='),
    (e: Error) =>
      e instanceof DataError &&
      e.message ===
        'phantom:channels=: option channels= has no value; give one (e.g. channels=T1,T2,FLAIR) or leave the option out for its default',
  );
  await assert.rejects(loadDataset('phantom:n=,size=16'), /option n= has no value/);
  await assert.rejects(loadDataset('phantom:lesion=&n=10'), /option lesion= has no value/);
  await assert.rejects(loadDataset('phantom:channels=,A,n=10,size=16'), /channels must be distinct non-empty names, got \[, A\]/);
  // distractor= keeps its documented meaning: no distractor.
  const ds = await loadDataset('phantom:n=10,size=16,distractor=');
  assert.deepEqual(ds.channelNames, ['T1', 'T2', 'FLAIR']);
});

test('DICOM folder walk: broken symlinks, FIFOs, unreadable entries and link loops are skipped, counted and warned about', async () => {
  const dir = tmp();
  const series = join(dir, 'series');
  mkdirSync(join(series, 'sub'), { recursive: true });
  for (let k = 0; k < 2; k++) {
    writeFileSync(
      join(series, `img${k}.dcm`),
      writeDicom([
        ...imageElements({ rows: 2, columns: 2, position: `0\\0\\${k}`, series: '1.2.9', instance: String(k + 1) }),
        { tag: [0x7fe0, 0x0010], vr: 'OW', value: new Uint8Array(8) },
      ]),
    );
  }
  symlinkSync(join(dir, 'gone.dcm'), join(series, 'broken.dcm'));
  symlinkSync(series, join(series, 'sub', 'loop'));
  const fifo = spawnSync('mkfifo', [join(series, 'pipe.dcm')]).status === 0;
  const warnings: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'DataWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const ds = await loadDataset(`dicom:${series}`);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.deepEqual(ds.shape, [2, 1, 2, 2]);
    const reasons = Object.fromEntries(ds.skipped.map((s) => [s.item, s.reason]));
    assert.equal(reasons[join(series, 'broken.dcm')], 'cannot read (ENOENT: a broken symbolic link, or removed while the folder was read)');
    assert.equal(reasons[join(series, 'sub', 'loop')], `a folder already walked (${series}): a symbolic link loop`);
    if (fifo) assert.equal(reasons[join(series, 'pipe.dcm')], 'not a regular file (a device, FIFO or socket)');
    const n = fifo ? 3 : 2;
    assert.equal(warnings.length, 1);
    assert.ok(
      warnings[0]!.startsWith(
        `${series}: ${n} entries of the folder could not be read and were skipped (${join(series, 'broken.dcm')}: cannot read (ENOENT`,
      ),
      warnings[0],
    );
  } finally {
    process.off('warning', onWarning);
  }
  await assert.rejects(loadDataset(`dicom:${join(series, 'broken.dcm')}`), /broken\.dcm: not found; expected a DICOM file or a folder/);
});
