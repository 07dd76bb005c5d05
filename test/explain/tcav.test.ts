// TCAV on phantoms: latent maps (8 x 4 x 4) of a conv encoder, an MLP probe for the lesion label.
// A concept made of lesion-present cases must be significant for the lesion class; a concept of random
// cases must not be. The encoder is left untrained by default (TCAV_STEPS=n trains it): random conv
// features keep the FLAIR lesion linearly readable (probe accuracy ~0.96 against ~0.78 after 150 steps
// of training) and cost no training time; what is under test is the probe, the CAVs and the statistics.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, scope } from '../../src/engine/index.js';
import type { ImageDataset } from '../../src/data/types.js';
import { createModel } from '../../src/models/registry.js';
import { encodeLatents, type LatentMaps } from '../../src/metrics/index.js';
import { resolveConcept, runTcav, trainProbe, type TcavResult } from '../../src/explain/tcav/index.js';
import { fit, imagesTensor, phantoms } from '../metrics/train-helpers.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

let ds: ImageDataset;
let maps: LatentMaps;
let result: TcavResult;

before(() => {
  ds = phantoms(600, 32, testSeed(21));
  manualSeed(testSeed(2));
  const model = createModel('conv-ae', { inputShape: [2, 32, 32], latentMaps: 8, latentGrid: [4, 4], width: 16 });
  const x = scope(() => imagesTensor(ds));
  fit(model, x, Number(process.env.TCAV_STEPS ?? 0), 32, 2e-3, 2);
  maps = encodeLatents(model, ds.images, ds.shape);
  x.dispose();
  model.dispose();
  const ctx = { n: 600, factors: ds.factors!, ids: ds.ids, labels: ds.labels, seed: testSeed(4) };
  const concepts = [resolveConcept('factor:lesion_present=1#lesion', ctx), resolveConcept('random:300#random_cases', ctx)];
  result = runTcav(maps, ds.labels!, concepts, { targetClass: 1, runs: 20, seed: testSeed(1) });
});

describe('TCAV on phantoms', () => {
  test('the lesion concept is significant for the lesion label, with a separable CAV', () => {
    const lesion = result.concepts[0]!;
    console.log(`probe held-out acc ${result.head.heldOutAccuracy}; lesion score ${lesion.score.toFixed(3)} +- ${lesion.std.toFixed(3)}, ` +
      `p ${lesion.p.toExponential(2)}, CAV acc ${lesion.cavAccuracy.toFixed(3)}; random-vs-random ${result.random.score.toFixed(3)} +- ${result.random.std.toFixed(3)}`);
    atLeast(result.head.heldOutAccuracy!, 0.8, 'tcav: probe held-out accuracy');
    atMost(lesion.pBonferroni, 0.05, 'tcav: lesion concept Bonferroni p');
    assert.ok(lesion.significant, `p ${lesion.p}`);
    atLeast(lesion.score, 0.8, 'tcav: lesion concept score');
    atLeast(lesion.cavAccuracy, 0.75, 'tcav: lesion CAV accuracy');
    assert.equal(lesion.scores.length, 20);
    assert.deepEqual(lesion.warnings, [], 'a large concept, a separable CAV and an MLP head leave nothing to warn about');
  });
  test('a concept of random cases is not significant and its CAV is near chance', () => {
    const rnd = result.concepts[1]!;
    console.log(`random concept score ${rnd.score.toFixed(3)} +- ${rnd.std.toFixed(3)}, p ${rnd.p.toFixed(3)}, CAV acc ${rnd.cavAccuracy.toFixed(3)}`);
    assert.equal(rnd.significant, false, `p ${rnd.p}`);
    atMost(rnd.cavAccuracy, 0.65, 'tcav: random concept CAV accuracy');
    assert.ok(rnd.warnings.some((w) => /near chance/.test(w)), rnd.warnings.join('; '));
    assert.equal(result.concepts[0]!.pBonferroni, Math.min(1, result.concepts[0]!.p * 2));
  });
  test('over twenty seeds: the lesion concept is always significant, a random concept rarely', () => {
    // Runs of one fixed concept set share cases, so the t-test is anti-conservative for it: measured
    // here, a random concept of 300 cases (50 per run) was flagged in 1 of 20 seeds, one of 150 in 4 of 20.
    // At most 4 of 20: if the true rate were 5%, 5 or more would happen with probability 0.3%.
    const head = trainProbe(maps, ds.labels!, { seed: testSeed(3) });
    let lesionHits = 0, randomHits = 0;
    const seeds = 20;
    for (let s = 0; s < seeds; s++) {
      const ctx = { n: 600, factors: ds.factors!, labels: ds.labels, seed: testSeed(100) + s };
      const r = runTcav(maps, ds.labels!, [resolveConcept('factor:lesion_present=1', ctx), resolveConcept('random:300', ctx)], { head, seed: testSeed(100) + s });
      if (r.concepts[0]!.significant) lesionHits++;
      if (r.concepts[1]!.significant) randomHits++;
    }
    head.dispose();
    console.log(`lesion significant in ${lesionHits}/${seeds} seeds, random concept in ${randomHits}/${seeds}`);
    atLeast(lesionHits, seeds, 'tcav: seeds with the lesion concept significant');
    atMost(randomHits, 4, 'tcav: seeds with the random concept significant (of 20)');
  });
  test('a logistic probe head gives the same verdicts, and the run is reproducible', () => {
    const ctx = { n: 600, factors: ds.factors!, labels: ds.labels, seed: testSeed(4) };
    const concepts = [resolveConcept('factor:lesion_present=1', ctx), resolveConcept('random:300', ctx)];
    // A linear head has one gradient for every case, so each run scores 0 or 1 and the random-vs-random
    // null is a set of coin flips: with 10 runs one flipped run decided the verdict; 40 runs give margin.
    const head = trainProbe(maps, ds.labels!, { kind: 'logistic', seed: testSeed(3) });
    const a = runTcav(maps, ds.labels!, concepts, { head, runs: 40, seed: testSeed(5) });
    const b = runTcav(maps, ds.labels!, concepts, { head, runs: 40, seed: testSeed(5) });
    head.dispose();
    assert.deepEqual(a.concepts.map((c) => c.scores), b.concepts.map((c) => c.scores));
    atMost(a.concepts[0]!.pBonferroni, 0.05, 'tcav: logistic head, lesion concept Bonferroni p');
    assert.equal(a.concepts[0]!.significant, true);
    assert.equal(a.concepts[1]!.significant, false);
    assert.ok(a.concepts[0]!.warnings.some((w) => /0 or 1/.test(w)), a.concepts[0]!.warnings.join('; '));
  });
});

