// Cross-attention from U-Net features to the encoder's latent maps as tokens (as EncDiff conditions
// its denoiser on per-factor tokens): every pixel of a feature map asks which latent map it should
// read, so a map can steer the regions it encodes without being pooled away or pinned to its grid
// position. One head (the U-Net is small); the output projection starts at zero, so the block starts
// as the identity and training decides how much the tokens matter.
import type { Tensor } from '../../engine/tensor.js';
import { empty } from '../../engine/create.js';
import { normal_, constant_ } from '../../nn/init.js';
import { GroupNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { normGroups } from './groups.js';

/** Latent maps K x (h*w) as K tokens of `dim`: each map's cells through one linear layer, plus a learned embedding of which map it is. */
export class LatentTokens extends Module {
  readonly proj: Linear;
  readonly mapEmbedding: Tensor;
  constructor(
    readonly maps: number,
    cells: number,
    readonly dim: number,
  ) {
    super();
    this.proj = this.registerModule('proj', new Linear(cells, dim));
    this.mapEmbedding = this.registerParameter('map_embedding', empty([maps, dim]));
    normal_(this.mapEmbedding, 0, 0.02);
  }
  /** z N x K x h x w -> N x K x dim. */
  forward(z: Tensor): Tensor {
    const [n, k] = z.shape as [number, number];
    return this.proj.forward(z.reshape(n, k, -1)).add(this.mapEmbedding.unsqueeze(0));
  }
}

/** h + W_o softmax(Q K^T / sqrt(d)) V with Q from GN(h)'s pixels and K, V from the tokens. */
export class CrossAttention extends Module {
  readonly norm: GroupNorm;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  constructor(
    readonly channels: number,
    readonly dim: number,
  ) {
    super();
    this.norm = this.registerModule('norm', new GroupNorm(normGroups(channels), channels));
    this.q = this.registerModule('q', new Linear(channels, dim));
    this.k = this.registerModule('k', new Linear(dim, dim));
    this.v = this.registerModule('v', new Linear(dim, dim));
    this.out = this.registerModule('out', new Linear(dim, channels));
    constant_(this.out.weight, 0);
    constant_(this.out.bias!, 0);
  }
  /** h N x C x H x W, tokens N x K x dim. */
  forward(h: Tensor, tokens: Tensor): Tensor {
    const [n, c, hh, ww] = h.shape as [number, number, number, number];
    const pixels = this.norm
      .forward(h)
      .reshape(n, c, hh * ww)
      .transpose(1, 2); // N x HW x C
    const q = this.q.forward(pixels);
    const weights = q.matmul(this.k.forward(tokens).transpose(1, 2)).div(Math.sqrt(this.dim)).softmax(-1); // N x HW x K
    const read = this.out.forward(weights.matmul(this.v.forward(tokens))); // N x HW x C
    return h.add(read.transpose(1, 2).reshape(n, c, hh, ww));
  }
}
