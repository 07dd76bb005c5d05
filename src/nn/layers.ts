// The standard layers, with PyTorch's parameter names, shapes and default initialisation.
import * as F from '../engine/functional.js';
import { empty, ones, zeros } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { resetLinearLike } from './init.js';
import { Module } from './module.js';

type Pair = number | [number, number];
const pair = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : p);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    readonly options: Conv2dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: channels ${inChannels} -> ${outChannels} do not split into ${groups} groups`);
    }
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels / groups, ...pair(kernelSize)]));
    this.bias = options.bias === false ? null : this.registerParameter('bias', empty([outChannels]));
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options);
  }
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    readonly options: ConvTranspose2dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    this.weight = this.registerParameter('weight', empty([inChannels, outChannels / groups, ...pair(kernelSize)]));
    this.bias = options.bias === false ? null : this.registerParameter('bias', empty([outChannels]));
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.options);
  }
}

type Triple = number | [number, number, number];
const triple = (p: Triple): [number, number, number] => (typeof p === 'number' ? [p, p, p] : p);

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
  bias?: boolean;
}

/** torch.nn.Conv3d: the volumetric twin of Conv2d (same parameter names, kernel kD x kH x kW). */
export class Conv3d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Triple,
    readonly options: Conv3dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv3d: channels ${inChannels} -> ${outChannels} do not split into ${groups} groups`);
    }
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels / groups, ...triple(kernelSize)]));
    this.bias = options.bias === false ? null : this.registerParameter('bias', empty([outChannels]));
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv3d(x, this.weight, this.bias, this.options);
  }
}

export interface ConvTranspose3dOptions extends Conv3dOptions {
  outputPadding?: Triple;
}

/** torch.nn.ConvTranspose3d. */
export class ConvTranspose3d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Triple,
    readonly options: ConvTranspose3dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    this.weight = this.registerParameter('weight', empty([inChannels, outChannels / groups, ...triple(kernelSize)]));
    this.bias = options.bias === false ? null : this.registerParameter('bias', empty([outChannels]));
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose3d(x, this.weight, this.bias, this.options);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = bias ? this.registerParameter('bias', empty([outFeatures])) : null;
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

export class BatchNorm2d extends Module {
  /** Input rank this layer takes: 4 (N x C x H x W); BatchNorm3d takes 5. */
  protected readonly rank: number = 4;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  constructor(
    readonly numFeatures: number,
    readonly options: BatchNormOptions = {},
  ) {
    super();
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64' }));
  }
  forward(x: Tensor): Tensor {
    if (x.ndim !== this.rank || x.shape[1] !== this.numFeatures) {
      const name = this.rank === 4 ? 'BatchNorm2d' : 'BatchNorm3d';
      throw new RangeError(
        `${name}(${this.numFeatures}): expected N x ${this.numFeatures} x ${this.rank === 4 ? '' : 'D x '}H x W, got [${x.shape}]`,
      );
    }
    if (this.training) this.numBatchesTracked.add_(1);
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.options.momentum ?? 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }
}

/** torch.nn.BatchNorm3d: BatchNorm2d over N x C x D x H x W (same parameters and buffers). */
export class BatchNorm3d extends BatchNorm2d {
  protected override readonly rank: number = 5;
}

export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: ${numChannels} channels do not split into ${numGroups} groups`);
    this.weight = affine ? this.registerParameter('weight', ones([numChannels])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numChannels])) : null;
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}

/** A parameter-free layer from a function (ReLU, Sigmoid, ...). */
export class Lambda extends Module {
  constructor(
    readonly name: string,
    private readonly fn: (x: Tensor) => Tensor,
    /** The same function overwriting its input, for Sequential to use on a tensor no one else holds. */
    readonly inPlace?: (x: Tensor) => Tensor,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

export const ReLU = () => new Lambda('ReLU', F.relu, (x) => x.relu_());
export const LeakyReLU = (slope = 0.01) =>
  new Lambda(
    'LeakyReLU',
    (x) => F.leakyRelu(x, slope),
    (x) => x.leakyRelu_(slope),
  );
export const Sigmoid = () => new Lambda('Sigmoid', F.sigmoid, (x) => x.sigmoid_());
export const Tanh = () => new Lambda('Tanh', F.tanh, (x) => x.tanh_());
export const Softplus = () => new Lambda('Softplus', (x) => F.softplus(x));
export const Flatten = (startDim = 1) => new Lambda('Flatten', (x) => x.flatten(startDim));
export const Upsample = (scaleFactor: number, mode: 'nearest' | 'bilinear' = 'nearest') =>
  new Lambda('Upsample', (x) => F.interpolate(x, { scaleFactor, mode }));
/** Nearest-neighbour upsampling of volumes by an integer factor. */
export const Upsample3d = (scaleFactor: number) => new Lambda('Upsample', (x) => F.interpolate3d(x, { scaleFactor }));

/** Children named "0", "1", ... as in torch.nn.Sequential. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    let fresh = false;
    for (const m of this.layers) {
      // An activation right after a layer that always returns a new tensor, which nothing but this loop
      // holds, overwrites it (as PyTorch's inplace=True): one full-size tensor less to write and read, the
      // same values. Autograd allows it: none of these layers' backward reads its own output.
      h = fresh && m instanceof Lambda && m.inPlace ? m.inPlace(h) : m.forward(h);
      fresh = FRESH_OUTPUT.some((c) => m instanceof c);
    }
    return h;
  }
}

const FRESH_OUTPUT = [Conv2d, ConvTranspose2d, Conv3d, ConvTranspose3d, Linear, BatchNorm2d, GroupNorm];