describe('concept specs', () => {
  const n = 6;
  const factors = { names: ['a', 'b'], values: Float32Array.from([0, 0.1, 1, 0.2, 1, 0.05, 0, 0.3, 1, 0.1, 0, 0.12]) };
  const ids = ['c0.png', 'c1.png', 'sub/c2.png', 'c3.png', 'c4.png', 'c5.png'];
  const ctx = { n, factors, ids, labels: [0, 1, 1, 0, 1, 0] };
  const idx = (spec: string) => Array.from(resolveConcept(spec, ctx).indices);
  test('factor conditions, ranges and conjunctions', () => {
    assert.deepEqual(idx('factor:a=1'), [1, 2, 4]);
    assert.deepEqual(idx('factor:b>0.09'), [0, 1, 3, 4, 5]);
    assert.deepEqual(idx('factor:a=1&b>=0.1'), [1, 4]);
    assert.deepEqual(idx('factor:b=0.1..0.2'), [0, 1, 4, 5]);
    assert.deepEqual(idx('factor:a!=1'), [0, 3, 5]);
    assert.equal(resolveConcept('factor:a=1#big', ctx).name, 'big');
  });
  test('labels, index lists, random sets, CSV ids and folders', () => {
    assert.deepEqual(idx('label:1'), [1, 2, 4]);
    assert.deepEqual(idx('indices:0,3-5'), [0, 3, 4, 5]);
    assert.equal(idx('random:4').length, 4);
    assert.deepEqual(idx('random:4'), idx('random:4'));
    const dir = mkdtempSync(join(tmpdir(), 'tcav-concepts-'));
    writeFileSync(join(dir, 'ids.csv'), 'case_id,note\nc0.png,x\nc2,y\n5,z\n');
    assert.deepEqual(idx(`ids:${join(dir, 'ids.csv')}`), [0, 2, 5]);
    mkdirSync(join(dir, 'imgs'));
    for (const f of ['c1.jpg', 'c3.png']) writeFileSync(join(dir, 'imgs', f), '');
    assert.deepEqual(idx(`folder:${join(dir, 'imgs')}`), [1, 3]);
  });
  test('clear errors', () => {
    assert.throws(() => idx('factor:zz=1'), /unknown factor 'zz'/);
    assert.throws(() => idx('factor:a~1'), /expected <factor><op><number>/);
    assert.throws(() => idx('factor:a=7'), /selects 0 case/);
    assert.throws(() => idx('blob:1'), /unknown kind 'blob'/);
    assert.throws(() => idx('indices:9'), /out of range/);
  });
});

