// Loads the C++ addon over libtorch and declares its surface. Everything else in engine/ wraps this.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export type Dtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

/** An integer naming a tensor in the addon's slot table; use the TypeScript `Tensor` instead. */
export type Handle = number;

/** How TorchScript and untyped calls return tensors, so they are told apart from numbers. */
export interface TensorRef {
  tensor: Handle;
}

export type NativeValue = Handle | boolean | string | null | TensorRef | NativeValue[] | { [k: string]: NativeValue };

export interface NativeTensorApi {
  fromArray(data: TypedArray, shape: number[], dtype?: Dtype, device?: string): Handle;
  autogradGrad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: Handle[] | null,
    retainGraph: boolean | undefined,
    createGraph: boolean,
    allowUnused: boolean,
  ): (Handle | null)[];
  /** Frees the handle's tensor; false (nothing freed) for a stale or unknown handle. */
  release(h: Handle): boolean;
  shape(h: Handle): number[];
  dtype(h: Handle): Dtype;
  device(h: Handle): string;
  numel(h: Handle): number;
  requiresGrad(h: Handle): boolean;
  isLeaf(h: Handle): boolean;
  setRequiresGrad(h: Handle, on: boolean): void;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  backward(h: Handle, gradient: Handle | null, retainGraph?: boolean): void;
  detach(h: Handle): Handle;
  toArray(h: Handle): TypedArray;
  item(h: Handle): number | boolean;
  sameStorage(a: Handle, b: Handle): boolean;
}

export interface NativeOp {
  readonly schema: string;
  /** Tensors in the result are bare handles, or {tensor} objects when `tensorsAsObjects`. */
  call(args: unknown[], named?: Record<string, unknown>, tensorsAsObjects?: boolean): NativeValue;
}

export interface NativeScript {
  call(method: string, args: unknown[], named?: Record<string, unknown>): NativeValue;
  methodNames(): string[];
  methodSchema(method: string): string;
  namedParameters(): [string, Handle][];
  namedBuffers(): [string, Handle][];
  train(on?: boolean): NativeScript;
  isTraining(): boolean;
  to(device: string): NativeScript;
}

/** A CPU random generator owned by JS (freed by GC): the `generator` argument of random ops. */
export interface NativeGenerator {
  /** The seed it was made with. */
  readonly initialSeed: number;
  readonly device: string;
}

/** A c10d process group (TCPStore + Gloo); use engine/distributed.ts's ProcessGroup instead. */
export interface NativeProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  allreduce(tensors: Handle[], op: string): void;
  broadcast(tensors: Handle[], root: number): void;
  allgather(tensor: Handle): Handle[];
  barrier(): void;
  close(): void;
}

export interface AllocatorStats {
  cachedBytes: number;
  inUseBytes: number;
  peakInUseBytes: number;
  /** What the cache may hold now: the fixed limit, or max(floor, min(highWaterBytes, 2 x peakInUseBytes)). */
  limitBytes: number;
  adaptiveLimit: boolean;
  /** For each block size, the most blocks of it ever in use at once, times the size, summed. */
  highWaterBytes: number;
  hits: number;
  misses: number;
}

interface Addon {
  tensor: NativeTensorApi;
  Op: new (name: string, overload: string) => NativeOp;
  Script: new (path: string, device?: string) => NativeScript;
  Generator: new (seed: number) => NativeGenerator;
  ProcessGroup: new (options: Record<string, unknown>) => NativeProcessGroup;
  /** Whether the addon was built with Gloo's headers (distributed training). */
  hasGloo: boolean;
  torchVersion: string;
  openblasLimited: boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  enterAutocastCpu(): boolean;
  exitAutocastCpu(was: boolean): void;
  isAutocastCpu(): boolean;
  setAutocastCpuEnabled(on: boolean): void;
  cudaDeviceCount(): number;
  trackedStorage(): { buffers: number; bytes: number };
  allocatorStats(): AllocatorStats;
  emptyCache(): void;
  setCacheLimit(bytes: number, adaptive: boolean): void;
}

function load(): Addon {
  const path = fileURLToPath(new URL('../../../build/Release/latentlens.node', import.meta.url));
  if (!existsSync(path)) {
    throw new Error(`latentlens native addon not built (${path} is missing): run ./run.sh setup`);
  }
  // OpenBLAS reads this when libtorch pulls it in; the addon also sets it through openblas_set_num_threads.
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  // libgomp's wait policy is left at its default: measured with bench contention (README), a shorter spin
  // (GOMP_SPINCOUNT=3000) degraded less beside a busy process but cost ~5% alone; with the default,
  // latentlens stays at or above PyTorch's throughput both alone and under contention.
  const addon = createRequire(import.meta.url)(path) as Addon;
  const threads = Number(process.env.LATENTLENS_THREADS) || availableParallelism();
  addon.setNumThreads(threads);
  warnIfReferenceBlas();
  return addon;
}

// Debian's libtorch resolves libblas.so.3 through update-alternatives; without OpenBLAS installed that is
// the netlib reference BLAS, and convolutions run about ten times slower. Said once per process.
function warnIfReferenceBlas(): void {
  const flag = Symbol.for('latentlens.referenceBlasWarned');
  const g = globalThis as Record<symbol, unknown>;
  if (g[flag] || process.platform !== 'linux') return;
  g[flag] = true;
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return;
  }
  if (/\/blas\/libblas\.so\.3/.test(maps)) {
    process.stderr.write(
      'latentlens: libtorch is using the reference BLAS (libblas3); training and convolutions run ~10x slower. ' +
        'Install OpenBLAS: apt-get install libopenblas0-pthread\n',
    );
  }
}

// Loaded on first use, not at import: a CLI call that only parses flags, prints help or refuses its input
// then starts in ~0.4 s instead of paying libtorch's ~0.8 s load.
let loaded: Addon | undefined;
const addon = (): Addon => (loaded ??= load());
export const native: Addon = new Proxy({} as Addon, { get: (_target, key) => addon()[key as keyof Addon] });
/** One of the addon's objects, loaded on first use like `native` (for modules that keep it in a constant). */
export const nativePart = <K extends 'tensor'>(key: K): Addon[K] =>
  new Proxy({} as Addon[K], { get: (_target, member) => addon()[key][member as keyof Addon[K]] });
