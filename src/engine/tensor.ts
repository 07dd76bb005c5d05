// The TypeScript Tensor: a handle on a libtorch tensor with PyTorch-like methods. Every tensor made by an
// op registers with the current scope (scope.ts) so loops free memory deterministically.
import { aten } from './dispatch.js';
import { native, type Dtype, type NativeTensor, type NativeValue, type TypedArray } from './native.js';
import { track, type Disposable } from './scope.js';

export type TensorOrNumber = Tensor | number;
type Dims = number | number[];

export class Tensor implements Disposable {
  readonly native: NativeTensor;

  constructor(handle: NativeTensor) {
    this.native = handle;
    track(this);
  }

  get shape(): number[] { return this.native.shape; }
  get dtype(): Dtype { return this.native.dtype; }
  get device(): string { return this.native.device; }
  get ndim(): number { return this.native.shape.length; }
  get numel(): number { return this.native.numel(); }
  get disposed(): boolean { return this.native.disposed; }
  get requiresGrad(): boolean { return this.native.requiresGrad; }
  get isLeaf(): boolean { return this.native.isLeaf; }
  /** Size of one dimension; negative counts from the end. */
  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? s.length + dim : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dimensions`);
    return s[d]!;
  }

  dispose(): void { this.native.dispose(); }

  // ---- data out ----
  /** A copy of the data as a typed array of the tensor's dtype (BigInt64Array for int64, Uint8Array for bool). */
  toArray(): TypedArray { return this.native.toArray(); }
  /** A copy of the data as float32 values, whatever the dtype. */
  toFloat32(): Float32Array {
    const a = this.native.toArray();
    return a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>, Number);
  }
  toNumbers(): number[] { return Array.from(this.native.toArray() as ArrayLike<number | bigint>, Number); }
  item(): number { return Number(this.native.item()); }
  toString(): string { return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`; }

  // ---- autograd ----
  requiresGrad_(on = true): this { this.native.setRequiresGrad(on); return this; }
  get grad(): Tensor | null {
    const g = this.native.grad();
    return g ? new Tensor(g) : null;
  }
  set grad(g: Tensor | null) { this.native.setGrad(g ? g.native : null); }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    this.native.backward(gradient?.native ?? null, opts.retainGraph);
  }
  detach(): Tensor { return new Tensor(this.native.detach()); }

  // ---- elementwise arithmetic ----
  add(o: TensorOrNumber, alpha = 1): Tensor { return binary('add', this, o, alpha); }
  sub(o: TensorOrNumber, alpha = 1): Tensor { return binary('sub', this, o, alpha); }
  mul(o: TensorOrNumber): Tensor { return binary('mul', this, o); }
  div(o: TensorOrNumber): Tensor { return binary('div', this, o); }
  pow(e: TensorOrNumber): Tensor {
    return typeof e === 'number' ? op('pow.Tensor_Scalar', this.native, e) : op('pow.Tensor_Tensor', this.native, e.native);
  }
  neg(): Tensor { return op('neg', this.native); }
  abs(): Tensor { return op('abs', this.native); }
  sqrt(): Tensor { return op('sqrt', this.native); }
  rsqrt(): Tensor { return op('rsqrt', this.native); }
  square(): Tensor { return op('square', this.native); }
  exp(): Tensor { return op('exp', this.native); }
  log(): Tensor { return op('log', this.native); }
  log1p(): Tensor { return op('log1p', this.native); }
  sin(): Tensor { return op('sin', this.native); }
  cos(): Tensor { return op('cos', this.native); }
  sign(): Tensor { return op('sign', this.native); }
  reciprocal(): Tensor { return op('reciprocal', this.native); }
  clamp(min: number | null, max: number | null = null): Tensor { return op('clamp', this.native, min, max); }
  relu(): Tensor { return op('relu', this.native); }
  sigmoid(): Tensor { return op('sigmoid', this.native); }
  tanh(): Tensor { return op('tanh', this.native); }
  /** The matrix product with PyTorch's broadcasting rules. */
  matmul(o: Tensor): Tensor {
    const a = this.shape, b = o.shape;
    const k1 = a[a.length - 1], k2 = b.length === 1 ? b[0] : b[b.length - 2];
    if (a.length > 0 && b.length > 0 && k1 !== k2) {
      throw new RangeError(`matmul: shapes [${a}] and [${b}] do not fit (inner sizes ${k1} and ${k2})`);
    }
    return op('matmul', this.native, o.native);
  }

  // ---- comparisons (bool tensors) ----
  eq(o: TensorOrNumber): Tensor { return compare('eq', this, o); }
  ne(o: TensorOrNumber): Tensor { return compare('ne', this, o); }
  gt(o: TensorOrNumber): Tensor { return compare('gt', this, o); }
  ge(o: TensorOrNumber): Tensor { return compare('ge', this, o); }
  lt(o: TensorOrNumber): Tensor { return compare('lt', this, o); }
  le(o: TensorOrNumber): Tensor { return compare('le', this, o); }
  isfinite(): Tensor { return op('isfinite', this.native); }
  /** Elementwise choice: this where `cond` is true, else `other`. */
  where(cond: Tensor, other: TensorOrNumber): Tensor {
    const o = typeof other === 'number' ? full([], other, { dtype: this.dtype }) : other;
    return op('where.self', cond.native, this.native, o.native);
  }

  // ---- reductions ----
  sum(dim?: Dims, keepdim = false): Tensor {
    return dim === undefined ? op('sum', this.native) : op('sum.dim_IntList', this.native, dims(dim), keepdim);
  }
  mean(dim?: Dims, keepdim = false): Tensor {
    return dim === undefined ? op('mean', this.native) : op('mean.dim', this.native, dims(dim), keepdim);
  }
  /** Variance with Bessel's correction unless `unbiased` is false. */
  var(dim?: Dims, keepdim = false, unbiased = true): Tensor {
    return op('var.dim', this.native, dim === undefined ? null : dims(dim), unbiased, keepdim);
  }
  std(dim?: Dims, keepdim = false, unbiased = true): Tensor {
    return op('std.dim', this.native, dim === undefined ? null : dims(dim), unbiased, keepdim);
  }
  max(): Tensor { return op('max', this.native); }
  min(): Tensor { return op('min', this.native); }
  amax(dim: Dims, keepdim = false): Tensor { return op('amax', this.native, dims(dim), keepdim); }
  amin(dim: Dims, keepdim = false): Tensor { return op('amin', this.native, dims(dim), keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return op('argmax', this.native, dim ?? null, keepdim); }
  logsumexp(dim: Dims, keepdim = false): Tensor { return op('logsumexp', this.native, dims(dim), keepdim); }
  softmax(dim: number): Tensor { return op('softmax.int', this.native, dim); }
  logSoftmax(dim: number): Tensor { return op('log_softmax.int', this.native, dim); }

  // ---- shape ----
  reshape(...shape: number[]): Tensor { return op('reshape', this.native, shape); }
  view(...shape: number[]): Tensor { return op('view', this.native, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return op('flatten.using_ints', this.native, startDim, endDim); }
  permute(...order: number[]): Tensor { return op('permute', this.native, order); }
  transpose(d0: number, d1: number): Tensor { return op('transpose.int', this.native, d0, d1); }
  t(): Tensor { return op('t', this.native); }
  unsqueeze(dim: number): Tensor { return op('unsqueeze', this.native, dim); }
  squeeze(dim?: number): Tensor { return dim === undefined ? op('squeeze', this.native) : op('squeeze.dim', this.native, dim); }
  expand(...shape: number[]): Tensor { return op('expand', this.native, shape); }
  repeat(...times: number[]): Tensor { return op('repeat', this.native, times); }
  contiguous(): Tensor { return op('contiguous', this.native); }
  clone(): Tensor { return op('clone', this.native); }

  // ---- indexing ----
  /** Elements start..end (exclusive) with step along dim; negative indices count from the end. */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor {
    return op('slice.Tensor', this.native, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor { return op('narrow', this.native, dim, start, length); }
  select(dim: number, index: number): Tensor { return op('select.int', this.native, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return op('index_select', this.native, dim, index.native); }
  gather(dim: number, index: Tensor): Tensor { return op('gather', this.native, dim, index.native); }
  /** Advanced indexing: one index tensor (or null for ':') per leading dimension. */
  index(indices: (Tensor | null)[]): Tensor { return op('index.Tensor', this.native, indices.map((t) => t?.native ?? null)); }
  maskedFill(mask: Tensor, value: number): Tensor { return op('masked_fill.Scalar', this.native, mask.native, value); }

  // ---- conversion ----
  to(target: Dtype | string): Tensor {
    return isDtype(target) ? op('to.dtype', this.native, target) : op('to.device', this.native, target, this.dtype);
  }
  float(): Tensor { return this.to('float32'); }
  cpu(): Tensor { return this.to('cpu'); }

  // ---- in place (for optimizers and buffers; not differentiable through leaves that require grad) ----
  add_(o: TensorOrNumber, alpha = 1): this { binaryInPlace('add_', this, o, alpha); return this; }
  sub_(o: TensorOrNumber, alpha = 1): this { binaryInPlace('sub_', this, o, alpha); return this; }
  mul_(o: TensorOrNumber): this { binaryInPlace('mul_', this, o); return this; }
  div_(o: TensorOrNumber): this { binaryInPlace('div_', this, o); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { call('addcmul_', this.native, a.native, b.native, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { call('addcdiv_', this.native, a.native, b.native, value); return this; }
  lerp_(end: Tensor, weight: number): this { call('lerp_.Scalar', this.native, end.native, weight); return this; }
  clamp_(min: number | null, max: number | null = null): this { call('clamp_', this.native, min, max); return this; }
  copy_(src: Tensor): this { call('copy_', this.native, src.native); return this; }
  fill_(v: number): this { call('fill_.Scalar', this.native, v); return this; }
  zero_(): this { call('zero_', this.native); return this; }
  sqrt_(): this { call('sqrt_', this.native); return this; }
}

// ---- helpers shared by the engine ----

const DTYPES = new Set<string>(['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']);
export function isDtype(s: string): s is Dtype { return DTYPES.has(s); }

function dims(d: Dims): number[] { return typeof d === 'number' ? [d] : d; }

/** Calls an aten op on native arguments and returns its raw result (in-place ops: the result is dropped). */
function call(key: string, ...args: unknown[]): void {
  const r = aten(key).call(args);
  // In-place ops return `self` as a new handle on the same tensor; free that handle at once.
  if (r && typeof r === 'object' && 'dispose' in r) (r as NativeTensor).dispose();
}

/** Calls an aten op that returns one tensor. */
export function op(key: string, ...args: unknown[]): Tensor {
  return new Tensor(aten(key).call(args) as NativeTensor);
}

/** Calls an aten op that returns several tensors. */
export function opMulti(key: string, ...args: unknown[]): Tensor[] {
  return (aten(key).call(args) as NativeValue[]).map((v) => new Tensor(v as NativeTensor));
}

function binary(name: string, a: Tensor, b: TensorOrNumber, alpha?: number): Tensor {
  const extra = alpha === undefined ? [] : [alpha];
  return typeof b === 'number' ? op(`${name}.Scalar`, a.native, b, ...extra) : op(`${name}.Tensor`, a.native, b.native, ...extra);
}

function binaryInPlace(name: string, a: Tensor, b: TensorOrNumber, alpha?: number): void {
  const extra = alpha === undefined ? [] : [alpha];
  if (typeof b === 'number') call(`${name}.Scalar`, a.native, b, ...extra);
  else call(`${name}.Tensor`, a.native, b.native, ...extra);
}

function compare(name: string, a: Tensor, b: TensorOrNumber): Tensor {
  return typeof b === 'number' ? op(`${name}.Scalar`, a.native, b) : op(`${name}.Tensor`, a.native, b.native);
}

export interface CreateOptions {
  dtype?: Dtype;
  device?: string;
  requiresGrad?: boolean;
}

export function withOptions(t: Tensor, o: CreateOptions): Tensor {
  return o.requiresGrad ? t.requiresGrad_(true) : t;
}

/** A tensor filled with `value`. */
export function full(shape: number[], value: number, o: CreateOptions = {}): Tensor {
  return withOptions(op('full', shape, value, o.dtype ?? 'float32', null, o.device ?? null), o);
}

/** Wraps data already in a typed array (copied) or a plain number array (float32 unless dtype says). */
export function tensor(data: TypedArray | ArrayLike<number>, shape?: number[], o: CreateOptions = {}): Tensor {
  let arr: TypedArray;
  if (ArrayBuffer.isView(data)) arr = data as TypedArray;
  else arr = o.dtype === undefined || o.dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
  const s = shape ?? [arr.length];
  return withOptions(new Tensor(native.Tensor.fromArray(arr, s, o.dtype, o.device)), o);
}
