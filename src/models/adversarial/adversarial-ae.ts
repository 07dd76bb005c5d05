// AdversarialAE: a zoo model whose own conv decoder is fine-tuned with a PatchGAN discriminator (the
// VQGAN recipe without its perceptual term: no feature network such as LPIPS's VGG can be had offline
// here), the encoder frozen. encode and decode are the base model's, so every analysis (rank, masked
// decoding, ablation, the entanglement index, traversals, TCAV, the explorer) runs on it unchanged and
// compares like for like with the base run: same latents, a different decoder.
//   decoder loss       recon + w * generator term, w = 0 for the first advStart steps (VQGAN's
//                      disc_start: the decoder starts from its reconstruction optimum), then advWeight,
//                      times VQGAN's adaptive factor ||grad recon|| / ||grad gen|| at the decoder's last
//                      weight unless adaptiveWeight is off (the term then means the same on every model
//                      whatever its loss scale).
//   discriminator loss real cases against detached decodings, per patch; not stepped during warm-up.
import { grad, noGrad } from '../../engine/autograd.js';
import * as F from '../../engine/functional.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { EncoderCut, Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from '../types.js';
import { baseDecoder, type BaseDecoder } from './base-decoder.js';
import { PatchDiscriminator } from './patch-discriminator.js';

/** The GAN objective: 'non-saturating' (Goodfellow et al.'s -log D(G(z)) for the generator) or 'hinge' (as VQGAN). */
export type AdversarialLoss = 'non-saturating' | 'hinge';

export interface AdversarialDecoderOptions {
  /** Weight of the generator term (VQGAN's disc_weight). Default 0.5 (README "Generative decoders": 0.1 barely acts in 600 steps, 1 costs 0.7 dB). */
  advWeight?: number;
  /** Steps of reconstruction-only training before the adversarial terms start (VQGAN's disc_start). Default 100. */
  advStart?: number;
  /** Scale the generator term by ||grad recon|| / ||grad gen|| at the decoder's last weight (VQGAN). Default true. */
  adaptiveWeight?: boolean;
  /** Default 'non-saturating'. */
  advLoss?: AdversarialLoss;
  /** Patch discriminator: channels of its first layer (default 32) and stride-2 layers (default 2). */
  discriminatorWidth?: number;
  discriminatorLayers?: number;
  /** Learning rate of the discriminator (Adam, betas 0.5, 0.9 as VQGAN). Default 2e-4. */
  discriminatorLr?: number;
}

export interface AdversarialAEConfig extends ModelConfig {
  kind: 'adversarial-ae';
  /** The base model's own config: its encoder is frozen, its decoder fine-tuned. */
  base: ModelConfig;
  advWeight: number;
  advStart: number;
  adaptiveWeight: boolean;
  advLoss: AdversarialLoss;
  discriminatorWidth: number;
  discriminatorLayers: number;
  discriminatorLr: number;
  /** The reconstruction likelihood, averaged over pixels. */
  reconLoss: 'mse' | 'bce';
  /** Always 'none': no pretrained feature network is available offline. */
  perceptual: 'none';
}

const BETAS: [number, number] = [0.5, 0.9];

export class AdversarialAE extends Module implements LatentModel {
  readonly config: AdversarialAEConfig;
  readonly discriminator: PatchDiscriminator;
  readonly encoderStack?: () => Sequential;
  readonly encoderCut?: () => { cut: EncoderCut } | { why: string };
  private readonly parts: BaseDecoder;
  private readonly lastWeight: Tensor;

  constructor(
    readonly base: LatentModel,
    o: AdversarialDecoderOptions = {},
  ) {
    super();
    const b = base.config;
    if (b.inputShape.length !== 3)
      throw new Error(`adversarial decoder: images only (C x H x W); the model takes ${b.inputShape.join(' x ')}`);
    this.parts = baseDecoder(base);
    this.config = {
      kind: 'adversarial-ae',
      inputShape: b.inputShape,
      latentMaps: b.latentMaps,
      latentGrid: b.latentGrid,
      base: b,
      advWeight: o.advWeight ?? 0.5,
      advStart: o.advStart ?? 100,
      adaptiveWeight: o.adaptiveWeight ?? true,
      advLoss: o.advLoss ?? 'non-saturating',
      discriminatorWidth: o.discriminatorWidth ?? 32,
      discriminatorLayers: o.discriminatorLayers ?? 2,
      discriminatorLr: o.discriminatorLr ?? 2e-4,
      reconLoss: this.parts.reconLoss,
      perceptual: 'none',
    };
    const c = this.config;
    if (!(c.advWeight >= 0)) throw new RangeError(`adversarial decoder: advWeight must be >= 0, got ${c.advWeight}`);
    if (!(Number.isInteger(c.advStart) && c.advStart >= 0))
      throw new RangeError(`adversarial decoder: advStart must be a whole number of steps >= 0, got ${c.advStart}`);
    if (!['non-saturating', 'hinge'].includes(c.advLoss))
      throw new RangeError(`adversarial decoder: advLoss must be non-saturating or hinge, got '${c.advLoss}'`);
    this.registerModule('base', base as unknown as Module);
    this.discriminator = this.registerModule(
      'discriminator',
      new PatchDiscriminator({ channels: b.inputShape[0], width: c.discriminatorWidth, layers: c.discriminatorLayers }),
    );
    const weights = this.parts.output.parameters().filter((p) => p.ndim >= 2);
    this.lastWeight = weights[weights.length - 1]!;
    if (base.encoderStack) this.encoderStack = () => base.encoderStack!();
    if (base.encoderCut) this.encoderCut = () => base.encoderCut!();
    this.train(false);
  }

