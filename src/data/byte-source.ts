// Random access to the bytes of a file or a buffer, read in pieces (files over 2 GiB work) with errors
// that name the file: the zip reader (.npz) and the NIfTI reader share it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from './errors.js';

/** Random access to bytes: in memory or an open file. */
export interface ByteSource {
  size: number;
  /** Bytes [offset, offset + length); fewer only at the end. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** A ByteSource over bytes in memory. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (o, n) => bytes.subarray(o, o + n), close: () => {} };
}

/** A ByteSource over a file (read in pieces, so files over 2 GiB work); errors name the file. */
export function fileSource(path: string): ByteSource {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
    size = fstatSync(fd).size;
  } catch (err) {
    throw new DataError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        let k: number;
        try {
          k = readSync(fd, out, got, Math.min(n - got, 1 << 30), offset + got);
        } catch (err) {
          throw new DataError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        if (k === 0) return out.subarray(0, got);
        got += k;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}

/** Runs `body` on a file's ByteSource and closes the file afterwards. */
export function withFileSource<T>(path: string, body: (src: ByteSource) => T): T {
  const src = fileSource(path);
  try {
    return body(src);
  } finally {
    src.close();
  }
}
