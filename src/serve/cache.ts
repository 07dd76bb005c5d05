// A least-recently-used cache of encoded images bounded by the bytes it holds, not by its entry count
// (one maximal thumbnail of a 256 px 3-channel run is megabytes; a count cap alone let 40 of them add
// hundreds of MB to the server).

export const DEFAULT_THUMB_CACHE_BYTES = 64 * 1024 * 1024;

export class ByteLruCache {
  private readonly entries = new Map<string, Buffer>();
  private held = 0;

  /** @param maxBytes most bytes of values held at once; a value larger than this is never cached */
  constructor(readonly maxBytes: number = DEFAULT_THUMB_CACHE_BYTES) {
    if (!Number.isFinite(maxBytes) || maxBytes < 0) throw new Error(`cache bound must be a non-negative number of bytes, got ${maxBytes}`);
  }

  /** Bytes of the values held (always at most maxBytes). */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked most recently used; undefined when absent. */
  get(key: string): Buffer | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  /** Stores `value` under `key`, evicting the least recently used entries until it fits. */
  set(key: string, value: Buffer): void {
    this.delete(key);
    if (value.length > this.maxBytes) return;
    while (this.held + value.length > this.maxBytes) this.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    this.held += value.length;
  }

  delete(key: string): void {
    const v = this.entries.get(key);
    if (v === undefined) return;
    this.entries.delete(key);
    this.held -= v.length;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }
}
