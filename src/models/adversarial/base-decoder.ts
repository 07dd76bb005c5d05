// Which part of a zoo model is its decoder: the modules the adversarial decoder fine-tunes (everything
// else, the encoder included, stays frozen), the stack whose last weight balances the adversarial
// gradient against the reconstruction one, and the model's reconstruction likelihood.
import type { Tensor } from '../../engine/tensor.js';
import { Module } from '../../nn/module.js';
import { ConvAE } from '../conv-ae.js';
import { VAE } from '../vae.js';
import type { LatentModel, ModelKind } from '../types.js';

export interface BaseDecoder {
  /** The fine-tuned modules (child names of the model, e.g. 'decoder', 'from_latent'). */
  trained: [string, Module][];
  /** The frozen modules: the encoder and anything else the model holds (FactorVAE's discriminator, InfoGAN's D head). */
  frozen: [string, Module][];
  /** The stack that outputs the image; its last weight is VQGAN's "last layer" of the adaptive weight. */
  output: Module;
  /** Decoder logits of latents z, where the likelihood needs them (BCE); else the loss reads decode(z). */
  logits?: (z: Tensor) => Tensor;
  /** The model's own reconstruction likelihood: 'mse' or 'bce'. InfoGAN has none; it gets 'mse'. */
  reconLoss: 'mse' | 'bce';
}

// Child names of each kind's decoder, the image-producing stack first.
const DECODER_CHILDREN: Partial<Record<ModelKind, string[]>> = {
  'conv-ae': ['decoder'],
  vae: ['decoder', 'from_latent'],
  'beta-vae': ['decoder', 'from_latent'],
  'beta-tcvae': ['decoder', 'from_latent'],
  'factor-vae': ['decoder', 'from_latent'],
  infogan: ['generator', 'generator_head'],
};

export function baseDecoder(model: LatentModel): BaseDecoder {
  const kind = model.config.kind;
  const names = DECODER_CHILDREN[kind];
  if (!names || !(model instanceof Module)) {
    throw new Error(
      `adversarial decoder: a ${kind} model has no conv decoder to fine-tune (it works on ${Object.keys(DECODER_CHILDREN).join(', ')})`,
    );
  }
  const children = model.children();
  const trained = children.filter(([n]) => names.includes(n));
  const output = trained.find(([n]) => n === names[0])?.[1];
  if (!output) throw new Error(`adversarial decoder: the ${kind} model has no '${names[0]}' module`);
  const reconLoss = model.config.reconLoss === 'bce' ? 'bce' : 'mse';
  const logits =
    model instanceof VAE ? (z: Tensor) => model.logits(z) : model instanceof ConvAE ? (z: Tensor) => model.decoder.forward(z) : undefined;
  return {
    trained,
    frozen: children.filter(([n]) => !names.includes(n)),
    output,
    ...(logits ? { logits } : {}),
    reconLoss: logits ? reconLoss : 'mse',
  };
}
