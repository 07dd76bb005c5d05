// Volumes end to end through the CLI: train builds the 3D ConvAE for phantom3d volumes, rank pools its
// d x h x w maps, explain runs the volume attributions with occlusion's cost in forward passes per
// volume, tcav, metrics and embed read their maps' cells, data inspect shows them, and a command
// without volume support refuses them by name, saying which commands take them (the explorer's own
// volume tests are test/serve/volumes.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openRunCases } from '../../src/runs/run-data.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-volumes-cli-'));
const run = join(root, 'run');
const SPEC = 'phantom3d:n=48&size=16&seed=4';

const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
const ok = (...args: string[]) => {
  const r = latentlens(...args);
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
};

after(() => rmSync(root, { recursive: true, force: true }));

test('train, rank, explain, tcav, metrics, embed, report and data inspect on volumes; a 2D-only command refuses them by name', async () => {
  const trained = ok(
    'train',
    '--data',
    SPEC,
    '--out',
    run,
    '--width',
    '4',
    '--latent-maps',
    '4',
    '--steps',
    '12',
    '--batch-size',
    '8',
    '--no-progress',
  );
  assert.match(trained, /training conv-ae on phantom3d:n=48&size=16&seed=4 \(48 x 2 x 16 x 16 x 16\)/);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.deepEqual(config.model.inputShape, [2, 16, 16, 16]);
  assert.deepEqual(config.model.latentGrid, [4, 4, 4]);
  assert.deepEqual(config.data.shape, [48, 2, 16, 16, 16]);

  ok('rank', run, '--trees', '10', '--bootstraps', '0', '--marginal-null', '0', '--folds', '2', '--no-conditional');
  const rank = JSON.parse(readFileSync(join(run, 'rank.json'), 'utf8'));
  assert.deepEqual(rank.inputs.latentShape, [4, 4, 4, 4]);
  assert.equal(rank.result.ranking.length, 4);

  const explained = ok('explain', run, '--map', '0', '--cases', '2');
  assert.match(explained, /occlusion: .*129 forward passes per volume/); // 1 + 2 channels x (16 / 4)^3 windows
  assert.match(explained, /decoder: ablating the map changes T1 .*; entanglement [\d.]+ \(all maps [\d.]+\); 5 decodes per volume/); // 1 + 4 maps
  assert.match(explained, /not computed on volumes yet: masked decoding; channel muting with its controls/);
  const e = JSON.parse(readFileSync(join(run, 'explain', 'map-0.json'), 'utf8')).result;
  assert.equal(e.volumes, true);
  assert.deepEqual(
    e.methods.map((m: { method: string }) => m.method),
    ['integrated-gradients', 'occlusion', 'grad-cam'],
  );
  assert.equal(e.methods[1].forwardPassesPerVolume, 129);
  assert.equal(e.methods[0].masks[0].mask, 'lesion');
  assert.deepEqual(Object.keys(e.decoder.ablation), ['T1', 'FLAIR']);
  assert.ok(e.decoder.entanglement.overall >= 0 && e.decoder.entanglement.overall <= 1);
  // Figures: 3 methods x 2 shown volumes x 2 channels x 3 orthogonal slices, listed with what they show.
  assert.equal(e.figures.length, 36);
  assert.ok(e.figures.every((f: { path: string }) => existsSync(join(run, f.path))));
  assert.deepEqual(
    e.figures.slice(0, 3).map((f: { axis: string }) => f.axis),
    ['depth', 'height', 'width'],
  );
  const strided = ok(
    'explain',
    run,
    '--map',
    '0',
    '--cases',
    '1',
    '--methods',
    'occlusion',
    '--occlusion-window',
    '8',
    '--occlusion-stride',
    '4',
  );
  assert.match(strided, /occlusion: .*55 forward passes per volume/); // 1 + 2 x 3^3 windows (starts 0, 4, 8)
  const noSmooth = latentlens('explain', run, '--map', '0', '--methods', 'smoothgrad');
  assert.notEqual(noSmooth.status, 0);
  assert.match(
    noSmooth.stderr,
    /explain --methods smoothgrad: not available on volumes yet; on volumes: integrated-gradients, occlusion, grad-cam/,
  );

  // The report shows the volume explanation as its own card, and sample volumes and reconstructions as middle slices.
  ok('report', run);
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.match(html, /Map 0 <span class="sub">\(volumes\)<\/span>/);
  assert.match(html, /Three orthogonal slices/);
  assert.match(html, /ground truth outlined \(lesion/);
  assert.match(html, /Decoder: what the map changes in the output/);
  assert.match(html, /Each volume is shown as its middle slices across depth, height and width \(indices 8, 8, 8\)/);
  assert.match(html, /Each volume as its middle slices \(indices 8, 8, 8\): across depth, input above reconstruction/);
  assert.doesNotMatch(html, /not shown/);

  // TCAV and the metrics read the maps' cells: volumes' d x h x w maps work as they are.
  const tcav = ok('tcav', run, '--concept', 'factor:lesion_radius>0.15', '--random-concepts', '4', '--runs', '3', '--head', 'logistic');
  assert.match(tcav, /factor:lesion_radius>0\.15: /);
  assert.equal(JSON.parse(readFileSync(join(run, 'tcav.json'), 'utf8')).result.concepts.length, 1);
  ok('metrics', run);
  assert.ok(existsSync(join(run, 'metrics.json')));
  ok('embed', run, '--method', 'pca');
  assert.deepEqual(JSON.parse(readFileSync(join(run, 'embed-pca.json'), 'utf8')).inputs.latentShape, [4, 4, 4, 4]);
  // A command without volume support refuses the run by name.
  await assert.rejects(
    openRunCases(run, { command: 'a 2D-only analysis' }),
    /a 2D-only analysis takes 2D models only; .* holds a 3D model \(input 2x16x16x16\)\. Volumes work in train, import, rank, .*serve and data inspect/,
  );
  // data inspect shows volumes: their shape, and a sheet of middle slices per axis.
  const inspected = ok('data', 'inspect', SPEC, '--sheet', join(root, 'sheet.png'));
  assert.match(inspected, /shape {5}48 x 2 x 16 x 16 x 16 {2}\(N x C x D x H x W: volumes\)/);
  for (const axis of ['depth', 'height', 'width']) assert.ok(existsSync(join(root, `sheet-${axis}.png`)), axis);
});
