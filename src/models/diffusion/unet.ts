// The denoiser of the diffusion decoder: a small U-Net eps_theta(x_t, t, z) in the style of Diff-AE
// (Preechakul et al. 2022). Each residual block applies AdaGN: GroupNorm without its own affine, then
// the timestep's scale and shift, then the latent's scale and shift, so the pooled encoder latent
// steers every resolution. A spatial latent may in addition be upsampled to the image and concatenated
// to x_t at the input (`spatialChannels`), which keeps where things are: a K x h x w latent pooled to a
// K-vector alone cannot say where the lesion was.
import { tensor, type Tensor } from '../../engine/tensor.js';
import * as F from '../../engine/functional.js';
import { constant_ } from '../../nn/init.js';
import { Conv2d, GroupNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { CrossAttention, LatentTokens } from './cross-attention.js';
import { normGroups } from './groups.js';

export interface UNetOptions {
  /** Image channels C (the denoiser predicts C noise channels). */
  imageChannels: number;
  /** Channels of the spatial latent concatenated to x_t at the input; 0: none. */
  spatialChannels: number;
  /** Length of the pooled latent vector that AdaGN scales and shifts with; 0: none (time only). */
  condDim: number;
  /** Channels of the first level. Default 32. */
  width?: number;
  /** Channel multiplier per level; one stride-2 downsampling between levels. Default [1, 2, 2]. */
  mults?: number[];
  /**
   * Cross-attention to the latent maps as tokens (K maps of `cells` = h*w each) at the lowest
   * resolution, after the middle block and after the lowest up block. Default none.
   */
  tokens?: { maps: number; cells: number };
}

export { normGroups };

/**
 * Sinusoidal timestep embedding (Vaswani et al.; DDPM): for each t, [sin(t w_i), cos(t w_i)] with
 * w_i = 10000^(-i / (dim/2)). Computed here in float64 and handed over as float32 N x dim.
 */
export function timestepEmbedding(ts: readonly number[], dim: number): Tensor {
  if (dim % 2 !== 0) throw new RangeError(`timestepEmbedding: dim must be even, got ${dim}`);
  const half = dim / 2;
  const out = new Float32Array(ts.length * dim);
  ts.forEach((t, n) => {
    for (let i = 0; i < half; i++) {
      const a = t * Math.exp((-Math.log(10000) * i) / half);
      out[n * dim + i] = Math.sin(a);
      out[n * dim + half + i] = Math.cos(a);
    }
  });
  return tensor(out, [ts.length, dim]);
}

// scale/shift of AdaGN from an embedding: N x 2c -> two N x c x 1 x 1 tensors.
function scaleShift(layer: Linear, emb: Tensor, c: number): [Tensor, Tensor] {
  const ss = layer.forward(emb).reshape(emb.shape[0]!, 2 * c, 1, 1);
  return [ss.narrow(1, 0, c), ss.narrow(1, c, c)];
}

/** GN, SiLU, conv; GN, AdaGN(t), AdaGN(z), SiLU, conv (zero-initialised: the block starts as its skip path). */
export class AdaGNResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly timeProj: Linear;
  readonly condProj: Linear | null;
  readonly skip: Conv2d | null;

  constructor(
    readonly cin: number,
    readonly cout: number,
    embDim: number,
    condEmbDim: number,
  ) {
    super();
    this.norm1 = this.registerModule('norm1', new GroupNorm(normGroups(cin), cin));
    this.conv1 = this.registerModule('conv1', new Conv2d(cin, cout, 3, { padding: 1 }));
    this.norm2 = this.registerModule('norm2', new GroupNorm(normGroups(cout), cout, 1e-5, false));
    this.timeProj = this.registerModule('time_proj', new Linear(embDim, 2 * cout));
    this.condProj = condEmbDim > 0 ? this.registerModule('cond_proj', new Linear(condEmbDim, 2 * cout)) : null;
    this.conv2 = this.registerModule('conv2', new Conv2d(cout, cout, 3, { padding: 1 }));
    constant_(this.conv2.weight, 0);
    constant_(this.conv2.bias!, 0);
    this.skip = cin === cout ? null : this.registerModule('skip', new Conv2d(cin, cout, 1));
  }

  /** x N x cin x H x W; temb N x embDim (already through SiLU); cemb N x condEmbDim or null. */
  forward(x: Tensor, temb: Tensor, cemb?: Tensor): Tensor {
    let h = this.conv1.forward(F.silu(this.norm1.forward(x)));
    h = this.norm2.forward(h);
    const [ts, tb] = scaleShift(this.timeProj, temb, this.cout);
    h = h.mul(ts.add(1)).add(tb);
    if (this.condProj && cemb) {
      const [zs, zb] = scaleShift(this.condProj, cemb, this.cout);
      h = h.mul(zs.add(1)).add(zb);
    }
    h = this.conv2.forward(F.silu(h));
    return (this.skip ? this.skip.forward(x) : x).add(h);
  }
}

