// NumPy .npy and .npz reading in TypeScript: header, dtypes, C and Fortran order.
// .npz is a zip of .npy files (numpy.savez / savez_compressed), read with zip.ts: array headers first,
// data only when asked for, CRC-32 checked.
import { readFileSync } from 'node:fs';
import { DataError } from './errors.js';
import { fileSource, memorySource, type ByteSource } from './byte-source.js';
import { entryMemory, readEntry, readEntryHead, readZipDirectory, type ZipEntry } from './zip.js';

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

/** What a .npy header says, read before the data: enough to size the array. */
export interface NpyHeader {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  /** Offset of the data from the start of the .npy bytes. */
  dataStart: number;
  /** Bytes of data the header says follow. */
  nbytes: number;
  /** Bytes of the typed array `parseNpy` returns (64-bit integers become float64, float16 float32). */
  outBytes: number;
}

const ITEMSIZE: Record<string, number> = { b1: 1, i1: 1, u1: 1, i2: 2, u2: 2, f2: 2, i4: 4, u4: 4, f4: 4, i8: 8, u8: 8, f8: 8 };

/**
 * Parses a .npy header from the first bytes of the file (`bytes` may stop after the header; 12 bytes
 * give the header's length). `name` is used in error messages (file or zip entry).
 */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
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
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new DataError(name, `malformed shape (${shapeText}) in .npy header`);
  const count = shape.reduce((a, b) => a * b, 1);

  const order = descr[0]!;
  const kind = descr.slice(1);
  if (!['<', '>', '|', '='].includes(order)) throw new DataError(name, `unsupported npy dtype '${descr}'; expected one of ${SUPPORTED}`);
  const size = ITEMSIZE[kind];
  if (size === undefined) {
    const what = kind.startsWith('c')
      ? ' (complex)'
      : kind.startsWith('U') || kind.startsWith('S')
        ? ' (string)'
        : kind === 'O'
          ? ' (Python object)'
          : kind.startsWith('M') || kind.startsWith('m')
            ? ' (date/time)'
            : '';
    throw new DataError(name, `unsupported npy dtype '${descr}'${what}; expected one of ${SUPPORTED}`);
  }
  const outSize = kind === 'i8' || kind === 'u8' ? 8 : kind === 'f2' ? 4 : size;
  return {
    dtype: descr,
    shape,
    fortranOrder: fortran === 'True',
    dataStart: headerStart + headerLen,
    nbytes: count * size,
    outBytes: count * outSize,
  };
}

/** Bytes `parseNpy` holds at once besides its input: the aligned copy, a widened copy, a C-order copy. */
export function npyMemory(h: NpyHeader): number {
  const widened = h.outBytes !== h.nbytes || h.dtype.endsWith('f2') ? h.outBytes : 0;
  return h.nbytes + widened + (h.fortranOrder && h.shape.length > 1 ? h.outBytes : 0);
}

/** Parses the bytes of one .npy file. `name` is used in error messages (file or zip entry). */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const h = parseNpyHeader(bytes, name);
  const { dtype: descr, shape, dataStart, nbytes } = h;
  const kind = descr.slice(1);
  const size = ITEMSIZE[kind]!;
  const big = descr[0] === '>';
  if (bytes.length - dataStart < nbytes) {
    throw new DataError(
      name,
      `truncated data: shape (${shape.join(', ')}) of '${descr}' needs ${nbytes} bytes, the file has ${bytes.length - dataStart}`,
    );
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
    case 'u1':
      data = new Uint8Array(buf);
      break;
    case 'i1':
      data = new Int8Array(buf);
      break;
    case 'u2':
      data = new Uint16Array(buf);
      break;
    case 'i2':
      data = new Int16Array(buf);
      break;
    case 'u4':
      data = new Uint32Array(buf);
      break;
    case 'i4':
      data = new Int32Array(buf);
      break;
    case 'f4':
      data = new Float32Array(buf);
      break;
    case 'f8':
      data = new Float64Array(buf);
      break;
    case 'i8':
      data = Float64Array.from(new BigInt64Array(buf), Number);
      break;
    case 'u8':
      data = Float64Array.from(new BigUint64Array(buf), Number);
      break;
    case 'f2':
      data = Float32Array.from(new Uint16Array(buf), halfToFloat);
      break;
    default:
      throw new DataError(name, `unsupported npy dtype '${descr}'`);
  }
  if (h.fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: descr, shape, fortranOrder: h.fortranOrder, data };
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

