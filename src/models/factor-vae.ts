// FactorVAE (Kim & Mnih 2018): a VAE whose loss adds gamma times a total-correlation estimate from a
// discriminator that tells latents of real cases from latents whose dimensions were permuted
// independently across the batch (samples of the product of marginals). The discriminator has its
// own optimizer group.
import * as F from '../engine/functional.js';
import { rand } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { LeakyReLU, Linear, Sequential } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { numbers, VAE, type VAEOptions } from './vae.js';
import type { LossTerms, ParamGroup, UpdateFn } from './types.js';

export interface FactorVAEOptions extends VAEOptions {
  /** Weight of the total-correlation term. Default 6 (vector latents) as in the paper's dSprites runs. */
  gamma?: number;
  /** Hidden units per discriminator layer and number of hidden layers. Default 256 x 3. */
  discriminatorWidth?: number;
  discriminatorLayers?: number;
  /** Learning rate of the discriminator. Default 1e-4 (Adam, betas 0.5, 0.9, as in the paper). */
  discriminatorLr?: number;
}

/** Each column permuted independently across the batch: samples from the product of the marginals. */
export function permuteDims(z: Tensor): Tensor {
  const [, order] = F.sort(rand(z.shape), 0);
  return z.gather(0, order);
}

export class FactorVAE extends VAE {
  readonly discriminator: Sequential;
  private readonly gamma: number;
  private readonly dLr: number;

  constructor(o: FactorVAEOptions) {
    super(o, 'factor-vae');
    this.gamma = o.gamma ?? 6;
    this.dLr = o.discriminatorLr ?? 1e-4;
    this.config.gamma = this.gamma;
    const dims = this.config.latentMaps * this.config.latentGrid.reduce((x, y) => x * y, 1);
    const width = o.discriminatorWidth ?? 256;
    const layers: Module[] = [];
    let inF = dims;
    for (let i = 0; i < (o.discriminatorLayers ?? 3); i++) {
      layers.push(new Linear(inF, width), LeakyReLU(0.2));
      inF = width;
    }
    this.discriminator = this.registerModule('discriminator', new Sequential(...layers, new Linear(inF, 1)));
  }

  /** Logit that a flattened latent comes from q(z) rather than the product of its marginals. */
  discriminate(zFlat: Tensor): Tensor {
    return this.discriminator.forward(zFlat);
  }

  override paramGroups(): ParamGroup[] {
    const d = new Set(this.discriminator.parameters());
    return [
      { name: 'main', params: this.parameters().filter((p) => !d.has(p)) },
      { name: 'discriminator', params: [...d], lr: this.dLr, betas: [0.5, 0.9] },
    ];
  }

  /** Discriminator loss: BCE of joint latents (label 1) against dimension-permuted ones (label 0). */
  discriminatorLoss(zFlat: Tensor): Tensor {
    const real = this.discriminate(zFlat);
    const fake = this.discriminate(permuteDims(zFlat));
    return F.binaryCrossEntropyWithLogits(real, real.mul(0).add(1))
      .add(F.binaryCrossEntropyWithLogits(fake, fake.mul(0)))
      .mul(0.5);
  }

  override trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms {
    const { loss, terms, z } = this.objective(x, step);
    // The density-ratio trick: log D/(1-D) is the discriminator's logit, an estimate of log q(z)/prod q(z_j).
    const tc = this.discriminate(z.flatten(1)).mean();
    const total = loss.add(tc.mul(this.gamma));
    update('main', total);
    const dLoss = this.discriminatorLoss(z.detach().flatten(1));
    update('discriminator', dLoss);
    return numbers(total, { ...terms, tc, discriminator: dLoss });
  }
}
