// ConvAE: a deterministic convolutional autoencoder whose latent is K feature maps of h x w, the object
// latentlens interprets. Trained with mean squared error (or BCE) on pixels in 0..1.
import * as F from '../engine/functional.js';
import type { Tensor } from '../engine/tensor.js';
import { Module } from '../nn/module.js';
import type { Sequential } from '../nn/layers.js';
import { buildDecoder, buildEncoder, planBackbone, type BackboneOptions } from './backbone.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from './types.js';

export interface ConvAEOptions extends BackboneOptions {
  /** Number of latent maps K. Default 16. */
  latentMaps?: number;
  /** 'mse' (mean over pixels) or 'bce' (summed per image). Default 'mse'. */
  reconLoss?: 'mse' | 'bce';
}

export class ConvAE extends Module implements LatentModel {
  readonly config: ModelConfig;
  readonly encoder: Sequential;
  readonly decoder: Sequential;

  constructor(o: ConvAEOptions) {
    super();
    const k = o.latentMaps ?? 16;
    const plan = planBackbone(o);
    this.config = { ...o, kind: 'conv-ae', latentMaps: k, latentGrid: plan.latentGrid, reconLoss: o.reconLoss ?? 'mse' };
    this.encoder = this.registerModule('encoder', buildEncoder(o, k));
    this.decoder = this.registerModule('decoder', buildDecoder(o, k));
  }

  encoderStack(): Sequential {
    return this.encoder;
  }

  encode(x: Tensor): Encoding {
    return { z: this.encoder.forward(x) };
  }
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z).sigmoid();
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

  private loss(x: Tensor): Tensor {
    const logits = this.decoder.forward(this.encoder.forward(x));
    return this.config.reconLoss === 'bce'
      ? F.binaryCrossEntropyWithLogits(logits, x, 'sum').div(x.shape[0]!)
      : F.mseLoss(logits.sigmoid(), x);
  }

  trainStep(x: Tensor, _step: number, update: UpdateFn): LossTerms {
    const loss = this.loss(x);
    update('main', loss);
    return { loss: loss.item(), recon: loss.item() };
  }

  evalLoss(x: Tensor): LossTerms {
    const l = this.loss(x).item();
    return { loss: l, recon: l };
  }
}
