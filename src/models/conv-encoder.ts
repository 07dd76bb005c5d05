// ConvEncoder: the encoder of ConvAE alone (the same layers, options and state-dict names, `encoder.*`),
// for models that put another decoder behind it and train the two together: the jointly trained
// diffusion autoencoder (`train --model diffusion-ae`, diffusion/diffusion-ae.ts). It has no decoder
// and no loss of its own: decode, reconstruct and training steps are the enclosing model's, and asking
// the encoder alone for them is an error that says so.
import type { Tensor } from '../engine/tensor.js';
import { Module } from '../nn/module.js';
import type { Sequential } from '../nn/layers.js';
import { buildEncoder, planBackbone, type BackboneOptions } from './backbone.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup } from './types.js';

export interface ConvEncoderOptions extends BackboneOptions {
  /** Number of latent maps K. Default 16 (conv-ae's). */
  latentMaps?: number;
}

export class ConvEncoder extends Module implements LatentModel {
  readonly config: ModelConfig;
  readonly encoder: Sequential;

  constructor(o: ConvEncoderOptions) {
    super();
    const k = o.latentMaps ?? 16;
    const plan = planBackbone(o);
    if (plan.volumetric) throw new Error('conv-encoder: images only (C x H x W)');
    this.config = { ...o, kind: 'conv-encoder', latentMaps: k, latentGrid: plan.latentGrid };
    this.encoder = this.registerModule('encoder', buildEncoder(o, k));
  }

  encoderStack(): Sequential {
    return this.encoder;
  }

  encode(x: Tensor): Encoding {
    return { z: this.encoder.forward(x) };
  }

  private none(what: string): never {
    throw new Error(
      `conv-encoder: an encoder alone has no ${what}; it is the encoder of a jointly trained model, which decodes and trains it`,
    );
  }
  decode(_z: Tensor): Tensor {
    return this.none('decoder');
  }
  reconstruct(_x: Tensor): Tensor {
    return this.none('decoder');
  }
  forward(x: Tensor): Tensor {
    return this.encode(x).z;
  }
  paramGroups(): ParamGroup[] {
    return [{ name: 'main', params: this.parameters() }];
  }
  trainStep(): LossTerms {
    return this.none('loss');
  }
  evalLoss(): LossTerms {
    return this.none('loss');
  }
}
