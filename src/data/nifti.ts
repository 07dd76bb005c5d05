// NIfTI-1 and NIfTI-2 volumes (.nii, .nii.gz): header, data types, scaling, orientation from
// sform/qform to one canonical orientation (RAS+), several co-registered volumes of one case stacked
// as named channels, 2D slices along a chosen axis, and an optional segmentation that selects slices,
// gives per-slice labels and per-slice masks.
import { withFileSource } from './byte-source.js';
import { basename } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { gunzipSync as fflateGunzip } from 'fflate';
import { DataError, assertFinite } from './errors.js';
import { checkMemory, type MemoryItem } from './memory-budget.js';
import { squareLabels, squarePlane } from './resize.js';
import type { ImageDataset, SkippedItem } from './types.js';

/** Largest voxel size accepted where pixdim sets the orientation (mm). */
const MAX_VOXEL_MM = 1e4;

/** A 3D volume in canonical RAS+ orientation: index x grows to the patient's Right, y to Anterior, z to Superior. */
export interface NiftiVolume {
  /** The file it came from. */
  file: string;
  /** `[X, Y, Z]` voxel counts along R, A, S. */
  dims: [number, number, number];
  /** Voxel size in mm along x, y, z. */
  spacing: [number, number, number];
  /** Scaled voxel values (scl_slope/scl_inter applied), x fastest: voxel (x, y, z) at `(z * Y + y) * X + x`. */
  data: Float32Array;
  /** The 4 x 4 voxel-to-world (RAS mm) affine of the canonical array, row-major. */
  affine: number[];
  /** Orientation of the file's own voxel axes, e.g. `LPS` (what i, j, k pointed to before reorientation). */
  fileOrientation: string;
  /** Which transform gave the orientation: `sform`, `qform` or `pixdim` (neither code set). */
  orientationFrom: 'sform' | 'qform' | 'pixdim';
  /** The file's NIfTI datatype code (2 uint8, 4 int16, 16 float32, ...). */
  datatype: number;
}

const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
  1024: { name: 'int64', bytes: 8 },
  1280: { name: 'uint64', bytes: 8 },
};

/** What the header of a NIfTI file says, read before any voxel is: enough to size every allocation. */
export interface NiftiHeader {
  file: string;
  /** Size of the file (compressed, for .nii.gz). */
  fileBytes: number;
  /** Whether the file is gzip-compressed. */
  gzip: boolean;
  littleEndian: boolean;
  /** NIfTI-2 (540-byte header) rather than NIfTI-1. */
  v2: boolean;
  /** Voxel counts along the file's own axes i, j, k. */
  dims: [number, number, number];
  /** NIfTI datatype code and its name and bytes per voxel. */
  datatype: number;
  typeName: string;
  bytesPerVoxel: number;
  /** Where the voxels start in the (inflated) file. */
  voxOffset: number;
  slope: number;
  inter: number;
  useScale: boolean;
  qformCode: number;
  sformCode: number;
  pixdim: number[];
  q: number[];
  srow: number[];
}

