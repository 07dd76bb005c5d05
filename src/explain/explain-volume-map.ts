// One latent map of a 3D model explained on volumes: which input channel and which region drive it, by
// integrated gradients, 3D occlusion and Grad-CAM, each with its cost in forward passes per volume and,
// where the data has ground-truth masks, how much of its attribution lies inside them; and on the
// decoder side, single-map ablation against the other maps and the entanglement index. The 2D
// explanation's other parts (masked decoding, channel muting with controls, traversal, activation
// maximisation, exemplars) are not computed on volumes yet and are listed as such.
import { tensor, type Tensor } from '../engine/index.js';
import type { LatentModel } from '../models/types.js';
import { takeRows } from '../util/rows.js';
import { volumeDecoderEffects } from './ablation/volume-effects.js';
import {
  attributeVolumes,
  maskMass,
  VOLUME_ATTRIBUTION_METHODS,
  type MaskMass,
  type Occlusion3dOptions,
  type VolumeAttributionMethod,
} from './attribution/volumes.js';

/** What the 2D `explain` computes that volumes do not get yet (said in the JSON and by the CLI). */
export const NOT_ON_VOLUMES = [
  'masked decoding',
  'channel muting with its controls',
  'gradient, gradient x input, SmoothGrad and channel occlusion',
  'traversals and activation maximisation',
  'exemplars',
] as const;

export interface VolumeMapInput {
  model: LatentModel;
  /** Volumes N x C x D x H x W. */
  x: Tensor;
  channelNames: string[];
  /** A class per case (e.g. a resolved target's); explained cases are of `positiveClass`, the others give the baseline. */
  labels?: ArrayLike<number>;
  /** Ground-truth masks N x D x H x W with the channels that show them (names). */
  masks?: { name: string; channels: string[]; data: Uint8Array }[];
}

export interface VolumeMapOptions {
  map: number;
  /** Default: all three (integrated-gradients, occlusion, grad-cam). */
  methods?: VolumeAttributionMethod[];
  /** Explained volumes (of the positive class when there are labels). Default 8. */
  maxCases?: number;
  positiveClass?: number;
  /** Integrated-gradients steps. Default 32. */
  steps?: number;
  occlusion?: Occlusion3dOptions;
  /** Decoder effects (ablation, entanglement) when the model decodes. Default true. */
  decoder?: boolean;
  /** Sign-flip permutations of the ablation's consistency p-value. Default 500. */
  ablationPermutations?: number;
  seed?: number;
  /** Explained volumes whose inputs and heatmaps are returned in `figureData` (the first ones). Default 2. */
  figureCases?: number;
  onProgress?: (line: string) => void;
}

/** What the figures need, kept out of the JSON: inputs and heatmaps of the first explained volumes. */
export interface VolumeFigureData {
  /** Positions in `cases.explained` of the volumes shown. */
  positions: number[];
  /** Each shown volume's input, C x D x H x W. */
  inputs: Float32Array[];
  /** Per method, each shown volume's heatmap: C x D x H x W, or 1 x D x H x W for Grad-CAM. */
  heatmaps: Partial<Record<VolumeAttributionMethod, Float32Array[]>>;
}

export interface VolumeMethodResult {
  method: VolumeAttributionMethod;
  /** Mean net share per input channel over the explained volumes (null for Grad-CAM, spatial only). */
  channelShare: Record<string, number> | null;
  /** Forward passes per volume (occlusion: 1 + C x windows). */
  forwardPassesPerVolume: number;
  seconds: number;
  /** Integrated gradients: mean |convergence delta| over the explained volumes. */
  meanAbsConvergenceDelta?: number;
  /** Per ground-truth mask: attribution inside it against chance, and the 3D pointing game. */
  masks: Array<MaskMass & { mask: string; channels: string[] }>;
  settings: Record<string, unknown>;
}

export interface VolumeMapExplanation {
  map: number;
  volumes: true;
  /** Explained cases (indices into the given x), and how many reference cases made the baseline. */
  cases: { explained: number[]; reference: number; baseline: string };
  methods: VolumeMethodResult[];
  /** The channel with the largest integrated-gradients share, when it holds more than half. */
  inputChannel: string | null;
  /**
   * Decoder side, on the explained volumes: ablating the map (set to its dataset mean) against ablating
   * each other map, per output channel (effect, control, ratio, consistency p-value, share inside the
   * first mask); the entanglement index (0: the map changes the decoding where no other map does, 1:
   * where every other does). Null when the model has no decoder or `decoder` was false (`decoderNote` says).
   */
  decoder: null | {
    ablation: Record<string, { effect: number; control: number; ratio: number; pValue: number; insideMask?: number }>;
    entanglement: { map: number; overall: number };
    decodesPerVolume: number;
    seconds: number;
  };
  decoderNote?: string;
  notComputed: string[];
  figureData?: VolumeFigureData;
}

