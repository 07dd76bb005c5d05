import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { loadNiftiCase, parseNifti, readNifti, slicePlane } from '../../src/data/nifti.js';
import { DataError } from '../../src/data/errors.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';

const BRATS = 'brats_tcga_du_7294';
const files = {
  T1: `${BRATS}/TCGA-DU-7294_t1_bet.nii.gz`,
  T1c: `${BRATS}/TCGA-DU-7294_t1c_bet.nii.gz`,
  T2: `${BRATS}/TCGA-DU-7294_t2_bet.nii.gz`,
  FLAIR: `${BRATS}/TCGA-DU-7294_fla_bet.nii.gz`,
};
const segFile = `${BRATS}/TCGA-DU-7294_seg_fusion_simple.nii.gz`;

test(
  'glioma subject (real files): 4 named channels whose orientation agrees with the segmentation',
  { skip: needSharedData(...Object.values(files), segFile) },
  async () => {
    const ds = await loadNiftiCase({
      channels: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sharedData(v)])),
      seg: sharedData(segFile),
    });
    // 155 axial slices, 131 of them inside the skull-stripped brain (numpy: k = 9..139).
    assert.deepEqual(ds.shape, [131, 4, 240, 240]);
    assert.deepEqual(ds.channelNames, ['T1', 'T1c', 'T2', 'FLAIR']);
    assert.equal(ds.skipped.length, 24);
    assert.equal(ds.ids![0], 'TCGA-DU-7294_t1_bet.nii.gz axial 9');
    assert.deepEqual(ds.classNames, ['no tumour', 'tumour']);
    assert.equal(
      ds.labels!.reduce((a, b) => a + b, 0),
      40,
    ); // tumour on k = 93..132
    assert.deepEqual(ds.masks![0]!.channels, ['T1', 'T1c', 'T2', 'FLAIR']);
    assert.equal(readNifti(sharedData(files.FLAIR)).fileOrientation, 'LPS');
    // The tumour mask falls on bright FLAIR voxels: mean FLAIR inside it is far above the rest of the brain
    // (numpy: 545.7 vs 305.7; a left-right mirrored mask gives 329.8).
    const [N, C, H, W] = ds.shape;
    const HW = H * W;
    let inS = 0,
      inN = 0,
      outS = 0,
      outN = 0,
      rows = 0,
      cols = 0;
    const labels = new Set<number>();
    const mask = ds.masks![0]!.data;
    for (let i = 0; i < N; i++) {
      for (let p = 0; p < HW; p++) {
        const v = ds.images[(i * C + 3) * HW + p]!;
        const m = mask[i * HW + p]!;
        if (m) {
          labels.add(m);
          inS += v;
          inN++;
          rows += Math.floor(p / W);
          cols += p % W;
        } else if (v !== 0) {
          outS += v;
          outN++;
        }
      }
    }
    assert.equal(inN, 9281 + 14907);
    assert.deepEqual([...labels].sort(), [1, 2]);
    assert.ok(Math.abs(inS / inN - 545.67) < 0.01, `FLAIR in tumour ${inS / inN}`);
    assert.ok(inS / inN > 1.5 * (outS / outN), `FLAIR outside ${outS / outN}`);
    // Display orientation (radiological): the tumour centroid sits at row 99.66, column 101.94.
    assert.ok(Math.abs(rows / inN - 99.664) < 0.01 && Math.abs(cols / inN - 101.935) < 0.01);
    // Resized, tumour slices only.
    const small = await loadNiftiCase({
      channels: { FLAIR: sharedData(files.FLAIR) },
      seg: sharedData(segFile),
      keep: 'labelled',
      size: 64,
    });
    assert.deepEqual(small.shape, [40, 1, 64, 64]);
    assert.deepEqual(small.spacing, [3.75, 3.75]);
    assert.ok(small.labels!.every((v) => v === 1));
  },
);

