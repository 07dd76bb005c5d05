// Neural-network functions over tensors (the equivalent of torch.nn.functional), each one aten op.
import { aten, Reduction, type ReductionName } from './dispatch.js';
import { fromRefs, toHandles, type NativeResult } from './refs.js';
import { op, opMulti, Tensor } from './tensor.js';

type Pair = number | [number, number];

function expectRank(name: string, t: Tensor, rank: number, what: string): void {
  if (t.ndim !== rank) throw new RangeError(`${name}: expected ${what} (${rank}-D), got shape [${t.shape}]`);
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** 2-D convolution. input N x Cin x H x W, weight Cout x Cin/groups x kH x kW. */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  expectRank('conv2d', input, 4, 'input N x C x H x W');
  const groups = o.groups ?? 1;
  if (input.shape[1] !== weight.shape[1]! * groups) {
    throw new RangeError(`conv2d: input has ${input.shape[1]} channels, weight [${weight.shape}] expects ${weight.shape[1]! * groups}`);
  }
  return op('conv2d', input.id, weight.id, bias?.id ?? null, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, groups);
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/** 2-D transposed convolution. weight Cin x Cout/groups x kH x kW. */
export function convTranspose2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvTranspose2dOptions = {}): Tensor {
  expectRank('convTranspose2d', input, 4, 'input N x C x H x W');
  if (input.shape[1] !== weight.shape[0]) {
    throw new RangeError(`convTranspose2d: input has ${input.shape[1]} channels, weight [${weight.shape}] expects ${weight.shape[0]}`);
  }
  return convTranspose(input, weight, bias, 2, o);
}

type Triple = number | [number, number, number];

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
}

/** 3-D convolution (volumes). input N x Cin x D x H x W, weight Cout x Cin/groups x kD x kH x kW. */
export function conv3d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv3dOptions = {}): Tensor {
  expectRank('conv3d', input, 5, 'input N x C x D x H x W');
  const groups = o.groups ?? 1;
  if (input.shape[1] !== weight.shape[1]! * groups) {
    throw new RangeError(`conv3d: input has ${input.shape[1]} channels, weight [${weight.shape}] expects ${weight.shape[1]! * groups}`);
  }
  return op('conv3d', input.id, weight.id, bias?.id ?? null, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, groups);
}

export interface ConvTranspose3dOptions extends Conv3dOptions {
  outputPadding?: Triple;
}

/** 3-D transposed convolution. weight Cin x Cout/groups x kD x kH x kW. */
export function convTranspose3d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvTranspose3dOptions = {}): Tensor {
  expectRank('convTranspose3d', input, 5, 'input N x C x D x H x W');
  if (input.shape[1] !== weight.shape[0]) {
    throw new RangeError(`convTranspose3d: input has ${input.shape[1]} channels, weight [${weight.shape}] expects ${weight.shape[0]}`);
  }
  return convTranspose(input, weight, bias, 3, o);
}

/** A scalar or per-dimension option as the per-dimension list the op's `int[]` arguments take. */
function perDim(v: number | number[] | undefined, fallback: number, dims: number): number[] {
  return Array.isArray(v) ? v : Array.from({ length: dims }, () => v ?? fallback);
}

// latentlens' own op (native/conv-transpose.cc): the transposed convolution as the adjoint of a
// convolution, which libtorch runs on oneDNN; at::conv_transpose*d where that does not apply.
function convTranspose(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  dims: number,
  o: ConvTranspose2dOptions | ConvTranspose3dOptions,
): Tensor {
  return op(
    'latentlens::conv_transpose',
    input.id,
    weight.id,
    bias?.id ?? null,
    perDim(o.stride, 1, dims),
    perDim(o.padding, 0, dims),
    perDim(o.outputPadding, 0, dims),
    o.groups ?? 1,
    perDim(o.dilation, 1, dims),
  );
}