  encode(x: Tensor): Encoding {
    return this.base.encode(x);
  }
  decode(z: Tensor): Tensor {
    return this.base.decode(z);
  }
  reconstruct(x: Tensor): Tensor {
    return this.base.reconstruct(x);
  }
  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  paramGroups(): ParamGroup[] {
    return [
      // The decoder's learning rate is the trainer's (train-adversarial-decoder.ts sets a fine-tune's).
      { name: 'decoder', params: this.parts.trained.flatMap(([, m]) => m.parameters()), betas: BETAS },
      { name: 'discriminator', params: this.discriminator.parameters(), lr: this.config.discriminatorLr, betas: BETAS },
    ];
  }

  /** The frozen modules stay in eval mode (the encoder's batch-norm statistics untouched) whatever the decoder's. */
  override train(on = true): this {
    super.train(on);
    for (const [, m] of this.parts.frozen) m.eval();
    return this;
  }

  /** The decoder's images of latents z and the model's reconstruction loss of x, averaged over pixels. */
  reconstruction(z: Tensor, x: Tensor): { loss: Tensor; images: Tensor } {
    if (this.parts.reconLoss === 'bce' && this.parts.logits) {
      const logits = this.parts.logits(z);
      return { loss: F.binaryCrossEntropyWithLogits(logits, x), images: logits.sigmoid() };
    }
    const images = this.base.decode(z);
    return { loss: F.mseLoss(images, x), images };
  }

  /** The generator term on the patch logits of decodings. */
  generatorLoss(fakeLogits: Tensor): Tensor {
    return this.config.advLoss === 'hinge' ? fakeLogits.mean().neg() : F.softplus(fakeLogits.neg()).mean();
  }

  /** The discriminator loss on the patch logits of real cases and of (detached) decodings. */
  discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
    if (this.config.advLoss === 'hinge')
      return F.relu(realLogits.neg().add(1))
        .mean()
        .add(F.relu(fakeLogits.add(1)).mean())
        .mul(0.5);
    return F.softplus(realLogits.neg()).mean().add(F.softplus(fakeLogits).mean()).mul(0.5);
  }

  /** VQGAN's adaptive factor: the two terms' gradient norms at the decoder's last weight, clamped to [0, 1e4]. */
  private adaptiveFactor(recon: Tensor, gen: Tensor): number {
    const [gr] = grad(recon, this.lastWeight, { retainGraph: true });
    const [gg] = grad(gen, this.lastWeight, { retainGraph: true });
    const nr = Math.sqrt(gr!.square().sum().item()),
      ng = Math.sqrt(gg!.square().sum().item());
    return Math.min(1e4, Math.max(0, nr / (ng + 1e-4)));
  }

  trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms {
    const z = noGrad(() => this.base.encode(x).z.detach());
    const { loss: recon, images } = this.reconstruction(z, x);
    const on = step > this.config.advStart && this.config.advWeight > 0;
    let gen: Tensor;
    let weight = 0;
    let total = recon;
    if (on) {
      gen = this.generatorLoss(this.discriminator.forward(images));
      weight = this.config.advWeight * (this.config.adaptiveWeight ? this.adaptiveFactor(recon, gen) : 1);
      total = recon.add(gen.mul(weight));
    } else {
      // Logged during warm-up too, so a run's log shows the terms it starts from.
      gen = noGrad(() => this.generatorLoss(this.discriminator.forward(images.detach())));
    }
    update('decoder', total);
    const fake = images.detach();
    const dLoss = on
      ? this.discriminatorLoss(this.discriminator.forward(x), this.discriminator.forward(fake))
      : noGrad(() => this.discriminatorLoss(this.discriminator.forward(x), this.discriminator.forward(fake)));
    if (on) update('discriminator', dLoss);
    return { loss: total.item(), recon: recon.item(), gen: gen.item(), disc: dLoss.item(), adv_weight: weight };
  }

  evalLoss(x: Tensor): LossTerms {
    return noGrad(() => {
      const z = this.base.encode(x).z;
      const l = this.reconstruction(z, x).loss.item();
      return { loss: l, recon: l };
    });
  }
}
