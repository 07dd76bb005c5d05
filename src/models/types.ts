// The one small surface every model offers, so training and every analysis run unchanged on any of
// them (ConvAE, the VAE family, FactorVAE, InfoGAN's Q network, or a user's TorchScript autoencoder).
import type { Tensor } from '../engine/tensor.js';
import type { Sequential } from '../nn/layers.js';

export type ModelKind =
  | 'conv-ae'
  | 'vae'
  | 'beta-vae'
  | 'beta-tcvae'
  | 'factor-vae'
  | 'infogan'
  | 'torchscript'
  | 'diffusion-ae'
  | 'adversarial-ae'
  | 'conv-encoder';

/** What `encode` returns. `z` is what analyses interpret: K latent maps N x K x h x w (or N x K x 1 x 1 for vector latents). */
export interface Encoding {
  /** The latent used downstream: the mean for variational models (deterministic, as analyses need). */
  z: Tensor;
  /** Posterior mean and log-variance, same shape as z (variational models only). */
  mu?: Tensor;
  logvar?: Tensor;
}

/** Loss terms of one step by name (e.g. `recon`, `kl`, `tc`), as plain numbers for logging. */
export type LossTerms = Record<string, number>;

/** Trains `loss` with the optimizer of `group` (zero grad, backward, clip, step), as the model asks. */
export type UpdateFn = (group: string, loss: Tensor) => void;

export interface ModelConfig {
  kind: ModelKind;
  /** Input channels, height and width; channels, depth, height and width for a 3D model (volumes). */
  inputShape: [number, number, number] | [number, number, number, number];
  /** Number of latent maps K and the latent grid h x w (d x h x w for 3D; 1 x 1 (x 1) for vector latents). */
  latentMaps: number;
  latentGrid: [number, number] | [number, number, number];
  /** Everything else the model was built with, for config.json. */
  [option: string]: unknown;
}

/** An optimizer group: its parameters and its own learning rate (default: the trainer's). */
export interface ParamGroup {
  name: string;
  params: Tensor[];
  lr?: number;
  betas?: [number, number];
}

export interface LatentModel {
  readonly config: ModelConfig;
  encode(x: Tensor): Encoding;
  decode(z: Tensor): Tensor;
  /** decode(encode(x).z), in the model's output range. */
  reconstruct(x: Tensor): Tensor;
  /** Optimizer groups: one ('main') for autoencoders, more for adversarial models. */
  paramGroups(): ParamGroup[];
  /**
   * One training step on a batch: computes each group's loss and calls `update` for it, in the order the
   * method needs (e.g. FactorVAE: the VAE, then its discriminator on detached latents). `step` counts from
   * 1 (for annealed capacities). Returns the loss terms to log.
   */
  trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms;
  /** Loss terms on a batch without training (validation). */
  evalLoss(x: Tensor): LossTerms;
  train(on?: boolean): unknown;
  eval(): unknown;
  /** Parameters and buffers by PyTorch-style name, for checkpoints (.safetensors). */
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: Map<string, Tensor>, strict?: boolean): void;
  dispose(): void;
  /**
   * The encoder as a layer stack whose last layer outputs the latent (or [mu, logvar]), for methods that
   * read an intermediate layer (Grad-CAM) or randomise the encoder (the sanity check). Absent when the
   * model cannot offer one (a TorchScript module): those methods are then skipped with a note.
   */
  encoderStack?(): Sequential;
  /**
   * For models without a layer stack: the encoder cut at one activation, for Grad-CAM (a TorchScript
   * module's `encoder_activation` / `encode_from_activation` methods). `{ why }` says why there is none.
   */
  encoderCut?(): { cut: EncoderCut } | { why: string };
}

/** An encoder split at the activation Grad-CAM reads: encode(x).z === latent(activation(x)). */
export interface EncoderCut {
  /** Where the cut is (recorded as Grad-CAM's layer), e.g. 'encoder_activation'. */
  layer: string;
  /** x (N x C x H x W) to the activation, N x C' x h' x w'. */
  activation(x: Tensor): Tensor;
  /** The activation to the latent maps z (the first K channels are used, as for [mu, logvar] stacks). */
  latent(a: Tensor): Tensor;
}
