// Multi-subject NIfTI folders (nifti:<folder>, BraTS layout) and the scanner-data defaults: per-subject
// percentile normalisation to [0, 1] and size=128 for slices above 128 pixels (issue 15, items 3-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors.js';
import { formatSummary, summarizeDataset } from '../../src/data/inspect.js';
import { loadDataset } from '../../src/data/spec.js';
import { subjectFileRole } from '../../src/data/subjects.js';
import type { ImageDataset } from '../../src/data/types.js';
import { imageElements, writeDicom } from '../helpers/dicom-writer.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';
import { niftiInt16 } from '../helpers/nifti-writer.js';

const X = 140,
  Y = 140,
  Z = 3;
// Raw scanner-like intensities in the thousands: a bright disc on a body of `base`, zero outside.
function volume(base: number, seed: number): Int16Array {
  const v = new Int16Array(X * Y * Z);
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const r = Math.hypot(x - 70, y - 70);
        if (r > 60) continue;
        v[(z * Y + y) * X + x] = base + ((x * 7 + y * 13 + z * 31 + seed) % 500) + (r < 15 ? 2 * base : 0);
      }
    }
  }
  return v;
}
function seg(): Int16Array {
  const v = new Int16Array(X * Y * Z);
  for (let y = 60; y < 80; y++) for (let x = 60; x < 80; x++) v[(1 * Y + y) * X + x] = 2; // tumour in slice 1 only
  return v;
}

// Two subjects with different intensity scales (BraTS 2021 names, and upper-case plain .nii), and a
// folder without NIfTI files.
function makeFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'll-subjects-'));
  const a = join(root, 'BraTS_001');
  const b = join(root, 'BraTS_002');
  mkdirSync(a);
  mkdirSync(b);
  mkdirSync(join(root, 'notes'));
  writeFileSync(join(root, 'notes', 'readme.txt'), 'not a subject');
  writeFileSync(join(a, 'BraTS_001_t1.nii.gz'), gzipSync(niftiInt16([X, Y, Z], volume(1000, 1))));
  writeFileSync(join(a, 'BraTS_001_flair.nii.gz'), gzipSync(niftiInt16([X, Y, Z], volume(2000, 2))));
  writeFileSync(join(a, 'BraTS_001_seg.nii.gz'), gzipSync(niftiInt16([X, Y, Z], seg())));
  writeFileSync(join(b, 'BRATS_002_T1.nii'), niftiInt16([X, Y, Z], volume(6000, 3)));
  writeFileSync(join(b, 'BRATS_002_FLAIR.nii'), niftiInt16([X, Y, Z], volume(9000, 4)));
  writeFileSync(join(b, 'BRATS_002_SEG.nii'), niftiInt16([X, Y, Z], seg()));
  return root;
}

// Loads with the DataDefault warnings it emits (those of other loads, arriving late, are left out).
async function loadNoting(spec: string): Promise<{ ds: ImageDataset; notes: string[] }> {
  const notes: string[] = [];
  const on = (w: Error) => {
    if (w.name === 'DataDefault' && w.message.startsWith(`${spec}: `)) notes.push(w.message);
  };
  process.on('warning', on);
  try {
    const ds = await loadDataset(spec);
    await new Promise((r) => setImmediate(r));
    return { ds, notes };
  } finally {
    process.off('warning', on);
  }
}

