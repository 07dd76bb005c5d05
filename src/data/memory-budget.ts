// The memory budget of the readers: before a reader allocates pixels it adds up the bytes every array it
// will hold at once needs (file bytes, inflated bytes, the stored voxels, the float32 copies, the resized
// output) and refuses beyond the budget, with a message giving the sizes in GiB. The budget is half of
// this machine's memory (or of the cgroup's limit) unless LATENTLENS_MEMORY_BUDGET or a data spec's
// `memory=` option says otherwise; a single array is also refused past the 2^32 elements a typed array
// may hold (V8 would fail with "Invalid typed array length").
import { totalmem } from 'node:os';
import { DataError } from './errors.js';

/** The environment variable that sets the budget: bytes, or a number with a unit (`16GiB`, `512MB`). */
export const MEMORY_BUDGET_ENV = 'LATENTLENS_MEMORY_BUDGET';

/** The most elements one JavaScript typed array may hold (Node 20: 2^32). */
export const MAX_ARRAY_ELEMENTS = 2 ** 32;

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1e3,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1e12,
  tib: 1024 ** 4,
};

/**
 * Parses a byte count: `1073741824`, `16GiB`, `1.5 GiB`, `512MiB`, `2GB` (KiB/MiB/GiB/TiB and a bare
 * K/M/G/T are powers of 1024, KB/MB/GB/TB of 1000). Returns null when `text` is not one.
 */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return null;
  const unit = m[2]!.toLowerCase();
  const scale = unit === '' ? 1 : UNITS[unit];
  if (scale === undefined) return null;
  const v = Math.floor(Number(m[1]) * scale);
  return Number.isFinite(v) && v > 0 ? v : null;
}

/** Memory of this machine, or of the cgroup this process runs in when that is smaller. */
export function machineMemory(): number {
  const total = totalmem();
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return limit && limit > 0 && limit < total ? limit : total;
}

/** Where a budget came from, for messages. */
export interface MemoryBudget {
  bytes: number;
  /** E.g. `half of this machine's 23.5 GiB`, `LATENTLENS_MEMORY_BUDGET=4GiB`, `memory=4GiB`. */
  from: string;
}

/** `2.00 GiB`: bytes in GiB with 2 decimals (3 significant digits below 0.1 GiB). */
export function formatGiB(bytes: number): string {
  const g = bytes / 1024 ** 3;
  return `${g >= 0.1 ? g.toFixed(2) : g.toPrecision(2)} GiB`;
}

/**
 * The budget in force: `override` (a data spec's `memory=`, in bytes) if given, else
 * LATENTLENS_MEMORY_BUDGET, else half of `machineMemory()`. A malformed variable is refused.
 */
export function memoryBudget(override?: number): MemoryBudget {
  if (override !== undefined) return { bytes: override, from: 'memory= in the data spec' };
  const env = process.env[MEMORY_BUDGET_ENV];
  if (env !== undefined && env.trim() !== '') {
    const v = parseByteSize(env);
    if (v === null)
      throw new DataError(
        MEMORY_BUDGET_ENV,
        `"${env}" is not a byte count; expected bytes or a number with a unit, e.g. 16GiB, 512MiB or 8000000000`,
      );
    return { bytes: v, from: `${MEMORY_BUDGET_ENV}=${env}` };
  }
  const total = machineMemory();
  return { bytes: Math.floor(total / 2), from: `half of this machine's ${formatGiB(total)}` };
}

/** One allocation (or group of allocations held at once) a reader is about to make. */
export interface MemoryItem {
  /** What it is, e.g. `float32 voxels`. */
  what: string;
  bytes: number;
  /** Elements of its largest single typed array, when that could exceed MAX_ARRAY_ELEMENTS. */
  elements?: number;
}

/**
 * Throws a DataError naming `file` when the items together exceed the budget, or one array exceeds
 * the typed-array limit. `overrideBytes` is a data spec's `memory=`. The message lists the largest items.
 */
export function checkMemory(file: string, items: MemoryItem[], overrideBytes?: number, where = ''): void {
  const live = items.filter((i) => i.bytes > 0);
  const total = live.reduce((a, i) => a + i.bytes, 0);
  const parts = [...live]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4)
    .map((i) => `${i.what} ${formatGiB(i.bytes)}`)
    .join(', ');
  const raise = `set ${MEMORY_BUDGET_ENV}=<size> (e.g. ${MEMORY_BUDGET_ENV}=${Math.ceil((total * 1.1) / 1024 ** 3)}GiB) or add memory=<size> to the data spec to raise it, or load less (size=, split=, fewer cases)`;
  const budget = memoryBudget(overrideBytes);
  if (total > budget.bytes) {
    throw new DataError(
      file,
      `loading it needs about ${formatGiB(total)} of memory (${parts}), above the memory budget of ${formatGiB(budget.bytes)} (${budget.from}); ${raise}`,
      where,
    );
  }

  for (const i of live) {
    if (i.elements !== undefined && i.elements > MAX_ARRAY_ELEMENTS) {
      throw new DataError(
        file,
        `loading it needs one array of ${i.elements.toLocaleString('en-US')} elements (${i.what}, ${formatGiB(i.bytes)}), more than the ${MAX_ARRAY_ELEMENTS.toLocaleString('en-US')} a JavaScript typed array can hold; load less (size=, split=, fewer cases)`,
        where,
      );
    }
  }
}
