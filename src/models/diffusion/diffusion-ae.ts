// DiffusionAE: a latentlens encoder with a diffusion decoder in place of a conv decoder, as Diff-AE does
// it: a U-Net trained by DDPM (epsilon prediction, or v) and conditioned on the encoder's latent through
// AdaGN, decoded with deterministic DDIM. Either on a trained encoder kept frozen (`train-decoder
// --from <run>`), or trained jointly with its encoder (`joint`, `train --model diffusion-ae`): then the
// diffusion loss alone trains both, the encoder through the denoiser's conditioning, as in Preechakul
// et al. 2022 (no pixel reconstruction loss). It is a LatentModel, so a run folder holding one opens,
// encodes and reconstructs like any other model.
//   encode(x)      the encoder's latent, unchanged (rank, TCAV and attribution read the same maps).
//   reconstruct(x) DDIM inversion of x to its own x_T, then DDIM decoding: deterministic, and the
//                  closest the decoder gets to x.
//   decode(z)      DDIM decoding from one fixed x_T (drawn once from the noise seed, the same for every
//                  case and call): with no image there is no x_T to infer, and holding the noise fixed
//                  means that two decodings differ only because their latents do (what masked
//                  decoding and ablation compare).
import { noGrad } from '../../engine/autograd.js';
import { ones, randn, zeros } from '../../engine/create.js';
import * as F from '../../engine/functional.js';
import { generator } from '../../engine/generator.js';
import { scope } from '../../engine/scope.js';
import { tensor, type Tensor } from '../../engine/tensor.js';
import { randomStream, streamSeed } from '../../core/random.js';
import { Module } from '../../nn/module.js';
import type { Sequential } from '../../nn/layers.js';
import type { EncoderCut, Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from '../types.js';
import { ddimDecode, ddimInvert, qSample, type EpsModel } from './ddim.js';
import { makeSchedule, type NoiseSchedule, type ScheduleKind } from './schedule.js';
import { UNet } from './unet.js';

/** What the denoiser is trained to output. */
export type DiffusionPrediction = 'eps' | 'v';

/** How the latent reaches the denoiser. */
export type DiffusionConditioning = 'adagn' | 'adagn+spatial' | 'adagn+cross-attention';

export interface DiffusionDecoderOptions {
  /**
   * 'adagn': the latent pooled over its grid to a K-vector scales and shifts every block (Diff-AE);
   * 'adagn+spatial': that, and the latent maps (nearest-upsampled to the image) concatenated to x_t;
   * 'adagn+cross-attention': that, and cross-attention from the lowest-resolution features to the K
   * latent maps as tokens (cross-attention.ts, as EncDiff). Default 'adagn+spatial' (a pooled vector
   * cannot say where a lesion is).
   */
  conditioning?: DiffusionConditioning;
  /** U-Net channels of its first level. Default 32. */
  width?: number;
  /** U-Net channel multiplier per level. Default [1, 2, 2]. */
  mults?: number[];
  /** Noise schedule: 'linear' (default, as DDPM and Diff-AE) or 'cosine', and T (default 1000). */
  schedule?: { kind?: ScheduleKind; steps?: number };
  /** DDIM steps of decode and reconstruct. Default 20. */
  ddimSteps?: number;
  /**
   * What the network outputs and the loss compares: 'eps' (the noise, DDPM's and Diff-AE's choice,
   * default) or 'v' (v = sqrt(ab) eps - sqrt(1 - ab) x_0, Salimans & Ho 2022). Sampling always works in
   * eps: a v network's eps is sqrt(ab) v + sqrt(1 - ab) x_t, exact where eps-prediction is hardest
   * (high noise, where an eps error is multiplied by 1 / sqrt(ab) = 157 in x_0).
   */
  prediction?: DiffusionPrediction;
  /** Seed of every draw: training noise and timesteps per step, validation noise, decode's fixed x_T. Default 0. */
  noiseSeed?: number;
  /**
   * Train the encoder with the denoiser (Diff-AE): the diffusion loss's gradient reaches the encoder
   * through the conditioning, one optimizer group ('main') holds both, and the encoder's batch-norm
   * layers train with it. Default false: the encoder is frozen (weights and statistics), the denoiser
   * alone has an optimizer ('denoiser').
   */
  joint?: boolean;
}

/** The resolved settings, recorded in config.json with the encoder's own config. */
export interface DiffusionAEConfig extends ModelConfig {
  kind: 'diffusion-ae';
  encoder: ModelConfig;
  conditioning: DiffusionConditioning;
  width: number;
  mults: number[];
  schedule: { kind: ScheduleKind; steps: number };
  ddimSteps: number;
  prediction: DiffusionPrediction;
  noiseSeed: number;
  /** Present (true) only when the encoder is trained with the decoder, so a frozen-encoder config is as it was. */
  joint?: true;
}

export interface ReconstructOptions {
  /** DDIM steps. Default the model's ddimSteps. */
  steps?: number;
  /** 'inferred' (DDIM inversion of the image, default) or 'random' (the model's fixed x_T). */
  xT?: 'inferred' | 'random';
}

export class DiffusionAE extends Module implements LatentModel {
  readonly config: DiffusionAEConfig;
  readonly denoiser: UNet;
  readonly schedule: NoiseSchedule;
  /** Per-map mean and standard deviation of the encoder's latent over the training cases (set before training). */
  readonly latentMean: Tensor;
  readonly latentStd: Tensor;

  constructor(
    readonly encoder: LatentModel,
    o: DiffusionDecoderOptions = {},
  ) {
    super();
    const enc = encoder.config;
    if (!(encoder instanceof Module))
      throw new Error(
        `diffusion decoder: the encoder must be a latentlens model (got ${enc.kind}; TorchScript encoders are not supported yet)`,
      );
    if (enc.inputShape.length !== 3)
      throw new Error(`diffusion decoder: images only (C x H x W); the encoder takes ${enc.inputShape.join(' x ')}`);
    const [c] = enc.inputShape;
    const k = enc.latentMaps;
    this.config = {
      kind: 'diffusion-ae',
      inputShape: enc.inputShape,
      latentMaps: k,
      latentGrid: enc.latentGrid,
      encoder: enc,
      conditioning: o.conditioning ?? 'adagn+spatial',
      width: o.width ?? 32,
      mults: o.mults ?? [1, 2, 2],
      schedule: { kind: o.schedule?.kind ?? 'linear', steps: o.schedule?.steps ?? 1000 },
      ddimSteps: o.ddimSteps ?? 20,
      prediction: o.prediction ?? 'eps',
      noiseSeed: o.noiseSeed ?? 0,
      ...(o.joint ? { joint: true as const } : {}),
    };
    if (!['adagn', 'adagn+spatial', 'adagn+cross-attention'].includes(this.config.conditioning)) {
      throw new RangeError(
        `diffusion decoder: conditioning must be adagn, adagn+spatial or adagn+cross-attention, got '${this.config.conditioning}'`,
      );
    }
    if (!['eps', 'v'].includes(this.config.prediction))
      throw new RangeError(`diffusion decoder: prediction must be eps or v, got '${this.config.prediction}'`);
    this.schedule = makeSchedule(this.config.schedule);
    this.registerModule('encoder', encoder);
    this.denoiser = this.registerModule(
      'denoiser',
      new UNet({
        imageChannels: c,
        spatialChannels: this.config.conditioning === 'adagn+spatial' ? k : 0,
        condDim: k,
        width: this.config.width,
        mults: this.config.mults,
        ...(this.config.conditioning === 'adagn+cross-attention'
          ? { tokens: { maps: k, cells: enc.latentGrid[0] * enc.latentGrid[1]! } }
          : {}),
      }),
    );
    this.latentMean = this.registerBuffer('latent_mean', zeros([k]));
    this.latentStd = this.registerBuffer('latent_std', ones([k]));
    if (!this.joint) this.encoder.eval();
  }

  /** Whether the encoder trains with the denoiser (config.joint). */
  get joint(): boolean {
    return this.config.joint === true;
  }

  /** Sets the latent standardisation (per map), so the denoiser sees latents of unit scale whatever the encoder's. */
  setLatentStats(mean: ArrayLike<number>, std: ArrayLike<number>): void {
    noGrad(() =>
      scope(() => {
        this.latentMean.copy_(tensorOf(mean));
        this.latentStd.copy_(tensorOf(std).clamp(1e-6));
      }),
    );
  }

  encoderStack(): Sequential {
    const s = this.encoder.encoderStack?.();
    if (!s) throw new Error('diffusion decoder: its encoder offers no layer stack');
    return s;
  }

  encoderCut(): { cut: EncoderCut } | { why: string } {
    return this.encoder.encoderCut?.() ?? { why: `the encoder (${this.encoder.config.kind}) offers no cut` };
  }

  encode(x: Tensor): Encoding {
    return this.encoder.encode(x);
  }

  /** What the denoiser sees of latents z: the standardised latent pooled to N x K, and upsampled to the image. */
  conditioning(z: Tensor): { pooled: Tensor; spatial?: Tensor; latent?: Tensor } {
    const [, h, w] = this.config.inputShape as [number, number, number];
    const k = this.config.latentMaps;
    const zn = z.sub(this.latentMean.reshape(1, k, 1, 1)).div(this.latentStd.reshape(1, k, 1, 1));
    const pooled = zn.mean([2, 3]);
    if (this.config.conditioning === 'adagn+cross-attention') return { pooled, latent: zn };
    if (this.config.conditioning !== 'adagn+spatial') return { pooled };
    return { pooled, spatial: F.interpolate(zn, { size: [h, w] }) };
  }

  /** The closure eps(x_t, t) conditioned on latents z, which the samplers call. */
  epsModel(z: Tensor): EpsModel {
    const { pooled, spatial, latent } = this.conditioning(z);
    return (x, t) => {
      const out = this.denoiser.forward(x, this.denoiser.embedTimesteps(new Array<number>(x.shape[0]!).fill(t)), spatial, pooled, latent);
      if (this.config.prediction === 'eps') return out;
      const a = this.schedule.alphaBar[t]!;
      return out.mul(Math.sqrt(a)).add(x.mul(Math.sqrt(1 - a)));
    };
  }

  /** DDIM inversion of images x (pixels in 0..1) conditioned on z: their x_T. */
  invert(x: Tensor, z: Tensor, steps = this.config.ddimSteps): Tensor {
    return noGrad(() => scope(() => ddimInvert(this.epsModel(z), x.mul(2).sub(1), this.schedule, { steps })));
  }

  /** DDIM decoding (eta 0) of x_T conditioned on z, to pixels in 0..1. */
  decodeFrom(xT: Tensor, z: Tensor, steps = this.config.ddimSteps): Tensor {
    return noGrad(() => scope(() => ddimDecode(this.epsModel(z), xT, this.schedule, { steps }).add(1).div(2).clamp(0, 1)));
  }

  /** The fixed x_T of decode(z), one C x H x W draw of stream (noiseSeed, 'diffusion/decode-xT') repeated per case. */
  fixedNoise(n: number): Tensor {
    const gen = generator(streamSeed(this.config.noiseSeed, 'diffusion/decode-xT'));
    return scope(() =>
      randn([1, ...this.config.inputShape], { generator: gen })
        .expand(n, ...this.config.inputShape)
        .contiguous(),
    );
  }

  decode(z: Tensor): Tensor {
    return scope(() => this.decodeFrom(this.fixedNoise(z.shape[0]!), z));
  }

  reconstruct(x: Tensor): Tensor {
    return this.reconstructWith(x);
  }

  /** Reconstruction with a chosen number of DDIM steps and x_T (inferred by inversion, or the fixed random one). */
  reconstructWith(x: Tensor, o: ReconstructOptions = {}): Tensor {
    const steps = o.steps ?? this.config.ddimSteps;
    return scope(() =>
      noGrad(() => {
        const z = this.encode(x).z;
        const xT = (o.xT ?? 'inferred') === 'inferred' ? this.invert(x, z, steps) : this.fixedNoise(x.shape[0]!);
        return this.decodeFrom(xT, z, steps);
      }),
    );
  }

  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  /**
   * Frozen: the denoiser alone ('denoiser'). Joint: one group ('main') of the encoder's layer stack (all
   * of an encoder-only model; a full autoencoder's own decoder gets no gradient and is left out) and the
   * denoiser, stepped together by one loss.
   */
  paramGroups(): ParamGroup[] {
    if (!this.joint) return [{ name: 'denoiser', params: this.denoiser.parameters() }];
    const stack = this.encoder.encoderStack?.();
    const encoderParams = stack ? stack.parameters() : (this.encoder as unknown as Module).parameters();
    return [{ name: 'main', params: [...encoderParams, ...this.denoiser.parameters()] }];
  }

  /** A frozen encoder stays in eval mode (batch-norm statistics untouched) whatever the denoiser's mode; a joint one follows it. */
  override train(on = true): this {
    super.train(on);
    if (!this.joint) this.encoder.eval();
    return this;
  }

  /**
   * The DDPM loss: || eps - eps_theta(sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, t, z) ||^2, t uniform on
   * 0..T-1, with t and eps drawn from streams of (noiseSeed, step): a resumed run draws what an
   * uninterrupted one did, and libtorch's global generator is never read. z = encode(x).z, detached
   * from a frozen encoder, differentiable into a joint one (the loss's only path to the encoder).
   */
  diffusionLoss(x: Tensor, stream: string, index: number): Tensor {
    const n = x.shape[0]!;
    const rnd = randomStream(this.config.noiseSeed, `${stream}/t`, index);
    const ts = Array.from({ length: n }, () => rnd.int(this.schedule.steps));
    const noise = randn(x.shape, { generator: generator(streamSeed(this.config.noiseSeed, `${stream}/eps`, index)) });
    const z = this.joint ? this.encode(x).z : noGrad(() => this.encode(x).z.detach());
    const ab = ts.map((t) => this.schedule.alphaBar[t]!);
    const x0 = x.mul(2).sub(1);
    const xt = qSample(x0, noise, ab);
    const { pooled, spatial, latent } = this.conditioning(z);
    const pred = this.denoiser.forward(xt, this.denoiser.embedTimesteps(ts), spatial, pooled, latent);
    // v = sqrt(ab) eps - sqrt(1 - ab) x_0 is qSample with the coefficients swapped and one negated.
    const target = this.config.prediction === 'eps' ? noise : qSample(noise, x0.neg(), ab);
    return F.mseLoss(pred, target);
  }

  trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms {
    const loss = this.diffusionLoss(x, 'diffusion/train', step);
    update(this.joint ? 'main' : 'denoiser', loss);
    const v = loss.item();
    return { loss: v, eps: v };
  }

  evalLoss(x: Tensor): LossTerms {
    const v = noGrad(() => this.diffusionLoss(x, 'diffusion/eval', 0).item());
    return { loss: v, eps: v };
  }
}

const tensorOf = (v: ArrayLike<number>) => tensor(Float32Array.from(v), [v.length]);
