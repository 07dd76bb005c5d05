import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDicom, readDicom, applyWindow } from '../../src/data/dicom.js';
import { DataError } from '../../src/data/errors.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';
import { encapsulate, imageElements, writeDicom } from '../helpers/dicom-writer.js';

function stats(a: Float32Array) {
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const v of a) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: sum / a.length };
}

test(
  'DICOM samples (real files) give the expected pixel ranges after rescale',
  { skip: needSharedData('dicom_pydicom/CT_small.dcm', 'dicom_pydicom/MR_small.dcm') },
  async () => {
    // Stored values (read independently with numpy): CT 128..2191, intercept -1024 -> -896..1167 HU.
    const ct = await loadDicom(sharedData('dicom_pydicom/CT_small.dcm'));
    assert.deepEqual(ct.shape, [1, 1, 128, 128]);
    assert.deepEqual(ct.channelNames, ['CT']);
    const s = stats(ct.images);
    assert.deepEqual([s.min, s.max], [-896, 1167]);
    assert.ok(Math.abs(s.mean - (904.9261 - 1024)) < 1e-3);
    assert.deepEqual([...ct.images.subarray(0, 3)], [175 - 1024, 180 - 1024, 166 - 1024]);
    assert.deepEqual(ct.spacing, [0.661468, 0.661468]);
    // MR: no rescale, 127..2145; its own window (600, 1600) maps 905 to (905 - 599.5) / 1599 + 0.5.
    const mr = await loadDicom(sharedData('dicom_pydicom/MR_small.dcm'));
    assert.deepEqual([stats(mr.images).min, stats(mr.images).max], [127, 2145]);
    const mrw = await loadDicom(sharedData('dicom_pydicom/MR_small.dcm'), { window: 'file' });
    assert.ok(Math.abs(mrw.images[0]! - ((905 - 599.5) / 1599 + 0.5)) < 1e-6);
    assert.ok(mrw.images.every((v) => v >= 0 && v <= 1));
  },
);

test(
  'MR series folder (real files): six slices sorted by position, per-slice ranges',
  { skip: needSharedData('dicom_vs_seg_001') },
  async () => {
    const ds = await loadDicom(sharedData('dicom_vs_seg_001'));
    assert.deepEqual(ds.shape, [6, 1, 512, 512]);
    assert.deepEqual(ds.ids, ['1-058.dcm', '1-059.dcm', '1-060.dcm', '1-061.dcm', '1-062.dcm', '1-063.dcm']);
    const maxima = [1256, 1220, 1281, 1252, 1239, 1248];
    for (let i = 0; i < 6; i++) {
      const st = stats(ds.images.subarray(i * 512 * 512, (i + 1) * 512 * 512));
      assert.equal(st.min, 0);
      assert.equal(st.max, maxima[i]);
    }
    assert.deepEqual(ds.skipped, []);
    const small = await loadDicom(sharedData('dicom_vs_seg_001'), { size: 128 });
    assert.deepEqual(small.shape, [6, 1, 128, 128]);
    assert.deepEqual(small.spacing, [0.41015625 * 4, 0.41015625 * 4]);
    // Area averaging keeps the mean (numpy: 273.4301 for slice 1-058).
    assert.ok(Math.abs(stats(small.images.subarray(0, 128 * 128)).mean - 273.4301) < 1e-3);
  },
);

const dir = mkdtempSync(join(tmpdir(), 'latentlens-dicom-'));
const u16 = (vals: number[]) => new Uint8Array(Uint16Array.from(vals).buffer);

test('MONOCHROME1 is inverted, signed 12-bit values are sign-extended, slope/intercept applied', async () => {
  const mono1 = join(dir, 'mono1.dcm');
  writeFileSync(
    mono1,
    writeDicom([
      ...imageElements({ rows: 1, columns: 3, bitsAllocated: 8, photometric: 'MONOCHROME1' }),
      { tag: [0x7fe0, 0x0010], vr: 'OB', value: Uint8Array.from([0, 10, 255, 0]) },
    ]),
  );
  const a = await readDicom(mono1);
  assert.deepEqual([...a.data], [255, 245, 0]);
  // With a window, MONOCHROME1 is windowed on the stored scale and then inverted: 0 -> 1, 255 -> 0.
  const aw = await loadDicom(mono1, { window: [128, 256] });
  assert.deepEqual(
    [...aw.images].map((v) => Math.round(v * 1000) / 1000),
    [1, 0.961, 0],
  ); // 10 -> 1 - ((10 - 127.5) / 255 + 0.5)

  const signed = join(dir, 'signed.dcm');
  // 12 bits stored in 16, signed: 0x0FFF is -1, 0x0800 is -2048, 0x07FF is 2047; upper bits are junk.
  writeFileSync(
    signed,
    writeDicom([
      ...imageElements({ rows: 1, columns: 3, bitsStored: 12, signed: true, slope: '2', intercept: '-10' }),
      { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([0xffff, 0x0800, 0xf7ff]) },
    ]),
  );
  const b = await readDicom(signed);
  assert.deepEqual([...b.data], [-1 * 2 - 10, -2048 * 2 - 10, 2047 * 2 - 10]);
  assert.deepEqual(
    applyWindow(Float32Array.from([-100, 40, 500]), 40, 400).map((v) => Math.round(v * 1000) / 1000),
    Float32Array.from([0.15, 0.501, 1]),
  ); // (x - 39.5) / 399 + 0.5
});

