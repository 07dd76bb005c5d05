// The safetensors format (https://github.com/huggingface/safetensors), written and read in TypeScript:
// an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then one contiguous byte buffer. Files are interchangeable with PyTorch's `safetensors` package.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';

export type SafeDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** Raw little-endian bytes, or a typed array of the dtype. F16/BF16 stay raw bytes (Uint16Array views). */
  data: ArrayBufferView;
}

const BYTES: Record<SafeDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

/** A safetensors file that cannot be read; the message names the file once (`reason` is the rest). */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'SafetensorsError';
  }
}

/**
 * `err` as an error naming `file` once: a SafetensorsError about that file as it is, anything else with
 * `file: ` in front (callers that add the weights file to a model's loadStateDict error use this).
 */
export function namingFile(file: string, err: unknown): Error {
  if (err instanceof SafetensorsError && err.file === file) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(msg.startsWith(`${file}: `) ? msg : `${file}: ${msg}`, { cause: err });
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Serialises tensors (in name order) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const expected = t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new RangeError(`safetensors: '${name}' has ${t.data.byteLength} bytes, shape [${t.shape}] of ${t.dtype} needs ${expected}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const b = bytesOf(tensors[name]!.data);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

function typedView(dtype: SafeDtype, bytes: Uint8Array): ArrayBufferView {
  // Copy into a fresh aligned buffer: offsets inside a file need not be aligned to the element size
  // (and Buffer.slice would alias Node's shared pool instead of copying).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const buf = copy.buffer;
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buf);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf);
  }
}

/** Parses safetensors bytes, validating the header against the spec; `source` names the file in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors data',
): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new SafetensorsError(source, `not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes, the 8-byte header length is missing`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) fail(`header length ${n} does not fit in ${bytes.length} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    return fail(`header is not JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const data = bytes.subarray(8 + n);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors: Record<string, SafeTensor> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (!info || !(info.dtype! in BYTES)) fail(`tensor '${name}' has unknown dtype ${JSON.stringify(info?.dtype)}`);
    if (!Array.isArray(info.shape) || info.shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`tensor '${name}' has a bad shape`);
    const [begin, end] = info.data_offsets ?? [-1, -1];
    const dtype = info.dtype as SafeDtype;
    const expected = info.shape!.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (!(begin >= 0 && end >= begin && end <= data.length))
      fail(`tensor '${name}' offsets [${begin}, ${end}] fall outside the ${data.length}-byte buffer`);
    if (end - begin !== expected) fail(`tensor '${name}' spans ${end - begin} bytes, shape [${info.shape}] of ${dtype} needs ${expected}`);
    spans.push([begin, end, name]);
    tensors[name] = { dtype, shape: info.shape!, data: typedView(dtype, data.subarray(begin, end)) };
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) fail(`tensor '${name}' starts at ${begin}, expected ${covered} (holes or overlaps in the buffer)`);
    covered = end;
  }
  if (covered !== data.length) fail(`the buffer has ${data.length - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

export function saveSafetensors(path: string, tensors: Record<string, SafeTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new SafetensorsError(path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeSafetensors(bytes, path);
}
