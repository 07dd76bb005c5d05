// Checks a TorchScript file before libtorch sees it. libtorch 1.13 trusts the archive: a tensor whose
// stored blob is shorter than its storage (or whose view reaches past its storage) is loaded anyway and
// later reads or writes past the end of the blob, corrupting the heap. Here the zip directory is read in
// TypeScript, the pickled module state (data.pkl, constants.pkl) is walked by a small pickle machine that
// only collects tensor storages, and every storage is checked against its record `<archive>/<key>`.
// Anything it cannot read with certainty (an unknown pickle opcode, an unknown storage type, a compression
// method other than stored or deflate) is refused: the file could not be verified.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** A TorchScript file that is not a well-formed archive, or whose tensors do not fit their records. */
export class ScriptArchiveError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ScriptArchiveError';
  }
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Bytes per element of each storage type TorchScript and torch.save write. */
const ITEM_SIZE: Record<string, number> = {
  DoubleStorage: 8,
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
  ComplexDoubleStorage: 16,
  ComplexFloatStorage: 8,
  ComplexHalfStorage: 4,
  QInt8Storage: 1,
  QUInt8Storage: 1,
  QInt32Storage: 4,
  QUInt4x2Storage: 1,
  QUInt2x4Storage: 1,
  Float8_e5m2Storage: 1,
  Float8_e4m3fnStorage: 1,
  UntypedStorage: 1,
  UInt16Storage: 2,
  UInt32Storage: 4,
  UInt64Storage: 8,
};

/** One tensor storage referenced by a pickle, as its persistent id names it. */
export interface StorageRef {
  archive: string;
  key: string;
  storageType: string;
  numel: number;
  itemSize: number;
}

/** What a verified archive holds. */
export interface ScriptArchiveSummary {
  prefix: string;
  records: number;
  storages: StorageRef[];
}

class Reader {
  private readonly fd: number;
  readonly size: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size)
      throw new ScriptArchiveError(this.file, `truncated archive (wanted bytes ${offset}..${offset + length} of ${this.size})`);
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) throw new ScriptArchiveError(this.file, `truncated archive (read ${got} of ${length} bytes at ${offset})`);
      got += n;
    }
    return buf;
  }
  close(): void {
    closeSync(this.fd);
  }
}

const u64 = (b: Buffer, at: number) => {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('a 64-bit zip field is too large');
  return Number(v);
};