// Parses and checks the header at the start of `bytes` (inflated).
function parseHeader(bytes: Uint8Array, file: string, gzip: boolean, fileBytes: number): NiftiHeader {
  if (bytes.length < 348)
    throw new DataError(file, `only ${bytes.length} bytes; expected a NIfTI header of 348 (NIfTI-1) or 540 (NIfTI-2) bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let size = dv.getInt32(0, true);
  if (size !== 348 && size !== 540) {
    le = false;
    size = dv.getInt32(0, false);
  }
  if (size !== 348 && size !== 540) throw new DataError(file, 'not a NIfTI file: sizeof_hdr is neither 348 (NIfTI-1) nor 540 (NIfTI-2)');
  const v2 = size === 540;
  if (v2 && bytes.length < 540) throw new DataError(file, 'truncated NIfTI-2 header');
  const magic = String.fromCharCode(...bytes.subarray(v2 ? 4 : 344, v2 ? 7 : 347));
  if (magic === 'ni1' || magic === 'ni2')
    throw new DataError(file, `a header-only NIfTI (.hdr with separate .img data); expected a single-file .nii or .nii.gz`);
  if (magic !== 'n+1' && magic !== 'n+2') throw new DataError(file, `bad NIfTI magic "${magic}"; expected "n+1" or "n+2"`);

  const i16 = (o: number) => dv.getInt16(o, le);
  const i32 = (o: number) => dv.getInt32(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const f64 = (o: number) => dv.getFloat64(o, le);
  const i64 = (o: number) => Number(dv.getBigInt64(o, le));
  const dim = Array.from({ length: 8 }, (_, k) => (v2 ? i64(16 + 8 * k) : i16(40 + 2 * k)));
  const datatype = v2 ? i16(12) : i16(70);
  const pixdim = Array.from({ length: 8 }, (_, k) => (v2 ? f64(104 + 8 * k) : f32(76 + 4 * k)));
  const voxOffset = v2 ? i64(168) : f32(108);
  const slope = v2 ? f64(176) : f32(112);
  const inter = v2 ? f64(184) : f32(116);
  const qformCode = v2 ? i32(344) : i16(252);
  const sformCode = v2 ? i32(348) : i16(254);
  const q = Array.from({ length: 6 }, (_, k) => (v2 ? f64(352 + 8 * k) : f32(256 + 4 * k)));
  const srow = Array.from({ length: 12 }, (_, k) => (v2 ? f64(400 + 8 * k) : f32(280 + 4 * k)));

  const nd = dim[0]!;
  if (nd < 2 || nd > 7) throw new DataError(file, `dim[0] = ${nd}; expected 2 to 7 dimensions`, 'header');
  const extra = dim.slice(4, nd + 1).reduce((a, b) => a * Math.max(1, b!), 1);
  if (nd > 3 && extra > 1)
    throw new DataError(file, `a ${nd}D image (${dim.slice(1, nd + 1).join(' x ')}); expected one 3D volume per file`, 'header');
  const [nx, ny, nz] = [dim[1]!, Math.max(1, nd >= 2 ? dim[2]! : 1), Math.max(1, nd >= 3 ? dim[3]! : 1)];
  if (!(nx > 0 && ny > 0 && nz > 0)) throw new DataError(file, `dimensions ${nx} x ${ny} x ${nz}; expected positive sizes`, 'header');
  const dt = DATATYPES[datatype];
  if (!dt)
    throw new DataError(
      file,
      `unsupported datatype code ${datatype}; expected one of ${Object.entries(DATATYPES)
        .map(([k, v]) => `${k} (${v.name})`)
        .join(', ')}`,
      'header',
    );
  // vox_offset: where the voxels start. In a single .nii file they follow the header and the 4-byte
  // extension flag, so it is at least 352 (NIfTI-1) or 544 (NIfTI-2); a smaller, negative, fractional
  // or NaN offset would read header bytes as voxels or read nothing at all.
  const minOffset = v2 ? 544 : 352;
  if (!(Number.isInteger(voxOffset) && voxOffset >= minOffset)) {
    throw new DataError(
      file,
      `vox_offset is ${voxOffset}; expected a whole number of bytes >= ${minOffset} (a single-file .nii keeps its voxels after the ${v2 ? 540 : 348}-byte header and the 4-byte extension flag)`,
      'header',
    );
  }
  // Fields the orientation is computed from must be finite (a NaN leaves the orientation undefined).
  const finite = (name: string, v: number, why: string) => {
    if (!Number.isFinite(v)) throw new DataError(file, `${name} is ${v}; expected a finite number (${why})`, 'header');
  };
  if (sformCode <= 0) {
    // qform and the pixdim fallback take the voxel size from pixdim; the sform carries its own.
    for (let k = 1; k <= 3; k++) {
      const why = `the voxel size along axis ${k}, used by the ${qformCode > 0 ? 'qform' : 'pixdim orientation (no sform or qform code)'}`;
      finite(`pixdim[${k}]`, pixdim[k]!, why);
      // A voxel of more than 10 m is a corrupt field, not a scanner setting.
      if (Math.abs(pixdim[k]!) > MAX_VOXEL_MM)
        throw new DataError(file, `pixdim[${k}] is ${pixdim[k]}; expected a voxel size of at most ${MAX_VOXEL_MM} mm (${why})`, 'header');
    }
  }
  if (sformCode > 0) {
    srow.forEach((v, k) =>
      finite(`srow_${'xyz'[Math.floor(k / 4)]}[${k % 4}]`, v, `sform_code is ${sformCode}, so the sform gives the orientation`),
    );
  } else if (qformCode > 0) {
    ['quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z'].forEach((name, k) =>
      finite(name, q[k]!, `qform_code is ${qformCode}, so the qform gives the orientation`),
    );
  }
  // scl_slope 0 or non-finite means "no scaling" (the NIfTI standard; nibabel does the same); a valid
  // slope with a non-finite intercept cannot be applied.
  const useScale = slope !== 0 && Number.isFinite(slope);
  if (useScale && !Number.isFinite(inter)) {
    throw new DataError(
      file,
      `scl_inter is ${inter} with scl_slope ${slope}; expected a finite intercept (or scl_slope 0 for unscaled data)`,
      'header',
    );
  }
  return {
    file,
    fileBytes,
    gzip,
    littleEndian: le,
    v2,
    dims: [nx, ny, nz],
    datatype,
    typeName: dt.name,
    bytesPerVoxel: dt.bytes,
    voxOffset,
    slope,
    inter,
    useScale,
    qformCode,
    sformCode,
    pixdim,
    q,
    srow,
  };
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

// The first bytes of a gzip stream, inflated from as small a prefix of the compressed bytes as gives
// `want` bytes, so a 1024^3 volume is never inflated to read its header (a prefix grows only while it
// inflates to fewer than `want` bytes, and deflate gives at most ~1 KiB per byte). `readPrefix(n)` returns
// the first n compressed bytes, `total` is the compressed size.
function inflateHead(readPrefix: (n: number) => Uint8Array, total: number, want: number, file: string): Uint8Array {
  const fail = (err: unknown): never => {
    throw new DataError(file, `cannot gunzip (truncated or corrupt .nii.gz): ${err instanceof Error ? err.message : String(err)}`);
  };
  for (let n = 1024; ; n *= 4) {
    const part = readPrefix(Math.min(n, total));
    let out: Uint8Array = new Uint8Array(0);
    try {
      // Z_SYNC_FLUSH: inflate as far as the prefix goes, without an error for its missing end.
      out = gunzipSync(part, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      fail(err);
    }
    if (out.length >= want) return out;
    if (n >= total) {
      // The whole file inflates to less than a header: inflate it properly, so truncation is reported.
      try {
        return gunzipSync(part);
      } catch (err) {
        return fail(err);
      }
    }
  }
}

/** Reads the header of a .nii or .nii.gz file without reading (or inflating) its voxels. */
export function readNiftiHeader(path: string): NiftiHeader {
  return withFileSource(path, (src) => headerFrom((n) => src.read(0, n), src.size, path));
}

function headerFrom(readPrefix: (n: number) => Uint8Array, size: number, file: string): NiftiHeader {
  const start = readPrefix(Math.min(size, 2));
  if (isGzip(start)) return parseHeader(inflateHead(readPrefix, size, 544, file), file, true, size);
  return parseHeader(readPrefix(Math.min(size, 544)), file, false, size);
}

/**
 * Bytes a NIfTI file with this header needs while it is read (`transient`) and once read (`kept`), for
 * checkMemory. `owned`: the reader reads the file into its own buffer (else the caller's bytes are used).
 */
export function niftiMemory(h: NiftiHeader, owned = true): { transient: MemoryItem[]; kept: MemoryItem } {
  const nvox = h.dims[0] * h.dims[1] * h.dims[2];
  const stored = nvox * h.bytesPerVoxel;
  const items: MemoryItem[] = [{ what: h.gzip ? 'the compressed file' : 'the file', bytes: h.fileBytes }];
  if (h.gzip) items.push({ what: `inflated ${h.typeName} voxels`, bytes: h.voxOffset + stored, elements: h.voxOffset + stored });
  // Voxels are viewed in place when the reader owns the bytes and they are aligned (else copied);
  // 64-bit integers become float64.
  if (h.voxOffset % h.bytesPerVoxel !== 0 || !(owned || h.gzip))
    items.push({ what: `${h.typeName} voxels (aligned copy)`, bytes: stored, elements: stored });
  if (h.datatype === 1024 || h.datatype === 1280) items.push({ what: 'float64 copy of 64-bit voxels', bytes: nvox * 8, elements: nvox });
  items.push({ what: 'float32 voxels', bytes: nvox * 4, elements: nvox });
  return { transient: items, kept: { what: 'float32 voxels in RAS+ order', bytes: nvox * 4, elements: nvox } };
}

/**
 * Parses NIfTI bytes (gzip-compressed or not). `file` names the source in errors. The header is read
 * first (from a small inflated prefix) and the memory the voxels need is checked against the budget
 * (`memoryBudget` bytes, else LATENTLENS_MEMORY_BUDGET, else half of this machine's memory).
 */
export function parseNifti(input: Uint8Array, file: string, options: { memoryBudget?: number } = {}): NiftiVolume {
  const h = headerFrom((n) => input.subarray(0, n), input.length, file);
  const m = niftiMemory(h, false);
  checkMemory(file, [...m.transient, m.kept], options.memoryBudget);
  return decodeVolume(h, h.gzip ? inflateAll(input, h) : input, false);
}

// Inflates a whole .nii.gz into a buffer of exactly the bytes the header says (more is not kept).
function inflateAll(compressed: Uint8Array, h: NiftiHeader): Uint8Array {
  const need = h.voxOffset + h.dims[0] * h.dims[1] * h.dims[2] * h.bytesPerVoxel;
  try {
    return fflateGunzip(compressed, { out: new Uint8Array(need) });
  } catch (err) {
    throw new DataError(h.file, `cannot gunzip (truncated or corrupt .nii.gz): ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Voxels of an (inflated) file. `owned`: the bytes may be swapped and viewed in place.
function decodeVolume(h: NiftiHeader, bytes: Uint8Array, owned: boolean): NiftiVolume {
  const { file, voxOffset, datatype } = h;
  const [nx, ny, nz] = h.dims;
  const le = h.littleEndian;
  const nvox = nx * ny * nz;
  const need = voxOffset + nvox * h.bytesPerVoxel;
  if (bytes.length < need) {
    throw new DataError(
      file,
      `header says ${nx} x ${ny} x ${nz} ${h.typeName} voxels (${nvox * h.bytesPerVoxel} bytes from offset ${voxOffset}), but the file has ${Math.max(0, bytes.length - voxOffset)} bytes of data`,
    );
  }
  const { slope, inter, useScale } = h;
  const bpv = h.bytesPerVoxel;

  // Voxel values, scaled. Viewed in place when this reader owns the bytes and they are aligned.
  const inPlace = (owned || h.gzip) && (bytes.byteOffset + voxOffset) % bpv === 0;
  const raw = inPlace ? bytes.subarray(voxOffset, need) : new Uint8Array(bytes.subarray(voxOffset, need)); // a copy (Buffer.slice would share)
  if (!le && bpv > 1) for (let o = 0; o < raw.length; o += bpv) raw.subarray(o, o + bpv).reverse();
  const buf = raw.buffer;
  const at = raw.byteOffset;
  let src: ArrayLike<number>;
  switch (datatype) {
    case 2:
      src = new Uint8Array(buf, at, nvox);
      break;
    case 4:
      src = new Int16Array(buf, at, nvox);
      break;
    case 8:
      src = new Int32Array(buf, at, nvox);
      break;
    case 16:
      src = new Float32Array(buf, at, nvox);
      break;
    case 64:
      src = new Float64Array(buf, at, nvox);
      break;
    case 256:
      src = new Int8Array(buf, at, nvox);
      break;
    case 512:
      src = new Uint16Array(buf, at, nvox);
      break;
    case 768:
      src = new Uint32Array(buf, at, nvox);
      break;
    case 1024:
      src = Float64Array.from(new BigInt64Array(buf, at, nvox), Number);
      break;
    default:
      src = Float64Array.from(new BigUint64Array(buf, at, nvox), Number);
      break;
  }
  if (datatype === 16 || datatype === 64) assertFinite(src, [nz, ny, nx], file, 'voxel [k, j, i]');
  const values = new Float32Array(nvox);
  const scaled = useScale && (slope !== 1 || inter !== 0);
  if (scaled) for (let p = 0; p < nvox; p++) values[p] = src[p]! * slope + inter;
  else for (let p = 0; p < nvox; p++) values[p] = src[p]!;
  // Every datatype: scaling, or float64 values beyond float32's range, can still give Inf.
  if (scaled || datatype === 64) {
    assertFinite(
      values,
      [nz, ny, nx],
      file,
      `voxel [k, j, i] as float32${scaled ? ` after scl_slope ${slope} and scl_inter ${inter}` : ''}`,
    );
  }

  // Voxel-to-world affine (3 x 4, row-major) of the file's i, j, k.
  let M: number[];
  let from: NiftiVolume['orientationFrom'];
  if (h.sformCode > 0) {
    M = h.srow;
    from = 'sform';
  } else if (h.qformCode > 0) {
    M = quaternionAffine(h.q, h.pixdim);
    from = 'qform';
  } else {
    M = [h.pixdim[1]!, 0, 0, 0, 0, h.pixdim[2]!, 0, 0, 0, 0, h.pixdim[3]!, 0];
    from = 'pixdim';
  }
  return canonicalize(values, [nx, ny, nz], M, file, from, datatype);
}

// qform: rotation from quaternion (b, c, d), voxel size pixdim[1..3], qfac = pixdim[0] (-1 flips k).
function quaternionAffine(q: number[], pixdim: number[]): number[] {
  const [b, c, d, qx, qy, qz] = q as [number, number, number, number, number, number];
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const qfac = pixdim[0]! < 0 ? -1 : 1;
  const [sx, sy, sz] = [pixdim[1]!, pixdim[2]!, pixdim[3]! * qfac];
  const R = [
    a * a + b * b - c * c - d * d,
    2 * (b * c - a * d),
    2 * (b * d + a * c),
    2 * (b * c + a * d),
    a * a + c * c - b * b - d * d,
    2 * (c * d - a * b),
    2 * (b * d - a * c),
    2 * (c * d + a * b),
    a * a + d * d - c * c - b * b,
  ];
  return [R[0]! * sx, R[1]! * sy, R[2]! * sz, qx, R[3]! * sx, R[4]! * sy, R[5]! * sz, qy, R[6]! * sx, R[7]! * sy, R[8]! * sz, qz];
}

// Reorders the file's voxel axes to RAS+: each file axis goes to the world axis it points along most.
function canonicalize(
  values: Float32Array,
  dims: [number, number, number],
  M: number[],
  file: string,
  from: NiftiVolume['orientationFrom'],
  datatype: number,
): NiftiVolume {
  const col = (a: number) => [M[a]!, M[4 + a]!, M[8 + a]!];
  // Greedy assignment by largest absolute component (like nibabel's io_orientation).
  const worldOf = [-1, -1, -1];
  const sign = [1, 1, 1];
  const used = [false, false, false];
  const cands: Array<[number, number, number]> = [];
  for (let a = 0; a < 3; a++) for (let w = 0; w < 3; w++) cands.push([Math.abs(col(a)[w]!) / (Math.hypot(...col(a)) || 1), a, w]);
  cands.sort((p, r) => r[0] - p[0]);
  for (const [mag, a, w] of cands) {
    if (worldOf[a]! >= 0 || used[w] || mag === 0) continue;
    worldOf[a] = w;
    used[w] = true;
    sign[a] = col(a)[w]! < 0 ? -1 : 1;
  }
  if (worldOf.some((w) => w < 0))
    throw new DataError(file, `degenerate ${from} (an axis has no direction); expected an invertible voxel-to-world transform`, 'header');
  const letters = [
    ['L', 'R'],
    ['P', 'A'],
    ['I', 'S'],
  ];
  const fileOrientation = worldOf.map((w, a) => letters[w]![sign[a]! > 0 ? 1 : 0]).join('');

  const outDims = [0, 0, 0] as [number, number, number];
  const spacing = [0, 0, 0] as [number, number, number];
  for (let a = 0; a < 3; a++) {
    outDims[worldOf[a]!] = dims[a]!;
    spacing[worldOf[a]!] = Math.hypot(...col(a)) || 1;
  }
  const [X, Y] = outDims;
  // Output stride for each file axis, and where index 0 of that axis lands.
  const outStride = [1, X, X * Y];
  const stride = [0, 0, 0];
  let origin = 0;
  for (let a = 0; a < 3; a++) {
    const s = outStride[worldOf[a]!]!;
    stride[a] = sign[a]! * s;
    if (sign[a]! < 0) origin += (dims[a]! - 1) * s;
  }
  const out = new Float32Array(values.length);
  const [nx, ny, nz] = dims;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let o = origin + k * stride[2]! + j * stride[1]!;
      for (let i = 0; i < nx; i++, p++, o += stride[0]!) out[o] = values[p]!;
    }
  }
  // Affine of the canonical array: column w is the (flipped) file axis mapped to world axis w.
  const affine = new Array<number>(16).fill(0);
  affine[15] = 1;
  const t = [M[3]!, M[7]!, M[11]!];
  for (let a = 0; a < 3; a++) {
    const w = worldOf[a]!;
    const c = col(a);
    for (let r = 0; r < 3; r++) {
      affine[r * 4 + w] = sign[a]! * c[r]!;
      if (sign[a]! < 0) t[r]! += c[r]! * (dims[a]! - 1);
    }
  }
  for (let r = 0; r < 3; r++) affine[r * 4 + 3] = t[r]!;
  return { file, dims: outDims, spacing, data: out, affine, fileOrientation, orientationFrom: from, datatype };
}