test('JPEG Baseline pixel data is decoded; a series folder is sorted by position and skips non-DICOM files', async () => {
  const gray = Uint8Array.from({ length: 16 * 16 }, (_, i) => (i % 16) * 16);
  const jpeg = await sharp(gray, { raw: { width: 16, height: 16, channels: 1 } })
    .jpeg({ quality: 100 })
    .toBuffer();
  const jp = join(dir, 'jpeg.dcm');
  writeFileSync(
    jp,
    writeDicom(
      [
        ...imageElements({ rows: 16, columns: 16, bitsAllocated: 8 }),
        { tag: [0x7fe0, 0x0010], vr: 'OB', value: encapsulate([new Uint8Array(jpeg)]) },
      ],
      '1.2.840.10008.1.2.4.50',
      true,
    ),
  );
  const im = await readDicom(jp);
  assert.ok(Math.abs(im.data[5]! - 80) <= 3 && Math.abs(im.data[15]! - 240) <= 3, `decoded ${im.data[5]}, ${im.data[15]}`);

  const series = join(dir, 'series');
  mkdirSync(series);
  // Written in the wrong order: positions z = 5, -5, 0.
  [5, -5, 0].forEach((z, k) => {
    writeFileSync(
      join(series, `img${k}.dcm`),
      writeDicom([
        ...imageElements({ rows: 2, columns: 2, position: `0\\0\\${z}`, series: '1.2.9', instance: String(k + 1) }),
        { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([z + 100, 0, 0, 0]) },
      ]),
    );
  });
  writeFileSync(
    join(series, 'other.dcm'),
    writeDicom([
      ...imageElements({ rows: 2, columns: 2, position: '0\\0\\0', series: '1.2.10' }),
      { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([1, 2, 3, 4]) },
    ]),
  );
  writeFileSync(join(series, 'README.txt'), 'exported from PACS');
  const ds = await loadDicom(series);
  assert.deepEqual(ds.shape, [3, 1, 2, 2]);
  assert.deepEqual([ds.images[0], ds.images[4], ds.images[8]], [95, 100, 105]);
  assert.deepEqual(
    ds.skipped.map((s) => [s.item.split('/').pop(), s.reason.split(' (')[0]]),
    [
      ['README.txt', 'not a DICOM file'],
      ['other.dcm', 'belongs to another series'],
    ],
  );
});

test('bad input: corrupt file, truncated pixel data, unsupported compression, mixed sizes, empty folder', async () => {
  const corrupt = join(dir, 'corrupt.dcm');
  writeFileSync(
    corrupt,
    Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256),
  );
  await assert.rejects(
    loadDicom(corrupt),
    (e: Error) => e instanceof DataError && e.message.startsWith(`${corrupt}: corrupt or not a DICOM Part 10 file`),
  );

  const short = join(dir, 'short.dcm');
  writeFileSync(short, writeDicom([...imageElements({ rows: 4, columns: 4 }), { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([1, 2, 3]) }]));
  await assert.rejects(
    loadDicom(short),
    (e: Error) => e.message === `${short} (tag (7FE0,0010)): pixel data has 6 bytes; expected 32 for 1 x 4 x 4 x 1 at 16 bits`,
  );

  const j2k = join(dir, 'j2k.dcm');
  writeFileSync(
    j2k,
    writeDicom(
      [...imageElements({ rows: 2, columns: 2 }), { tag: [0x7fe0, 0x0010], vr: 'OB', value: encapsulate([new Uint8Array(10)]) }],
      '1.2.840.10008.1.2.4.90',
      true,
    ),
  );
  await assert.rejects(
    loadDicom(j2k),
    /j2k\.dcm \(tag \(0002,0010\)\): transfer syntax 1\.2\.840\.10008\.1\.2\.4\.90 \(JPEG 2000 Lossless\) is not supported/,
  );

  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  writeFileSync(
    join(mixed, 'a.dcm'),
    writeDicom([...imageElements({ rows: 2, columns: 2, series: '1' }), { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([1, 2, 3, 4]) }]),
  );
  writeFileSync(
    join(mixed, 'b.dcm'),
    writeDicom([...imageElements({ rows: 1, columns: 2, series: '1' }), { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([1, 2]) }]),
  );
  await assert.rejects(loadDicom(mixed), /b\.dcm: 1 x 2 pixels but \S*a\.dcm is 2 x 2; expected one image size/);
  const resized = await loadDicom(mixed, { size: 2 });
  assert.deepEqual(resized.shape, [2, 1, 2, 2]);

  const empty = join(dir, 'empty');
  mkdirSync(empty);
  await assert.rejects(loadDicom(empty), /empty: no DICOM files found; expected \.dcm files/);
  await assert.rejects(loadDicom(join(dir, 'nope')), /nope: not found/);
});
