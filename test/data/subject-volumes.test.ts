// A folder of NIfTI subjects as volume cases (cases=volumes): one C x D x H x W case per subject in RAS+
// array order, normalised per subject, the segmentation its mask, the subject its group.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCases } from '../../src/data/spec.js';
import type { VolumeDataset } from '../../src/data/types.js';
import { niftiInt16 } from '../helpers/nifti-writer.js';

const [X, Y, Z] = [6, 5, 4];
// Voxel (x, y, z) = scale * (1 + x + 10 y + 100 z): each subject on its own intensity scale.
const vol = (scale: number) =>
  Int16Array.from({ length: X * Y * Z }, (_, p) => scale * (1 + (p % X) + 10 * (Math.floor(p / X) % Y) + 100 * Math.floor(p / (X * Y))));
const seg = () => Int16Array.from({ length: X * Y * Z }, (_, p) => (Math.floor(p / (X * Y)) === 2 ? 4 : 0)); // label 4 in slice z = 2

function folder(): string {
  const root = mkdtempSync(join(tmpdir(), 'll-subject-volumes-'));
  for (const [name, scale] of [
    ['S1', 1],
    ['S2', 7],
  ] as const) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, `${name}_t1.nii`), niftiInt16([X, Y, Z], vol(scale)));
    writeFileSync(join(root, name, `${name}_flair.nii`), niftiInt16([X, Y, Z], vol(2 * scale)));
    writeFileSync(join(root, name, `${name}_seg.nii`), niftiInt16([X, Y, Z], seg()));
  }
  return root;
}

test('nifti:<folder>?cases=volumes: one volume per subject, per-subject normalisation, masks and groups', async () => {
  const root = folder();
  const raw = (await loadCases(`nifti:${root}?cases=volumes&norm=none`)) as VolumeDataset;
  assert.deepEqual(raw.shape, [2, 2, Z, Y, X]);
  assert.deepEqual(raw.channelNames, ['T1', 'FLAIR']);
  assert.deepEqual(raw.groups, ['S1', 'S2']);
  // D x H x W = z, y, x: voxel (x 3, y 2, z 1) of S2's FLAIR is 14 * (1 + 3 + 20 + 100).
  const V = X * Y * Z;
  assert.equal(raw.images[(1 * 2 + 1) * V + (1 * Y + 2) * X + 3], 14 * 124);
  assert.deepEqual(raw.masks![0]!.name, 'tumour');
  assert.equal(raw.masks![0]!.data[2 * Y * X], 4);
  assert.equal(raw.masks![0]!.data[V + 1 * Y * X], 0);
  // Default: percentile per subject and channel, so both subjects span [0, 1] despite their scales.
  const ds = (await loadCases(`nifti:${root}?cases=volumes`)) as VolumeDataset;
  for (let i = 0; i < 2; i++) {
    const block = ds.images.subarray(i * 2 * V, (i * 2 + 1) * V);
    assert.equal(Math.min(...block), 0);
    assert.equal(Math.max(...block), 1);
  }
  assert.match(ds.defaults!.join(), /norm=percentile \(per subject and channel/);
  await assert.rejects(
    loadCases(`nifti:${root}?cases=volumes&size=64`),
    /option size is for slices; cases=volumes reads each subject whole/,
  );
});

test('cases=volumes refuses subjects on different grids, naming both', async () => {
  const root = folder();
  writeFileSync(
    join(root, 'S2', 'S2_t1.nii'),
    niftiInt16(
      [X, Y, Z + 1],
      Int16Array.from({ length: X * Y * (Z + 1) }, () => 1),
    ),
  );
  writeFileSync(
    join(root, 'S2', 'S2_flair.nii'),
    niftiInt16(
      [X, Y, Z + 1],
      Int16Array.from({ length: X * Y * (Z + 1) }, () => 1),
    ),
  );
  writeFileSync(join(root, 'S2', 'S2_seg.nii'), niftiInt16([X, Y, Z + 1], new Int16Array(X * Y * (Z + 1))));
  await assert.rejects(
    loadCases(`nifti:${root}?cases=volumes`),
    /subject S2 is 5 x 5 x 6 voxels \(D x H x W\) but S1 is 4 x 5 x 6; volumes as cases need every subject on one grid/,
  );
});
