// The TypeScript Tensor: a handle on a libtorch tensor with PyTorch-like methods. Every tensor made by an
// op registers with the current scope (scope.ts) so loops free memory deterministically.
import { aten } from './dispatch.js';
import { nativePart, type Dtype, type Handle, type NativeValue, type TypedArray } from './native.js';
import { track, type Disposable } from './scope.js';

export type TensorOrNumber = Tensor | number;
type Dims = number | number[];

const T = nativePart('tensor');

// Frees tensors that were never disposed and belong to no scope, once JS drops them. Scoped tensors are
// never registered: the scope frees them, and registering every op result would cost time on the hot path.
const orphans = new FinalizationRegistry<Handle>((h) => T.release(h));

export class Tensor implements Disposable {
  private h: Handle;
  private registered = false;

  constructor(handle: Handle) {
    this.h = handle;
    track(this);
  }

  /** The addon handle; throws once the tensor is disposed. */
  get id(): Handle {
    if (this.h < 0) throw new Error('tensor used after dispose()');
    return this.h;
  }

  get shape(): number[] {
    return T.shape(this.id);
  }
  get dtype(): Dtype {
    return T.dtype(this.id);
  }
  get device(): string {
    return T.device(this.id);
  }
  get ndim(): number {
    return T.shape(this.id).length;
  }
  get numel(): number {
    return T.numel(this.id);
  }
  get disposed(): boolean {
    return this.h < 0;
  }
  get requiresGrad(): boolean {
    return T.requiresGrad(this.id);
  }
  get isLeaf(): boolean {
    return T.isLeaf(this.id);
  }
  /** Size of one dimension; negative counts from the end. */
  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? s.length + dim : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dimensions`);
    return s[d]!;
  }

  dispose(): void {
    if (this.h < 0) return;
    T.release(this.h);
    if (this.registered) orphans.unregister(this);
    this.h = -1;
  }

  /** Called by scope.ts when this tensor outlives every scope: GC frees it if it is never disposed. */
  unscoped(): void {
    if (this.registered || this.h < 0) return;
    this.registered = true;
    orphans.register(this, this.h, this);
  }

  /** True when both tensors view the same memory. */
  sharesStorageWith(o: Tensor): boolean {
    return T.sameStorage(this.id, o.id);
  }

  // ---- data out ----
  /** A copy of the data as a typed array of the tensor's dtype (BigInt64Array for int64, Uint8Array for bool). */
  toArray(): TypedArray {
    return T.toArray(this.id);
  }
  /** A copy of the data as float32 values, whatever the dtype. */
  toFloat32(): Float32Array {
    const a = T.toArray(this.id);
    return a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>, Number);
  }
  toNumbers(): number[] {
    return Array.from(T.toArray(this.id) as ArrayLike<number | bigint>, Number);
  }
  item(): number {
    return Number(T.item(this.id));
  }
  toString(): string {
    return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- autograd ----
  requiresGrad_(on = true): this {
    T.setRequiresGrad(this.id, on);
    return this;
  }
  get grad(): Tensor | null {
    const g = T.grad(this.id);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    T.setGrad(this.id, g ? g.id : null);
  }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    T.backward(this.id, gradient?.id ?? null, opts.retainGraph);
  }
  detach(): Tensor {
    return new Tensor(T.detach(this.id));
  }

  // ---- elementwise arithmetic ----
  add(o: TensorOrNumber, alpha = 1): Tensor {
    return binary('add', this, o, alpha);
  }
  sub(o: TensorOrNumber, alpha = 1): Tensor {
    return binary('sub', this, o, alpha);
  }
  mul(o: TensorOrNumber): Tensor {
    return binary('mul', this, o);
  }
  div(o: TensorOrNumber): Tensor {
    return binary('div', this, o);
  }
  pow(e: TensorOrNumber): Tensor {
    return typeof e === 'number' ? op('pow.Tensor_Scalar', this.id, e) : op('pow.Tensor_Tensor', this.id, e.id);
  }
  neg(): Tensor {
    return op('neg', this.id);
  }
  abs(): Tensor {
    return op('abs', this.id);
  }
  sqrt(): Tensor {
    return op('sqrt', this.id);
  }
  rsqrt(): Tensor {
    return op('rsqrt', this.id);
  }
  square(): Tensor {
    return op('square', this.id);
  }
  exp(): Tensor {
    return op('exp', this.id);
  }
  log(): Tensor {
    return op('log', this.id);
  }
  log1p(): Tensor {
    return op('log1p', this.id);
  }
  sin(): Tensor {
    return op('sin', this.id);
  }
  cos(): Tensor {
    return op('cos', this.id);
  }
  sign(): Tensor {
    return op('sign', this.id);
  }
  reciprocal(): Tensor {
    return op('reciprocal', this.id);
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return op('clamp', this.id, min, max);
  }
  relu(): Tensor {
    return op('relu', this.id);
  }
  sigmoid(): Tensor {
    return op('sigmoid', this.id);
  }
  tanh(): Tensor {
    return op('tanh', this.id);
  }
  /** The matrix product with PyTorch's broadcasting rules. */
  matmul(o: Tensor): Tensor {
    const a = this.shape,
      b = o.shape;
    const k1 = a[a.length - 1],
      k2 = b.length === 1 ? b[0] : b[b.length - 2];
    if (a.length > 0 && b.length > 0 && k1 !== k2) {
      throw new RangeError(`matmul: shapes [${a}] and [${b}] do not fit (inner sizes ${k1} and ${k2})`);
    }
    return op('matmul', this.id, o.id);
  }

  // ---- comparisons (bool tensors) ----
  eq(o: TensorOrNumber): Tensor {
    return compare('eq', this, o);
  }
  ne(o: TensorOrNumber): Tensor {
    return compare('ne', this, o);
  }
  gt(o: TensorOrNumber): Tensor {
    return compare('gt', this, o);
  }
  ge(o: TensorOrNumber): Tensor {
    return compare('ge', this, o);
  }
  lt(o: TensorOrNumber): Tensor {
    return compare('lt', this, o);
  }
  le(o: TensorOrNumber): Tensor {
    return compare('le', this, o);
  }
  isfinite(): Tensor {
    return op('isfinite', this.id);
  }
  /** Elementwise choice: this where `cond` is true, else `other`. */
  where(cond: Tensor, other: TensorOrNumber): Tensor {
    const o = typeof other === 'number' ? full([], other, { dtype: this.dtype }) : other;
    return op('where.self', cond.id, this.id, o.id);
  }

  // ---- reductions ----
  sum(dim?: Dims, keepdim = false): Tensor {
    return dim === undefined ? op('sum', this.id) : op('sum.dim_IntList', this.id, dims(dim), keepdim);
  }
  mean(dim?: Dims, keepdim = false): Tensor {
    return dim === undefined ? op('mean', this.id) : op('mean.dim', this.id, dims(dim), keepdim);
  }
  /** Variance with Bessel's correction unless `unbiased` is false. */
  var(dim?: Dims, keepdim = false, unbiased = true): Tensor {
    return op('var.dim', this.id, dim === undefined ? null : dims(dim), unbiased, keepdim);
  }
  std(dim?: Dims, keepdim = false, unbiased = true): Tensor {
    return op('std.dim', this.id, dim === undefined ? null : dims(dim), unbiased, keepdim);
  }
  max(): Tensor {
    return op('max', this.id);
  }
  min(): Tensor {
    return op('min', this.id);
  }
  amax(dim: Dims, keepdim = false): Tensor {
    return op('amax', this.id, dims(dim), keepdim);
  }
  amin(dim: Dims, keepdim = false): Tensor {
    return op('amin', this.id, dims(dim), keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return op('argmax', this.id, dim ?? null, keepdim);
  }
  logsumexp(dim: Dims, keepdim = false): Tensor {
    return op('logsumexp', this.id, dims(dim), keepdim);
  }
  softmax(dim: number): Tensor {
    return op('softmax.int', this.id, dim);
  }
  logSoftmax(dim: number): Tensor {
    return op('log_softmax.int', this.id, dim);
  }

  // ---- shape ----
  reshape(...shape: number[]): Tensor {
    return op('reshape', this.id, shape);
  }
  view(...shape: number[]): Tensor {
    return op('view', this.id, shape);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return op('flatten.using_ints', this.id, startDim, endDim);
  }
  permute(...order: number[]): Tensor {
    return op('permute', this.id, order);
  }
  transpose(d0: number, d1: number): Tensor {
    return op('transpose.int', this.id, d0, d1);
  }
  t(): Tensor {
    return op('t', this.id);
  }
  unsqueeze(dim: number): Tensor {
    return op('unsqueeze', this.id, dim);
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? op('squeeze', this.id) : op('squeeze.dim', this.id, dim);
  }
  expand(...shape: number[]): Tensor {
    return op('expand', this.id, shape);
  }
  repeat(...times: number[]): Tensor {
    return op('repeat', this.id, times);
  }
  contiguous(): Tensor {
    return op('contiguous', this.id);
  }
  clone(): Tensor {
    return op('clone', this.id);
  }

  // ---- indexing ----
  /** Elements start..end (exclusive) with step along dim; negative indices count from the end. */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor {
    return op('slice.Tensor', this.id, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return op('narrow', this.id, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return op('select.int', this.id, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return op('index_select', this.id, dim, index.id);
  }
  gather(dim: number, index: Tensor): Tensor {
    return op('gather', this.id, dim, index.id);
  }
  /** Advanced indexing: one index tensor (or null for ':') per leading dimension. */
  index(indices: (Tensor | null)[]): Tensor {
    return op(
      'index.Tensor',
      this.id,
      indices.map((t) => t?.id ?? null),
    );
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return op('masked_fill.Scalar', this.id, mask.id, value);
  }

  // ---- conversion ----
  to(target: Dtype | string): Tensor {
    return isDtype(target) ? op('to.dtype', this.id, target) : op('to.device', this.id, target, this.dtype);
  }
  float(): Tensor {
    return this.to('float32');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }

  // ---- in place (for optimizers and buffers; not differentiable through leaves that require grad) ----
  add_(o: TensorOrNumber, alpha = 1): this {
    binaryInPlace('add_', this, o, alpha);
    return this;
  }
  sub_(o: TensorOrNumber, alpha = 1): this {
    binaryInPlace('sub_', this, o, alpha);
    return this;
  }
  mul_(o: TensorOrNumber): this {
    binaryInPlace('mul_', this, o);
    return this;
  }
  div_(o: TensorOrNumber): this {
    binaryInPlace('div_', this, o);
    return this;
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    call('addcmul_', this.id, a.id, b.id, value);
    return this;
  }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    call('addcdiv_', this.id, a.id, b.id, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    call('lerp_.Scalar', this.id, end.id, weight);
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    call('clamp_', this.id, min, max);
    return this;
  }
  copy_(src: Tensor): this {
    call('copy_', this.id, src.id);
    return this;
  }
  fill_(v: number): this {
    call('fill_.Scalar', this.id, v);
    return this;
  }
  zero_(): this {
    call('zero_', this.id);
    return this;
  }
  sqrt_(): this {
    call('sqrt_', this.id);
    return this;
  }
  relu_(): this {
    call('relu_', this.id);
    return this;
  }
  leakyRelu_(slope = 0.01): this {
    call('leaky_relu_', this.id, slope);
    return this;
  }
  sigmoid_(): this {
    call('sigmoid_', this.id);
    return this;
  }
  tanh_(): this {
    call('tanh_', this.id);
    return this;
  }
}

// ---- helpers shared by the engine ----

const DTYPES = new Set<string>(['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']);
export function isDtype(s: string): s is Dtype {
  return DTYPES.has(s);
}

function dims(d: Dims): number[] {
  return typeof d === 'number' ? [d] : d;
}

/** Calls an aten op on native arguments and returns its raw result (in-place ops: the result is dropped). */
function call(key: string, ...args: unknown[]): void {
  const r = aten(key).call(args);
  // In-place ops return `self` as a new handle on the same tensor; free that handle at once.
  if (typeof r === 'number') T.release(r);
}

/** Calls an aten op that returns one tensor. */
export function op(key: string, ...args: unknown[]): Tensor {
  return new Tensor(aten(key).call(args) as Handle);
}

/** Calls an aten op that returns several tensors. */
export function opMulti(key: string, ...args: unknown[]): Tensor[] {
  return (aten(key).call(args) as NativeValue[]).map((v) => new Tensor(v as Handle));
}

function binary(name: string, a: Tensor, b: TensorOrNumber, alpha?: number): Tensor {
  const extra = alpha === undefined ? [] : [alpha];
  return typeof b === 'number' ? op(`${name}.Scalar`, a.id, b, ...extra) : op(`${name}.Tensor`, a.id, b.id, ...extra);
}

function binaryInPlace(name: string, a: Tensor, b: TensorOrNumber, alpha?: number): void {
  const extra = alpha === undefined ? [] : [alpha];
  if (typeof b === 'number') call(`${name}.Scalar`, a.id, b, ...extra);
  else call(`${name}.Tensor`, a.id, b.id, ...extra);
}

function compare(name: string, a: Tensor, b: TensorOrNumber): Tensor {
  return typeof b === 'number' ? op(`${name}.Scalar`, a.id, b) : op(`${name}.Tensor`, a.id, b.id);
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
  return withOptions(new Tensor(T.fromArray(arr, s, o.dtype, o.device)), o);
}
