// A diffusion autoencoder trained from scratch, encoder and decoder together (`latentlens train --model
// diffusion-ae`): conv-ae's encoder (ConvEncoder: the same layers and latent options) and the U-Net
// denoiser, both trained by the diffusion loss alone, as Diffusion Autoencoders (Preechakul et al.
// 2022) train theirs. The options are flat, as `train`'s model options are: the encoder's under conv-ae's
// names (latentMaps, latentGrid, width, norm, activation), the denoiser's under their own
// (denoiserWidth, because `width` is the encoder's).
import type { ScheduleKind } from './schedule.js';
import { ConvEncoder } from '../conv-encoder.js';
import { DiffusionAE, type DiffusionConditioning, type DiffusionPrediction } from './diffusion-ae.js';
import type { BackboneOptions } from '../backbone.js';

export interface JointDiffusionOptions extends Pick<BackboneOptions, 'inputShape' | 'latentGrid' | 'width' | 'norm' | 'activation'> {
  /** The encoder's latent maps K. Default 16 (conv-ae's). */
  latentMaps?: number;
  /** The denoiser (diffusion-ae.ts DiffusionDecoderOptions): conditioning, default adagn+spatial. */
  conditioning?: DiffusionConditioning;
  /** Default eps. */
  prediction?: DiffusionPrediction;
  /** U-Net channels of its first level. Default 32. */
  denoiserWidth?: number;
  /** U-Net channel multipliers. Default [1, 2, 2]. */
  mults?: number[];
  /** linear (default) or cosine. */
  noiseSchedule?: ScheduleKind;
  /** T. Default 1000. */
  timesteps?: number;
  /** DDIM steps of decode, reconstruct and validation. Default 20. */
  ddimSteps?: number;
  /** Seed of the training noise, timesteps and decode's fixed x_T (trainRun sets it to the run's seed). Default 0. */
  noiseSeed?: number;
}

const ENCODER_KEYS = ['inputShape', 'latentMaps', 'latentGrid', 'width', 'norm', 'activation'] as const;
const DENOISER_KEYS = [
  'conditioning',
  'prediction',
  'denoiserWidth',
  'mults',
  'noiseSchedule',
  'timesteps',
  'ddimSteps',
  'noiseSeed',
] as const;

/** The options this model takes, for --help and the error on any other. */
export const JOINT_DIFFUSION_OPTIONS: readonly string[] = [...ENCODER_KEYS, ...DENOISER_KEYS];

/**
 * Builds a joint diffusion autoencoder from flat options. Any other option is refused by name (a
 * reconstruction loss, a decoder upsampling, a VAE's beta do not apply: there is no conv decoder and no
 * pixel loss). The encoder is built first, so from the same generator its initial weights are those of
 * a conv-ae's encoder with the same options.
 */
export function jointDiffusionAE(o: JointDiffusionOptions & Record<string, unknown>): DiffusionAE {
  const extra = Object.keys(o).filter((k) => !JOINT_DIFFUSION_OPTIONS.includes(k) && o[k] !== undefined && k !== 'datasetSize');
  if (extra.length > 0)
    throw new Error(
      `diffusion-ae: option${extra.length > 1 ? 's' : ''} ${extra.join(', ')} do${extra.length > 1 ? '' : 'es'} not apply ` +
        `(it is trained by the diffusion loss alone, with no conv decoder); its options are ${JOINT_DIFFUSION_OPTIONS.filter((k) => k !== 'inputShape').join(', ')}`,
    );
  if (o.inputShape.length !== 3) throw new Error(`diffusion-ae: images only (C x H x W); the data are ${o.inputShape.join(' x ')}`);
  const encoder = new ConvEncoder({
    inputShape: o.inputShape,
    ...(o.latentMaps !== undefined ? { latentMaps: o.latentMaps } : {}),
    ...(o.latentGrid !== undefined ? { latentGrid: o.latentGrid } : {}),
    ...(o.width !== undefined ? { width: o.width } : {}),
    ...(o.norm !== undefined ? { norm: o.norm } : {}),
    ...(o.activation !== undefined ? { activation: o.activation } : {}),
  });
  try {
    return new DiffusionAE(encoder, {
      joint: true,
      ...(o.conditioning !== undefined ? { conditioning: o.conditioning } : {}),
      ...(o.prediction !== undefined ? { prediction: o.prediction } : {}),
      ...(o.denoiserWidth !== undefined ? { width: o.denoiserWidth } : {}),
      ...(o.mults !== undefined ? { mults: o.mults } : {}),
      schedule: {
        ...(o.noiseSchedule !== undefined ? { kind: o.noiseSchedule } : {}),
        ...(o.timesteps !== undefined ? { steps: o.timesteps } : {}),
      },
      ...(o.ddimSteps !== undefined ? { ddimSteps: o.ddimSteps } : {}),
      ...(o.noiseSeed !== undefined ? { noiseSeed: o.noiseSeed } : {}),
    });
  } catch (err) {
    encoder.dispose();
    throw err;
  }
}
