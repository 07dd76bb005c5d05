import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { parseDataSpec, loadDataset } from '../../src/data/spec.js';
import { summarizeDataset, contactSheet, formatSummary } from '../../src/data/inspect.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { DataError } from '../../src/data/errors.js';
import { needSharedData, sharedData, SHARED_DATA } from '../helpers/shared-data.js';

test('spec syntax: kind, target, options with & or , and list values', () => {
  assert.deepEqual(parseDataSpec('medmnist:pneumoniamnist'), { kind: 'medmnist', target: 'pneumoniamnist', options: {} });
  assert.deepEqual(parseDataSpec('folder:/d/imgs?csv=labels.csv&size=64&label=benign_malignant'), {
    kind: 'folder',
    target: '/d/imgs',
    options: { csv: 'labels.csv', size: '64', label: 'benign_malignant' },
  });
  assert.deepEqual(parseDataSpec('phantom:n=1000,size=64,channels=A,B,C,lesion=B').options, {
    n: '1000',
    size: '64',
    channels: 'A,B,C',
    lesion: 'B',
  });
  assert.deepEqual(parseDataSpec('nifti:T1=a.nii.gz,FLAIR=b.nii.gz?seg=s.nii.gz&axis=coronal'), {
    kind: 'nifti',
    target: 'T1=a.nii.gz,FLAIR=b.nii.gz',
    options: { seg: 's.nii.gz', axis: 'coronal' },
  });
  assert.equal(parseDataSpec('dicom:/x/my%3Fdir').target, '/x/my%3Fdir');
  assert.equal(parseDataSpec('dicom:/x?window=40,400').options.window, '40,400');
});

test('spec errors say what was expected', async () => {
  assert.throws(
    () => parseDataSpec('pneumoniamnist'),
    (e: Error) => e instanceof DataError && /no source kind; expected <kind>:<target>/.test(e.message),
  );
  assert.throws(() => parseDataSpec('tiff:/x'), /unknown source kind "tiff"; expected one of medmnist, folder, dicom, nifti, phantom/);
  assert.throws(() => parseDataSpec('folder:/x?colour=red'), /unknown option "colour" for folder; expected one of csv, path, label/);
  assert.throws(() => parseDataSpec('dicom:'), /no target; expected dicom:<path>/);
  assert.throws(() => parseDataSpec('phantom:n=1,n=2'), /option "n" given twice/);
  await assert.rejects(loadDataset('phantom:n=ten'), /option n=ten; expected an integer >= 1/);
  await assert.rejects(loadDataset('phantom:n=10&norm=robust'), /option norm=robust; expected one of zscore, minmax, percentile/);
  await assert.rejects(loadDataset('dicom:/x?window=40'), /expected none, file, or <center>,<width>/);
});

test('a malformed percent escape names the spec, the field and what was expected, not a bare "URI malformed" (issue 20)', async () => {
  assert.throws(
    () => parseDataSpec('phantom:channels=A%zz'),
    (e: Error) =>
      e instanceof DataError &&
      e.message ===
        'phantom:channels=A%zz: option channels=A%zz: "%zz" is not a percent escape; expected % followed by two hex digits (%2C for a comma, %26 for &, %3F for ?, %25 for a literal %)',
  );
  // A list continuation names the option it continues; a nifti target names the channel.
  assert.throws(() => parseDataSpec('phantom:channels=T1,F%4'), /: option channels=F%4: "%4" is not a percent escape/);
  await assert.rejects(
    loadDataset('nifti:T1=a%g1.nii'),
    /^DataError: nifti:T1=a%g1\.nii: channel T1=a%g1\.nii: "%g1" is not a percent escape/,
  );
  assert.throws(() => parseDataSpec('folder:/x?label=%C3'), /option label=%C3: its percent escapes are not valid UTF-8/);
  // Valid escapes still decode.
  assert.equal(parseDataSpec('phantom:channels=A%2CB%25').options.channels, 'A,B%');
});

