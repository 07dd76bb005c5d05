// The decoder side of one map's explanation, through whatever decoder the model has (conv, adversarial,
// diffusion): single-map ablation against the other maps, the entanglement index and masked decoding
// against random map sets, with the verdicts explainMap draws from them. Kept apart from explainMap so that
// a benchmark can run it through several decoders of one encoder without the encoder-side work.
import type { Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { entanglementIndex, mapEffects, singleMapAblation, type SingleMapAblation } from './map-effects.js';
import { maskedDecodeReport, type MaskedDecodeReport } from './masked-decode.js';

export interface DecoderSide {
  ablation: SingleMapAblation;
  entanglement: { map: number; overall: number; perMap: number[] };
  maskedDecode: MaskedDecodeReport;
  /** Channels whose decoder output the map changes consistently (p < alpha / C) and more than other maps do (ratio > 1). */
  decoderChannels: string[];
  /** The map's entanglement index above the threshold: its decoder-side channels then say how the decoder mixes maps. */
  decoderEntangled: boolean;
}

export interface DecoderSideOptions {
  map: number;
  /** K x h x w: the value an ablated map is set to (the dataset mean of the latents). */
  meanLatent: Tensor;
  /** C x H x W: the dataset mean image the naive masked decoding is read against. */
  meanImage: Tensor;
  channels: string[];
  /** N x H x W mask of the explained cases (e.g. the lesion) the ablation and masked decoding measure inside. */
  masks?: Uint8Array;
  /** Sign-flip permutations of the ablation test. */
  permutations: number;
  alpha: number;
  /** Entanglement index above which decoder-side channels are flagged as entangled. */
  entanglementThreshold: number;
  seed: number;
}

/** Decoder-side analysis of map `o.map` on the explained cases' latents `z` (N x K x h x w). */
export function explainDecoderSide(model: LatentModel, z: Tensor, o: DecoderSideOptions): DecoderSide {
  const effects = mapEffects(model, z, o.meanLatent);
  const ablation = singleMapAblation(effects, o.map, o.channels, o.masks, o.permutations, o.seed);
  const ent = entanglementIndex(effects);
  const maskedDecode = maskedDecodeReport(model, z, {
    keep: [o.map],
    fill: 'zero',
    meanLatent: o.meanLatent,
    meanImage: o.meanImage,
    channels: o.channels,
    masks: o.masks,
    seed: o.seed,
  });
  const c = o.channels.length;
  const decoderChannels = o.channels.filter((_, ch) => ablation.pValue[ch]! < o.alpha / c && ablation.ratio[ch]! > 1);
  return {
    ablation,
    entanglement: { map: ent.perMap[o.map]!, overall: ent.overall, perMap: ent.perMap },
    maskedDecode,
    decoderChannels,
    decoderEntangled: ent.perMap[o.map]! > o.entanglementThreshold,
  };
}

/** The four decoder-side readings of a map, as a user would take them. */
export const DECODER_READINGS = [
  'zero-the-rest masked decoding',
  'masked decoding vs random map sets',
  'single-map ablation vs other maps',
  'single-map ablation + entanglement flag',
] as const;
export type DecoderReading = (typeof DECODER_READINGS)[number];

/**
 * Which decoder-side readings put map's signal in `channel` (for the naive masked decoding: a share of at
 * least 0.25 of its deviation from the mean image, or less than half of it inside the mask). On a phantom
 * where `channel` is the distractor's and the map carries the lesion's label, each true entry is a false
 * positive (bench explain-fp, bench generative).
 */
export function decoderReadingsNaming(d: DecoderSide, channel: string, alpha: number): Record<DecoderReading, boolean> {
  const ch = d.maskedDecode.channels.indexOf(channel);
  if (ch < 0) throw new Error(`decoderReadingsNaming: no channel '${channel}' (channels: ${d.maskedDecode.channels.join(', ')})`);
  const m = d.maskedDecode;
  const named = d.decoderChannels.includes(channel);
  return {
    'zero-the-rest masked decoding': m.naiveChannelShare[ch]! >= 0.25 || (m.naiveInsideMask !== undefined && m.naiveInsideMask < 0.5),
    'masked decoding vs random map sets': m.pValue[ch]! < alpha / m.channels.length,
    'single-map ablation vs other maps': named,
    'single-map ablation + entanglement flag': named && !d.decoderEntangled,
  };
}
