// Convolutional encoder and decoder stacks shared by the autoencoders: stride-2 stages down to a latent
// grid of K maps, and the mirror image up. Each stage is conv, optional normalisation, activation.
// The same stacks in 3D (Conv3d, ConvTranspose3d, BatchNorm3d) when the input is a volume: an
// inputShape of [C, D, H, W] instead of [C, H, W] is the only switch, so every model on this backbone
// has a volumetric variant with the same layer names (PyTorch's Conv3d state-dict names).
import {
  BatchNorm2d,
  BatchNorm3d,
  Conv2d,
  Conv3d,
  ConvTranspose2d,
  ConvTranspose3d,
  GroupNorm,
  LeakyReLU,
  ReLU,
  Sequential,
  Upsample,
  Upsample3d,
} from '../nn/layers.js';
import type { Module } from '../nn/module.js';

export interface BackboneOptions {
  /**
   * Input channels, height, width (height and width from 28 to 256); or for volumes channels, depth,
   * height, width (each side from 16 to 128), which builds the 3D layers.
   */
  inputShape: [number, number, number] | [number, number, number, number];
  /**
   * Latent grid h x w (d x h x w for volumes); the input size divided by a power of two. Default (`defaultLatentGrid`): a quarter
   * of the input, halved further while its side is above 16 (28 -> 7, 64 -> 16, 128 -> 16, 240 -> 15),
   * so a large input still passes a bottleneck.
   */
  latentGrid?: [number, number] | [number, number, number];
  /**
   * The conv stack's grid when the latent itself is not spatial (vector VAEs, InfoGAN report a 1 x 1
   * latentGrid in their config): recorded so a model rebuilt from its config gets the same layers.
   */
  backboneGrid?: [number, number] | [number, number, number];
  /** Channels of the first stage, doubled at each further stage (capped at 8x). Default 32. */
  width?: number;
  /** 'batch', 'group' (8 groups) or 'none'. Default 'batch'. */
  norm?: 'batch' | 'group' | 'none';
  /** Upsampling in the decoder: 'transposed' (4x4 stride-2 transposed conv) or 'resize' (nearest x2 then 3x3 conv, no checkerboard). Default 'transposed'. */
  upsample?: 'transposed' | 'resize';
  /** 'relu' or 'leaky' (slope 0.2). Default 'relu'. */
  activation?: 'relu' | 'leaky';
}

export interface Backbone {
  /** Number of stride-2 stages. */
  depth: number;
  /** Channels after each encoder stage. */
  widths: number[];
  latentGrid: [number, number] | [number, number, number];
  /** Whether the stacks are 3D (the input is a volume). */
  volumetric: boolean;
}

/** Largest latent-grid side the default grid keeps when the input allows halving further. */
export const DEFAULT_GRID_MAX_SIDE = 16;

/**
 * The default latent grid of an h x w input: a quarter of it (28 -> 7, 64 -> 16), halved again while
 * its longer side is above DEFAULT_GRID_MAX_SIDE and both sides stay whole (128 -> 16, 240 -> 15,
 * 256 -> 16; 200 -> 25, which cannot halve to a whole number). Inputs up to 64 pixels keep a quarter.
 */
export function defaultLatentGrid(h: number, w: number): [number, number] {
  let f = 4;
  while (Math.max(h, w) / f > DEFAULT_GRID_MAX_SIDE && h % (2 * f) === 0 && w % (2 * f) === 0) f *= 2;
  return f === 4 ? [Math.round(h / 4), Math.round(w / 4)] : [h / f, w / f];
}

/**
 * The default latent grid of a d x h x w volume: each side a quarter (28 -> 7), halved again while the
 * longest side is above DEFAULT_GRID_MAX_SIDE and every side stays whole (64 -> 16, 128 -> 16).
 */
export function defaultLatentGrid3d(d: number, h: number, w: number): [number, number, number] {
  let f = 4;
  while (Math.max(d, h, w) / f > DEFAULT_GRID_MAX_SIDE && [d, h, w].every((s) => s % (2 * f) === 0)) f *= 2;
  return f === 4 ? [Math.round(d / 4), Math.round(h / 4), Math.round(w / 4)] : [d / f, h / f, w / f];
}

