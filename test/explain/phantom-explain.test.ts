// The whole explanation on phantoms whose answer is known: the lesion (which drives the label) is only
// in FLAIR, a label-independent distractor only in T1. The top-ranked map must come out as encoding the
// lesion from FLAIR, localised on it; the naive readings must show their false positives and the
// controlled ones must not.
import assert from 'node:assert/strict';
import test from 'node:test';
import { noGrad, scope } from '../../src/engine/index.js';
import { rankFeatureMaps } from '../../src/explain/importance/index.js';
import { explainMap } from '../../src/explain/explain-map.js';
import { trainedPhantomModel } from '../helpers/phantom-model.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

test('explaining the top-ranked map of a phantom model finds the lesion in FLAIR, with controls', async () => {
  const seed = testSeed(0);
  const { model, data, x } = trainedPhantomModel(600, seed);
  const [n] = data.shape;
  const pooled = scope(() => noGrad(() => model.encode(x).z.mean([2, 3]).toFloat32()));
  const k = pooled.length / n;
  const rank = await rankFeatureMaps(
    {
      data: pooled,
      rows: n,
      cols: k,
      groupOf: Int32Array.from({ length: k }, (_, i) => i),
      groupNames: Array.from({ length: k }, (_, i) => `map ${i}`),
    },
    data.labels!,
    { stabilityBootstraps: 0, forest: { nTrees: 50 }, seed },
  );
  const top = rank.ranking[0]!;
  const topRank = rank.groups[top]!;
  // Over 20 seed offsets the top map's AUC went as low as 0.90 (the forest's top map need not be the best
  // univariate one): 0.8 is the claim "it separates lesion cases" with margin.
  atLeast(Math.abs(topRank.univariateAuc - 0.5), 0.3, 'phantom-explain: |AUC - 0.5| of the top map');
  atMost(topRank.marginal.qValue, 0.05, 'phantom-explain: marginal q of the top map');
  assert.ok(topRank.marginal.significant);
  // Conditionally on the other maps (LOCO refits against refitting noise). Over seed offsets 0-9: one map
  // flagged on 7, three on 2 (the lesion map, conditional mean 0.013, and two maps adding 0.0025-0.005 of
  // complementary information, each with its per-case interval above 0), none on 1, where two maps (AUC
  // 0.96 and 0.99) carry the lesion redundantly — neither adds anything beyond the other, and rank says
  // the information overlaps. The linear CPI sampler flagged 3 to 7 of 8.
  const conditional = rank.groups.filter((g) => g.conditional?.significant).length;
  atMost(conditional, 3, 'phantom-explain: maps significant conditionally');
  if (conditional === 0)
    assert.ok(
      rank.warnings.some((w) => /carry overlapping information/.test(w)),
      rank.warnings.join('; '),
    );

  const r = scope(() =>
    explainMap(
      { model, x, channelNames: data.channelNames, labels: data.labels, masks: data.masks!.filter((m) => m.name === 'lesion') },
      // 128 lesion cases (not the default 32): the pointing game and the contrastive interval then rest on
      // enough cases that one or two misses cannot decide them.
      { map: top, methods: ['gradient', 'integrated-gradients', 'channel-occlusion'], activationMaxSteps: 60, maxCases: 128, seed },
    ),
  );
  const flair = data.channelNames.indexOf('FLAIR');
  const t1 = data.channelNames.indexOf('T1');
  // Encoder side: which input image, with the contrastive control, and where.
  atLeast(r.encoder.contrastive!.share[flair]!, 0.9, 'phantom-explain: contrastive FLAIR share');
  atLeast(r.encoder.contrastive!.ci[flair]![0]!, 0.8, 'phantom-explain: contrastive FLAIR share, interval low end');
  assert.equal(r.encoder.muting.controlled.driver, 'FLAIR');
  assert.equal(r.conclusion.inputChannel, 'FLAIR');
  // The pointing game is a property of the trained map as much as of the method: over 20 seeds it went
  // from 0.68 to 0.98 (a top map that mixes the lesion with organ edges points at the edges for some cases).
  atLeast(r.encoder.localization.lesion!.pointingGame, 0.6, 'phantom-explain: pointing game on the lesion');
  atMost(Math.abs(r.encoder.attributions['integrated-gradients']!.convergenceDeltaMaxAbs!), 0.05, 'phantom-explain: IG convergence delta');
  // Sanity: gradients from a randomised encoder differ.
  assert.ok(r.encoder.sanity[0]!.method === 'gradient' && r.encoder.sanity[0]!.passed, JSON.stringify(r.encoder.sanity[0]));
  // Faithfulness: deleting the top-attributed pixels lowers the target faster than deleting random ones.
  atLeast(
    r.encoder.faithfulness!.randomDeletionAuc - r.encoder.faithfulness!.deletionAuc,
    0,
    'phantom-explain: deletion AUC below random deletion',
  );
  atLeast(
    r.encoder.faithfulness!.insertionAuc - r.encoder.faithfulness!.randomInsertionAuc,
    0,
    'phantom-explain: insertion AUC above random insertion',
  );
  // The naive readings show their false positives ...
  // Naive muting named the distractor channel T1 on some seeds only (disturbance 0.055 to 0.24 against its
  // 0.1 threshold), so that false positive is proven where its answer is built in: attribution.test.ts.
  const masked = r.decoder.maskedDecode;
  atLeast(masked.naiveChannelShare[t1]!, 0.3, 'phantom-explain: zero-the-rest decoding share in T1 (naive false positive)');
  atMost(masked.naiveInsideMask!, 0.5, 'phantom-explain: zero-the-rest decoding share inside the lesion');
  // ... the controlled ones do not: nothing T1-specific against random map sets, no T1 input driver,
  // and decoder-side channel effects flagged as entanglement.
  // The control sets are the 7 other maps, all of them (exact): p = (1 + j) / 8 where j other maps change
  // T1 at least as much. Whether the top map is the most T1-specific decoder input depends on the trained
  // model (on one seed of 20 it was): what must hold is that a decoder-side T1 claim is flagged below.
  assert.equal(masked.randomSets, 7);
  assert.notEqual(r.encoder.muting.controlled.driver, 'T1');
  if (r.conclusion.decoderChannels.includes('T1')) assert.equal(r.conclusion.decoderEntangled, true);
  assert.ok(r.responds.exemplars.top.length === 8);
  atLeast(r.responds.activationMax!.finalValue - r.responds.activationMax!.startValue, 0, 'phantom-explain: activation maximization gain');
  model.dispose();
});