/** Explains map `map` on volumes with the attribution methods that run on them. */
export function explainVolumeMap(input: VolumeMapInput, o: VolumeMapOptions): VolumeMapExplanation {
  const { model, x, channelNames } = input;
  if (x.ndim !== 5) throw new RangeError(`explainVolumeMap: expected volumes N x C x D x H x W, got [${x.shape}]`);
  const n = x.shape[0]!;
  const c = channelNames.length;
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const V = per / c;
  const positive = o.positiveClass ?? 1;
  const all = Array.from({ length: n }, (_, i) => i);
  const explained = (input.labels ? all.filter((i) => input.labels![i] === positive) : all).slice(0, o.maxCases ?? 8);
  const reference = input.labels ? all.filter((i) => input.labels![i] !== positive) : all;
  if (explained.length === 0) throw new Error(`explain: no volumes of the positive class (${positive}) among the ${n} loaded`);
  if (reference.length === 0) throw new Error('explain: no reference volumes (cases outside the positive class) for the baseline');
  const values = x.contiguous().toFloat32();
  const xe = tensor(takeRows(values, per, explained), [explained.length, ...x.shape.slice(1)]);
  // The baseline: the mean reference volume (a volume without the finding), one per explained case.
  const refMean = tensor(takeRows(values, per, reference), [reference.length, ...x.shape.slice(1)]).mean(0);
  const baseline = refMean
    .unsqueeze(0)
    .expand(...xe.shape)
    .contiguous();
  const methods = o.methods ?? [...VOLUME_ATTRIBUTION_METHODS];
  const results: VolumeMethodResult[] = [];
  const positions = Array.from({ length: Math.min(o.figureCases ?? 2, explained.length) }, (_, i) => i);
  const figureData: VolumeFigureData = {
    positions,
    inputs: positions.map((i) => values.slice(explained[i]! * per, (explained[i]! + 1) * per)),
    heatmaps: {},
  };
  for (const method of methods) {
    const t0 = performance.now();
    const a = attributeVolumes(model, xe, { method, target: { map: o.map }, baseline, steps: o.steps, occlusion: o.occlusion });
    const seconds = (performance.now() - t0) / 1000;
    const hPer = a.heatmaps.length / explained.length;
    figureData.heatmaps[method] = positions.map((i) => a.heatmaps.slice(i * hPer, (i + 1) * hPer));
    const share =
      a.channelShare &&
      Object.fromEntries(channelNames.map((name, ch) => [name, mean(explained.map((_, i) => a.channelShare![i * c + ch]!))]));
    const masks = (input.masks ?? []).map((m) => ({
      mask: m.name,
      channels: m.channels,
      ...maskMass(
        a.heatmaps,
        a.shape,
        takeRows(m.data, V, explained),
        m.channels.map((name) => channelNames.indexOf(name)).filter((ch) => ch >= 0),
      ),
    }));
    results.push({
      method,
      channelShare: share,
      forwardPassesPerVolume: a.forwardPassesPerVolume,
      seconds,
      masks,
      settings: a.settings,
      ...(a.convergenceDelta ? { meanAbsConvergenceDelta: mean([...a.convergenceDelta].map(Math.abs)) } : {}),
    });
    o.onProgress?.(`${method}: ${seconds.toFixed(1)} s, ${a.forwardPassesPerVolume} forward passes per volume`);
  }
  let decoder: VolumeMapExplanation['decoder'] = null;
  let decoderNote: string | undefined;
  if (o.decoder === false) decoderNote = 'decoder effects were not asked for';
  else if (typeof model.decode !== 'function') decoderNote = `no decoder effects: the ${model.config.kind} model does not decode`;
  else {
    const t0 = performance.now();
    const first = input.masks?.[0];
    const d = volumeDecoderEffects(model, x, explained, o.map, channelNames, {
      ...(first ? { masks: takeRows(first.data, V, explained) } : {}),
      permutations: o.ablationPermutations,
      seed: o.seed,
    });
    const a = d.ablation;
    decoder = {
      ablation: Object.fromEntries(
        channelNames.map((name, ch) => [
          name,
          {
            effect: a.effect[ch]!,
            control: a.controlMean[ch]!,
            ratio: a.ratio[ch]!,
            pValue: a.pValue[ch]!,
            ...(a.insideMask ? { insideMask: a.insideMask[ch]! } : {}),
          },
        ]),
      ),
      entanglement: { map: d.entanglement.perMap[o.map]!, overall: d.entanglement.overall },
      decodesPerVolume: d.decodesPerVolume,
      seconds: (performance.now() - t0) / 1000,
    };
    o.onProgress?.(`decoder: ablation and entanglement, ${decoder.seconds.toFixed(1)} s, ${d.decodesPerVolume} decodes per volume`);
  }
  const ig = results.find((r) => r.method === 'integrated-gradients')?.channelShare;
  const top = ig ? Object.entries(ig).sort((p, q) => q[1] - p[1])[0] : undefined;
  return {
    map: o.map,
    volumes: true,
    cases: {
      explained,
      reference: reference.length,
      baseline: input.labels ? 'mean volume of the reference class' : 'mean volume of all loaded cases',
    },
    methods: results,
    inputChannel: top && top[1] > 0.5 ? top[0] : null,
    decoder,
    ...(decoderNote ? { decoderNote } : {}),
    notComputed: [...NOT_ON_VOLUMES],
    figureData,
  };
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
