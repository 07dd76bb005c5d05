// Process-wide engine settings: threads, seed, devices, memory statistics.
import { native, type AllocatorStats } from './native.js';

/** libtorch's intra-op threads (default: the core count, or LATENTLENS_THREADS). */
export const setNumThreads = (n: number): void => native.setNumThreads(n);
export const getNumThreads = (): number => native.getNumThreads();

/**
 * Seeds libtorch's global generator (weights initialisation, randn, dropout, shuffles drawn in libtorch).
 * Training reseeds it per step (train/seed.ts); library calls never use it, they pass a generator of their
 * own (generator.ts).
 */
export const manualSeed = (seed: number): void => native.manualSeed(seed);

export const torchVersion = (): string => native.torchVersion;

export const cudaDeviceCount = (): number => native.cudaDeviceCount();
export const cudaAvailable = (): boolean => native.cudaDeviceCount() > 0;

export interface MemoryStats {
  /** Distinct tensor buffers held by live JS handles, and their bytes (what V8 is told as external memory). */
  liveBuffers: number;
  liveBytes: number;
  allocator: AllocatorStats;
}
export function memoryStats(): MemoryStats {
  const t = native.trackedStorage();
  return { liveBuffers: t.buffers, liveBytes: t.bytes, allocator: native.allocatorStats() };
}

/** Returns cached free blocks of the CPU allocator to the system. */
export const emptyCache = (): void => native.emptyCache();
/**
 * Most bytes of freed blocks the CPU allocator keeps for reuse, and empties the cache. By default the
 * limit adapts: max(2 GiB, the high-water set), where the high-water set is, for each block size, the
 * most blocks of it ever in use at once (at most twice the peak bytes in use), so a repeated training
 * step finds all its blocks again; `adaptive` true makes `bytes` that floor, otherwise `bytes` is a fixed limit.
 */
export const setAllocatorCacheLimit = (bytes: number, o: { adaptive?: boolean } = {}): void =>
  native.setCacheLimit(bytes, o.adaptive ?? false);
