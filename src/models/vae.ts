// The VAE family on the convolutional backbone, with spatial (K maps of h x w) or vector (K values)
// latents: plain VAE, beta-VAE as Higgins et al. 2017 (beta x KL) or Burgess et al. 2018 (gamma |KL - C|
// with the capacity C annealed over steps), and beta-TCVAE (Chen et al. 2018: alpha MI + beta TC +
// gamma dimension-wise KL, minibatch-weighted-sampling estimator).
import { randnLike } from '../engine/create.js';
import { Linear, type Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../engine/tensor.js';
import { buildDecoder, buildEncoder, planBackbone, type BackboneOptions } from './backbone.js';
import { gaussianKl, reconstructionLoss, tcDecomposition, type ReconLoss } from './losses.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ModelKind, ParamGroup, UpdateFn } from './types.js';

export interface VAEOptions extends BackboneOptions {
  /** Latent maps K (spatial) or latent dimensions K (vector). Default 16 spatial, 10 vector. */
  latentMaps?: number;
  /** 'spatial': K maps on the latent grid; 'vector': K numbers (a linear layer after the conv stack). Default 'spatial'. */
  latent?: 'spatial' | 'vector';
  /** Reconstruction likelihood: 'bce' (Bernoulli, pixels in 0..1) or 'mse' (Gaussian). Default 'bce'. */
  reconLoss?: ReconLoss;
  /** Weight of the KL term (Higgins' beta). Default 1 (plain VAE); the beta-vae kind defaults to 4. */
  beta?: number;
  /** Burgess' capacity schedule: loss = recon + gamma |KL - C|, C rising linearly from 0 to max nats over `steps`. */
  capacity?: { max: number; steps: number; gamma: number };
  /** beta-TCVAE weights and the dataset size N of its estimator. */
  tc?: { alpha: number; beta: number; gamma: number; datasetSize: number };
}

export class VAE extends Module implements LatentModel {
  readonly config: ModelConfig;
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  private readonly toLatent: Linear | null;
  private readonly fromLatent: Linear | null;
  private readonly k: number;
  private readonly opts: VAEOptions;

  constructor(o: VAEOptions, kind: ModelKind = 'vae') {
    super();
    const vector = o.latent === 'vector';
    this.k = o.latentMaps ?? (vector ? 10 : 16);
    this.opts = o;
    const plan = planBackbone(o);
    const last = plan.widths[plan.widths.length - 1]!;
    const cells = plan.latentGrid.reduce((a, b) => a * b, 1);
    // A vector latent is reported as K maps of one cell: 1 x 1, or 1 x 1 x 1 for a 3D model.
    const oneCell: [number, number] | [number, number, number] = plan.volumetric ? [1, 1, 1] : [1, 1];
    this.config = {
      ...o,
      kind,
      latentMaps: this.k,
      latentGrid: vector ? oneCell : plan.latentGrid,
      backboneGrid: plan.latentGrid,
      latent: vector ? 'vector' : 'spatial',
      reconLoss: o.reconLoss ?? 'bce',
      beta: o.beta ?? 1,
    };
    this.encoder = this.registerModule('encoder', buildEncoder(o, vector ? last : 2 * this.k));
    this.decoder = this.registerModule('decoder', buildDecoder(o, vector ? last : this.k));
    this.toLatent = vector ? this.registerModule('to_latent', new Linear(last * cells, 2 * this.k)) : null;
    this.fromLatent = vector ? this.registerModule('from_latent', new Linear(this.k, last * cells)) : null;
    this.gridShape = [last, ...plan.latentGrid];
  }
  private readonly gridShape: number[];

  /** Posterior mean and log-variance, each N x K x h x w (vector: N x K x 1 x 1; 3D: one more spatial axis). */
  posterior(x: Tensor): { mu: Tensor; logvar: Tensor } {
    const h = this.encoder.forward(x);
    let stats = h;
    if (this.toLatent) {
      stats = this.toLatent.forward(h.flatten(1));
      for (let a = 2; a < h.ndim; a++) stats = stats.unsqueeze(a);
    }
    return { mu: stats.narrow(1, 0, this.k), logvar: stats.narrow(1, this.k, this.k) };
  }

  encoderStack(): Sequential {
    return this.encoder;
  }

  encode(x: Tensor): Encoding {
    const { mu, logvar } = this.posterior(x);
    return { z: mu, mu, logvar };
  }

  /** Decoder logits for latents z (N x K x h x w, or N x K for vector latents). */
  logits(z: Tensor): Tensor {
    if (!this.fromLatent) return this.decoder.forward(z);
    return this.decoder.forward(this.fromLatent.forward(z.flatten(1)).reshape(z.shape[0]!, ...this.gridShape));
  }
  decode(z: Tensor): Tensor {
    return this.logits(z).sigmoid();
  }
  reconstruct(x: Tensor): Tensor {
    return this.decode(this.encode(x).z);
  }
  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }
  paramGroups(): ParamGroup[] {
    return [{ name: 'main', params: this.parameters() }];
  }

  /** z = mu + sigma * eps, the reparameterised sample. */
  protected sample(mu: Tensor, logvar: Tensor): Tensor {
    return mu.add(logvar.mul(0.5).exp().mul(randnLike(mu)));
  }

  /** The variational objective for one batch; `extra` lets subclasses add terms that need z. */
  protected objective(x: Tensor, step: number): { loss: Tensor; terms: Record<string, Tensor>; z: Tensor } {
    const { mu, logvar } = this.posterior(x);
    const z = this.sample(mu, logvar);
    const recon = reconstructionLoss(this.logits(z), x, this.config.reconLoss as ReconLoss);
    const kl = gaussianKl(mu, logvar);
    const o = this.opts;
    if (o.tc) {
      const d = tcDecomposition(z.flatten(1), mu.flatten(1), logvar.flatten(1), o.tc.datasetSize);
      const loss = recon.add(d.mi.mul(o.tc.alpha)).add(d.tc.mul(o.tc.beta)).add(d.dwKl.mul(o.tc.gamma));
      return { loss, terms: { recon, kl, mi: d.mi, tc: d.tc, dw_kl: d.dwKl }, z };
    }
    if (o.capacity) {
      const c = Math.min(o.capacity.max, (o.capacity.max * step) / o.capacity.steps);
      const loss = recon.add(kl.sub(c).abs().mul(o.capacity.gamma));
      return { loss, terms: { recon, kl, capacity: kl.mul(0).add(c) }, z };
    }
    return { loss: recon.add(kl.mul(this.config.beta as number)), terms: { recon, kl }, z };
  }

  trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms {
    const { loss, terms } = this.objective(x, step);
    update('main', loss);
    return numbers(loss, terms);
  }

  evalLoss(x: Tensor): LossTerms {
    const { mu, logvar } = this.posterior(x);
    const recon = reconstructionLoss(this.logits(mu), x, this.config.reconLoss as ReconLoss);
    const kl = gaussianKl(mu, logvar);
    return { loss: recon.item() + kl.item(), recon: recon.item(), kl: kl.item() };
  }
}

export function numbers(loss: Tensor, terms: Record<string, Tensor>): LossTerms {
  const out: LossTerms = { loss: loss.item() };
  for (const [k, v] of Object.entries(terms)) out[k] = v.item();
  return out;
}