function channelRange(ds: ImageDataset, cases: number[], c: number): [number, number] {
  const [, C, H, W] = ds.shape;
  let lo = Infinity,
    hi = -Infinity;
  for (const i of cases)
    for (const v of ds.images.subarray((i * C + c) * H * W, (i * C + c + 1) * H * W)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  return [lo, hi];
}

test('file names are matched case-insensitively by their channel token', () => {
  assert.equal(subjectFileRole('BraTS2021_00001_t1ce.nii.gz'), 'T1c');
  assert.equal(subjectFileRole('BraTS2021_00001_T1.nii.gz'), 'T1');
  assert.equal(subjectFileRole('TCGA-DU-7294_fla_bet.nii.gz'), 'FLAIR');
  assert.equal(subjectFileRole('TCGA-DU-7294_t1c_bet.nii.gz'), 'T1c');
  assert.equal(subjectFileRole('TCGA-DU-7294_seg_fusion_simple.nii.gz'), 'seg');
  assert.equal(subjectFileRole('BraTS-GLI-00000-000-t2f.nii.gz'), 'FLAIR');
  assert.equal(subjectFileRole('sub01_T2.NII'), 'T2');
  assert.equal(subjectFileRole('sub01_t2.txt'), null);
  assert.equal(subjectFileRole('notes.nii'), null);
});

test('a two-subject folder: slices as cases, subjects as groups, channels and labels, per-subject normalisation, size default', async () => {
  const root = makeFolder();
  const { ds, notes } = await loadNoting(`nifti:${root}`);
  assert.deepEqual(ds.channelNames, ['T1', 'FLAIR']);
  assert.deepEqual(ds.shape, [6, 2, 128, 128]);
  assert.deepEqual(ds.groups, ['BraTS_001', 'BraTS_001', 'BraTS_001', 'BraTS_002', 'BraTS_002', 'BraTS_002']);
  assert.deepEqual(Array.from(ds.sliceIndex!), [0, 1, 2, 0, 1, 2]);
  assert.equal(ds.ids![4], 'BraTS_002 axial 1');
  assert.deepEqual(Array.from(ds.labels!), [0, 1, 0, 0, 1, 0]);
  assert.equal(ds.masks![0]!.data.length, 6 * 128 * 128);
  assert.ok(
    ds.skipped.some((s) => s.item === join(root, 'notes')),
    'the folder without NIfTI files is listed',
  );
  // Per subject and channel: the subject's own 1st-99th percentiles map to [0, 1], clipped.
  for (const cases of [
    [0, 1, 2],
    [3, 4, 5],
  ]) {
    for (let c = 0; c < 2; c++) {
      const [lo, hi] = channelRange(ds, cases, c);
      assert.equal(lo, 0);
      assert.equal(hi, 1);
    }
  }
  // Subject 2's body (thousands higher than subject 1's) lands on the same scale: the mean body value
  // of both subjects' T1 is similar, not 5000 apart.
  const mean = (i: number) => {
    const p = ds.images.subarray(i * 2 * 128 * 128, (i * 2 + 1) * 128 * 128);
    return p.reduce((a, b) => a + b, 0) / p.length;
  };
  assert.ok(Math.abs(mean(0) - mean(3)) < 0.05, `${mean(0)} vs ${mean(3)}`);
  assert.equal(ds.defaults!.length, 2);
  assert.match(ds.defaults![0]!, /^size=128 \(slices are 140 x 140 pixels/);
  assert.match(ds.defaults![1]!, /^norm=percentile \(per subject and channel/);
  assert.equal(notes.length, 1, 'the size default is said once, not per subject');
  assert.match(formatSummary(summarizeDataset(ds)), /^default   size=128 \(slices are 140 x 140 pixels.*\ndefault   norm=percentile/m);
  assert.match(notes[0]!, /: default size=128 \(slices are 140 x 140 pixels/);
});

test('options turn the defaults off; channels, seg=none and a single subject folder', async () => {
  const root = makeFolder();
  const raw = await loadNoting(`nifti:${root}?norm=none&size=140`);
  assert.deepEqual(raw.ds.shape, [6, 2, 140, 140]);
  assert.equal(raw.ds.defaults, undefined);
  assert.equal(raw.notes.length, 0);
  assert.ok(channelRange(raw.ds, [3, 4, 5], 1)[1] > 9000, 'stored intensities kept');
  const one = await loadNoting(`nifti:${join(root, 'BraTS_002')}?channels=FLAIR&seg=none&size=32`);
  assert.deepEqual(one.ds.shape, [3, 1, 32, 32]);
  assert.deepEqual(one.ds.groups, ['BraTS_002', 'BraTS_002', 'BraTS_002']);
  assert.equal(one.ds.labels, undefined);
  assert.deepEqual(one.ds.defaults, [one.ds.defaults![0]]);
  const zs = await loadDataset(`nifti:${root}?norm=zscore&keep=labelled`);
  assert.deepEqual(zs.groups, ['BraTS_001', 'BraTS_002']);
  // Volumes as cases are read (subject-volumes.test.ts), and refused by the 2D loader naming them.
  await assert.rejects(
    loadDataset(`nifti:${root}?cases=volumes`),
    /holds 3D volumes \(2 x 2 x 3 x 140 x 140, N x C x D x H x W\), and this command takes 2D images only/,
  );
  await assert.rejects(loadDataset(`nifti:${root}?seg=x.nii`), /expected seg=auto or seg=none/);
  await assert.rejects(
    loadDataset(`nifti:${root}?channels=T2`),
    (e: Error) => e instanceof DataError && /no subject has every channel of T2/.test(e.message),
  );
  await assert.rejects(loadDataset(`nifti:${join(root, 'notes')}`), /no subject found; expected subject folders holding \*_t1\.nii\.gz/);
});

test('the defaults on a raw-intensity NIfTI case (nifti:T1=...): [0, 1] and size=128, said on stderr', async () => {
  const root = makeFolder();
  const dir = join(root, 'BraTS_002');
  const { ds, notes } = await loadNoting(`nifti:T1=BRATS_002_T1.nii,FLAIR=BRATS_002_FLAIR.nii?dir=${dir}`);
  assert.deepEqual(ds.shape, [3, 2, 128, 128]);
  let lo = Infinity,
    hi = -Infinity;
  for (const v of ds.images) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.deepEqual([lo, hi], [0, 1]);
  assert.deepEqual(ds.spacing, [140 / 128, 140 / 128]);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /default size=128 \(slices are 140 x 140 pixels, above 128/);
  assert.match(ds.defaults!.join('\n'), /norm=percentile/);
  const raw = await loadDataset(`nifti:T1=BRATS_002_T1.nii?dir=${dir}&norm=none&size=140`);
  assert.ok(raw.images.some((v) => v > 6000));
  await assert.rejects(
    loadDataset(`nifti:T1=BRATS_002_T1.nii?dir=${dir}&norm=robust`),
    /option norm=robust; expected one of zscore, minmax, percentile, none/,
  );
  await assert.rejects(loadDataset(`nifti:T1=BRATS_002_T1.nii?dir=${dir}&channels=T1`), /option channels= is for a folder of subjects/);
});

test('the defaults on a raw DICOM series: per-patient [0, 1] and size=128 for 160 px slices', async () => {
  const series = mkdtempSync(join(tmpdir(), 'll-dicom-defaults-'));
  for (let k = 0; k < 2; k++) {
    const px = new Uint16Array(160 * 160).map((_, i) => 1000 + ((i * 37 + k * 11) % 3000));
    writeFileSync(
      join(series, `img${k}.dcm`),
      writeDicom([
        ...imageElements({ rows: 160, columns: 160, position: `0\\0\\${k}`, series: '1.2.9', instance: String(k + 1) }),
        { tag: [0x7fe0, 0x0010], vr: 'OW', value: new Uint8Array(px.buffer) },
      ]),
    );
  }
  const { ds, notes } = await loadNoting(`dicom:${series}`);
  assert.deepEqual(ds.shape, [2, 1, 128, 128]);
  let lo = Infinity,
    hi = -Infinity;
  for (const v of ds.images) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.deepEqual([lo, hi], [0, 1]);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /default size=128 \(slices are 160 x 160 pixels/);
  const raw = await loadDataset(`dicom:${series}?norm=none&size=160`);
  assert.ok(raw.images.some((v) => v > 3000) && raw.defaults === undefined);
});

test(
  'the one glioma subject (real files) as a subject folder: four channels, 128 px, [0, 1], one group',
  { skip: needSharedData('brats_tcga_du_7294') },
  async () => {
    const { ds, notes } = await loadNoting(`nifti:${sharedData('brats_tcga_du_7294')}?keep=labelled`);
    assert.deepEqual(ds.channelNames, ['T1', 'T1c', 'T2', 'FLAIR']);
    assert.deepEqual(ds.shape.slice(1), [4, 128, 128]);
    assert.ok(ds.shape[0] > 10 && ds.labels!.every((v) => v === 1));
    assert.deepEqual([...new Set(ds.groups)], ['brats_tcga_du_7294']);
    assert.ok(ds.images.every((v) => v >= 0 && v <= 1));
    assert.match(notes[0]!, /default size=128 \(slices are 240 x 240 pixels/);
  },
);