/** Checks the geometry and returns the number of stages and their widths. */
export function planBackbone(o: BackboneOptions): Backbone {
  if (o.inputShape.length === 4) return planBackbone3d(o, o.inputShape);
  const [, h, w] = o.inputShape;
  if (h < 28 || w < 28 || h > 256 || w > 256) throw new RangeError(`input ${h}x${w}: latentlens models take 28 to 256 pixels per side`);
  const grid = o.backboneGrid ?? o.latentGrid ?? defaultLatentGrid(h, w);
  if (grid.length !== 2)
    throw new RangeError(`latent grid ${grid.join('x')} has ${grid.length} sides; a ${h}x${w} image takes an h x w grid`);
  const depth = Math.log2(h / grid[0]);
  if (!Number.isInteger(depth) || depth < 1 || h / grid[0] !== w / grid[1]) {
    throw new RangeError(
      `latent grid ${grid[0]}x${grid[1]} must be the ${h}x${w} input divided by one power of two (e.g. ${h / 4}x${w / 4})`,
    );
  }
  const base = o.width ?? 32;
  const widths = Array.from({ length: depth }, (_, i) => base * 2 ** Math.min(i, 3));
  return { depth, widths, latentGrid: grid, volumetric: false };
}

// Volumes: 16 to 128 voxels per side (a 3D stack costs about a side's worth more than the 2D one, so
// the range is smaller), and a d x h x w latent grid dividing every side by the same power of two.
function planBackbone3d(o: BackboneOptions, shape: [number, number, number, number]): Backbone {
  const sides = shape.slice(1) as [number, number, number];
  if (sides.some((s) => s < 16 || s > 128))
    throw new RangeError(`input volume ${sides.join('x')}: latentlens 3D models take 16 to 128 voxels per side`);
  const grid = o.backboneGrid ?? o.latentGrid ?? defaultLatentGrid3d(...sides);
  const want = sides.map((s) => s / 4).join('x');
  if (grid.length !== 3)
    throw new RangeError(
      `latent grid ${grid.join('x')} has ${grid.length} sides; a ${sides.join('x')} volume takes a d x h x w grid (e.g. ${want})`,
    );
  const depth = Math.log2(sides[0] / grid[0]);
  if (!Number.isInteger(depth) || depth < 1 || sides.some((s, i) => s / grid[i]! !== sides[0] / grid[0])) {
    throw new RangeError(`latent grid ${grid.join('x')} must be the ${sides.join('x')} input divided by one power of two (e.g. ${want})`);
  }
  const base = o.width ?? 32;
  const widths = Array.from({ length: depth }, (_, i) => base * 2 ** Math.min(i, 3));
  return { depth, widths, latentGrid: grid, volumetric: true };
}

function norm(kind: BackboneOptions['norm'], channels: number, volumetric: boolean): Module[] {
  if (kind === 'none') return [];
  if (kind === 'group') return [new GroupNorm(Math.min(8, channels), channels)];
  return [volumetric ? new BatchNorm3d(channels) : new BatchNorm2d(channels)];
}

// The convolution layers of one dimensionality.
function layersFor(volumetric: boolean) {
  return volumetric
    ? { Conv: Conv3d, ConvT: ConvTranspose3d, Up: Upsample3d }
    : { Conv: Conv2d, ConvT: ConvTranspose2d, Up: (f: number) => Upsample(f) };
}

const act = (o: BackboneOptions) => (o.activation === 'leaky' ? LeakyReLU(0.2) : ReLU());

/** Input -> `outMaps` maps on the latent grid (no activation on the last layer). */
export function buildEncoder(o: BackboneOptions, outMaps: number): Sequential {
  const { widths, volumetric } = planBackbone(o);
  const { Conv } = layersFor(volumetric);
  const layers: Module[] = [];
  let c = o.inputShape[0];
  for (const w of widths) {
    layers.push(new Conv(c, w, 3, { stride: 2, padding: 1, bias: o.norm === 'none' }), ...norm(o.norm, w, volumetric), act(o));
    c = w;
  }
  layers.push(new Conv(c, outMaps, 3, { padding: 1 }));
  return new Sequential(...layers);
}

/** `inMaps` latent maps -> logits of the image (apply a sigmoid for pixels in 0..1). */
export function buildDecoder(o: BackboneOptions, inMaps: number): Sequential {
  const { widths, volumetric } = planBackbone(o);
  const { Conv, ConvT, Up } = layersFor(volumetric);
  const rev = [...widths].reverse();
  const layers: Module[] = [
    new Conv(inMaps, rev[0]!, 3, { padding: 1, bias: o.norm === 'none' }),
    ...norm(o.norm, rev[0]!, volumetric),
    act(o),
  ];
  for (let i = 0; i < rev.length; i++) {
    const cin = rev[i]!,
      cout = rev[i + 1] ?? rev[rev.length - 1]!;
    if (o.upsample === 'resize') layers.push(Up(2), new Conv(cin, cout, 3, { padding: 1, bias: o.norm === 'none' }));
    else layers.push(new ConvT(cin, cout, 4, { stride: 2, padding: 1, bias: o.norm === 'none' }));
    layers.push(...norm(o.norm, cout, volumetric), act(o));
  }
  layers.push(new Conv(rev[rev.length - 1]!, o.inputShape[0], 3, { padding: 1 }));
  return new Sequential(...layers);
}
