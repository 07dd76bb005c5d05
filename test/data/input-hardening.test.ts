// Corrupt or surprising inputs from issue 16 ("Inputs"): each is refused with the file and the problem
// named (or read with a stated warning), built here in a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
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
