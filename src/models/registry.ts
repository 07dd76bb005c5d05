// Building models by kind name, from CLI options or from a run's config.json.
import { AdversarialAE, type AdversarialDecoderOptions } from './adversarial/adversarial-ae.js';
import { ConvAE, type ConvAEOptions } from './conv-ae.js';
import { ConvEncoder } from './conv-encoder.js';
import { DiffusionAE, type DiffusionDecoderOptions } from './diffusion/diffusion-ae.js';
import { jointDiffusionAE, type JointDiffusionOptions } from './diffusion/joint.js';
import { FactorVAE, type FactorVAEOptions } from './factor-vae.js';
import { InfoGAN, type InfoGANOptions } from './infogan.js';
import { TorchScriptModel, type TorchScriptModelOptions } from './torchscript-model.js';
import { VAE, type VAEOptions } from './vae.js';
import type { LatentModel, ModelKind } from './types.js';

export const MODEL_KINDS: ModelKind[] = [
  'conv-ae',
  'vae',
  'beta-vae',
  'beta-tcvae',
  'factor-vae',
  'infogan',
  'diffusion-ae',
  'torchscript',
];

export type ModelOptions = ConvAEOptions &
  VAEOptions &
  FactorVAEOptions &
  InfoGANOptions &
  Partial<TorchScriptModelOptions> &
  Omit<JointDiffusionOptions, 'inputShape' | 'latentMaps' | 'latentGrid' | 'width' | 'norm' | 'activation'> & {
    /** Dataset size N, for beta-TCVAE's estimator. */
    datasetSize?: number;
    /** beta-TCVAE weights; default alpha 1, beta 6, gamma 1. */
    alpha?: number;
    tcBeta?: number;
    tcGamma?: number;
  };

/** One line per kind for `--help`: what it is and its defaults. */
export const modelOptionsHelp: Record<ModelKind, string> = {
  'conv-ae': 'deterministic conv autoencoder, K maps on the latent grid, MSE',
  vae: 'VAE, spatial or vector latent, BCE + KL',
  'beta-vae': 'beta-VAE: Higgins (beta=4 x KL) or Burgess (capacity: gamma |KL - C|)',
  'beta-tcvae': 'beta-TCVAE: alpha MI + beta TC + gamma dim-wise KL (alpha 1, beta 6, gamma 1)',
  'factor-vae': 'FactorVAE: VAE + gamma (6) x discriminator TC estimate, own optimizer',
  infogan: 'InfoGAN: categorical (10) + continuous (2) codes; Q network is the encoder',
  torchscript: "a user's TorchScript autoencoder (encode/decode methods, or encoder + decoder files)",
  // Continuation lines are indented to `train --help`'s column (2 + 12 + 1).
  'diffusion-ae':
    "Diff-AE trained jointly: conv-ae's encoder (--latent-maps, --latent-grid, --width, --norm, --activation)\n" +
    '               and a U-Net denoiser conditioned on its latent, both trained by the diffusion loss alone (no pixel loss);\n' +
    '               denoiser by --model-opt: conditioning=adagn+spatial|adagn|adagn+cross-attention, prediction=eps|v,\n' +
    '               denoiserWidth=32, mults=[1,2,2], noiseSchedule=linear|cosine, timesteps=1000, ddimSteps=20.\n' +
    '               On a frozen trained encoder instead: train-decoder --from <run>',
  'adversarial-ae':
    "a trained model's conv decoder fine-tuned with a patch discriminator, encoder frozen; made by `train-decoder --decoder adversarial --from <run>`, not by --model",
  'conv-encoder': "conv-ae's encoder alone, inside a jointly trained diffusion-ae; not a model of its own",
};

/** The kinds with a 3D variant, built when inputShape is [C, D, H, W] (volumes). */
export const VOLUME_MODEL_KINDS: ModelKind[] = ['conv-ae', 'vae', 'beta-vae', 'beta-tcvae', 'factor-vae'];

export function createModel(kind: ModelKind, o: ModelOptions): LatentModel {
  if (!o.inputShape && kind !== 'torchscript') throw new Error(`createModel(${kind}): inputShape [C, H, W] is required`);
  // Models on the shared backbone become 3D with a 4-element inputShape; a TorchScript module takes
  // whatever its own layers take (it is checked on the data when imported); the others have no 3D variant.
  if (o.inputShape?.length === 4 && !VOLUME_MODEL_KINDS.includes(kind) && kind !== 'torchscript') {
    throw new Error(
      `${kind} has no 3D variant for volumes (input ${o.inputShape.join(' x ')}); use one of ${VOLUME_MODEL_KINDS.join(', ')}, or read 2D slices of the data (e.g. volumes=slices)`,
    );
  }
  switch (kind) {
    case 'conv-ae':
      return new ConvAE(o);
    case 'vae':
      return new VAE(o, 'vae');
    case 'beta-vae':
      return new VAE({ ...o, beta: o.capacity ? 1 : (o.beta ?? 4) }, 'beta-vae');
    case 'beta-tcvae':
      return new VAE(
        { ...o, tc: o.tc ?? { alpha: o.alpha ?? 1, beta: o.tcBeta ?? 6, gamma: o.tcGamma ?? 1, datasetSize: o.datasetSize ?? 1000 } },
        'beta-tcvae',
      );
    case 'factor-vae':
      return new FactorVAE(o);
    case 'infogan':
      return new InfoGAN(o);
    case 'torchscript':
      return new TorchScriptModel(o as TorchScriptModelOptions);
    // A diffusion decoder's config holds its encoder's config: the encoder is built first, then wrapped.
    // Without one (train --model diffusion-ae) it is a joint diffusion autoencoder from flat options.
    case 'diffusion-ae': {
      const enc = (o as { encoder?: { kind: ModelKind } & ModelOptions }).encoder;
      if (!enc) return jointDiffusionAE(o as unknown as JointDiffusionOptions & Record<string, unknown>);
      return new DiffusionAE(createModel(enc.kind, enc), o as DiffusionDecoderOptions);
    }
    case 'conv-encoder':
      return new ConvEncoder(o);
    // Likewise the adversarial decoder's config holds its base model's: rebuilt, then wrapped.
    case 'adversarial-ae': {
      const base = (o as { base?: { kind: ModelKind } & ModelOptions }).base;
      if (!base) throw new Error("createModel(adversarial-ae): the base model's config (base) is required");
      return new AdversarialAE(createModel(base.kind, base), o as AdversarialDecoderOptions);
    }
    default:
      throw new Error(`unknown model '${String(kind)}' (one of ${MODEL_KINDS.join(', ')})`);
  }
}

/** Rebuilds a model from the config it reported (config.json of a run). */
export function modelFromConfig(config: { kind: ModelKind } & Record<string, unknown>): LatentModel {
  return createModel(config.kind, config as unknown as ModelOptions);
}