/** x W^T + b. weight out x in. */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (input.shape[input.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(
      `linear: input [${input.shape}] has ${input.shape[input.ndim - 1]} features, weight [${weight.shape}] expects ${weight.shape[1]}`,
    );
  }
  return op('linear', input.id, weight.id, bias?.id ?? null);
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation; in training mode it updates runningMean/runningVar in place. */
export function batchNorm(input: Tensor, o: BatchNormOptions): Tensor {
  return op(
    'batch_norm',
    input.id,
    o.weight?.id ?? null,
    o.bias?.id ?? null,
    o.runningMean?.id ?? null,
    o.runningVar?.id ?? null,
    o.training,
    o.momentum ?? 0.1,
    o.eps ?? 1e-5,
    true,
  );
}

export function groupNorm(input: Tensor, groups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  if (input.shape[1]! % groups !== 0) throw new RangeError(`groupNorm: ${input.shape[1]} channels do not split into ${groups} groups`);
  return op('group_norm', input.id, groups, weight?.id ?? null, bias?.id ?? null, eps, true);
}

export const relu = (x: Tensor) => op('relu', x.id);
export const leakyRelu = (x: Tensor, slope = 0.01) => op('leaky_relu', x.id, slope);
export const sigmoid = (x: Tensor) => op('sigmoid', x.id);
export const tanh = (x: Tensor) => op('tanh', x.id);
export const softplus = (x: Tensor, beta = 1, threshold = 20) => op('softplus', x.id, beta, threshold);
export const elu = (x: Tensor, alpha = 1) => op('elu', x.id, alpha);
export const silu = (x: Tensor) => op('silu', x.id);
export const gelu = (x: Tensor) => op('gelu', x.id);

export function mseLoss(input: Tensor, target: Tensor, reduction: ReductionName = 'mean'): Tensor {
  sameShape('mseLoss', input, target);
  return op('mse_loss', input.id, target.id, Reduction[reduction]);
}
export function l1Loss(input: Tensor, target: Tensor, reduction: ReductionName = 'mean'): Tensor {
  sameShape('l1Loss', input, target);
  return op('l1_loss', input.id, target.id, Reduction[reduction]);
}
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  reduction: ReductionName = 'mean',
  posWeight: Tensor | null = null,
): Tensor {
  sameShape('binaryCrossEntropyWithLogits', logits, target);
  return op('binary_cross_entropy_with_logits', logits.id, target.id, null, posWeight?.id ?? null, Reduction[reduction]);
}
/** Cross-entropy of logits N x C against int64 class indices N (or probabilities N x C). */
export function crossEntropy(logits: Tensor, target: Tensor, reduction: ReductionName = 'mean', weight: Tensor | null = null): Tensor {
  return op('cross_entropy_loss', logits.id, target.id, weight?.id ?? null, Reduction[reduction], -100, 0.0);
}

export function maxPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0): Tensor {
  return op('max_pool2d', x.id, kernel, stride ?? kernel, padding, 1, false);
}
export function avgPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0): Tensor {
  return op('avg_pool2d', x.id, kernel, stride ?? kernel, padding, false, true, null);
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return op('adaptive_avg_pool2d', x.id, size);
}

export interface InterpolateOptions {
  size?: [number, number];
  scaleFactor?: number;
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}
/** Resizes N x C x H x W images to `size` or by `scaleFactor`. */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  expectRank('interpolate', x, 4, 'input N x C x H x W');
  const size = o.size ?? null;
  const scales = o.size ? null : [o.scaleFactor ?? 1, o.scaleFactor ?? 1];
  if ((o.mode ?? 'nearest') === 'nearest') return op('upsample_nearest2d.vec', x.id, size, scales);
  return op('upsample_bilinear2d.vec', x.id, size, o.alignCorners ?? false, scales);
}

export interface Interpolate3dOptions {
  size?: [number, number, number];
  scaleFactor?: number;
  mode?: 'nearest' | 'trilinear';
  alignCorners?: boolean;
}
/** Resizes N x C x D x H x W volumes to `size` or by `scaleFactor` (the 3D decoder's upsampling, Grad-CAM on volumes). */
export function interpolate3d(x: Tensor, o: Interpolate3dOptions): Tensor {
  expectRank('interpolate3d', x, 5, 'input N x C x D x H x W');
  const size = o.size ?? null;
  const f = o.scaleFactor ?? 1;
  const scales = o.size ? null : [f, f, f];
  if ((o.mode ?? 'nearest') === 'nearest') return op('upsample_nearest3d.vec', x.id, size, scales);
  return op('upsample_trilinear3d.vec', x.id, size, o.alignCorners ?? false, scales);
}

/** Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return op('dropout', x.id, p, training);
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return op(
    'cat',
    tensors.map((t) => t.id),
    dim,
  );
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return op(
    'stack',
    tensors.map((t) => t.id),
    dim,
  );
}
/** Values and int64 indices of the k largest (or smallest) entries along dim. */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  return opMulti('topk', x.id, k, dim, largest, true) as [Tensor, Tensor];
}
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  return opMulti('sort', x.id, dim, descending) as [Tensor, Tensor];
}

function sameShape(name: string, a: Tensor, b: Tensor): void {
  const sa = a.shape,
    sb = b.shape;
  if (sa.length !== sb.length || sa.some((v, i) => v !== sb[i])) {
    throw new RangeError(`${name}: input [${sa}] and target [${sb}] differ in shape`);
  }
}

/** Any aten op by name (`'aten::name.overload'` without the prefix), for what has no typed wrapper. */
export function callAten(key: string, args: unknown[], named?: Record<string, unknown>): NativeResult {
  const named2 = named && Object.fromEntries(Object.entries(named).map(([k, v]) => [k, toHandles(v)]));
  return fromRefs(aten(key).call(args.map(toHandles), named2, true));
}
