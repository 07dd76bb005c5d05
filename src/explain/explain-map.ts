// Everything latentlens says about one latent map, each claim with its control: encoder attribution per
// input channel (and the class-contrastive share), the channel-muting test against random maps and
// shuffled channels (beside the naive reading), localisation against ground-truth masks where known,
// the randomised-encoder sanity check and deletion/insertion faithfulness; on the decoder side,
// single-map ablation against other maps, the entanglement index, masked decoding against random sets and
// a traversal; and what the map responds to (exemplars, activation maximisation).
import { randomStream } from '../core/random.js';
import { noGrad, scope, tensor, type Tensor } from '../engine/index.js';
import type { LatentModel } from '../models/types.js';
import { activationMaximization } from './activation-max.js';
import { contrastiveShares, summarizeShares, type ChannelShareSummary, type ContrastiveShares } from './attribution/aggregate.js';
import { attribute } from './attribution/attribute.js';
import { channelMutingTest, type ChannelMutingResult } from './attribution/channel-muting.js';
import { faithfulness, type FaithfulnessResult } from './attribution/faithfulness.js';
import { localization, type LocalizationResult } from './attribution/localization.js';
import { randomizedEncoderCheck, type SanityResult } from './attribution/sanity.js';
import type { AttributionMethod, AttributionResult } from './attribution/types.js';
import { ATTRIBUTION_METHOD_NAMES, unavailableReason } from './attribution/methods.js';
import { encodeAll } from './ablation/latent-edit.js';
import type { SingleMapAblation } from './ablation/map-effects.js';
import type { MaskedDecodeReport } from './ablation/masked-decode.js';
import { explainDecoderSide } from './ablation/decoder-side.js';
import { traverseMap, type Traversal } from './ablation/traversal.js';
import { exemplars, type Exemplars } from './exemplars.js';
import { takeRows } from '../util/rows.js';
import type { DesignReport } from './design.js';
import { chooseReference, type ReferenceChoice } from './reference.js';
import { figureCasePositions, figureCaseRule } from './figures.js';

export interface ExplainInput {
  model: LatentModel;
  /** All cases, N x C x H x W (pixels as the model was trained on). */
  x: Tensor;
  channelNames: string[];
  /** Labels per case; with them, explained cases are of `positiveClass` and the reference class gives the baseline. */
  labels?: Int32Array;
  /** Ground-truth masks (N x H x W each) for localisation checks, e.g. phantom lesions. */
  masks?: { name: string; data: Uint8Array }[];
  ids?: string[];
  /**
   * Nuisance statistics per case (design.ts nuisanceStatistics: foreground area, median intensity, slice
   * index; row-major N x names.length): each explained case is then compared with the reference case
   * closest in them (reference.ts). Without them the reference cases are a seeded random sample.
   */
  nuisance?: { names: string[]; values: ArrayLike<number> } | null;
  /** Study-design diagnostics (design.ts studyDesign), copied into the result. */
  design?: DesignReport | null;
}

export interface ExplainOptions {
  map: number;
  /** Attribution methods; default every method the model supports (methods.ts). */
  methods?: AttributionMethod[];
  /** Cases explained (default: all cases of the positive class, or a seeded random sample of 32 of them). The reference cases (other classes) are matched on `nuisance` or sampled with the seed (reference.ts), up to `maxCases`. */
  cases?: number[];
  maxCases?: number;
  /** Class whose cases are explained; the others are the reference. Default 1. */
  positiveClass?: number;
  /** Family-wise level of the tests. Default 0.05. */
  alpha?: number;
  /** Entanglement index above which decoder-side channel effects are reported as entangled. Default 0.5. */
  entanglementThreshold?: number;
  /** Activation-maximisation steps (0 skips). Default 150. */
  activationMaxSteps?: number;
  /**
   * Cases (indices into `x`, of the explained class) shown in figures and traversed; each is explained
   * (added to the explained cases if needed). Default: FIGURE_CASES cases spread over the map's activation
   * (figureCasePositions in figures.ts).
   */
  figureCases?: number[];
  /** The sizes of the explanation's tests (EXPLAIN_PLAN for the defaults); recorded in the result. */
  plan?: Partial<ExplainPlan>;
  seed?: number;
  onProgress?: (stage: string) => void;
}

