// Loads the C++ addon over libtorch and declares its surface. Everything else in engine/ wraps this.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export type Dtype =
  | 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TypedArray =
  | Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

/** The addon's tensor handle; use the TypeScript `Tensor` instead. */
export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: Dtype;
  readonly device: string;
  readonly disposed: boolean;
  readonly requiresGrad: boolean;
  readonly isLeaf: boolean;
  setRequiresGrad(on: boolean): NativeTensor;
  grad(): NativeTensor | null;
  setGrad(g: NativeTensor | null): void;
  backward(gradient?: NativeTensor | null, retainGraph?: boolean): void;
  detach(): NativeTensor;
  toArray(): TypedArray;
  item(): number | boolean;
  numel(): number;
  dispose(): void;
  sameStorage(other: NativeTensor): boolean;
}

export type NativeValue = NativeTensor | number | boolean | string | null | NativeValue[] | { [k: string]: NativeValue };

export interface NativeOp {
  readonly schema: string;
  call(args: unknown[], named?: Record<string, unknown>): NativeValue;
}

export interface NativeScript {
  call(method: string, args: unknown[], named?: Record<string, unknown>): NativeValue;
  methodNames(): string[];
  methodSchema(method: string): string;
  namedParameters(): [string, NativeTensor][];
  namedBuffers(): [string, NativeTensor][];
  train(on?: boolean): NativeScript;
  isTraining(): boolean;
  to(device: string): NativeScript;
}

export interface AllocatorStats {
  cachedBytes: number;
  inUseBytes: number;
  peakInUseBytes: number;
  limitBytes: number;
  hits: number;
  misses: number;
}

interface Addon {
  Tensor: {
    new (): NativeTensor;
    fromArray(data: TypedArray, shape: number[], dtype?: Dtype, device?: string): NativeTensor;
    autogradGrad(
      outputs: NativeTensor[], inputs: NativeTensor[], gradOutputs: NativeTensor[] | null,
      retainGraph: boolean | undefined, createGraph: boolean, allowUnused: boolean,
    ): (NativeTensor | null)[];
  };
  Op: new (name: string, overload: string) => NativeOp;
  Script: new (path: string, device?: string) => NativeScript;
  torchVersion: string;
  openblasLimited: boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  cudaDeviceCount(): number;
  trackedStorage(): { buffers: number; bytes: number };
  allocatorStats(): AllocatorStats;
  emptyCache(): void;
  setCacheLimit(bytes: number): void;
}

function load(): Addon {
  const path = fileURLToPath(new URL('../../../build/Release/latentlens.node', import.meta.url));
  if (!existsSync(path)) {
    throw new Error(`latentlens native addon not built (${path} is missing): run ./run.sh setup`);
  }
  // OpenBLAS reads this when libtorch pulls it in; the addon also sets it through openblas_set_num_threads.
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  const addon = createRequire(import.meta.url)(path) as Addon;
  const threads = Number(process.env.LATENTLENS_THREADS) || availableParallelism();
  addon.setNumThreads(threads);
  return addon;
}

export const native: Addon = load();