/** Reads a .nii or .nii.gz file into canonical RAS+ orientation, within the memory budget (see parseNifti). */
export function readNifti(path: string, options: { memoryBudget?: number; held?: MemoryItem[] } = {}): NiftiVolume {
  return withFileSource(path, (src) => {
    const h = headerFrom((n) => src.read(0, n), src.size, path);
    const m = niftiMemory(h);
    checkMemory(path, [...(options.held ?? []), ...m.transient, m.kept], options.memoryBudget);
    const bytes = src.read(0, src.size);
    return decodeVolume(h, h.gzip ? inflateAll(bytes, h) : bytes, true);
  });
}

/** Slicing axis: `axial` (fixed z), `coronal` (fixed y) or `sagittal` (fixed x). */
export type SliceAxis = 'axial' | 'coronal' | 'sagittal';

/**
 * Extracts slice `s` along `axis` of a canonical volume as a 2D plane in display orientation
 * (radiological convention: the patient's right on the image's left):
 * - axial: rows anterior to posterior, columns right to left;
 * - coronal: rows superior to inferior, columns right to left;
 * - sagittal: rows superior to inferior, columns anterior to posterior.
 * Returns the plane and its height and width.
 */
export function slicePlane<T extends Float32Array | Uint8Array>(
  vol: T,
  dims: [number, number, number],
  axis: SliceAxis,
  s: number,
): { plane: T; h: number; w: number } {
  const [X, Y, Z] = dims;
  const at = (x: number, y: number, z: number) => vol[(z * Y + y) * X + x]!;
  const make = (h: number, w: number, f: (r: number, c: number) => number) => {
    const plane = new (vol.constructor as new (n: number) => T)(h * w);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) plane[r * w + c] = f(r, c);
    return { plane, h, w };
  };
  if (axis === 'axial') return make(Y, X, (r, c) => at(X - 1 - c, Y - 1 - r, s));
  if (axis === 'coronal') return make(Z, X, (r, c) => at(X - 1 - c, s, Z - 1 - r));
  return make(Z, Y, (r, c) => at(s, Y - 1 - c, Z - 1 - r));
}

