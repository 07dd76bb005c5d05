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

test('explaining the top-ranked map of a phantom model finds the lesion in FLAIR, with controls', async () => {
  const { model, data, x } = trainedPhantomModel(600, 0);
  const [n] = data.shape;
  const pooled = scope(() => noGrad(() => model.encode(x).z.mean([2, 3]).toFloat32()));
  const k = pooled.length / n;
  const rank = await rankFeatureMaps({
    data: pooled, rows: n, cols: k, groupOf: Int32Array.from({ length: k }, (_, i) => i), groupNames: Array.from({ length: k }, (_, i) => `map ${i}`),
  }, data.labels!, { nullPermutations: 20, stabilityBootstraps: 0, forest: { nTrees: 50 }, seed: 0 });
  const top = rank.ranking[0]!;
  const topRank = rank.groups[top]!;
  assert.ok(Math.abs(topRank.univariateAuc - 0.5) > 0.4, `the top map separates lesion cases (AUC ${topRank.univariateAuc})`);
  assert.ok(topRank.pimp!.significant);

  const r = scope(() => explainMap(
    { model, x, channelNames: data.channelNames, labels: data.labels, masks: data.masks!.filter((m) => m.name === 'lesion') },
    { map: top, methods: ['gradient', 'integrated-gradients', 'channel-occlusion'], activationMaxSteps: 20, seed: 0 },
  ));
  const flair = data.channelNames.indexOf('FLAIR');
  const t1 = data.channelNames.indexOf('T1');
  // Encoder side: which input image, with the contrastive control, and where.
  assert.ok(r.encoder.contrastive!.share[flair]! >= 0.9, `contrastive FLAIR share ${r.encoder.contrastive!.share[flair]}`);
  assert.ok(r.encoder.contrastive!.ci[flair]![0] >= 0.8, 'and its interval stays high');
  assert.equal(r.encoder.muting.controlled.driver, 'FLAIR');
  assert.equal(r.conclusion.inputChannel, 'FLAIR');
  assert.ok(r.encoder.localization.lesion!.pointingGame >= 0.9, `pointing game ${r.encoder.localization.lesion!.pointingGame}`);
  assert.ok(Math.abs(r.encoder.attributions['integrated-gradients']!.convergenceDeltaMaxAbs!) < 0.05);
  // Sanity: gradients from a randomised encoder differ.
  assert.ok(r.encoder.sanity[0]!.method === 'gradient' && r.encoder.sanity[0]!.passed, JSON.stringify(r.encoder.sanity[0]));
  // Faithfulness: deleting the top-attributed pixels lowers the target faster than deleting random ones.
  assert.ok(r.encoder.faithfulness!.deletionAuc < r.encoder.faithfulness!.randomDeletionAuc);
  assert.ok(r.encoder.faithfulness!.insertionAuc > r.encoder.faithfulness!.randomInsertionAuc);
  // The naive readings show their false positives ...
  assert.ok(r.encoder.muting.naive.naiveDrivers.includes('T1'), 'naive muting names the distractor channel');
  const masked = r.decoder.maskedDecode;
  assert.ok(masked.naiveChannelShare[t1]! >= 0.3, `zero-the-rest decoding puts ${masked.naiveChannelShare[t1]} of its signal in T1`);
  assert.ok(masked.naiveInsideMask! < 0.5, `and ${masked.naiveInsideMask} inside the lesion`);
  // ... the controlled ones do not: nothing T1-specific against random map sets, no T1 input driver,
  // and decoder-side channel effects flagged as entanglement.
  assert.ok(masked.pValue[t1]! >= 0.05 / 2, 'no T1 signal specific to the map against random sets');
  assert.notEqual(r.encoder.muting.controlled.driver, 'T1');
  if (r.conclusion.decoderChannels.includes('T1')) assert.equal(r.conclusion.decoderEntangled, true);
  assert.ok(r.responds.exemplars.top.length === 8);
  assert.ok(r.responds.activationMax!.finalValue > r.responds.activationMax!.startValue);
  model.dispose();
});
