// A small zip reader for .npz files: the central directory is read first, an entry's first bytes can be
// inflated without inflating the rest (to read a .npy header and size the array before reading it), and
// a whole entry is read into a buffer of the size the directory gives, its CRC-32 checked as Python's
// zipfile (and so numpy.load) does. Stored (0) and deflate (8) entries; zip64 sizes and offsets.
import * as zlib from 'node:zlib';
import { inflateSync } from 'fflate';
import { DataError } from './errors.js';
import type { ByteSource } from './byte-source.js';

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localOffset: number;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;

/** Reads the central directory; `file` names the archive in errors, `what` says what it should be. */
export function readZipDirectory(src: ByteSource, file: string, what: string): ZipEntry[] {
  const bad = (why: string): never => {
    throw new DataError(file, `cannot unzip (truncated or corrupt ${what}): ${why}`);
  };
  if (src.size < 22) bad(`only ${src.size} bytes, no end-of-central-directory record`);
  const tailLen = Math.min(src.size, 22 + 0xffff);
  const tail = src.read(src.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50 && i + 22 + u16(tail, i + 20) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end-of-central-directory record');
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(tail, loc) !== 0x07064b50) bad('zip64 archive without its end-of-central-directory locator');
    const z64 = src.read(u64(tail, loc + 8), 56);
    if (z64.length < 56 || u32(z64, 0) !== 0x06064b50) bad('zip64 end-of-central-directory record not found where its locator points');
    count = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (cdOffset + cdSize > src.size)
    bad(`the central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the file (${src.size} bytes)`);
  const cd = src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50) bad(`central directory entry ${k} of ${count} is malformed`);
    const method = u16(cd, p + 10);
    const crc32 = u32(cd, p + 16);
    let compressedSize = u32(cd, p + 20);
    let size = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28),
      extraLen = u16(cd, p + 30),
      commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) bad(`central directory entry ${k} runs past the directory`);
    const name = Buffer.from(cd.buffer, cd.byteOffset + p + 46, nameLen).toString('utf8');
    // zip64 extended information: each field present only where the 32-bit one is saturated.
    for (let e = p + 46 + nameLen, end = e + extraLen; e + 4 <= end;) {
      const id = u16(cd, e),
        len = u16(cd, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) bad(`${name}: short zip64 extra field`);
          const v = u64(cd, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, crc32, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function dataOffset(src: ByteSource, e: ZipEntry, file: string): number {
  const h = src.read(e.localOffset, 30);
  if (h.length < 30 || u32(h, 0) !== 0x04034b50)
    throw new DataError(file, `cannot unzip: no local file header at offset ${e.localOffset}`, e.name);
  const start = e.localOffset + 30 + u16(h, 26) + u16(h, 28);
  if (start + e.compressedSize > src.size)
    throw new DataError(
      file,
      `cannot unzip (truncated): its ${e.compressedSize} compressed bytes run past the end of the file (${src.size} bytes)`,
      e.name,
    );
  if (e.method !== 0 && e.method !== 8)
    throw new DataError(
      file,
      `compression method ${e.method}; expected stored (0) or deflate (8), as numpy.savez and savez_compressed write`,
      e.name,
    );
  if (e.method === 0 && e.size !== e.compressedSize)
    throw new DataError(file, `stored with sizes ${e.compressedSize} and ${e.size} that disagree`, e.name);
  return start;
}

/**
 * The first `n` bytes of an entry's contents (fewer when it is shorter), inflating only as much of a
 * deflate entry as that takes: the compressed prefix read grows only while it gives fewer than n bytes.
 */
export function readEntryHead(src: ByteSource, e: ZipEntry, n: number, file: string): Uint8Array {
  const start = dataOffset(src, e, file);
  if (e.method === 0) return src.read(start, Math.min(n, e.size));
  for (let k = 1024; ; k *= 4) {
    const part = src.read(start, Math.min(k, e.compressedSize));
    let out: Uint8Array;
    try {
      out = zlib.inflateRawSync(part, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new DataError(file, `cannot unzip (corrupt deflate data): ${(err as Error).message}`, e.name);
    }
    if (out.length >= n || k >= e.compressedSize) return out.subarray(0, n);
  }
}

/**
 * An entry's contents, `e.size` bytes, its CRC-32 checked against the directory's. Holds the compressed
 * bytes and the contents at once (`entryMemory`).
 */
export function readEntry(src: ByteSource, e: ZipEntry, file: string): Uint8Array {
  const start = dataOffset(src, e, file);
  const raw = src.read(start, e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) out = raw;
  else {
    try {
      // Into a buffer of exactly the directory's size (inflating more bytes than that keeps none of them).
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new DataError(file, `cannot unzip (truncated or corrupt deflate data): ${(err as Error).message}`, e.name);
    }
  }
  if (out.length !== e.size)
    throw new DataError(file, `cannot unzip (truncated or corrupt): ${out.length} bytes, the zip directory says ${e.size}`, e.name);
  const crc = crc32(out);
  if (crc !== e.crc32) {
    throw new DataError(
      file,
      `CRC-32 ${hex(crc)} of the contents does not match ${hex(e.crc32)} in the zip directory: the file is corrupt (numpy.load refuses it too)`,
      e.name,
    );
  }
  return out;
}

/** Bytes `readEntry` holds at once for an entry. */
export function entryMemory(e: ZipEntry): number {
  return e.method === 0 ? e.size : e.compressedSize + e.size;
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

let table: Uint32Array | null = null;

/** CRC-32 (IEEE, as zip uses): node:zlib's where it has one (Node >= 20.15), else a table. */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof native === 'function') {
    // In pieces: zlib's crc32 takes at most 2^31 - 1 bytes at a time.
    let c = 0;
    for (let o = 0; o < bytes.length || o === 0; o += 1 << 30) {
      c = native(bytes.subarray(o, o + (1 << 30)), c);
      if (bytes.length === 0) break;
    }
    return c >>> 0;
  }
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