/** One array of an open .npz: its entry and its .npy header (no data read yet). */
export interface NpzArrayInfo extends NpyHeader {
  /** The zip entry, e.g. `train_images.npy`. */
  entry: string;
  /** Bytes reading it holds at once (its zip entry, the parse copies) besides the returned array. */
  readBytes: number;
}

/** A .npz whose directory and array headers are read; `read` reads one array's data. */
export interface NpzFile {
  file: string;
  /** Size of the .npz file. */
  fileBytes: number;
  /** Arrays by name (without `.npy`), in the archive's order. */
  arrays: Map<string, NpzArrayInfo>;
  /** Reads one array (CRC-32 checked). */
  read(name: string): NpyArray;
  close(): void;
}

function openNpzSource(src: ByteSource, file: string, only?: string[]): NpzFile {
  if (src.size < 4 || src.read(0, 2)[0] !== 0x50 || src.read(0, 2)[1] !== 0x4b) {
    src.close();
    throw new DataError(file, 'not a zip archive; expected a .npz written by numpy.savez or savez_compressed');
  }
  try {
    const entries = new Map<string, ZipEntry>();
    const arrays = new Map<string, NpzArrayInfo>();
    for (const e of readZipDirectory(src, file, '.npz')) {
      if (!e.name.endsWith('.npy')) continue;
      const name = e.name.replace(/\.npy$/, '');
      if (only && !only.includes(name)) continue;
      const where = `${file}:${e.name}`;
      let head = readEntryHead(src, e, 12, file);
      const len =
        head.length >= 12
          ? head[6] === 1
            ? 10 + (head[8]! | (head[9]! << 8))
            : 12 + new DataView(head.buffer, head.byteOffset).getUint32(8, true)
          : 12;
      if (len > head.length) head = readEntryHead(src, e, Math.min(len, 16 * 1024 * 1024), file);
      const h = parseNpyHeader(head, where);
      entries.set(name, e);
      arrays.set(name, { ...h, entry: e.name, readBytes: entryMemory(e) + npyMemory(h) });
    }
    return {
      file,
      fileBytes: src.size,
      arrays,
      read(name) {
        const e = entries.get(name);
        if (!e) throw new DataError(file, `no array ${name}`);
        return parseNpy(readEntry(src, e, file), `${file}:${e.name}`);
      },
      close: () => src.close(),
    };
  } catch (err) {
    src.close();
    throw err;
  }
}

/**
 * Opens a .npz file: reads its zip directory and the header of every array (`only`: those names)
 * without reading their data, so their sizes can be checked before anything large is allocated.
 */
export function openNpz(path: string, only?: string[]): NpzFile {
  return openNpzSource(fileSource(path), path, only);
}

/**
 * Parses the bytes of a .npz archive. Returns the arrays by name (without `.npy`).
 * `only` limits decompression to those array names. Every entry's CRC-32 is checked.
 */
export function parseNpz(bytes: Uint8Array, file: string, only?: string[]): Map<string, NpyArray> {
  const npz = openNpzSource(memorySource(bytes), file, only);
  try {
    return new Map([...npz.arrays.keys()].map((n) => [n, npz.read(n)]));
  } finally {
    npz.close();
  }
}

/** Names of the arrays in a .npz archive, read from the zip's central directory without decompressing. */
export function listNpz(bytes: Uint8Array, file: string): string[] {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new DataError(file, 'not a zip archive; expected a .npz written by numpy.savez or savez_compressed');
  }
  return readZipDirectory(memorySource(bytes), file, '.npz').map((e) => e.name.replace(/\.npy$/, ''));
}

/** Reads a .npz file from disk (see `parseNpz`). */
export function readNpz(path: string, only?: string[]): Map<string, NpyArray> {
  const npz = openNpz(path, only);
  try {
    return new Map([...npz.arrays.keys()].map((n) => [n, npz.read(n)]));
  } finally {
    npz.close();
  }
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
    data instanceof Uint8Array
      ? '|u1'
      : data instanceof Int8Array
        ? '|i1'
        : data instanceof Uint16Array
          ? '<u2'
          : data instanceof Int16Array
            ? '<i2'
            : data instanceof Uint32Array
              ? '<u4'
              : data instanceof Int32Array
                ? '<i4'
                : data instanceof Float32Array
                  ? '<f4'
                  : '<f8';
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
