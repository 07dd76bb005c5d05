// Corrupt or surprising inputs from issue 16 ("Inputs"): each is refused with the file and the problem
// named (or read with a stated warning), built here in a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { DataError } from '../../src/data/errors.js';
import { encodeNpy, type NpyData } from '../../src/data/npy.js';
import { loadDataset } from '../../src/data/spec.js';

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
    train_images: [new Uint8Array(0), [0, 28, 28]], train_labels: [new Uint8Array(0), [0, 1]],
    val_images: [new Uint8Array(0), [0, 28, 28]], val_labels: [new Uint8Array(0), [0, 1]],
  });
  await assert.rejects(loadDataset(`medmnist:${empty}`), (e: Error) => e instanceof DataError
    && e.message === `${empty} (train_images.npy): has 0 cases (shape (0, 28, 28)); expected at least one image in every split loaded`);
  const oneEmpty = npz(join(dir, 'one-empty.npz'), {
    train_images: [new Uint8Array(2 * 4 * 4), [2, 4, 4]], train_labels: [Uint8Array.from([0, 1]), [2, 1]],
    val_images: [new Uint8Array(0), [0, 4, 4]], val_labels: [new Uint8Array(0), [0, 1]],
  });
  await assert.rejects(loadDataset(`medmnist:${oneEmpty}`), new RegExp(`^DataError: ${oneEmpty} \\(val_images\\.npy\\): has 0 cases .*; load a split that has cases \\(split=train\\)`));
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
    await sharp(px, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(p);
  }
  symlinkSync(elsewhere, join(dir, 'imgs', 'link'));
  const csv = (name: string, rows: string[]) => {
    writeFileSync(join(dir, name), ['image,label', ...rows].join('\n'));
    return `folder:${dir}?csv=${name}`;
  };
  const ok = csv('ok.csv', ['imgs/a.png,0', `${join(dir, 'imgs', 'b.png')},1`]);
  assert.deepEqual((await loadDataset(ok)).shape, [2, 3, 4, 4]);
  const dotdot = csv('dotdot.csv', ['imgs/a.png,0', '../elsewhere/secret.png,1']);
  await assert.rejects(loadDataset(dotdot), (e: Error) => e instanceof DataError
    && e.message === `${join(dir, 'dotdot.csv')} (line 3): image ../elsewhere/secret.png is outside the folder ${dir}; expected images inside it (paths=any in the data spec allows files elsewhere)`);
  // Outside files are refused whether or not they exist (a CSV cannot probe the machine).
  await assert.rejects(loadDataset(csv('abs.csv', ['/etc/passwd,0'])), /abs\.csv \(line 2\): image \/etc\/passwd is outside the folder/);
  await assert.rejects(loadDataset(csv('gone.csv', ['../../../no/such.png,0'])), /gone\.csv \(line 2\): image \.\.\/\.\.\/\.\.\/no\/such\.png is outside the folder/);
  const link = csv('link.csv', ['imgs/link/secret.png,0']);
  await assert.rejects(loadDataset(link), (e: Error) => e instanceof DataError
    && e.message.startsWith(`${join(dir, 'link.csv')} (line 2): image imgs/link/secret.png resolves (through a symbolic link) to ${join(elsewhere, 'secret.png')}, outside the folder`));
  // paths=any: the user allows files elsewhere.
  assert.deepEqual((await loadDataset(`${dotdot}&paths=any`)).shape, [2, 3, 4, 4]);
  assert.deepEqual((await loadDataset(`${link}&paths=any`)).shape, [1, 3, 4, 4]);
  await assert.rejects(loadDataset(`${ok}&paths=anywhere`), /option paths=anywhere; expected one of folder, any/);
});