/** eps_theta(x_t, t, z): the noise in x_t, from x_t, the timestep and the encoder's latent. */
export class UNet extends Module {
  readonly width: number;
  readonly mults: number[];
  readonly embDim: number;
  private readonly inConv: Conv2d;
  private readonly time1: Linear;
  private readonly time2: Linear;
  private readonly cond1: Linear | null;
  private readonly cond2: Linear | null;
  private readonly down: AdaGNResBlock[] = [];
  private readonly downsample: Conv2d[] = [];
  private readonly mid: AdaGNResBlock;
  private readonly up: AdaGNResBlock[] = [];
  private readonly upsample: Conv2d[] = [];
  private readonly tokenizer: LatentTokens | null = null;
  private readonly attention: CrossAttention[] = [];
  private readonly outNorm: GroupNorm;
  private readonly outConv: Conv2d;

  constructor(readonly options: UNetOptions) {
    super();
    const w = (this.width = options.width ?? 32);
    this.mults = options.mults ?? [1, 2, 2];
    if (this.mults.length < 1) throw new RangeError('UNet: mults needs at least one level');
    const emb = (this.embDim = 4 * w);
    const condEmb = options.condDim > 0 ? emb : 0;
    this.inConv = this.registerModule('in_conv', new Conv2d(options.imageChannels + options.spatialChannels, w, 3, { padding: 1 }));
    this.time1 = this.registerModule('time_mlp1', new Linear(w, emb));
    this.time2 = this.registerModule('time_mlp2', new Linear(emb, emb));
    this.cond1 = options.condDim > 0 ? this.registerModule('cond_mlp1', new Linear(options.condDim, emb)) : null;
    this.cond2 = options.condDim > 0 ? this.registerModule('cond_mlp2', new Linear(emb, emb)) : null;
    const widths = this.mults.map((m) => w * m);
    let c = w;
    widths.forEach((cw, i) => {
      this.down.push(this.registerModule(`down.${i}`, new AdaGNResBlock(c, cw, emb, condEmb)));
      c = cw;
      if (i < widths.length - 1)
        this.downsample.push(this.registerModule(`downsample.${i}`, new Conv2d(c, c, 3, { stride: 2, padding: 1 })));
    });
    this.mid = this.registerModule('mid', new AdaGNResBlock(c, c, emb, condEmb));
    if (options.tokens) {
      this.tokenizer = this.registerModule('tokens', new LatentTokens(options.tokens.maps, options.tokens.cells, c));
      for (const name of ['attn_mid', 'attn_up']) this.attention.push(this.registerModule(name, new CrossAttention(c, c)));
    }
    for (let i = widths.length - 1; i >= 0; i--) {
      // Levels above the bottom first upsample (nearest to the skip's size, then a 3x3 conv).
      if (i < widths.length - 1) this.upsample[i] = this.registerModule(`upsample.${i}`, new Conv2d(c, c, 3, { padding: 1 }));
      this.up[i] = this.registerModule(`up.${i}`, new AdaGNResBlock(c + widths[i]!, widths[i]!, emb, condEmb));
      c = widths[i]!;
    }
    this.outNorm = this.registerModule('out_norm', new GroupNorm(normGroups(c), c));
    this.outConv = this.registerModule('out_conv', new Conv2d(c, options.imageChannels, 3, { padding: 1 }));
    constant_(this.outConv.weight, 0);
    constant_(this.outConv.bias!, 0);
  }

  /**
   * x N x C x H x W at timesteps `ts` (one per case); `spatial` N x spatialChannels x H x W (already at
   * the image size) when the UNet has spatialChannels; `cond` N x condDim when it has condDim;
   * `latent` N x K x h x w (the tokens' source) when it has tokens.
   */
  forward(x: Tensor, tEmbedding: Tensor, spatial?: Tensor, cond?: Tensor, latent?: Tensor): Tensor {
    if (this.tokenizer && !latent) throw new Error('UNet: this denoiser attends to latent tokens; pass the latent');
    const tokens = this.tokenizer && latent ? this.tokenizer.forward(latent) : null;
    const temb = F.silu(this.time2.forward(F.silu(this.time1.forward(tEmbedding))));
    const cemb = this.cond1 && this.cond2 && cond ? this.cond2.forward(F.silu(this.cond1.forward(cond))) : undefined;
    let h = this.inConv.forward(this.options.spatialChannels > 0 && spatial ? F.cat([x, spatial], 1) : x);
    const skips: Tensor[] = [];
    this.down.forEach((block, i) => {
      h = block.forward(h, temb, cemb);
      skips.push(h);
      if (i < this.downsample.length) h = this.downsample[i]!.forward(h);
    });
    h = this.mid.forward(h, temb, cemb);
    if (tokens) h = this.attention[0]!.forward(h, tokens);
    for (let i = this.up.length - 1; i >= 0; i--) {
      const skip = skips[i]!;
      if (i < this.up.length - 1) {
        h = this.upsample[i]!.forward(F.interpolate(h, { size: [skip.shape[2]!, skip.shape[3]!] }));
      }
      h = this.up[i]!.forward(F.cat([h, skip], 1), temb, cemb);
      if (tokens && i === this.up.length - 1) h = this.attention[1]!.forward(h, tokens);
    }
    return this.outConv.forward(F.silu(this.outNorm.forward(h)));
  }

  /** Sinusoidal embedding of the timesteps at this UNet's width. */
  embedTimesteps(ts: readonly number[]): Tensor {
    return timestepEmbedding(ts, this.width);
  }
}