/** How much evidence each part of an explanation gathers. */
export interface ExplainPlan {
  /** Cases of the channel-muting tests, spread evenly over all cases (each costs C + 1 encodings). */
  mutingCases: number;
  /** Permutations of the naive muting reading (the controlled test uses its own default). */
  naiveMutingPermutations: number;
  /** Permutations of the single-map ablation test against other maps. */
  ablationPermutations: number;
  /** Bootstrap resamples of the contrastive channel shares. */
  contrastiveBootstraps: number;
  /** Deletion / insertion steps of the faithfulness check. */
  faithfulnessSteps: number;
  /** Top (and bottom) cases listed as exemplars. */
  exemplars: number;
  /**
   * The ground-truth mask the decoder-side tests measure inside (ablation, masked decoding): by name; by
   * default the mask named 'lesion' when there is one, else the first.
   */
  decoderMask?: string;
}

export const EXPLAIN_PLAN: ExplainPlan = {
  mutingCases: 512,
  naiveMutingPermutations: 200,
  ablationPermutations: 500,
  contrastiveBootstraps: 1000,
  faithfulnessSteps: 16,
  exemplars: 8,
};

/** Which explained cases the figures show, and the rule that chose them (absent in files written before it). */
export interface FigureCases {
  /** Case indices, in the order the figures show them. */
  cases: number[];
  /** The map's mean activation of each. */
  activation: number[];
  /** `spread` (the default rule) or `user` (--figure-cases). */
  chosen: 'spread' | 'user';
  /** The rule in words, for the report and the explorer. */
  rule: string;
}

export interface ExplainResult {
  format: 'latentlens-explain';
  version: 1;
  map: number;
  channels: string[];
  /** Explained and reference cases; `referenceSelection` says how the reference was chosen (matched on nuisance statistics, or a seeded random sample; absent in older files). */
  cases: { explained: number[]; reference: number[]; explainedSelection?: string; referenceSelection?: Omit<ReferenceChoice, 'reference'> };
  /** Study-design diagnostics (groups, split, cases per class, confound check), when given. */
  design?: DesignReport;
  encoder: {
    attributions: Partial<
      Record<
        AttributionMethod,
        { share: ChannelShareSummary | null; shareAbs: ChannelShareSummary | null; convergenceDeltaMaxAbs?: number; seconds: number }
      >
    >;
    /** Integrated gradients, explained cases minus reference cases, per channel (null without labels). */
    contrastive: ContrastiveShares | null;
    muting: { controlled: ChannelMutingResult; naive: ChannelMutingResult };
    /** Localisation against masks, from the attribution part that moves the map as the explained class does (see `direction`). */
    localization: Record<string, LocalizationResult>;
    /** +1 when the explained class has higher values of the map than the reference class, -1 when lower. */
    direction: 1 | -1;
    /** Randomised-encoder checks, gradient first (empty when the encoder cannot be randomised). */
    sanity: SanityResult[];
    faithfulness: FaithfulnessResult | null;
  };
  decoder: {
    ablation: SingleMapAblation;
    entanglement: { map: number; overall: number; perMap: number[] };
    maskedDecode: MaskedDecodeReport;
    traversal: { quantiles: number[]; levels: number[] };
  };
  responds: { exemplars: Exemplars; activationMax: { startValue: number; finalValue: number } | null };
  /** The explained cases the figures show (attribution overlays and the traversal) and why. */
  figureCases?: FigureCases;
  /** The test sizes used, and the mask the decoder-side tests measured inside (absent in older files). */
  plan?: ExplainPlan;
  conclusion: {
    /** The input channel that drives the map: significant in the muting test and largest in the contrastive share; null when the evidence disagrees or is weak. */
    inputChannel: string | null;
    /** Channels whose decoder output map k changes consistently and more than other maps do. */
    decoderChannels: string[];
    /** True when the map's decoder effects overlap other maps' (entanglement above the threshold): decoder-side channels then say how the decoder mixes, not what the map encodes. */
    decoderEntangled: boolean;
    notes: string[];
  };
  /** Data kept for figures (not written to JSON). */
  figureData?: {
    attributions: Partial<Record<AttributionMethod, AttributionResult>>;
    explained: Float32Array;
    traversal: Traversal;
    activationMax: Float32Array | null;
    figurePositions: number[];
  };
}

