// Study-design diagnostics with known answers: few groups, group-aware splits, the confound check on
// nuisance statistics, and matched reference cases for contrastive attribution.
// Every forest runs in the calling thread (threads: 0).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { generatePhantoms, PHANTOM_FACTORS } from '../../src/data/phantom.js';
import { loadNiftiCase } from '../../src/data/nifti.js';
import { closeSharedPool } from '../../src/forest/index.js';
import { Random } from '../../src/core/random.js';
import { planEvaluation, rankFeatureMaps, type FeatureMatrix } from '../../src/explain/importance/index.js';
import { nuisanceStatistics, studyDesign } from '../../src/explain/design.js';
import { chooseReference } from '../../src/explain/reference.js';
import { explainMap } from '../../src/explain/explain-map.js';
import { manualSeed, scope, tensor } from '../../src/engine/index.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';

after(() => closeSharedPool());

/** Cases in groups: each group has a latent position (4 maps of 2 cells), its cases sit close to it; labels per case given by `label(group, rng)`. */
function grouped(groups: number, perGroup: (g: number) => number, label: (g: number, rng: Random) => number, seed: number) {
  const rng = new Random(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  const caseGroups: string[] = [];
  for (let g = 0; g < groups; g++) {
    const centre = Array.from({ length: 4 }, () => rng.normal());
    for (let k = 0; k < perGroup(g); k++) {
      rows.push(centre.flatMap((u) => [u + 0.1 * rng.normal(), u + 0.1 * rng.normal()]));
      labels.push(label(g, rng));
      caseGroups.push(`subject ${g}`);
    }
  }
  const features: FeatureMatrix = {
    data: Float32Array.from(rows.flat()),
    rows: rows.length,
    cols: 8,
    groupOf: Int32Array.from({ length: 8 }, (_, c) => c >> 1),
    groupNames: ['m0', 'm1', 'm2', 'm3'],
  };
  return { features, labels: Int32Array.from(labels), caseGroups };
}

const rankOpts = { forest: { nTrees: 30 }, stabilityBootstraps: 0, repeats: 2, conditional: false, threads: 0 } as const;

test('one group: the few-groups warning, and a split that puts the group on both sides', async () => {
  const seed = testSeed(0);
  const { features, labels } = grouped(
    1,
    () => 130,
    (_, rng) => (rng.next() < 0.4 ? 1 : 0),
    seed,
  );
  const caseGroups = Array.from({ length: 130 }, () => 'subject A');
  const r = await rankFeatureMaps(features, labels, { ...rankOpts, seed, caseGroups });
  assert.equal(r.split!.nGroups, 1);
  assert.equal(r.split!.groupAware, false);
  assert.equal(r.split!.groupsOnBothSides, 1);
  assert.match(r.split!.note!, /1 group/);
  const d = await studyDesign({ labels, groups: caseGroups, split: r.split });
  assert.equal(d.nGroups, 1);
  assert.ok(
    d.warnings.some((w) => w.startsWith('all 130 cases come from 1 subject (subject A): results describe this subject, not a population')),
    d.warnings.join('\n'),
  );
  assert.ok(
    d.warnings.some((w) => w.startsWith('the split puts 1 of 1 subjects (groups) on both sides')),
    d.warnings.join('\n'),
  );
  // Three subjects: still few. Unknown groups: no group warning.
  const three = await studyDesign({ labels, groups: caseGroups.map((_, i) => `s${i % 3}`) });
  assert.ok(three.warnings.some((w) => w.startsWith('the 130 cases come from only 3 subjects')));
  const none = await studyDesign({ labels });
  assert.ok(!none.warnings.some((w) => /subject/.test(w)) && !none.groupsKnown);
  // Few cases of a class.
  const few = await studyDesign({ labels: Int32Array.from({ length: 60 }, (_, i) => (i < 6 ? 1 : 0)), classNames: ['healthy', 'tumour'] });
  assert.ok(
    few.warnings.includes('only 6 case(s) of class tumour (1): estimates for this class rest on few cases.'),
    few.warnings.join('\n'),
  );
});

test('group-aware cross-validation never puts a group on both sides, and removes the subject leak', async () => {
  const seed = testSeed(1);
  // 60 subjects of 1..8 cases; the label is a subject property (a coin per subject) unrelated to the features.
  const coin = new Random(seed + 99);
  const subjectLabel = Array.from({ length: 60 }, () => (coin.next() < 0.5 ? 1 : 0));
  const { features, labels, caseGroups } = grouped(
    60,
    (g) => 1 + (g % 8),
    (g) => subjectLabel[g]!,
    seed,
  );
  const n = labels.length;
  const groupOf = new Map(caseGroups.map((g, i) => [i, g]));
  for (const [evaluation, extra] of [
    ['cv', { folds: 5, cvRepeats: 2 }],
    ['holdout', { testFraction: 0.25 }],
  ] as const) {
    const plan = planEvaluation(labels, 2, { evaluation, ...extra, caseGroups, seed, forestSeed: seed });
    assert.equal(plan.split.groupAware, true);
    assert.equal(plan.split.groupsOnBothSides, 0);
    for (const fit of plan.fits) {
      const train = new Set(Array.from(fit.train, (r) => groupOf.get(r)));
      for (const r of fit.eval) assert.ok(!train.has(groupOf.get(r)), `${evaluation}: ${groupOf.get(r)} on both sides`);
      assert.equal(fit.train.length + fit.eval.length, n);
      // Stratified: each evaluation side holds both classes, near the overall positive share.
      const pos = Array.from(fit.eval, (r) => labels[r]!).reduce((a, b) => a + b, 0) / fit.eval.length;
      const all = labels.reduce((a, b) => a + b, 0) / n;
      atMost(Math.abs(pos - all), 0.15, `design: ${evaluation} fold positive share vs overall`);
    }
  }
  // Case-level CV recognises the subject (its cases are near copies) and "predicts" its label; group-aware CV cannot.
  const leak = await rankFeatureMaps(features, labels, { ...rankOpts, seed });
  const fair = await rankFeatureMaps(features, labels, { ...rankOpts, seed, caseGroups });
  atLeast(leak.baselineScore, 0.8, 'design: case-level CV AUC with a subject leak');
  // No signal, 60 subjects: the AUC's sampling sd is about 0.075, and over 20 seed offsets it reached 0.68,
  // so 0.75 (about 3 sd) bounds it; the leak must stand far above it.
  atMost(fair.baselineScore, 0.75, 'design: group-aware CV AUC without signal');
  atLeast(leak.baselineScore - fair.baselineScore, 0.15, 'design: case-level CV AUC above the group-aware one');
  assert.equal(leak.split!.groupsGiven, false);
  assert.equal(fair.split!.groupAware, true);
  console.log(`subject leak: case-level CV AUC ${leak.baselineScore.toFixed(3)}, group-aware ${fair.baselineScore.toFixed(3)}`);
  // One case per group is the case-level split: identical results.
  const single = await rankFeatureMaps(features, labels, { ...rankOpts, seed, caseGroups: caseGroups.map((_, i) => `case ${i}`) });
  const strip = (r: typeof leak) => ({ ...r, timings: {}, split: null });
  assert.deepEqual(strip(single), strip(leak));
  assert.equal(single.split!.groupAware, true);
});

const phantoms = (seed: number, organScale: [number, number]) =>
  generatePhantoms({
    n: 300,
    size: 32,
    seed,
    channels: ['T1', 'FLAIR'],
    lesionChannels: ['FLAIR'],
    distractorChannels: ['T1'],
    organScale,
  });

test('confound check: a label set by organ size is named as foreground area; a lesion label with equal organs is not confounded', async () => {
  const seed = testSeed(2);
  const big = phantoms(seed, [0.8, 1.2]);
  const os = PHANTOM_FACTORS.indexOf('organ_scale');
  const F = PHANTOM_FACTORS.length;
  const bigger = Int32Array.from({ length: 300 }, (_, i) => (big.factors!.values[i * F + os]! > 1 ? 1 : 0));
  const nb = nuisanceStatistics(big.images, big.shape, big.channelNames, { exclude: big.masks });
  const d = await studyDesign({ labels: bigger, nuisance: nb, mapScore: 0.97, splitOptions: { seed, threads: 0 } });
  atLeast(d.confound!.score, 0.9, 'design: nuisance AUC of the organ-size label');
  assert.ok(d.confound!.confounded);
  assert.ok(d.confound!.named[0]!.startsWith('foreground area'), d.confound!.named.join(', '));
  const warning = d.warnings.find((w) => w.startsWith('the label is confounded with foreground area'));
  assert.ok(warning && /the maps may encode foreground area/.test(warning), d.warnings.join('\n'));

  const equal = phantoms(seed, [1, 1]);
  const ne = nuisanceStatistics(equal.images, equal.shape, equal.channelNames, { exclude: equal.masks });
  const e = await studyDesign({ labels: equal.labels, nuisance: ne, mapScore: 0.97, splitOptions: { seed, threads: 0 } });
  atMost(e.confound!.score, 0.7, 'design: nuisance AUC of the lesion label, equal organs');
  assert.equal(e.confound!.confounded, false);
  assert.ok(!e.warnings.some((w) => /confounded/.test(w)), e.warnings.join('\n'));
  // Without the lesion mask the lesion itself moves the FLAIR median: the check then says so, hedged.
  const raw = nuisanceStatistics(equal.images, equal.shape, equal.channelNames);
  const r = await studyDesign({ labels: equal.labels, nuisance: raw, mapScore: 0.97, splitOptions: { seed, threads: 0 } });
  console.log(
    `confound AUC: organ-size label ${d.confound!.score.toFixed(3)} (${d.confound!.named.join(', ')}); lesion label ${e.confound!.score.toFixed(3)} with masks, ${r.confound!.score.toFixed(3)} without (${r.confound!.named.join(', ')})`,
  );
  if (r.confound!.confounded)
    assert.ok(
      r.warnings.some((w) => /no mask leaves it out/.test(w)),
      r.warnings.join('\n'),
    );
});

test(
  'one glioma subject (real files): one subject, and the label confounded with slice level',
  { skip: needSharedData('brats_tcga_du_7294/TCGA-DU-7294_fla_bet.nii.gz') },
  async () => {
    const B = 'brats_tcga_du_7294/TCGA-DU-7294_';
    const ds = await loadNiftiCase({
      channels: { T1: sharedData(`${B}t1_bet.nii.gz`), FLAIR: sharedData(`${B}fla_bet.nii.gz`) },
      seg: sharedData(`${B}seg_fusion_simple.nii.gz`),
      size: 64,
    });
    const nu = nuisanceStatistics(ds.images, ds.shape, ds.channelNames, { sliceIndex: ds.sliceIndex, exclude: ds.masks });
    const d = await studyDesign({
      labels: ds.labels,
      groups: ds.groups,
      nuisance: nu,
      classNames: ds.classNames,
      splitOptions: { threads: 0 },
    });
    assert.ok(d.warnings[0]!.startsWith('all 131 cases come from 1 subject'), d.warnings.join('\n'));
    atLeast(d.confound!.score, 0.9, 'design: glioma subject, nuisance AUC');
    assert.ok(d.confound!.named.includes('slice index'), d.confound!.named.join(', '));
    console.log(`glioma subject: nuisance AUC ${d.confound!.score.toFixed(3)}, named ${d.confound!.named.join(', ')}`);
  },
);

test('reference cases: not the first N; matched ones are closer in the nuisance statistics than random ones', () => {
  const seed = testSeed(3);
  const ds = phantoms(seed, [0.7, 1.3]);
  const nu = nuisanceStatistics(ds.images, ds.shape, ds.channelNames, { exclude: ds.masks });
  const idx = Array.from({ length: 300 }, (_, i) => i);
  const explained = idx.filter((i) => ds.labels![i] === 1).slice(0, 32);
  const candidates = idx.filter((i) => ds.labels![i] === 0);
  const random = chooseReference(explained, candidates, { count: 32, seed });
  const matched = chooseReference(explained, candidates, { count: 32, seed, nuisance: nu });
  assert.equal(random.method, 'random');
  assert.equal(matched.method, 'matched');
  assert.equal(random.reference.length, 32);
  assert.equal(matched.reference.length, 32);
  assert.notDeepEqual(random.reference, candidates.slice(0, 32));
  assert.notDeepEqual(
    [...matched.reference].sort((a, b) => a - b),
    candidates.slice(0, 32),
  );
  assert.equal(new Set(matched.reference).size, 32, 'without replacement');
  // Mean standardised distance of (explained[i], reference[i]) for the random sample, computed like chooseReference's.
  const F = nu.names.length;
  const keep = matched.statistics.map((s) => nu.names.indexOf(s));
  const z = keep.map((j) => {
    const v = [...explained, ...candidates].map((r) => nu.values[r * F + j]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    return (r: number) => (nu.values[r * F + j]! - m) / sd;
  });
  const pairDistance = (ref: number[]) =>
    ref.reduce((s, r, i) => s + Math.sqrt(z.reduce((a, f) => a + (f(explained[i]!) - f(r)) ** 2, 0)), 0) / ref.length;
  const dRandom = pairDistance(random.reference);
  const dMatched = pairDistance(matched.reference);
  assert.ok(Math.abs(dMatched - matched.meanDistance!) < 1e-9);
  atMost(dMatched, 0.5 * dRandom, 'design: matched vs random reference distance');
  // The reference's organ scale follows the explained cases' when matched.
  const os = PHANTOM_FACTORS.indexOf('organ_scale');
  const scale = (rows: number[]) => rows.map((r) => ds.factors!.values[r * PHANTOM_FACTORS.length + os]!);
  const gap = (ref: number[]) => scale(ref).reduce((s, v, i) => s + Math.abs(v - scale(explained)[i]!), 0) / ref.length;
  atMost(gap(matched.reference), 0.5 * gap(random.reference), 'design: matched vs random organ-scale gap');
  console.log(
    `reference distance: matched ${dMatched.toFixed(3)}, random ${dRandom.toFixed(3)} (all pairs ${matched.randomMeanDistance!.toFixed(3)}); organ-scale gap ${gap(matched.reference).toFixed(3)} vs ${gap(random.reference).toFixed(3)}`,
  );
});

test('explainMap records the reference selection and the design it was given', () => {
  const seed = testSeed(4);
  const ds = generatePhantoms({ n: 96, size: 32, seed, channels: ['T1', 'FLAIR'], organScale: [0.7, 1.3] });
  const nu = nuisanceStatistics(ds.images, ds.shape, ds.channelNames, { exclude: ds.masks });
  manualSeed(seed);
  const model = new ConvAE({ inputShape: [2, 32, 32], latentMaps: 4, latentGrid: [8, 8], width: 8 });
  const x = tensor(ds.images, ds.shape);
  const design = {
    warnings: ['a warning'],
    nCases: 96,
    groupsKnown: false,
    nGroups: 96,
    largestGroup: 1,
    classes: [0, 1],
    casesPerClass: [48, 48],
    split: null,
    nuisance: null,
    confound: null,
    notes: [],
  };
  const run = (nuisance: typeof nu | null) =>
    scope(() =>
      explainMap(
        { model, x, channelNames: ds.channelNames, labels: ds.labels, nuisance, design },
        { map: 0, methods: ['gradient'], activationMaxSteps: 0, maxCases: 16, seed },
      ),
    );
  const m = run(nu);
  const r = run(null);
  const candidates = Array.from({ length: 96 }, (_, i) => i).filter((i) => ds.labels![i] === 0);
  assert.equal(m.cases.referenceSelection!.method, 'matched');
  assert.equal(m.cases.reference.length, m.cases.explained.length);
  assert.ok(m.cases.referenceSelection!.meanDistance! < m.cases.referenceSelection!.randomMeanDistance!);
  assert.equal(r.cases.referenceSelection!.method, 'random');
  assert.notDeepEqual(r.cases.reference, candidates.slice(0, 16));
  assert.deepEqual(m.design, design);
});
