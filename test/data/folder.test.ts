import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadImageFolder, openImageFolder } from '../../src/data/folder.js';
import { streamBatches } from '../../src/data/batches.js';
import { parseCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/data/errors.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';

test(
  'dermoscopy folder (real files) loads with its labels and extra columns',
  { skip: needSharedData('isic_uda1_300x225/labels.csv') },
  async () => {
    const ds = await loadImageFolder(sharedData('isic_uda1_300x225'), { csv: 'labels.csv', labelColumn: 'benign_malignant', size: 64 });
    assert.deepEqual(ds.shape, [100, 3, 64, 64]);
    assert.deepEqual(ds.channelNames, ['R', 'G', 'B']);
    assert.deepEqual(ds.classNames, ['benign', 'malignant']);
    assert.equal(ds.labels!.filter((v) => v === 0).length, 79);
    assert.equal(ds.labels!.filter((v) => v === 1).length, 21);
    assert.equal(ds.ids![2], 'images/ISIC_0000002.jpg');
    assert.equal(ds.labels![2], 1); // ISIC_0000002 is a melanoma
    assert.equal(ds.columns!.diagnosis![2], 'melanoma');
    assert.equal(ds.columns!.age_approx![1], '30');
    assert.ok(!('benign_malignant' in ds.columns!) && !('image' in ds.columns!));
    assert.ok(ds.images.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(ds.skipped, []);
  },
);

const dir = mkdtempSync(join(tmpdir(), 'latentlens-folder-'));
async function png(path: string, w: number, h: number, channels: 1 | 3, f: (x: number, y: number, c: number) => number) {
  const buf = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) buf[(y * w + x) * channels + c] = f(x, y, c);
  const img = sharp(buf, { raw: { width: w, height: h, channels } });
  await (channels === 1 ? img.toColourspace('b-w') : img).png().toFile(path);
}

test('class subfolders, exact gray pixels, RGB to CHW, centre crop', async () => {
  const root = join(dir, 'classes');
  mkdirSync(join(root, 'cat'), { recursive: true });
  mkdirSync(join(root, 'dog'));
  await png(join(root, 'cat', 'a.png'), 4, 4, 1, (x, y) => 10 * y + x);
  await png(join(root, 'dog', 'b.png'), 4, 4, 1, () => 255);
  await png(join(root, 'dog', 'c.png'), 4, 4, 1, () => 0);
  writeFileSync(join(root, 'notes.txt'), 'hello');
  const ds = await loadImageFolder(root);
  assert.deepEqual(ds.shape, [3, 1, 4, 4]);
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.deepEqual([...ds.labels!], [0, 1, 1]);
  assert.deepEqual(
    [...ds.images.subarray(0, 6)].map((v) => Math.round(v * 255)),
    [0, 1, 2, 3, 10, 11],
  );
  assert.deepEqual(
    ds.skipped.map((s) => s.reason),
    ['not an image file (by extension)'],
  );

  const rgb = join(dir, 'rgb');
  mkdirSync(rgb);
  await png(join(rgb, 'x.png'), 6, 4, 3, (x, _y, c) => (c === 0 ? x * 40 : c === 1 ? 100 : 0));
  const r = await loadImageFolder(rgb, { size: 4 });
  assert.deepEqual(r.shape, [1, 3, 4, 4]);
  // Centre crop of a 6-wide image keeps columns 1..4: red 40, 80, 120, 160; green 100 everywhere.
  assert.deepEqual(
    [...r.images.subarray(0, 4)].map((v) => Math.round(v * 255)),
    [40, 80, 120, 160],
  );
  assert.deepEqual(
    [...r.images.subarray(16, 20)].map((v) => Math.round(v * 255)),
    [100, 100, 100, 100],
  );
  const g = await loadImageFolder(rgb, { size: 4, channels: 'gray' });
  assert.deepEqual(g.shape, [1, 1, 4, 4]);
});

test('a large folder is streamed batch by batch', async () => {
  const many = join(dir, 'many');
  mkdirSync(many);
  for (let i = 0; i < 20; i++) await png(join(many, `${String(i).padStart(2, '0')}.png`), 3, 3, 1, () => i * 10);
  const src = await openImageFolder(many);
  assert.equal(src.length, 20);
  let seen = 0;
  for await (const b of streamBatches(src, { batchSize: 6 })) {
    assert.ok(b.images.length <= 6 * 9);
    b.indices.forEach((i, k) => assert.equal(Math.round(b.images[k * 9]! * 255), i * 10));
    seen += b.indices.length;
  }
  assert.equal(seen, 20);
});

test('bad input: empty folder, CSV naming missing files or with a malformed row, mixed sizes, corrupt image', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  await assert.rejects(
    loadImageFolder(empty),
    (e: Error) => e instanceof DataError && /empty: no images found; expected PNG/.test(e.message),
  );

  const c = join(dir, 'csvcase');
  mkdirSync(c);
  await png(join(c, 'a.png'), 2, 2, 1, () => 1);
  writeFileSync(join(c, 'missing.csv'), 'image,label\na.png,x\nb.png,y\n');
  await assert.rejects(loadImageFolder(c, { csv: 'missing.csv' }), (e: Error) =>
    e.message.startsWith(`${join(c, 'missing.csv')} (line 3): file b.png not found`),
  );
  const skipped = await loadImageFolder(c, { csv: 'missing.csv', missing: 'skip' });
  assert.equal(skipped.shape[0], 1);
  assert.deepEqual(skipped.skipped, [{ item: `${join(c, 'missing.csv')} line 3`, reason: 'file b.png not found' }]);

  writeFileSync(join(c, 'malformed.csv'), 'image,label,age\na.png,x,3\na.png,"y\n');
  await assert.rejects(loadImageFolder(c, { csv: 'malformed.csv' }), /malformed\.csv \(line 3\): unterminated quoted field/);
  writeFileSync(join(c, 'short.csv'), 'image,label,age\r\na.png,x,3\r\na.png,y\r\n');
  await assert.rejects(loadImageFolder(c, { csv: 'short.csv' }), /short\.csv \(line 3\): 2 fields; expected 3 as in the header/);
  writeFileSync(join(c, 'nolabel.csv'), 'image,label\na.png,\n');
  await assert.rejects(loadImageFolder(c, { csv: 'nolabel.csv' }), /nolabel\.csv \(line 2\): empty label/);
  await assert.rejects(
    loadImageFolder(c, { csv: 'missing.csv', labelColumn: 'grade' }),
    /no label column "grade"; expected one of image, label/,
  );

  await png(join(c, 'big.png'), 3, 3, 1, () => 1);
  writeFileSync(join(c, 'sizes.csv'), 'image\na.png\nbig.png\n');
  await assert.rejects(loadImageFolder(c, { csv: 'sizes.csv' }), /big\.png: 3 x 3 pixels but a\.png is 2 x 2; expected one image size/);
  writeFileSync(join(c, 'broken.png'), 'this is not a png');
  writeFileSync(join(c, 'broken.csv'), 'image\na.png\nbroken.png\n');
  await assert.rejects(loadImageFolder(c, { csv: 'broken.csv' }), /broken\.png: cannot decode image/);
});

test('CSV parser: quotes, escaped quotes, newlines in fields, CRLF, line numbers', () => {
  const t = parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2\n\n3,4\n', 'f.csv');
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows, [
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 3, fields: ['multi\nline', '2'] },
    { line: 6, fields: ['3', '4'] },
  ]);
  assert.throws(() => parseCsv('a,b\nx"y,1\n', 'q.csv'), /q\.csv \(line 2\): a quote inside an unquoted field/);
});