function readCentralDirectory(r: Reader): ZipEntry[] {
  const notZip = () =>
    new ScriptArchiveError(
      r.file,
      'not a TorchScript archive (no zip end-of-central-directory record; latentlens loads files written by torch.jit.save)',
    );
  if (r.size < 22) throw notZip();
  const tailLen = Math.min(r.size, 22 + 0xffff);
  const tail = r.read(r.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && i + 22 + tail.readUInt16LE(i + 20) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw notZip();
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50)
      throw new ScriptArchiveError(r.file, 'zip64 archive without its end-of-central-directory locator');
    const z64 = r.read(u64(tail, loc + 8), 56);
    if (z64.readUInt32LE(0) !== 0x06064b50)
      throw new ScriptArchiveError(r.file, 'zip64 end-of-central-directory record not found where its locator points');
    count = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  const cd = r.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50)
      throw new ScriptArchiveError(r.file, `central directory entry ${k} of ${count} is malformed`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28),
      extraLen = cd.readUInt16LE(p + 30),
      commentLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length)
      throw new ScriptArchiveError(r.file, `central directory entry ${k} runs past the directory`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extended information: each field present only where the 32-bit one is saturated.
    for (let e = p + 46 + nameLen, end = e + extraLen; e + 4 <= end;) {
      const id = cd.readUInt16LE(e),
        len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) throw new ScriptArchiveError(r.file, `${name}: short zip64 extra field`);
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
    entries.push({ name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Offset of an entry's data, from its local header; the data must lie inside the file. */
function dataOffset(r: Reader, e: ZipEntry): number {
  const h = r.read(e.localOffset, 30);
  if (h.readUInt32LE(0) !== 0x04034b50)
    throw new ScriptArchiveError(r.file, `record ${e.name}: no local file header at offset ${e.localOffset}`);
  const start = e.localOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  if (start + e.compressedSize > r.size)
    throw new ScriptArchiveError(
      r.file,
      `record ${e.name}: its ${e.compressedSize} stored bytes run past the end of the file (${r.size} bytes)`,
    );
  return start;
}

function readEntry(r: Reader, e: ZipEntry): Buffer {
  const raw = r.read(dataOffset(r, e), e.compressedSize);
  if (e.method === 0) {
    if (e.size !== e.compressedSize)
      throw new ScriptArchiveError(r.file, `record ${e.name}: stored with sizes ${e.compressedSize} and ${e.size} that disagree`);
    return raw;
  }
  if (e.method !== 8)
    throw new ScriptArchiveError(
      r.file,
      `record ${e.name}: compression method ${e.method} is not supported; the file could not be verified`,
    );
  let out: Buffer;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
  } catch (err) {
    throw new ScriptArchiveError(r.file, `record ${e.name}: deflate data does not inflate (${(err as Error).message})`);
  }
  if (out.length !== e.size)
    throw new ScriptArchiveError(r.file, `record ${e.name}: inflates to ${out.length} bytes, the directory says ${e.size}`);
  return out;
}

// ---- pickle ----------------------------------------------------------------------------------------

const MARK = Symbol('mark');
interface Global {
  kind: 'global';
  module: string;
  name: string;
}
interface Storage {
  kind: 'storage';
  ref: StorageRef;
}
interface Opaque {
  kind: 'opaque';
}
type Value = null | boolean | number | string | Uint8Array | Value[] | Global | Storage | Opaque | typeof MARK;
const OPAQUE: Opaque = { kind: 'opaque' };

const isObj = (v: Value, kind: string): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && (v as { kind: string }).kind === kind;
const isInt = (v: Value): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Walks a pickle and returns the tensor storages its persistent ids name, checking each rebuilt tensor's
 * view (offset, sizes, strides) fits its storage. Throws on anything it cannot follow.
 */
export function pickleStorages(bytes: Uint8Array, archive: string, where: string): StorageRef[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  const storages: StorageRef[] = [];
  let p = 0;
  const need = (n: number) => {
    if (n < 0 || p + n > b.length) fail(`pickle cut short at byte ${p}`);
  };
  const u8 = () => {
    need(1);
    return b[p++]!;
  };
  const u16 = () => {
    need(2);
    const v = b.readUInt16LE(p);
    p += 2;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = b.readInt32LE(p);
    p += 4;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = b.readUInt32LE(p);
    p += 4;
    return v;
  };
  const u64n = () => {
    need(8);
    const v = b.readBigUInt64LE(p);
    p += 8;
    if (v > BigInt(b.length)) fail(`length ${v} past the end of the pickle`);
    return Number(v);
  };
  const bytesOf = (n: number) => {
    need(n);
    const v = b.subarray(p, p + n);
    p += n;
    return v;
  };
  const line = () => {
    const end = b.indexOf(0x0a, p);
    if (end < 0) fail(`unterminated text argument at byte ${p}`);
    const s = b.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const pop = (): Value => {
    if (stack.length === 0) fail(`stack underflow at byte ${p}`);
    return stack.pop()!;
  };
  const top = (): Value => {
    if (stack.length === 0) fail(`empty stack at byte ${p}`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): Value[] => {
    const m = stack.lastIndexOf(MARK);
    if (m < 0) fail(`no MARK on the stack at byte ${p}`);
    const items = stack.splice(m);
    items.shift();
    return items;
  };
  const signedLE = (buf: Buffer): number => {
    if (buf.length === 0) return 0;
    let v = 0n;
    for (let i = buf.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[i]!);
    if (buf[buf.length - 1]! & 0x80) v -= 1n << BigInt(8 * buf.length);
    return Number(v); // big values lose precision; only small ints (numel, sizes) matter here and are checked as safe integers
  };
  const persistent = (pid: Value): Value => {
    if (!Array.isArray(pid) || pid[0] !== 'storage')
      return fail(`persistent id that is not a ('storage', ...) tuple; the file could not be verified`);
    const [, type, key, , numel] = pid;
    if (!isObj(type!, 'global')) return fail(`storage with a type that is not a class`);
    const storageType = (type as Global).name;
    const itemSize = ITEM_SIZE[storageType];
    if (itemSize === undefined)
      return fail(`storage type ${(type as Global).module}.${storageType} is not known; the file could not be verified`);
    if (typeof key !== 'string' && !isInt(key!)) return fail(`storage key ${String(key)} is neither a string nor an integer`);
    if (!isInt(numel!) || numel < 0) return fail(`storage ${String(key)} has no valid element count (${String(numel)})`);
    const ref: StorageRef = { archive, key: String(key), storageType, numel, itemSize };
    storages.push(ref);
    return { kind: 'storage', ref };
  };
  const reduce = (fn: Value, args: Value): Value => {
    const g = isObj(fn, 'global') ? (fn as Global) : null;
    if (
      g &&
      g.module === 'torch._utils' &&
      /^_rebuild_(tensor|tensor_v2|qtensor)$/.test(g.name) &&
      Array.isArray(args) &&
      isObj(args[0]!, 'storage')
    ) {
      const { ref } = args[0] as Storage;
      const [, offset, size, stride] = args;
      if (isInt(offset!) && Array.isArray(size) && Array.isArray(stride)) {
        if (
          offset < 0 ||
          size.length !== stride.length ||
          !size.every((s) => isInt(s) && s >= 0) ||
          !stride.every((s) => isInt(s) && s >= 0)
        ) {
          fail(`tensor on storage ${ref.key} has a negative or malformed offset, size or stride`);
        }
        const sizes = size as number[],
          strides = stride as number[];
        const extent = sizes.some((s) => s === 0) ? 0 : offset + sizes.reduce((acc, s, i) => acc + (s - 1) * strides[i]!, 0) + 1;
        if (extent > ref.numel)
          fail(
            `tensor of size [${sizes.join(', ')}] (offset ${offset}, strides [${strides.join(', ')}]) needs ${extent} elements of storage ${ref.key}, which has ${ref.numel}`,
          );
      }
    }
    return OPAQUE;
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64n();
        break; // FRAME (length only)
      case 0x2e:
        return storages; // STOP
      case 0x28:
        stack.push(MARK);
        break;
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(OPAQUE);
        break; // EMPTY_DICT
      case 0x8f:
        stack.push(OPAQUE);
        break; // EMPTY_SET
      case 0x90:
        popMark();
        break; // ADDITEMS
      case 0x91:
        popMark();
        stack.push(OPAQUE);
        break; // FROZENSET
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const y = pop(),
          x = pop();
        stack.push([x, y]);
        break;
      } // TUPLE2
      case 0x87: {
        const z = pop(),
          y = pop(),
          x = pop();
        stack.push([x, y, z]);
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64:
        popMark();
        stack.push(OPAQUE);
        break; // DICT
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(signedLE(bytesOf(u8())));
        break; // LONG1
      case 0x8b: {
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(signedLE(bytesOf(n)));
        break;
      } // LONG4
      case 0x47:
        need(8);
        stack.push(b.readDoubleBE(p));
        p += 8;
        break; // BINFLOAT
      case 0x58: {
        const n = u32();
        stack.push(bytesOf(n).toString('utf8'));
        break;
      } // BINUNICODE
      case 0x8c: {
        const n = u8();
        stack.push(bytesOf(n).toString('utf8'));
        break;
      } // SHORT_BINUNICODE
      case 0x8d: {
        const n = u64n();
        stack.push(bytesOf(n).toString('utf8'));
        break;
      } // BINUNICODE8
      case 0x54: {
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(bytesOf(n).toString('latin1'));
        break;
      } // BINSTRING
      case 0x55: {
        const n = u8();
        stack.push(bytesOf(n).toString('latin1'));
        break;
      } // SHORT_BINSTRING
      case 0x42: {
        const n = u32();
        stack.push(bytesOf(n));
        break;
      } // BINBYTES
      case 0x43: {
        const n = u8();
        stack.push(bytesOf(n));
        break;
      } // SHORT_BINBYTES
      case 0x8e:
      case 0x96: {
        const n = u64n();
        stack.push(bytesOf(n));
        break;
      } // BINBYTES8, BYTEARRAY8
      case 0x49: {
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : Number(s));
        break;
      } // INT
      case 0x4c:
        stack.push(Number(line().replace(/L$/, '')));
        break; // LONG
      case 0x46:
        stack.push(Number(line()));
        break; // FLOAT
      case 0x53:
        stack.push(line());
        break; // STRING (quoted; only the text matters)
      case 0x56:
        stack.push(line());
        break; // UNICODE (raw-unicode-escaped)
      case 0x63: {
        const module = line();
        const name = line();
        stack.push({ kind: 'global', module, name });
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop(),
          module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push({ kind: 'global', module: module as string, name: name as string });
        break;
      }
      case 0x82:
        u8();
        stack.push(OPAQUE);
        break; // EXT1
      case 0x83:
        u16();
        stack.push(OPAQUE);
        break; // EXT2
      case 0x84:
        i32();
        stack.push(OPAQUE);
        break; // EXT4
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x70:
        memo.set(Number(line()), top());
        break; // PUT
      case 0x68:
      case 0x6a:
      case 0x67: {
        // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) fail(`memo ${k} read before it was written (byte ${at})`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x51:
        stack.push(persistent(pop()));
        break; // BINPERSID
      case 0x50:
        fail(`text persistent id (PERSID) at byte ${at}; the file could not be verified`);
        break;
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      } // REDUCE
      case 0x81:
        pop();
        pop();
        stack.push(OPAQUE);
        break; // NEWOBJ
      case 0x92:
        pop();
        pop();
        pop();
        stack.push(OPAQUE);
        break; // NEWOBJ_EX
      case 0x69:
        line();
        line();
        popMark();
        stack.push(OPAQUE);
        break; // INST
      case 0x6f:
        popMark();
        stack.push(OPAQUE);
        break; // OBJ
      case 0x62:
        pop();
        top();
        break; // BUILD
      case 0x73:
        pop();
        pop();
        top();
        break; // SETITEM
      case 0x75:
        popMark();
        top();
        break; // SETITEMS
      case 0x61: {
        const v = pop();
        const l = top();
        if (Array.isArray(l)) l.push(v);
        break;
      } // APPEND
      case 0x65: {
        const vs = popMark();
        const l = top();
        if (Array.isArray(l)) l.push(...vs);
        break;
      } // APPENDS
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      default:
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}; the file could not be verified`);
    }
  }
}

// ---- the check -------------------------------------------------------------------------------------

/**
 * Verifies a TorchScript file: a zip archive with `<prefix>/data.pkl`, and every tensor storage that
 * data.pkl or constants.pkl names backed by a record `<prefix>/<archive>/<key>` of at least
 * numel x itemsize bytes. Throws a ScriptArchiveError naming the file and the record otherwise.
 */
export function verifyScriptArchive(file: string): ScriptArchiveSummary {
  const r = new Reader(file);
  try {
    let entries: ZipEntry[];
    try {
      entries = readCentralDirectory(r);
    } catch (err) {
      if (err instanceof ScriptArchiveError) throw err;
      throw new ScriptArchiveError(file, `unreadable zip directory (${(err as Error).message})`);
    }
    if (entries.length === 0) throw new ScriptArchiveError(file, 'empty archive: not a TorchScript file');
    // As libtorch's reader: the archive's name is the first record's top folder.
    const slash = entries[0]!.name.indexOf('/');
    if (slash <= 0)
      throw new ScriptArchiveError(file, `first record ${entries[0]!.name} is not inside a folder: not a TorchScript archive`);
    const prefix = entries[0]!.name.slice(0, slash);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const storages: StorageRef[] = [];
    for (const archive of ['data', 'constants']) {
      const pkl = byName.get(`${prefix}/${archive}.pkl`);
      if (!pkl) {
        if (archive === 'data')
          throw new ScriptArchiveError(file, `no ${prefix}/data.pkl record: not a TorchScript archive (torch.jit.save writes one)`);
        continue;
      }
      let refs: StorageRef[];
      try {
        refs = pickleStorages(readEntry(r, pkl), archive, `record ${pkl.name}`);
      } catch (err) {
        if (err instanceof ScriptArchiveError) throw err;
        throw new ScriptArchiveError(file, (err as Error).message);
      }
      const seen = new Map<string, number>();
      for (const s of refs) {
        const need = s.numel * s.itemSize;
        if ((seen.get(s.key) ?? -1) >= need) continue;
        seen.set(s.key, need);
        const name = `${prefix}/${archive}/${s.key}`;
        const rec = byName.get(name);
        if (!rec)
          throw new ScriptArchiveError(file, `record ${name} (a ${s.storageType} of ${s.numel} elements named in ${pkl.name}) is missing`);
        dataOffset(r, rec);
        if (rec.size < need) {
          throw new ScriptArchiveError(
            file,
            `record ${name} holds ${rec.size} bytes but its ${s.storageType} of ${s.numel} elements needs ${need} (${s.numel} x ${s.itemSize}); the file is truncated or corrupt`,
          );
        }
      }
      storages.push(...refs);
    }
    return { prefix, records: entries.length, storages };
  } finally {
    r.close();
  }
}
