// The metrics and tcav commands end to end on a tiny run folder: each writes its documented JSON.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const run = join(mkdtempSync(join(tmpdir(), 'metrics-cli-')), 'run');
const latentlens = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

before(() => {
  latentlens(
    'train',
    '--data',
    'phantom:n=240,size=32',
    '--model',
    'conv-ae',
    '--latent-maps',
    '4',
    '--latent-grid',
    '4x4',
    '--width',
    '8',
    '--steps',
    '3',
    '--batch-size',
    '32',
    '--out',
    run,
  );
});

test('latentlens metrics writes metrics.json with every metric', () => {
  const out = latentlens('metrics', run, '--seed', '1');
  assert.match(out, /MIG/);
  const j = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.equal(j.format, 'latentlens-metrics');
  assert.equal(j.inputs.supervised, true);
  assert.equal(j.inputs.cases, 240);
  assert.equal(j.result.latentDims, 4);
  for (const k of ['betaVae', 'factorVae', 'mig', 'dci', 'sap', 'modularity', 'explicitness', 'totalCorrelation', 'activeUnits'])
    assert.ok(k in j.result, k);
  assert.equal(j.result.factors.length, 11);
  assert.ok(j.result.mig.score >= 0 && j.result.mig.score <= 1);
  assert.match(out, /note: the lesion and distractor factors of cases without that object are drawn but not visible/);
  // The same run scored on phantoms that always show both objects: the presence factors are constant.
  const always = latentlens(
    'metrics',
    run,
    '--data',
    'phantom:n=240,size=32,lesionRate=1,distractorRate=1',
    '--metrics',
    'mig',
    '--out',
    join(run, 'm2.json'),
  );
  assert.match(always, /left out constant factors: lesion_present, distractor_present/);
  assert.doesNotMatch(always, /note:/);
  assert.equal(JSON.parse(readFileSync(join(run, 'm2.json'), 'utf8')).result.factors.length, 9);
});

test('latentlens tcav writes tcav.json with one entry per concept', () => {
  latentlens('tcav', run, '--concept', 'factor:lesion_present=1#lesion', 'random:100#control', '--runs', '5', '--head', 'logistic');
  const j = JSON.parse(readFileSync(join(run, 'tcav.json'), 'utf8'));
  assert.equal(j.format, 'latentlens-tcav');
  assert.deepEqual(
    j.inputs.concepts.map((c: { name: string }) => c.name),
    ['lesion', 'control'],
  );
  assert.equal(j.result.concepts.length, 2);
  assert.equal(j.result.runs, 5);
  assert.equal(j.result.concepts[0].scores.length, 5);
  assert.equal(j.result.head.kind, 'logistic');
  assert.ok(j.result.concepts.every((c: { p: number }) => c.p >= 0 && c.p <= 1));
  // A user's TorchScript head over the run's 4 maps (test/fixtures/make_latent_head.py).
  const head = join(process.cwd(), 'test/fixtures/latent_head.pt');
  latentlens('tcav', run, '--concept', 'random:100#control', '--runs', '3', '--head', head, '--out', join(run, 'tcav-script.json'));
  const s = JSON.parse(readFileSync(join(run, 'tcav-script.json'), 'utf8'));
  assert.equal(s.result.head.kind, 'torchscript');
  assert.equal(s.result.concepts[0].scores.length, 3);
});
