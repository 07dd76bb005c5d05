// Phantom parts of bench generative: masked-decoding (and ablation) false positives through each decoder,
// and MIG / DCI of the shared encoder's latents.
//
// False positives as bench explain-fp counts them: the lesion (which sets the label) is only in FLAIR, the
// distractor only in T1; the maps that carry the label strongly (univariate |AUC - 0.5| >= 0.35, at most
// two, by rank) are the encoder's, so every decoder is asked about the same maps and the same cases, and a
// decoder-side reading that names T1 for such a map (or, for zero-the-rest masked decoding, puts its
// signal off the lesion) is a false positive (decoderReadingsNaming, shared with explain-fp).
import { randomStream } from '../src/core/random.js';
import type { ImageDataset } from '../src/data/types.js';
import { noGrad, scope, tensor, type Tensor } from '../src/engine/index.js';
import { DECODER_READINGS, decoderReadingsNaming, explainDecoderSide, type DecoderReading } from '../src/explain/ablation/decoder-side.js';
import { rankFeatureMaps } from '../src/explain/importance/index.js';
import { computeMetrics, encodeLatents, poolLatents } from '../src/metrics/index.js';
import type { LatentModel } from '../src/models/types.js';
import { takeRows } from '../src/util/rows.js';

export interface StrongMaps {
  maps: number[];
  auc: number[];
  /** Explained cases: a seeded sample of the lesion cases (explainMap's rule), indices into the data. */
  explained: number[];
}

/** The encoder's label-carrying maps, ranked as explain-fp ranks them, on the training cases. */
export async function strongMaps(enc: LatentModel, x: Tensor, labels: Int32Array, cases: number, seed: number): Promise<StrongMaps> {
  const n = x.shape[0]!;
  const pooled = scope(() => noGrad(() => enc.encode(x).z.mean([2, 3]).toFloat32()));
  const k = pooled.length / n;
  const rank = await rankFeatureMaps(
    {
      data: pooled,
      rows: n,
      cols: k,
      groupOf: Int32Array.from({ length: k }, (_, j) => j),
      groupNames: Array.from({ length: k }, (_, j) => `map ${j}`),
    },
    labels.subarray(0, n),
    { nullPermutations: 20, stabilityBootstraps: 0, forest: { nTrees: 50 }, seed },
  );
  const maps = rank.ranking.filter((m) => Math.abs(rank.groups[m]!.univariateAuc - 0.5) >= 0.35).slice(0, 2);
  const pool = Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] === 1);
  const pick = randomStream(seed, 'explained').permutation(pool.length).subarray(0, Math.min(cases, pool.length));
  return { maps, auc: maps.map((m) => rank.groups[m]!.univariateAuc), explained: Array.from(pick, (i) => pool[i]!).sort((a, b) => a - b) };
}

export interface DecoderFalsePositives {
  decoder: string;
  /** Per strong map: which readings name T1, and the map's decoder-side entanglement. */
  maps: {
    map: number;
    fp: DecoderReading[];
    /** What single-map ablation names (FLAIR is the right answer) and masked decoding's p per channel: the readings' power. */
    ablationNames: string[];
    maskedP: number[];
    entanglement: number;
    naiveShareT1: number;
    naiveInsideMask: number | null;
  }[];
  /** Per reading: false positives over claims (one claim per strong map). */
  counts: Record<DecoderReading, { fp: number; claims: number }>;
}

/** The decoder-side readings of the strong maps through one decoder (the model's decode), judged against T1. */
export function decoderFalsePositives(
  name: string,
  model: LatentModel,
  x: Tensor,
  data: ImageDataset,
  strong: StrongMaps,
  seed: number,
): DecoderFalsePositives {
  const [, , h, w] = x.shape as [number, number, number, number];
  const lesion = data.masks!.find((m) => m.name === 'lesion')!;
  const masks = takeRows(lesion.data, h * w, strong.explained);
  const maps = noGrad(() =>
    scope(() => {
      const z = model.encode(x).z;
      const meanLatent = z.mean(0);
      const meanImage = x.mean(0);
      const ze = z.indexSelect(0, tensor(strong.explained, [strong.explained.length], { dtype: 'int64' }));
      return strong.maps.map((map) => {
        const d = explainDecoderSide(model, ze, {
          map,
          meanLatent,
          meanImage,
          channels: data.channelNames,
          masks,
          permutations: 500,
          alpha: 0.05,
          entanglementThreshold: 0.5,
          seed,
        });
        const named = decoderReadingsNaming(d, 'T1', 0.05);
        const t1 = data.channelNames.indexOf('T1');
        const r3 = (v: number) => Number(v.toFixed(3));
        return {
          map,
          fp: DECODER_READINGS.filter((r) => named[r]),
          ablationNames: d.decoderChannels,
          maskedP: d.maskedDecode.pValue.map(r3),
          entanglement: r3(d.entanglement.map),
          naiveShareT1: r3(d.maskedDecode.naiveChannelShare[t1]!),
          naiveInsideMask: d.maskedDecode.naiveInsideMask === undefined ? null : r3(d.maskedDecode.naiveInsideMask),
        };
      });
    }),
  );
  const counts = Object.fromEntries(
    DECODER_READINGS.map((r) => [r, { fp: maps.filter((m) => m.fp.includes(r)).length, claims: maps.length }]),
  ) as DecoderFalsePositives['counts'];
  console.error(
    `false positives through ${name}: ${
      maps
        .map((m) => `map ${m.map}: ${m.fp.join('; ') || 'none'} (ablation names ${m.ablationNames.join(', ') || 'nothing'})`)
        .join(' | ') || 'no strong map'
    }`,
  );
  return { decoder: name, maps, counts };
}

/**
 * MIG and DCI of the encoder's latents (maps pooled by their mean) against the phantom factors, on
 * phantoms where the lesion and the distractor are always drawn (an absent object's factors are not in
 * the image; README "metrics"). The decoders here all read this one frozen encoder, so this is the
 * encoder's score and the same for every decoder.
 */
export async function encoderDisentanglement(
  enc: LatentModel,
  evalSet: ImageDataset,
  seed: number,
): Promise<{ cases: number; mig: number; dciDisentanglement: number; dciCompleteness: number; dciInformativeness: number }> {
  const x = scope(() => tensor(evalSet.images, evalSet.shape).clamp(0, 1));
  const latents = poolLatents(encodeLatents(enc, x, { batch: 128 }), 'mean');
  x.dispose();
  const r = await computeMetrics(latents, evalSet.factors!, { seed, metrics: ['mig', 'dci'], dci: { threads: 1 } });
  return {
    cases: evalSet.shape[0],
    mig: r.mig!.score,
    dciDisentanglement: r.dci!.disentanglement,
    dciCompleteness: r.dci!.completeness,
    dciInformativeness: r.dci!.informativeness,
  };
}
