// Case groups (subjects) and slice indices from every reader that knows them, and through subset().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDicom } from '../../src/data/dicom.js';
import { loadNiftiCase } from '../../src/data/nifti.js';
import { loadDataset } from '../../src/data/spec.js';
import { subset } from '../../src/data/splits.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { DataError } from '../../src/data/errors.js';
import { imageElements, writeDicom } from '../helpers/dicom-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'latentlens-groups-'));
const u16 = (vals: number[]) => new Uint8Array(Uint16Array.from(vals).buffer);

/** A minimal NIfTI-1 float32 volume (no sform/qform: orientation from pixdim). */
function nifti(dims: [number, number, number], data: Float32Array): Uint8Array {
  const out = new Uint8Array(352 + data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  dv.setInt16(40, 3, true);
  dims.forEach((d, k) => dv.setInt16(42 + 2 * k, d, true));
  dv.setInt16(70, 16, true);
  dv.setInt16(72, 32, true);
  dv.setFloat32(76, 1, true);
  [1, 1, 1].forEach((p, k) => dv.setFloat32(80 + 4 * k, p, true));
  dv.setFloat32(108, 352, true);
  dv.setFloat32(112, 1, true);
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  out.set(new Uint8Array(data.buffer), 352);
  return out;
}

test('NIfTI: every slice of the case is one group, at its slice number', async () => {
  // 2 x 2 x 4 volume whose axial slice 0 is empty (skipped as outside the imaged region).
  const v = Float32Array.from({ length: 16 }, (_, i) => (i < 4 ? 0 : i));
  const file = join(dir, 'sub-07_flair.nii');
  writeFileSync(file, nifti([2, 2, 4], v));
  const ds = await loadNiftiCase({ channels: { FLAIR: file } });
  assert.deepEqual(ds.shape, [3, 1, 2, 2]);
  assert.deepEqual(ds.groups, ['sub-07_flair.nii', 'sub-07_flair.nii', 'sub-07_flair.nii']);
  assert.deepEqual(Array.from(ds.sliceIndex!), [1, 2, 3]);
  const sub = subset(ds, [2, 0]);
  assert.deepEqual(sub.groups, ['sub-07_flair.nii', 'sub-07_flair.nii']);
  assert.deepEqual(Array.from(sub.sliceIndex!), [3, 1]);
});

test('DICOM: the PatientID, else the series, is the group; the position in the sorted series the slice index', async () => {
  const withPatient = join(dir, 'patient');
  const noPatient = join(dir, 'series');
  mkdirSync(withPatient);
  mkdirSync(noPatient);
  for (const [k, z] of [
    [0, 10],
    [1, 0],
    [2, 5],
  ] as const) {
    const els = imageElements({ rows: 2, columns: 2, position: `0\\0\\${z}`, series: '1.2.9', instance: String(k + 1) });
    writeFileSync(join(noPatient, `img${k}.dcm`), writeDicom([...els, { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([z, 0, 0, 0]) }]));
    els.splice(1, 0, { tag: [0x0010, 0x0020], vr: 'LO', value: 'PAT-0042' }); // after (0008,0060), in tag order
    writeFileSync(join(withPatient, `img${k}.dcm`), writeDicom([...els, { tag: [0x7fe0, 0x0010], vr: 'OW', value: u16([z, 0, 0, 0]) }]));
  }
  const a = await loadDicom(withPatient);
  assert.deepEqual(a.groups, ['PAT-0042', 'PAT-0042', 'PAT-0042']);
  assert.deepEqual(Array.from(a.sliceIndex!), [0, 1, 2]);
  assert.deepEqual([a.images[0], a.images[4], a.images[8]], [0, 5, 10]); // sorted along the slice normal
  const b = await loadDicom(noPatient);
  assert.deepEqual(b.groups, ['1.2.9', '1.2.9', '1.2.9']);
});

test('image folders: group=<column> of the CSV; an unknown column or no CSV is an error', async () => {
  const root = join(dir, 'folder');
  mkdirSync(root);
  for (let i = 0; i < 4; i++) {
    await sharp(Buffer.alloc(4, i * 40), { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(root, `img${i}.png`));
  }
  writeFileSync(join(root, 'labels.csv'), 'image,label,patient\nimg0.png,0,p1\nimg1.png,1,p1\nimg2.png,0,p2\nimg3.png,1,p3\n');
  const ds = await loadDataset(`folder:${root}?csv=labels.csv&group=patient`);
  assert.deepEqual(ds.groups, ['p1', 'p1', 'p2', 'p3']);
  assert.deepEqual(ds.columns!.patient, ['p1', 'p1', 'p2', 'p3']);
  assert.equal(ds.sliceIndex, undefined);
  const plain = await loadDataset(`folder:${root}?csv=labels.csv`);
  assert.equal(plain.groups, undefined);
  await assert.rejects(
    loadDataset(`folder:${root}?csv=labels.csv&group=subject`),
    (e: Error) => e instanceof DataError && /no group column "subject"; expected one of image, label, patient/.test(e.message),
  );
  await assert.rejects(loadDataset(`folder:${root}?group=patient`), /group=patient needs a CSV/);
});

test('phantoms have no groups (every case its own)', () => {
  const ds = generatePhantoms({ n: 4, size: 16 });
  assert.equal(ds.groups, undefined);
  assert.equal(ds.sliceIndex, undefined);
});
