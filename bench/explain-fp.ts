// False positives of naive and controlled explanations on phantoms whose answer is known: the lesion
// (which drives the label) is only in FLAIR, a label-independent distractor only in T1. For the maps that
// carry the label strongly (univariate |AUC - 0.5| >= 0.35; at most two per model, by rank) of models
// trained with several seeds, each method's claim is checked: naming T1 as the channel behind such a map,
// or putting its signal off the lesion, is a false positive.
// Usage: ./run.sh bench explain-fp [--seeds 5]. Last line: one JSON object.
import { noGrad, scope } from '../src/engine/index.js';
import { rankFeatureMaps } from '../src/explain/importance/index.js';
import { explainMap } from '../src/explain/explain-map.js';
import { DECODER_READINGS, decoderReadingsNaming } from '../src/explain/ablation/decoder-side.js';
import { trainedPhantomModel } from '../test/helpers/phantom-model.js';

type Claim = 'fp' | 'ok';
const METHODS = [
  'naive muting + Spearman (zero baseline)',
  'channel-muting test (shuffled-channel null)',
  'IG |attribution| share',
  'IG class-contrastive share',
  ...DECODER_READINGS,
] as const;

export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--seeds');
  const seeds = i >= 0 ? Number(args[i + 1]) : 5;
  const tally = new Map<string, Claim[]>(METHODS.map((m) => [m, []]));
  for (let seed = 0; seed < seeds; seed++) {
    const { model, data, x } = trainedPhantomModel(600, seed);
    const n = data.shape[0];
    const pooled = scope(() => noGrad(() => model.encode(x).z.mean([2, 3]).toFloat32()));
    const k = pooled.length / n;
    const rank = await rankFeatureMaps(
      {
        data: pooled,
        rows: n,
        cols: k,
        groupOf: Int32Array.from({ length: k }, (_, j) => j),
        groupNames: Array.from({ length: k }, (_, j) => `map ${j}`),
      },
      data.labels!,
      { nullPermutations: 20, stabilityBootstraps: 0, forest: { nTrees: 50 }, seed },
    );
    const t1 = data.channelNames.indexOf('T1');
    const strong = rank.ranking.filter((m) => Math.abs(rank.groups[m]!.univariateAuc - 0.5) >= 0.35).slice(0, 2);
    for (const map of strong) {
      const r = scope(() =>
        explainMap(
          { model, x, channelNames: data.channelNames, labels: data.labels, masks: data.masks!.filter((m) => m.name === 'lesion') },
          { map, methods: ['integrated-gradients'], activationMaxSteps: 0, seed },
        ),
      );
      const ig = r.encoder.attributions['integrated-gradients']!;
      // The decoder-side readings are judged by the same function bench generative applies to each decoder.
      const decoder = decoderReadingsNaming({ ...r.decoder, ...r.conclusion }, 'T1', 0.05);
      const claims: [(typeof METHODS)[number], boolean][] = [
        [METHODS[0], r.encoder.muting.naive.naiveDrivers.includes('T1')],
        [METHODS[1], r.encoder.muting.controlled.driver === 'T1'],
        [METHODS[2], ig.shareAbs!.mean[t1]! >= 0.25],
        [METHODS[3], r.encoder.contrastive!.share[t1]! >= 0.25],
        ...DECODER_READINGS.map((m): [(typeof METHODS)[number], boolean] => [m, decoder[m]]),
      ];
      for (const [m, fp] of claims) tally.get(m)!.push(fp ? 'fp' : 'ok');
      console.error(
        `seed ${seed} map ${map} (AUC ${rank.groups[map]!.univariateAuc.toFixed(2)}): ${
          claims
            .filter(([, fp]) => fp)
            .map(([m]) => m)
            .join('; ') || 'no false positive'
        }`,
      );
    }
    model.dispose();
  }
  const rows = METHODS.map((m) => {
    const c = tally.get(m)!;
    return {
      method: m,
      claims: c.length,
      false_positives: c.filter((v) => v === 'fp').length,
      rate: Number((c.filter((v) => v === 'fp').length / c.length).toFixed(2)),
    };
  });
  for (const r of rows) console.error(`${r.method.padEnd(48)} ${r.false_positives}/${r.claims}`);
  console.log(JSON.stringify({ suite: 'explain-fp', seeds, rows }));
}
