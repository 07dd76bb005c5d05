// The package as a user imports it: only the public entry (src/index.ts), a whole small pipeline on
// phantoms whose answer is known, and every function the README's Library section names.
import assert from 'node:assert/strict';
import test from 'node:test';
import * as ll from '../../src/index.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

test("the README's library functions are reachable from the package entry", () => {
  const named: [string, unknown][] = [
    ['createModel', ll.createModel],
    ['train.trainModel', ll.train.trainModel],
    ['train.openRun', ll.train.openRun],
    ['explain.rankFeatureMaps', ll.explain.rankFeatureMaps],
    ['explain.attribute', ll.explain.attribute],
    ['explain.explainMap', ll.explain.explainMap],
    ['explain.channelMutingTest', ll.explain.channelMutingTest],
    ['explain.tcav.runTcav', ll.explain.tcav.runTcav],
    ['embed.embed', ll.embed.embed],
    ['metrics.computeMetrics', ll.metrics.computeMetrics],
    ['ScriptModule.load', ll.ScriptModule.load],
    ['nn.saveStateDict', ll.nn.saveStateDict],
    ['runs.trainRun', ll.runs.trainRun],
    ['runs.rankRun', ll.runs.rankRun],
    ['runs.explainRun', ll.runs.explainRun],
    ['runs.tcavRun', ll.runs.tcavRun],
    ['runs.embedRun', ll.runs.embedRun],
    ['runs.metricsRun', ll.runs.metricsRun],
  ];
  for (const [name, fn] of named) assert.equal(typeof fn, 'function', name);
});

test('from the package entry alone: phantoms -> a trained ConvAE -> latents -> ranking finds a lesion map -> attribution', async () => {
  const ds = ll.data.generatePhantoms({
    n: 400,
    size: 28,
    seed: testSeed(7),
    channels: ['T1', 'FLAIR'],
    lesionChannels: ['FLAIR'],
    distractorChannels: ['T1'],
    lesionIntensity: [0.8, 1.0],
    lesionRadius: [0.15, 0.25],
  });
  ll.manualSeed(testSeed(7));
  const model = ll.createModel('conv-ae', { inputShape: [2, 28, 28], latentMaps: 4, latentGrid: [7, 7], width: 8 });
  const x = ll.tensor(ds.images, ds.shape).clamp(0, 1);
  const groups = model.paramGroups();
  const opt = new ll.Adam(groups[0]!.params, { lr: 3e-3 });
  model.train();
  for (let step = 1; step <= 150; step++) {
    ll.scope(() =>
      model.trainStep(x.narrow(0, ((step - 1) * 32) % (400 - 32), 32), step, (_g, loss) => {
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }),
    );
  }
  opt.dispose();
  model.eval();
  const enc = ll.explain.encodeLatents(model, x);
  const rank = await ll.explain.rankFeatureMaps(ll.explain.poolLatents(enc, 'summary'), ds.labels!, {
    forest: { nTrees: 40 },
    stabilityBootstraps: 0,
    seed: 1,
    threads: 0,
  });
  const top = rank.groups[rank.ranking[0]!]!;
  atMost(top.marginal.qValue, 0.05, 'public entry: marginal q of the top map');
  assert.ok(top.marginal.significant);
  // The lesion is visible to the forest: its held-out AUC (the maps' mean, max and sd; a map's mean alone
  // can miss a small lesion, so its univariate AUC is not asserted).
  atLeast(rank.baselineScore, 0.85, 'public entry: held-out AUC of the forest on the latents');
  const a = ll.explain.attribute(model, x.narrow(0, 0, 8), { method: 'integrated-gradients', target: { map: rank.ranking[0]! }, steps: 8 });
  assert.equal(a.heatmaps.length, 8 * 2 * 28 * 28);
  assert.ok(a.convergenceDelta!.every((d) => Math.abs(d) < 0.05));
  x.dispose();
  model.dispose();
});