/** Options of `loadNiftiCase`. */
export interface NiftiCaseOptions {
  /** Channel name -> file, in channel order, e.g. `{ T1: 't1.nii.gz', FLAIR: 'flair.nii.gz' }`. All on one voxel grid. */
  channels: Record<string, string>;
  /** Optional segmentation volume on the same grid (nonzero = structure; label values kept in the mask). */
  seg?: string;
  /** Slicing axis. Default `'axial'`. */
  axis?: SliceAxis;
  /**
   * Which slices to keep: `'nonempty'` (default; any channel has a nonzero voxel, i.e. not outside a
   * skull-stripped brain), `'labelled'` (the segmentation has at least `minLabelVoxels` voxels there),
   * or `'all'`. Left-out slices are listed in `skipped`.
   */
  keep?: 'nonempty' | 'labelled' | 'all';
  /** A slice is labelled 1 when its segmentation has at least this many nonzero voxels. Default 1. */
  minLabelVoxels?: number;
  /** Name of the segmented structure (mask name and positive class). Default `'tumour'`. */
  structure?: string;
  /** Centre-crop each slice to a square and resize it to size x size (area averaging). Default: native size. */
  size?: number;
  /** Memory budget in bytes (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
}

// What loadNiftiCase holds at its peak: every volume's float32 voxels, the largest read in progress, the
// segmentation's labels, and the kept slices twice (the slices, then the dataset's array).
function niftiCaseMemory(headers: NiftiHeader[], channels: number, options: NiftiCaseOptions): MemoryItem[] {
  const nvox = (h: NiftiHeader) => h.dims[0] * h.dims[1] * h.dims[2];
  const kept = headers.reduce((a, h) => a + niftiMemory(h).kept.bytes, 0);
  const reading = Math.max(...headers.map((h) => niftiMemory(h).transient.reduce((a, i) => a + i.bytes, 0)));
  const h0 = headers[0]!;
  const outVoxels = options.size ? Math.max(...h0.dims) * options.size ** 2 : nvox(h0);
  const items: MemoryItem[] = [
    { what: `float32 volumes (${headers.length})`, bytes: kept },
    { what: 'reading one file', bytes: reading },
    { what: 'the slices and their dataset array', bytes: 2 * outVoxels * channels * 4, elements: outVoxels * channels },
  ];
  if (options.seg) items.push({ what: 'segmentation labels and masks', bytes: nvox(h0) + 2 * outVoxels });
  return items;
}

/**
 * Loads one case of co-registered volumes as 2D slices: N = kept slices, C = channels (named as in
 * `channels`), slices in display orientation (see `slicePlane`), ordered inferior to superior
 * (axial), posterior to anterior (coronal) or right to left (sagittal). With `seg`: labels
 * (`no <structure>` / `<structure>`) and a mask per slice visible in every channel.
 */
export async function loadNiftiCase(options: NiftiCaseOptions): Promise<ImageDataset> {
  const names = Object.keys(options.channels);
  if (names.length === 0) throw new DataError('nifti', 'no channels given; expected name=file pairs such as T1=t1.nii.gz');
  const axis = options.axis ?? 'axial';
  if (!['axial', 'coronal', 'sagittal'].includes(axis)) throw new DataError('nifti', `axis "${axis}"; expected axial, coronal or sagittal`);
  const keep = options.keep ?? 'nonempty';
  if (keep === 'labelled' && !options.seg) throw new DataError('nifti', 'keep=labelled needs a segmentation (seg)');
  const minLabel = options.minLabelVoxels ?? 1;
  const structure = options.structure ?? 'tumour';

  // Every header first: the memory the whole case needs is checked before any voxel is read.
  const headers = [...names.map((n) => readNiftiHeader(options.channels[n]!)), ...(options.seg ? [readNiftiHeader(options.seg)] : [])];
  checkMemory(headers[0]!.file, niftiCaseMemory(headers, names.length, options), options.memoryBudget);
  const vols = names.map((n) => readNifti(options.channels[n]!, { memoryBudget: options.memoryBudget }));
  const ref = vols[0]!;
  const check = (v: NiftiVolume, what: string) => {
    if (v.dims.join() !== ref.dims.join()) {
      throw new DataError(
        v.file,
        `${what} is ${v.dims.join(' x ')} voxels but ${names[0]} (${ref.file}) is ${ref.dims.join(' x ')}; expected every channel on the same grid`,
      );
    }
    const d = Math.max(...v.affine.map((a, k) => Math.abs(a - ref.affine[k]!)));
    if (d > 0.1)
      throw new DataError(
        v.file,
        `${what} has a different voxel-to-world transform than ${names[0]} (differs by ${d.toFixed(3)} mm); expected co-registered volumes`,
      );
  };
  vols.forEach((v, c) => check(v, `channel ${names[c]}`));
  let seg: Uint8Array | null = null;
  if (options.seg) {
    const s = readNifti(options.seg, { memoryBudget: options.memoryBudget });
    check(s, 'the segmentation');
    seg = new Uint8Array(s.data.length);
    for (let p = 0; p < seg.length; p++) {
      const v = s.data[p]!;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255))
        throw new DataError(s.file, `segmentation value ${v}; expected integer labels 0..255`);
      seg[p] = v;
    }
  }

  const dims = ref.dims;
  const nSlices = axis === 'axial' ? dims[2] : axis === 'coronal' ? dims[1] : dims[0];
  const kept: Array<{ s: number; planes: Float32Array[]; mask: Uint8Array | null; labelled: boolean }> = [];
  const skipped: SkippedItem[] = [];
  let H = 0;
  let W = 0;
  for (let s = 0; s < nSlices; s++) {
    const planes = vols.map((v) => slicePlane(v.data, dims, axis, s));
    const ms = seg ? slicePlane(seg, dims, axis, s) : null;
    let labelVoxels = 0;
    if (ms) for (const v of ms.plane) if (v) labelVoxels++;
    const labelled = labelVoxels >= minLabel;
    const nonempty = planes.some((p) => p.plane.some((v) => v !== 0));
    if (keep === 'nonempty' && !nonempty) {
      skipped.push({ item: `${axis} slice ${s}`, reason: 'every channel is zero (outside the imaged region)' });
      continue;
    }
    if (keep === 'labelled' && !labelled) {
      skipped.push({ item: `${axis} slice ${s}`, reason: `fewer than ${minLabel} ${structure} voxels` });
      continue;
    }
    const h = planes[0]!.h;
    const w = planes[0]!.w;
    let fp = planes.map((p) => p.plane);
    let mp = ms ? ms.plane : null;
    if (options.size) {
      fp = fp.map((p) => squarePlane(p, h, w, options.size!));
      mp = mp ? squareLabels(mp, h, w, options.size) : null;
      [H, W] = [options.size, options.size];
    } else [H, W] = [h, w];
    kept.push({ s, planes: fp, mask: mp, labelled });
  }
  if (kept.length === 0) throw new DataError(options.seg ?? ref.file, `no ${axis} slice kept (keep=${keep}); expected at least one`);

  const C = names.length;
  const N = kept.length;
  const HW = H * W;
  const images = new Float32Array(N * C * HW);
  kept.forEach((k, i) => k.planes.forEach((p, c) => images.set(p, (i * C + c) * HW)));
  const sp =
    axis === 'axial'
      ? [ref.spacing[1], ref.spacing[0]]
      : axis === 'coronal'
        ? [ref.spacing[2], ref.spacing[0]]
        : [ref.spacing[2], ref.spacing[1]];
  const scale = options.size
    ? Math.min(...(axis === 'axial' ? [dims[1], dims[0]] : axis === 'coronal' ? [dims[2], dims[0]] : [dims[2], dims[1]])) / options.size
    : 1;
  const ds: ImageDataset = {
    images,
    shape: [N, C, H, W],
    channelNames: names,
    ids: kept.map((k) => `${basename(ref.file)} ${axis} ${k.s}`),
    // One case: every slice belongs to the subject of the first channel's file.
    groups: kept.map(() => basename(ref.file)),
    sliceIndex: Int32Array.from(kept, (k) => k.s),
    spacing: [sp[0]! * scale, sp[1]! * scale],
    skipped,
    source: `nifti:${names.map((n) => `${n}=${options.channels[n]}`).join(',')}${options.seg ? `?seg=${options.seg}` : ''}`,
  };
  if (seg) {
    const mask = new Uint8Array(N * HW);
    kept.forEach((k, i) => mask.set(k.mask!, i * HW));
    ds.masks = [{ name: structure, channels: [...names], data: mask }];
    ds.labels = Int32Array.from(kept, (k) => (k.labelled ? 1 : 0));
    ds.labelWidth = 1;
    ds.task = 'binary';
    ds.classNames = [`no ${structure}`, structure];
  }
  return ds;
}