/** +1 when the explained cases' mean of the map is at least the reference cases', else -1 (+1 without reference). */
function associationDirection(pooled: Float32Array, k: number, map: number, explained: number[], reference: number[]): 1 | -1 {
  if (reference.length === 0 || explained.length === 0) return 1;
  const meanOf = (rows: number[]) => rows.reduce((s, r) => s + pooled[r * k + map]!, 0) / rows.length;
  return meanOf(explained) >= meanOf(reference) ? 1 : -1;
}

const select = (x: Tensor, idx: number[]) => x.indexSelect(0, tensor(idx, [idx.length], { dtype: 'int64' }));

export function explainMap(input: ExplainInput, o: ExplainOptions): ExplainResult {
  const { model, x, channelNames: channels } = input;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const alpha = o.alpha ?? 0.05;
  const seed = o.seed ?? 0;
  const say = o.onProgress ?? (() => {});
  const maxCases = o.maxCases ?? 32;
  const masks = input.masks ?? [];
  const decoderMask = o.plan?.decoderMask ?? (masks.find((m) => m.name === 'lesion') ?? masks[0])?.name;
  if (decoderMask !== undefined && !masks.some((m) => m.name === decoderMask))
    throw new Error(`explain: no mask named '${decoderMask}' (masks: ${masks.map((m) => m.name).join(', ') || 'none'})`);
  const plan: ExplainPlan = { ...EXPLAIN_PLAN, ...o.plan, ...(decoderMask !== undefined ? { decoderMask } : {}) };
  const positive = o.positiveClass ?? 1;
  const labels = input.labels;
  // Explained cases: the caller's, or a seeded random sample of the explained class (never its first
  // cases: file order can follow slice level, scanner or date).
  const pool = labels
    ? Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] === positive)
    : Array.from({ length: n }, (_, i) => i);
  const sampled = !o.cases && pool.length > maxCases;
  let explained = o.cases
    ? o.cases.slice(0, maxCases)
    : sampled
      ? Array.from(randomStream(seed, 'explained').permutation(pool.length).subarray(0, maxCases), (i) => pool[i]!).sort((a, b) => a - b)
      : pool;
  const explainedSelection = o.cases
    ? 'given by the caller'
    : sampled
      ? `a seeded random sample of ${maxCases} of the ${pool.length} ${labels ? `cases of class ${positive}` : 'cases'}`
      : `all ${pool.length} ${labels ? `cases of class ${positive}` : 'cases'}`;
  if (o.figureCases) {
    for (const i of o.figureCases) {
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`figure case ${i}: the cases are 0..${n - 1}`);
      if (labels && labels[i] !== positive)
        throw new RangeError(`figure case ${i} is of class ${labels[i]}, not of the explained class ${positive}`);
    }
    // Every picked case is explained: picked ones first, then the others up to the cap.
    const picked = new Set(o.figureCases);
    explained = [...o.figureCases, ...explained.filter((i) => !picked.has(i))].slice(0, Math.max(maxCases, o.figureCases.length));
  }
  const candidates = labels ? Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] !== positive) : [];
  const choice = chooseReference(explained, candidates, { count: maxCases, seed, nuisance: input.nuisance });
  const { reference, ...referenceSelection } = choice;
  model.eval();
  return scope(() => {
    const z = encodeAll(model, x);
    const k = z.shape[1]!;
    if (!(o.map >= 0 && o.map < k)) throw new RangeError(`map ${o.map}: the model has maps 0..${k - 1}`);
    const meanLatent = z.mean(0);
    const meanImage = reference.length ? select(x, reference).mean(0) : x.mean(0);
    const xe = select(x, explained);
    const target = { map: o.map };
    const attributions: ExplainResult['encoder']['attributions'] = {};
    const kept: Partial<Record<AttributionMethod, AttributionResult>> = {};
    const notes: string[] = [];
    const methods = (o.methods ?? ATTRIBUTION_METHOD_NAMES).filter((m) => {
      const why = unavailableReason(model, m);
      // Said whether the method was asked for or is one of the defaults: a skipped method is never silent.
      if (why) notes.push(`skipped ${m}: ${why}`);
      return why === null;
    });
    for (const method of methods) {
      say(`attribution: ${method}`);
      const t0 = performance.now();
      const r = attribute(model, xe, { method, target, meanImage, seed });
      kept[method] = r;
      attributions[method] = {
        share: summarizeShares(r, channels, seed),
        shareAbs: r.channelShareAbs ? summarizeShares({ ...r, channelShare: r.channelShareAbs }, channels, seed) : null,
        ...(r.convergenceDelta ? { convergenceDeltaMaxAbs: Math.max(...Array.from(r.convergenceDelta, Math.abs)) } : {}),
        seconds: (performance.now() - t0) / 1000,
      };
    }
    const ig = kept['integrated-gradients'];
    let contrastive: ContrastiveShares | null = null;
    if (ig && reference.length) {
      say('contrastive attribution');
      contrastive = contrastiveShares(
        ig,
        attribute(model, select(x, reference), { method: 'integrated-gradients', target, meanImage, seed }),
        channels,
        plan.contrastiveBootstraps,
        seed,
      );
    }
    say('channel muting tests');
    // The muting test correlates across cases: it needs many (it costs C + 1 encodings), drawn from all classes.
    const step = Math.max(1, Math.floor(n / plan.mutingCases));
    const sample = Array.from({ length: Math.min(n, plan.mutingCases) }, (_, i) => i * step);
    const xm = select(x, sample);
    const controlled = channelMutingTest(model, xm, {
      map: o.map,
      baseline: 'mean',
      meanImage: x.mean(0),
      channelNames: channels,
      alpha,
      seed,
    });
    const naive = channelMutingTest(model, xm, {
      map: o.map,
      baseline: 'zero',
      channelNames: channels,
      alpha,
      seed,
      permutations: plan.naiveMutingPermutations,
    });
    const loc: Record<string, LocalizationResult> = {};
    const heatSource = ig ?? kept['gradient-x-input'];
    const pooled = noGrad(() => z.mean([2, 3]).toFloat32());
    const direction = associationDirection(pooled, k, o.map, explained, reference);
    if (input.masks && heatSource) {
      // The part of the attribution that moves the map the way the explained class does, summed over
      // channels: the positive part when the class raises the map, the negative part when it lowers it
      // (taking the positive part of a map that the lesion lowers points away from the lesion).
      const summed = new Float32Array(explained.length * h * w);
      for (let i = 0; i < explained.length; i++)
        for (let ch = 0; ch < c; ch++)
          for (let p = 0; p < h * w; p++) {
            summed[i * h * w + p] += Math.max(0, direction * heatSource.heatmaps[(i * c + ch) * h * w + p]!);
          }
      for (const m of input.masks) loc[m.name] = localization(summed, takeRows(m.data, h * w, explained), explained.length, h, w, 1);
    }
    // Gradients show the model's dependence most directly; methods that multiply by (x - baseline), like
    // integrated gradients, keep the input's structure under randomisation (Adebayo et al.) and are checked too.
    const sanity: SanityResult[] = [];
    if (model.encoderStack) {
      say('sanity check');
      sanity.push(randomizedEncoderCheck(model, xe, { method: 'gradient', target, meanImage }, kept.gradient, seed));
      if (ig)
        sanity.push(randomizedEncoderCheck(model, xe, { method: 'integrated-gradients', target, meanImage, steps: 16 }, undefined, seed));
    } else {
      notes.push(`no randomised-encoder sanity check: a ${model.config.kind} model does not expose its encoder as a layer stack`);
    }
    let faith: FaithfulnessResult | null = null;
    if (heatSource) {
      say('faithfulness');
      faith = faithfulness(
        model,
        xe,
        meanImage
          .unsqueeze(0)
          .expand(...xe.shape)
          .contiguous(),
        heatSource,
        target,
        plan.faithfulnessSteps,
        seed,
      );
    }

    say('decoder: ablation and entanglement');
    const ze = select(z, explained);
    const mask = masks.find((m) => m.name === plan.decoderMask);
    const lesionMasks = mask ? takeRows(mask.data, h * w, explained) : undefined;
    const { ablation, entanglement, maskedDecode, decoderChannels, decoderEntangled } = explainDecoderSide(model, ze, {
      map: o.map,
      meanLatent,
      meanImage: x.mean(0),
      channels,
      masks: lesionMasks,
      permutations: plan.ablationPermutations,
      alpha,
      entanglementThreshold: o.entanglementThreshold ?? 0.5,
      seed,
    });
    const population = Float64Array.from({ length: n }, (_, i) => pooled[i * k + o.map]!);
    // The cases the figures show: the user's, or spread over the map's activation among the explained cases.
    const activation = explained.map((i) => population[i]!);
    const figurePositions = o.figureCases ? o.figureCases.map((i) => explained.indexOf(i)) : figureCasePositions(activation);
    const figureCases: FigureCases = {
      cases: figurePositions.map((p) => explained[p]!),
      activation: figurePositions.map((p) => activation[p]!),
      chosen: o.figureCases ? 'user' : 'spread',
      rule: o.figureCases ? 'chosen with --figure-cases' : figureCaseRule(o.map, figurePositions.length, explained.length),
    };
    const traversal = traverseMap(model, select(z, figureCases.cases), o.map, population);

    say('exemplars and activation maximisation');
    const ex = exemplars(pooled, n, k, o.map, plan.exemplars, input.ids);
    const am =
      (o.activationMaxSteps ?? 150) > 0
        ? activationMaximization(model, { target, inputShape: [c, h, w], steps: o.activationMaxSteps ?? 150, seed })
        : null;

    const maxContrastive = contrastive ? channels[contrastive.share.indexOf(Math.max(...contrastive.share))]! : null;
    let inputChannel: string | null = controlled.driver;
    if (contrastive && inputChannel && maxContrastive !== inputChannel) {
      notes.push(
        `the muting test names ${inputChannel} but the contrastive attribution is largest in ${maxContrastive}: no channel is named`,
      );
      inputChannel = null;
    }
    if (inputChannel && !controlled.mapSpecific) {
      notes.push(
        `${inputChannel} drives this map, but not more than it drives latent features in general (random-maps p ${controlled.pRandomMaps[channels.indexOf(inputChannel)]!.toFixed(3)}): the information is spread over several maps`,
      );
    }
    if (naive.naiveDrivers.length > (controlled.driver ? 1 : 0)) {
      notes.push(
        `naive muting (zero baseline, correlation threshold) would name ${naive.naiveDrivers.join(', ')}; the controlled test names ${controlled.driver ?? 'none'}`,
      );
    }
    if (decoderEntangled && decoderChannels.length) {
      notes.push(
        `decoder effects of this map overlap other maps' (entanglement ${entanglement.map.toFixed(2)}): its effect on ${decoderChannels.join(', ')} says how the decoder mixes maps, not what this map encodes`,
      );
    }
    for (const s of sanity) {
      if (!s.passed)
        notes.push(
          `sanity check: the ${s.method} heatmaps change little with a randomised encoder (rank correlation ${s.rankCorrelation.toFixed(2)}); read them as input structure as much as model evidence`,
        );
    }
    return {
      format: 'latentlens-explain',
      version: 1,
      map: o.map,
      channels,
      cases: { explained, reference, explainedSelection, referenceSelection },
      ...(input.design ? { design: input.design } : {}),
      encoder: { attributions, contrastive, muting: { controlled, naive }, localization: loc, direction, sanity, faithfulness: faith },
      decoder: {
        ablation,
        entanglement,
        maskedDecode,
        traversal: { quantiles: traversal.quantiles, levels: traversal.levels },
      },
      responds: { exemplars: ex, activationMax: am ? { startValue: am.startValue, finalValue: am.finalValue } : null },
      figureCases,
      plan,
      conclusion: { inputChannel, decoderChannels, decoderEntangled, notes },
      figureData: { attributions: kept, explained: xe.toFloat32(), traversal, activationMax: am?.image ?? null, figurePositions },
    };
  });
}