// --- synthetic NIfTI files with known geometry ---
const dir = mkdtempSync(join(tmpdir(), 'latentlens-nifti-'));
interface Fake {
  dims: number[];
  datatype?: number;
  data: ArrayBufferView;
  srow?: number[];
  quatern?: number[];
  qfac?: number;
  slope?: number;
  inter?: number;
  pixdim?: number[];
}
function nifti1(f: Fake): Uint8Array {
  const body = new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  const out = new Uint8Array(352 + body.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  dv.setInt16(40, f.dims.length, true);
  f.dims.forEach((d, k) => dv.setInt16(42 + 2 * k, d, true));
  const dt = f.datatype ?? 16;
  dv.setInt16(70, dt, true);
  dv.setInt16(72, { 2: 8, 4: 16, 16: 32 }[dt as 2 | 4 | 16] ?? 32, true);
  const pd = f.pixdim ?? [1, 1, 1];
  dv.setFloat32(76, f.qfac ?? 1, true);
  pd.forEach((p, k) => dv.setFloat32(80 + 4 * k, p, true));
  dv.setFloat32(108, 352, true);
  dv.setFloat32(112, f.slope ?? 1, true);
  dv.setFloat32(116, f.inter ?? 0, true);
  if (f.quatern) {
    dv.setInt16(252, 1, true);
    f.quatern.forEach((q, k) => dv.setFloat32(256 + 4 * k, q, true));
  }
  if (f.srow) {
    dv.setInt16(254, 1, true);
    f.srow.forEach((v, k) => dv.setFloat32(280 + 4 * k, v, true));
  }
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  out.set(body, 352);
  return out;
}
const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

test('sform orientation: an LAS file is flipped to RAS; voxel values land where the affine says', () => {
  // 3 x 2 x 2 volume, value = file index i + 3 j + 6 k; sform: x = -i + 2, y = j, z = k.
  const v = parseNifti(nifti1({ dims: [3, 2, 2], data: ramp(12), srow: [-1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0] }), 'las.nii');
  assert.equal(v.fileOrientation, 'LAS');
  assert.equal(v.orientationFrom, 'sform');
  assert.deepEqual(v.dims, [3, 2, 2]);
  // Canonical x = 0 is file i = 2.
  assert.deepEqual([...v.data.subarray(0, 3)], [2, 1, 0]);
  // Canonical voxel (x, y, z) = (0, 0, 0) is world (0, 0, 0): the affine's translation.
  assert.deepEqual([v.affine[0], v.affine[3], v.affine[5], v.affine[10]], [1, 0, 1, 1]);
});

test('qform orientation: a 90-degree rotation permutes axes (file i points Anterior)', () => {
  // Quaternion (b, c, d) = (0, 0, sin 45): rotation of 90 degrees about z: i -> +y, j -> -x.
  const s = Math.SQRT1_2;
  const v = parseNifti(nifti1({ dims: [3, 2, 1], data: ramp(6), quatern: [0, 0, s, 0, 0, 0], pixdim: [2, 1, 1] }), 'q.nii');
  assert.equal(v.fileOrientation, 'ALS');
  assert.equal(v.orientationFrom, 'qform');
  assert.deepEqual(v.dims, [2, 3, 1]); // X from j (flipped), Y from i
  assert.deepEqual(
    v.spacing.map((x) => Math.round(x * 1e6) / 1e6),
    [1, 2, 1],
  );
  // Canonical (x, y) = (0, 0) is file j = 1, i = 0 -> value 3; (1, 0) -> j = 0, i = 0 -> 0; (0, 2) -> j = 1, i = 2 -> 5.
  assert.equal(v.data[0], 3);
  assert.equal(v.data[1], 0);
  assert.equal(v.data[2 * 2 + 0], 5);
});

test('scl_slope and intercept are applied; NIfTI-2 headers read; slices follow display orientation', () => {
  const int16 = Int16Array.from([1, 2, 3, 4]);
  const v = parseNifti(nifti1({ dims: [2, 2, 1], datatype: 4, data: int16, slope: 2, inter: -1 }), 's.nii');
  assert.deepEqual([...v.data], [1, 3, 5, 7]);
  // NIfTI-2: 540-byte header.
  const n2 = new Uint8Array(544 + 8 * 4);
  const dv = new DataView(n2.buffer);
  dv.setInt32(0, 540, true);
  n2.set([0x6e, 0x2b, 0x32, 0], 4);
  dv.setInt16(12, 16, true);
  dv.setInt16(14, 32, true);
  [3, 2, 2, 2].forEach((d, k) => dv.setBigInt64(16 + 8 * k, BigInt(d), true));
  [1, 1, 1, 1].forEach((p, k) => dv.setFloat64(104 + 8 * k, p, true));
  dv.setBigInt64(168, 544n, true);
  dv.setFloat64(176, 1, true);
  new Float32Array(n2.buffer, 544).set(ramp(8));
  const v2 = parseNifti(gzipSync(n2), 'v2.nii.gz');
  assert.deepEqual([...v2.data], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(v2.orientationFrom, 'pixdim');
  // Axial display of a 2 x 2 slice: row 0 = anterior (y = 1), column 0 = right (x = 1).
  assert.deepEqual([...slicePlane(v2.data, v2.dims, 'axial', 0).plane], [3, 2, 1, 0]);
});

test('bad input: header/data size mismatch, channels of different shapes, NaN voxels, not NIfTI, corrupt gzip', async () => {
  const full = nifti1({ dims: [4, 4, 2], data: ramp(32) });
  const cut = join(dir, 'cut.nii');
  writeFileSync(cut, full.subarray(0, 352 + 50));
  assert.throws(
    () => readNifti(cut),
    (e: Error) =>
      e instanceof DataError &&
      e.message === `${cut}: header says 4 x 4 x 2 float32 voxels (128 bytes from offset 352), but the file has 50 bytes of data`,
  );

  const a = join(dir, 'a.nii');
  const b = join(dir, 'b.nii.gz');
  writeFileSync(a, full);
  writeFileSync(b, gzipSync(nifti1({ dims: [4, 4, 3], data: ramp(48) })));
  await assert.rejects(
    loadNiftiCase({ channels: { T1: a, T2: b } }),
    (e: Error) =>
      e.message.startsWith(b) &&
      /channel T2 is 4 x 4 x 3 voxels but T1 .* is 4 x 4 x 2; expected every channel on the same grid/.test(e.message),
  );

  const nan = ramp(32);
  nan[5] = Infinity;
  assert.throws(
    () => parseNifti(nifti1({ dims: [4, 4, 2], data: nan }), 'nan.nii'),
    /nan\.nii \(voxel \[k, j, i\]\): pixel \[0, 1, 1\] is Infinity/,
  );
  assert.throws(() => parseNifti(new Uint8Array(400), 'zero.nii'), /zero\.nii: not a NIfTI file/);
  const gz = gzipSync(full);
  assert.throws(() => parseNifti(gz.subarray(0, 40), 'trunc.nii.gz'), /trunc\.nii\.gz: cannot gunzip/);
  await assert.rejects(loadNiftiCase({ channels: {} }), /no channels given/);
  await assert.rejects(loadNiftiCase({ channels: { T1: a }, keep: 'labelled' }), /keep=labelled needs a segmentation/);
  // A skipped empty slice is reported.
  const zeros = join(dir, 'z.nii');
  const data = ramp(32);
  data.fill(0, 16);
  writeFileSync(zeros, nifti1({ dims: [4, 4, 2], data }));
  const ds = await loadNiftiCase({ channels: { T1: zeros } });
  assert.equal(ds.shape[0], 1);
  assert.deepEqual(ds.skipped, [{ item: 'axial slice 1', reason: 'every channel is zero (outside the imaged region)' }]);
});

test('header fields that would give wrong voxels or orientation are refused, naming the field (issue 20)', () => {
  const good = () => nifti1({ dims: [2, 2, 2], data: ramp(8) });
  const withF32 = (offset: number, v: number, base = good()) => {
    const b = base.slice();
    new DataView(b.buffer).setFloat32(offset, v, true);
    return b;
  };
  // vox_offset (byte 108): negative, NaN, 0 (would read the header as voxels), fractional, < 352.
  for (const v of [-16, NaN, 0, 352.5, 348]) {
    assert.throws(
      () => parseNifti(withF32(108, v), 'off.nii'),
      (e: Error) =>
        e instanceof DataError &&
        e.message ===
          `off.nii (header): vox_offset is ${v}; expected a whole number of bytes >= 352 (a single-file .nii keeps its voxels after the 348-byte header and the 4-byte extension flag)`,
      `vox_offset ${v}`,
    );
  }
  // A larger offset is fine: the voxels are read from there.
  const padded = new Uint8Array(368 + 32);
  padded.set(good().subarray(0, 352));
  new DataView(padded.buffer).setFloat32(108, 368, true);
  padded.set(new Uint8Array(ramp(8).buffer), 368);
  assert.deepEqual([...parseNifti(padded, 'pad.nii').data], [0, 1, 2, 3, 4, 5, 6, 7]);

  // NaN voxel size where it sets the orientation (no sform): pixdim[2] is byte 84.
  assert.throws(
    () => parseNifti(withF32(84, NaN), 'pd.nii'),
    /pd\.nii \(header\): pixdim\[2\] is NaN; expected a finite number \(the voxel size along axis 2, used by the pixdim orientation/,
  );
  assert.throws(
    () => parseNifti(withF32(84, 1e30), 'pd.nii'),
    /pd\.nii \(header\): pixdim\[2\] is 1\.0000000150474662e\+30; expected a voxel size of at most 10000 mm/,
  );
  const q = nifti1({ dims: [2, 2, 2], data: ramp(8), quatern: [0, 0, 0, 0, 0, 0] });
  assert.throws(
    () => parseNifti(withF32(80, Infinity, q), 'qpd.nii'),
    /qpd\.nii \(header\): pixdim\[1\] is Infinity; expected a finite number \(the voxel size along axis 1, used by the qform\)/,
  );
  // NaN quaternion (quatern_c, byte 260) and NaN sform entry (srow_y[1], byte 280 + 4 * 5).
  assert.throws(
    () => parseNifti(withF32(260, NaN, q), 'quat.nii'),
    /quat\.nii \(header\): quatern_c is NaN; expected a finite number \(qform_code is 1/,
  );
  const sf = nifti1({ dims: [2, 2, 2], data: ramp(8), srow: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] });
  assert.throws(
    () => parseNifti(withF32(300, NaN, sf), 'sf.nii'),
    /sf\.nii \(header\): srow_y\[1\] is NaN; expected a finite number \(sform_code is 1/,
  );
  // With an sform, pixdim is not used for orientation: a NaN there is harmless.
  assert.equal(parseNifti(withF32(84, NaN, sf), 'sf-pd.nii').orientationFrom, 'sform');

  // scl_slope 0, NaN or Inf: no scaling (NIfTI standard), also for integer data.
  const int16 = Int16Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  for (const slope of [0, NaN, Infinity]) {
    const v = parseNifti(nifti1({ dims: [2, 2, 2], datatype: 4, data: int16, slope, inter: 5 }), 'sl.nii');
    assert.deepEqual([...v.data], [1, 2, 3, 4, 5, 6, 7, 8], `slope ${slope}`);
  }
  // A valid slope with a non-finite intercept is refused.
  assert.throws(
    () => parseNifti(nifti1({ dims: [2, 2, 2], datatype: 4, data: int16, slope: 2, inter: NaN }), 'in.nii'),
    /in\.nii \(header\): scl_inter is NaN with scl_slope 2; expected a finite intercept/,
  );
  // Integer data scaled past float32's range is caught too (the finiteness check covers every datatype).
  assert.throws(
    () => parseNifti(nifti1({ dims: [2, 2, 2], datatype: 4, data: Int16Array.from([1, 2, 3, 4, 5, 6, 7, 30000]), slope: 3e34 }), 'big.nii'),
    /big\.nii \(voxel \[k, j, i\] as float32 after scl_slope .* and scl_inter 0\): pixel \[1, 1, 1\] is Infinity/,
  );
});
