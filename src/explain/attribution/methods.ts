// The attribution methods, one entry each: what it needs, how its channel share is read, its defaults
// and how it runs on a batch. The method union type, the CLI's list and explain's list all derive from
// this table, so adding a method is one entry here (and its implementation file).
import type { Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import type { MapTarget } from '../target.js';
import { channelOcclusion } from './channel-occlusion.js';
import { gradCam, encoderActivationUnavailable } from './gradcam.js';
import { gradientAttribution, gradientTimesInput, integratedGradients, smoothGrad } from './gradients.js';
import { occlusion } from './occlusion.js';

/** Settings a method may read, with their defaults. */
export interface MethodSettings {
  /** Integrated gradients: path points. Default 32. */
  steps?: number;
  /** SmoothGrad: noisy samples and noise level (fraction of each case's value range). Default 25 and 0.15. */
  samples?: number;
  noise?: number;
  /** Grad-CAM: encoder layer index. Default the last activation before the latent. */
  layer?: number;
  /** Occlusion: patch side and stride in pixels. Default H/8 and the patch side (no overlap). */
  patch?: number;
  stride?: number;
  /** Seed of random methods' streams (SmoothGrad). Default 0. */
  seed?: number;
}

export interface MethodBatch {
  model: LatentModel;
  x: Tensor;
  baseline: Tensor;
  target: MapTarget;
  settings: MethodSettings;
  /** Index of the batch's first case among all inputs (streams of random methods are per case). */
  firstCase: number;
}

export interface MethodOutput {
  attribution: Tensor;
  /** Integrated gradients' convergence delta per case. */
  delta?: Tensor;
  /** Settings used, recorded in the result. */
  used?: Record<string, unknown>;
}

export interface AttributionMethodSpec {
  summary: string;
  /** Whether the method measures against the baseline (its net channel share then splits f(x) - f(baseline)). */
  usesBaseline: boolean;
  /** 'net' or 'abs' channel share (AttributionResult.channelShare); null for spatial-only methods. */
  share: 'net' | 'abs' | null;
  /**
   * Model capability the method needs, if any: 'encoder-layer', an encoder activation to read (a layer
   * stack, LatentModel.encoderStack, or an encoder cut, LatentModel.encoderCut).
   */
  needs?: 'encoder-layer';
  /** Whether the method needs spatial latents (K x h x w with h x w > 1). */
  spatialOnly?: boolean;
  run(b: MethodBatch): MethodOutput;
}

export const ATTRIBUTION_METHODS = {
  gradient: {
    summary: 'd map / d input',
    usesBaseline: false,
    share: 'abs',
    run: (b) => ({ attribution: gradientAttribution(b.model, b.x, b.target) }),
  },
  'gradient-x-input': {
    summary: 'gradient x (input - baseline)',
    usesBaseline: true,
    share: 'net',
    run: (b) => ({ attribution: gradientTimesInput(b.model, b.x, b.baseline, b.target) }),
  },
  'integrated-gradients': {
    summary: 'integrated gradients from the baseline (Sundararajan et al. 2017), with its convergence delta',
    usesBaseline: true,
    share: 'net',
    run: (b) => {
      const steps = b.settings.steps ?? 32;
      const r = integratedGradients(b.model, b.x, b.baseline, b.target, steps);
      return { attribution: r.attribution, delta: r.delta, used: { steps } };
    },
  },
  smoothgrad: {
    summary: 'mean gradient over noisy copies (Smilkov et al. 2017); noise seeded per case',
    usesBaseline: false,
    share: 'abs',
    run: (b) => {
      const samples = b.settings.samples ?? 25,
        noise = b.settings.noise ?? 0.15;
      return {
        attribution: smoothGrad(b.model, b.x, b.target, samples, noise, b.settings.seed ?? 0, b.firstCase),
        used: { samples, noise },
      };
    },
  },
  'grad-cam': {
    summary: 'Grad-CAM on an encoder layer (Selvaraju et al. 2017); spatial only',
    usesBaseline: false,
    share: null,
    needs: 'encoder-layer',
    spatialOnly: true,
    run: (b) => {
      const [n, c, h, w] = b.x.shape as [number, number, number, number];
      const r = gradCam(b.model, b.x, b.target, b.settings.layer);
      return { attribution: r.cam.expand(n, c, h, w), used: { layer: r.layer } };
    },
  },
  occlusion: {
    summary: 'patch occlusion per input channel (Zeiler & Fergus 2014)',
    usesBaseline: true,
    share: 'net',
    run: (b) => {
      const patch = b.settings.patch ?? Math.max(2, Math.round(b.x.shape[2]! / 8));
      return { attribution: occlusion(b.model, b.x, b.baseline, b.target, { patch, stride: b.settings.stride }), used: { patch } };
    },
  },
  'channel-occlusion': {
    summary: 'mute one whole input channel at a time',
    usesBaseline: true,
    share: 'net',
    run: (b) => ({ attribution: channelOcclusion(b.model, b.x, b.baseline, b.target) }),
  },
} satisfies Record<string, AttributionMethodSpec>;

export type AttributionMethod = keyof typeof ATTRIBUTION_METHODS;

/** Every method name, in the table's order. */
export const ATTRIBUTION_METHOD_NAMES = Object.keys(ATTRIBUTION_METHODS) as AttributionMethod[];

export const isAttributionMethod = (name: string): name is AttributionMethod => Object.hasOwn(ATTRIBUTION_METHODS, name);

/** Why `method` cannot run on `model`, or null when it can. */
export function unavailableReason(model: LatentModel, method: AttributionMethod): string | null {
  const spec: AttributionMethodSpec = ATTRIBUTION_METHODS[method];
  if (spec.spatialOnly && model.config.latentGrid[0] * model.config.latentGrid[1] <= 1)
    return `${method} needs spatial latent maps (this model's are vectors)`;
  if (spec.needs === 'encoder-layer') {
    const why = encoderActivationUnavailable(model);
    if (why) return `${method} reads an encoder activation: ${why}`;
  }
  return null;
}