test('phantom specs load with options, split and normalisation', async () => {
  const ds = await loadDataset('phantom:n=100,size=32,seed=4,channels=A,B,lesion=B,distractor=A');
  assert.deepEqual(ds.shape, [100, 2, 32, 32]);
  assert.deepEqual(ds.channelNames, ['A', 'B']);
  assert.deepEqual(
    ds.images,
    generatePhantoms({ n: 100, size: 32, seed: 4, channels: ['A', 'B'], lesionChannels: ['B'], distractorChannels: ['A'] }).images,
  );
  assert.equal(ds.source, 'phantom:n=100,size=32,seed=4,channels=A,B,lesion=B,distractor=A');
  const test = await loadDataset('phantom:n=100&size=16&split=test&norm=zscore');
  assert.equal(test.shape[0], 20);
  const s = summarizeDataset(test);
  // z-scored on its own (only) split: mean 0, sd 1 per channel.
  for (const c of s.channels) assert.ok(Math.abs(c.mean) < 1e-4 && Math.abs(c.std - 1) < 1e-3);
  // Every object present and its size and intensity ranges set: the factor columns follow.
  const always = await loadDataset(
    'phantom:n=200,size=32,lesionRate=1,distractorRate=1,lesionRadius=0.1:0.2,distractorRadius=0.15,distractorIntensity=0.5:0.6',
  );
  const f = always.factors!;
  const col = (name: string) => Array.from({ length: 200 }, (_, i) => f.values[i * f.names.length + f.names.indexOf(name)]!);
  assert.ok(col('lesion_present').every((v) => v === 1) && col('distractor_present').every((v) => v === 1));
  assert.ok(col('lesion_radius').every((v) => v >= 0.1 && v <= 0.2) && Math.max(...col('lesion_radius')) > 0.18);
  assert.ok(col('distractor_radius').every((v) => Math.abs(v - 0.15) < 1e-6));
  assert.ok(col('distractor_intensity').every((v) => v >= 0.5 && v <= 0.6));
});

test(
  'real-data specs: medmnist by name with root and split, nifti with dir',
  { skip: needSharedData('pneumoniamnist/pneumoniamnist.npz', 'brats_tcga_du_7294') },
  async () => {
    const pn = await loadDataset(`medmnist:pneumoniamnist?root=${SHARED_DATA}&split=val`);
    assert.deepEqual(pn.shape, [524, 1, 28, 28]);
    const nf = await loadDataset(
      `nifti:FLAIR=TCGA-DU-7294_fla_bet.nii.gz?seg=TCGA-DU-7294_seg_fusion_simple.nii.gz&dir=${sharedData('brats_tcga_du_7294')}&keep=labelled&size=32&axis=sagittal`,
    );
    assert.equal(nf.shape[1], 1);
    assert.deepEqual(nf.shape.slice(2), [32, 32]);
    assert.ok(nf.labels!.every((v) => v === 1));
  },
);

test('summary counts classes per split and masks; contact sheet is a PNG of the expected size', async () => {
  const ds = generatePhantoms({ n: 60, size: 16, seed: 9 });
  const s = summarizeDataset(ds);
  const positives = ds.labels!.reduce((a, b) => a + b, 0);
  assert.deepEqual(s.classCounts![0], { split: 'all', n: 60, counts: [60 - positives, positives] });
  assert.deepEqual(
    s.classCounts!.map((c) => c.split),
    ['all', 'train', 'val', 'test'],
  );
  assert.equal(s.masks![0]!.nonEmpty, positives / 60);
  assert.equal(s.factors!.length, 11);
  assert.match(formatSummary(s), /mask {6}lesion in FLAIR: non-empty in/);
  const png = await contactSheet(ds, { perClass: 4 });
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  // 2 classes x 3 channels rows of 16 px + 2 px gaps; 150 px label margin + 4 columns of 18 px.
  assert.deepEqual([meta.width, meta.height], [150 + 4 * 18, 6 * 18 + 2]);
});
