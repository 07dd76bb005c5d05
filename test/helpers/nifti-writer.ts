// Tiny NIfTI files for the tests, made here (never third-party data).

/** A NIfTI-1 int16 volume, 1 mm voxels, no sform/qform (pixdim orientation), voxels x fastest. */
export function niftiInt16(dims: [number, number, number], voxels: Int16Array): Uint8Array {
  const out = new Uint8Array(352 + voxels.byteLength);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  [3, ...dims, 1, 1, 1, 1].forEach((d, k) => dv.setInt16(40 + 2 * k, d, true));
  dv.setInt16(70, 4, true);
  dv.setInt16(72, 16, true);
  [1, 1, 1, 1].forEach((p, k) => dv.setFloat32(76 + 4 * k, p, true));
  dv.setFloat32(108, 352, true);
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  out.set(new Uint8Array(voxels.buffer), 352);
  return out;
}
