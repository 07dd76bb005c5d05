// NumPy .npy and .npz reading in TypeScript: header, dtypes, C and Fortran order.
// .npz is a zip of .npy files (numpy.savez / savez_compressed), opened with fflate.
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { DataError } from './errors.js';

/** A typed array as read from a .npy file, always in C (row-major) order. */
export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** One array from a .npy file. */
export interface NpyArray {
  /** The file's dtype string, e.g. `|u1`, `<f4`. */
  dtype: string;
  /** Array shape; `[]` for a scalar. */
  shape: number[];
  /** Whether the file stored the data in Fortran order (the returned `data` is always C order). */
  fortranOrder: boolean;
  /**
   * Values in C order. 64-bit integers become Float64Array (exact below 2^53), float16 becomes
   * Float32Array, bool becomes Uint8Array.
   */
  data: NpyData;
}

const SUPPORTED = 'bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, float32, float64';

/** Parses the bytes of one .npy file. `name` is used in error messages (file or zip entry). */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) {
    throw new DataError(name, 'not a .npy array: expected the magic bytes \\x93NUMPY at the start');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError(name, 'truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DataError(name, `unsupported .npy format version ${major}; expected 1, 2 or 3`);
  }
  if (headerStart + headerLen > bytes.length) throw new DataError(name, 'truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    if (/'descr'\s*:\s*\[/.test(header)) {
      throw new DataError(name, `unsupported npy dtype (a structured record type); expected one of ${SUPPORTED}`);
    }
    throw new DataError(name, `malformed .npy header ${JSON.stringify(header.trim())}; expected descr, fortran_order and shape`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(name, `malformed shape (${shapeText}) in .npy header`);
  const count = shape.reduce((a, b) => a * b, 1);

  const order = descr[0]!;
  const kind = descr.slice(1);
  const big = order === '>';
  if (!['<', '>', '|', '='].includes(order)) throw new DataError(name, `unsupported npy dtype '${descr}'; expected one of ${SUPPORTED}`);
  const itemsize: Record<string, number> = { b1: 1, i1: 1, u1: 1, i2: 2, u2: 2, f2: 2, i4: 4, u4: 4, f4: 4, i8: 8, u8: 8, f8: 8 };
  const size = itemsize[kind];
  if (size === undefined) {
    const what = kind.startsWith('c') ? ' (complex)' : kind.startsWith('U') || kind.startsWith('S') ? ' (string)' : kind === 'O' ? ' (Python object)' : kind.startsWith('M') || kind.startsWith('m') ? ' (date/time)' : '';
    throw new DataError(name, `unsupported npy dtype '${descr}'${what}; expected one of ${SUPPORTED}`);
  }
  const dataStart = headerStart + headerLen;
  const nbytes = count * size;
  if (bytes.length - dataStart < nbytes) {
    throw new DataError(name, `truncated data: shape (${shape.join(', ')}) of '${descr}' needs ${nbytes} bytes, the file has ${bytes.length - dataStart}`);
  }
  // Copy into an aligned buffer (and swap bytes for big-endian data).
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + nbytes)); // a copy (Buffer.slice would share)
  if (big && size > 1) {
    for (let i = 0; i < nbytes; i += size) raw.subarray(i, i + size).reverse();
  }
  const buf = raw.buffer;
  let data: NpyData;
  switch (kind) {
    case 'b1':
    case 'u1': data = new Uint8Array(buf); break;
    case 'i1': data = new Int8Array(buf); break;
    case 'u2': data = new Uint16Array(buf); break;
    case 'i2': data = new Int16Array(buf); break;
    case 'u4': data = new Uint32Array(buf); break;
    case 'i4': data = new Int32Array(buf); break;
    case 'f4': data = new Float32Array(buf); break;
    case 'f8': data = new Float64Array(buf); break;
    case 'i8': data = Float64Array.from(new BigInt64Array(buf), Number); break;
    case 'u8': data = Float64Array.from(new BigUint64Array(buf), Number); break;
    case 'f2': data = Float32Array.from(new Uint16Array(buf), halfToFloat); break;
    default: throw new DataError(name, `unsupported npy dtype '${descr}'`);
  }
  const fortranOrder = fortran === 'True';
  if (fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: descr, shape, fortranOrder, data };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reorders Fortran-order (column-major) data of `shape` into C order. */
function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const nd = shape.length;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  // Fortran strides: axis 0 varies fastest.
  const fstride = new Array<number>(nd);
  fstride[0] = 1;
  for (let d = 1; d < nd; d++) fstride[d] = fstride[d - 1]! * shape[d - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let fpos = 0;
  for (let c = 0; c < src.length; c++) {
    out[c] = src[fpos]!;
    // Increment the C-order multi-index (last axis fastest) and track the Fortran offset.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      fpos += fstride[d]!;
      if (idx[d]! < shape[d]!) break;
      fpos -= fstride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Reads a .npy file from disk. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readBytes(path), path);
}

/**
 * Parses the bytes of a .npz archive. Returns the arrays by name (without `.npy`).
 * `only` limits decompression to those array names.
 */
export function parseNpz(bytes: Uint8Array, file: string, only?: string[]): Map<string, NpyArray> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new DataError(file, 'not a zip archive; expected a .npz written by numpy.savez or savez_compressed');
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => !only || only.includes(f.name.replace(/\.npy$/, '')) });
  } catch (err) {
    throw new DataError(file, `cannot unzip (truncated or corrupt .npz): ${err instanceof Error ? err.message : String(err)}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [entry, data] of Object.entries(entries)) {
    if (!entry.endsWith('.npy')) continue;
    out.set(entry.replace(/\.npy$/, ''), parseNpy(data, `${file}:${entry}`));
  }
  return out;
}

/** Names of the arrays in a .npz archive, read from the zip's central directory without decompressing. */
export function listNpz(bytes: Uint8Array, file: string): string[] {
  const names: string[] = [];
  parseNpzFilterOnly(bytes, file, names);
  return names;
}

function parseNpzFilterOnly(bytes: Uint8Array, file: string, names: string[]): void {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new DataError(file, 'not a zip archive; expected a .npz written by numpy.savez or savez_compressed');
  }
  try {
    unzipSync(bytes, { filter: (f) => (names.push(f.name.replace(/\.npy$/, '')), false) });
  } catch (err) {
    throw new DataError(file, `cannot read the zip directory (truncated or corrupt .npz): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads a .npz file from disk (see `parseNpz`). */
export function readNpz(path: string, only?: string[]): Map<string, NpyArray> {
  return parseNpz(readBytes(path), path, only);
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Writes one array as .npy bytes (version 1.0, C order). Useful for tests and for exporting results. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const descr =
    data instanceof Uint8Array ? '|u1' : data instanceof Int8Array ? '|i1' : data instanceof Uint16Array ? '<u2'
      : data instanceof Int16Array ? '<i2' : data instanceof Uint32Array ? '<u4' : data instanceof Int32Array ? '<i4'
        : data instanceof Float32Array ? '<f4' : '<f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
