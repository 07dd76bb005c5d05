// `latentlens import` (issue 15, item 1): a run folder for a model trained elsewhere, without training.
// The TorchScript fixture is README's "Analysing your own model" example, made by
// test/fixtures/make_my_ae.py from the README's own text; imported, moved elsewhere, ranked and explained
// with Grad-CAM through the module's encoder_activation / encode_from_activation methods; a tampered
// model.pt is refused. A module without those methods is explained with Grad-CAM skipped and said so.
// A .safetensors state dict is loaded into a latentlens ConvAE (weights equal to the file's), and one of
// another shape is refused naming every mismatched tensor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/spec.js';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { scope } from '../../src/engine/scope.js';
import { tensor } from '../../src/engine/tensor.js';
import { gradCam } from '../../src/explain/attribution/gradcam.js';
import { createModel } from '../../src/models/registry.js';
import { saveTensorMap, loadTensorMap } from '../../src/train/checkpoint.js';
import type { HealthRecord } from '../../src/train/health.js';
import { importModel } from '../../src/train/import.js';
import { resumeRun } from '../../src/train/resume.js';
import { openRun } from '../../src/train/run-folder.js';
import { assertClose } from '../helpers/close.js';

setNumThreads(1);

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-import-'));
after(() => rmSync(root, { recursive: true, force: true }));

const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
const ok = (...args: string[]) => {
  const r = latentlens(...args);
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;
/** The `result` of an analysis file (an envelope: src/runs/run-file.ts). */
const readResult = <T>(p: string) => readJson<{ result: T }>(p).result;
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Expected {
  readme_example_sha256: string;
  latent_shape: number[];
  latent: number[];
  gradcam_map1: number[];
  parameter_names: string[];
}
const expected = readJson<Expected>(fixture('my_ae.expected.json'));
/** The README section's python example, as make_my_ae.py reads it. */
function readmeExample(): string {
  const section = readFileSync(README, 'utf8').split('## Analysing your own model')[1];
  assert.ok(section, 'README has the section "Analysing your own model"');
  const m = /```python\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'the section has a python example');
  return m[1]!;
}
/** The data spec of the README's shell example (`latentlens import my_ae.pt --data <spec> ...`). */
function readmeSpec(): string {
  const m = /latentlens import my_ae\.pt --data (\S+) --out/.exec(readFileSync(README, 'utf8'));
  assert.ok(m, 'the README imports my_ae.pt');
  return m[1]!;
}

test('the TorchScript fixture is the README example as printed there', () => {
  const example = readmeExample();
  assert.equal(
    createHash('sha256').update(example, 'utf8').digest('hex'),
    expected.readme_example_sha256,
    "README.md's example changed: remake the fixture with /usr/bin/python3 test/fixtures/make_my_ae.py",
  );
  for (const m of ['def encode(', 'def decode(', 'def encoder_activation(', 'def encode_from_activation('])
    assert.ok(example.includes(m), m);
});

test('import a TorchScript autoencoder: self-contained run, health recorded, moved elsewhere it ranks and explains with Grad-CAM', () => {
  const spec = readmeSpec();
  const run = join(root, 'first', 'my-ae');
  const out = ok('import', fixture('my_ae.pt'), '--data', spec, '--out', run);
  assert.match(out, /imported torchscript \(torchscript, 4 maps of 8x8\)/);
  assert.match(out, /health: passed/);

  // The file is copied in, recorded relative to the run with its checksum; nothing was trained.
  assert.ok(readFileSync(join(run, 'model.pt')).equals(readFileSync(fixture('my_ae.pt'))));
  const config = readJson<{
    model: { kind: string; path: string; sha256: string; latentMaps: number; latentGrid: number[] };
    imported: { format: string; sha256: string; file: string };
    dataSpec: string;
    train?: unknown;
  }>(join(run, 'config.json'));
  assert.equal(config.model.kind, 'torchscript');
  assert.equal(config.model.path, 'model.pt');
  assert.equal(config.model.sha256, sha256(fixture('my_ae.pt')));
  assert.deepEqual(
    [config.imported.format, config.imported.file, config.imported.sha256],
    ['torchscript', 'model.pt', config.model.sha256],
  );
  assert.equal(config.dataSpec, spec);
  assert.equal(config.train, undefined);
  assert.ok(!existsSync(join(run, 'train.jsonl')) && !existsSync(join(run, 'model.safetensors')));

  // Reconstruction quality measured on the data by the health gate, as training records it.
  const health = readJson<HealthRecord>(join(run, 'health.json'));
  assert.equal(health.source, 'import');
  assert.equal(health.weights, 'model.pt');
  assert.equal(health.passed, true, health.reasons.join('; '));
  assert.ok(health.model.psnr >= health.baseline.psnr + health.marginDb, `PSNR ${health.model.psnr} vs baseline ${health.baseline.psnr}`);
  assert.equal(health.activeUnits.of, 4);

  // Self-contained: moved to another folder (the original path gone), every analysis still opens it.
  const moved = join(root, 'elsewhere', 'moved-run');
  mkdirSync(join(root, 'elsewhere'));
  renameSync(run, moved);
  rmSync(join(root, 'first'), { recursive: true, force: true });
  ok('rank', moved, '--trees', '30', '--bootstraps', '0', '--marginal-null', '0', '--no-conditional');
  assert.ok(existsSync(join(moved, 'rank.json')));
  const explained = ok('explain', moved, '--map', 'top', '--cases', '6', '--max-cases', '300');
  const top = readResult<{ ranking: number[] }>(join(moved, 'rank.json')).ranking[0]!;
  const exFile = readJson<{
    inputs: { health: { passed: boolean } };
    result: { encoder: { attributions: Record<string, unknown> }; conclusion: { notes: string[] } };
  }>(join(moved, 'explain', `map-${top}.json`));
  const ex = exFile.result;
  assert.ok(ex.encoder.attributions['grad-cam'], 'Grad-CAM ran through encoder_activation / encode_from_activation');
  assert.ok(ex.encoder.attributions['integrated-gradients']);
  assert.ok(!ex.conclusion.notes.some((n) => n.includes('grad-cam')), ex.conclusion.notes.join('\n'));
  assert.equal(exFile.inputs.health.passed, true);
  assert.doesNotMatch(explained, /skipped grad-cam/);

  // The opened model is PyTorch's: latents and Grad-CAM equal PyTorch's own values for a fixed input.
  const opened = openRun(moved);
  try {
    scope(() => {
      const x = tensor(
        Array.from({ length: 2 * 32 * 32 }, (_, i) => Math.sin(0.37 * i) * 0.5 + 0.5),
        [1, 2, 32, 32],
      );
      const z = opened.model.encode(x).z;
      assert.deepEqual(z.shape, expected.latent_shape);
      assertClose(z.toFloat32(), expected.latent, 1e-4, 1e-4, 'latent');
      const cam = gradCam(opened.model, x, { map: 1 });
      assert.equal(cam.layer, 'encoder_activation');
      assertClose(cam.cam.toFloat32(), expected.gradcam_map1, 1e-3, 1e-5, 'Grad-CAM');
    });
  } finally {
    opened.model.dispose();
  }

  // A replaced model.pt no longer matches the recorded checksum: refused before libtorch loads it.
  const tampered = join(root, 'tampered');
  cpSync(moved, tampered, { recursive: true });
  const bytes = readFileSync(join(tampered, 'model.pt'));
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(join(tampered, 'model.pt'), bytes);
  assert.throws(() => openRun(tampered), /model\.pt: SHA-256 [0-9a-f]{64} does not match the recorded [0-9a-f]{64}/);
  const refused = latentlens('rank', tampered, '--trees', '10', '--bootstraps', '0', '--marginal-null', '0', '--no-conditional');
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /SHA-256 .* does not match the recorded/);
});

test('a TorchScript module without the Grad-CAM methods is explained with Grad-CAM skipped and said so', async () => {
  const run = join(root, 'tiny');
  ok('import', fixture('tiny_ae.pt'), '--data', 'phantom:n=80,size=8,channels=A,B', '--out', run);
  assert.ok(existsSync(join(run, 'health.json')), 'health recorded even when the model fails it');
  const out = ok('explain', run, '--map', '1', '--cases', '4', '--max-cases', '80');
  const ex = readResult<{ encoder: { attributions: Record<string, unknown> }; conclusion: { notes: string[] } }>(
    join(run, 'explain', 'map-1.json'),
  );
  assert.equal(ex.encoder.attributions['grad-cam'], undefined);
  assert.ok(ex.encoder.attributions.gradient);
  const note = ex.conclusion.notes.find((n) => n.startsWith('skipped grad-cam'));
  assert.ok(note, ex.conclusion.notes.join('\n'));
  assert.match(note, /does not export encoder_activation and encode_from_activation/);
  assert.match(out, /skipped grad-cam/);
  // Asked for explicitly, it is skipped the same way (never a crash).
  ok('explain', run, '--map', '0', '--methods', 'gradient,grad-cam', '--cases', '4', '--max-cases', '80');
  assert.ok(
    readResult<{ conclusion: { notes: string[] } }>(join(run, 'explain', 'map-0.json')).conclusion.notes.some((n) =>
      n.startsWith('skipped grad-cam'),
    ),
  );
  await assert.rejects(resumeRun(run), /imported model .*nothing to resume/);
});

test("import a safetensors state dict into a ConvAE: the weights are the file's; other shapes are refused naming each tensor", async () => {
  const spec = 'phantom:n=64,size=28,channels=gray,seed=2';
  const data = await loadDataset(spec);
  const options = { latentMaps: 4, width: 4 };
  manualSeed(11);
  const source = createModel('conv-ae', { ...options, inputShape: [1, 28, 28] });
  const file = join(root, 'weights.safetensors');
  saveTensorMap(file, source.stateDict());
  source.dispose();

  const run = join(root, 'st-run');
  const r = importModel({ file, data, dataSpec: spec, out: run, model: 'conv-ae', modelOptions: options });
  assert.equal(r.format, 'safetensors');
  assert.equal(r.health.source, 'import');
  assert.equal(r.health.weights, 'model.safetensors');
  assert.deepEqual(readJson<HealthRecord>(join(run, 'health.json')).model, r.health.model);
  const config = readJson<{ imported: { format: string; sha256: string; from: string }; model: { kind: string; latentMaps: number } }>(
    join(run, 'config.json'),
  );
  assert.deepEqual([config.imported.format, config.imported.sha256, config.imported.from], ['safetensors', sha256(file), file]);
  assert.deepEqual([config.model.kind, config.model.latentMaps], ['conv-ae', 4]);
  const opened = openRun(run);
  try {
    scope(() => {
      const want = loadTensorMap(file).tensors;
      const got = opened.model.stateDict();
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
      for (const [name, t] of got) assert.deepEqual(t.toArray(), want.get(name)!.toArray(), `${name} equals the file's`);
    });
  } finally {
    opened.model.dispose();
  }

  // Six maps where the file has four: every differing tensor is named with both shapes; nothing is written.
  const bad = join(root, 'st-bad');
  const wider = createModel('conv-ae', { latentMaps: 6, width: 4, inputShape: [1, 28, 28] });
  const want = loadTensorMap(file).tensors;
  const differing = [...wider.stateDict()]
    .filter(([n, t]) => want.get(n)!.shape.join() !== t.shape.join())
    .map(([n, t]) => `${n}: expected [${t.shape.join(', ')}], got [${want.get(n)!.shape.join(', ')}]`);
  wider.dispose();
  assert.ok(differing.length >= 2, differing.join('\n'));
  assert.throws(
    () => importModel({ file, data, dataSpec: spec, out: bad, model: 'conv-ae', modelOptions: { latentMaps: 6, width: 4 } }),
    (err: Error) => {
      assert.match(err.message, new RegExp(`${differing.length} tensors differ`));
      for (const line of differing) assert.ok(err.message.includes(line), `${line}\n${err.message}`);
      return true;
    },
  );
  assert.ok(!existsSync(bad), 'nothing written for a refused import');

  // The CLI: the same import by flags, and the refusal on stderr.
  const viaCli = join(root, 'st-cli');
  assert.match(
    ok('import', file, '--model', 'conv-ae', '--model-opt', 'latentMaps=4', '--model-opt', 'width=4', '--data', spec, '--out', viaCli),
    /imported conv-ae \(safetensors, 4 maps of 7x7\)/,
  );
  assert.ok(readFileSync(join(viaCli, 'model.safetensors')).equals(readFileSync(join(run, 'model.safetensors'))));
  const refused = latentlens(
    'import',
    file,
    '--model',
    'conv-ae',
    '--model-opt',
    'latentMaps=6',
    '--model-opt',
    'width=4',
    '--data',
    spec,
    '--out',
    bad,
  );
  assert.notEqual(refused.status, 0);
  for (const line of differing) assert.ok(refused.stderr.includes(line), refused.stderr);
  // A state dict without its architecture, and a run folder that already holds a run, are refused.
  assert.throws(() => importModel({ file, data, out: join(root, 'st-none') }), /needs the latentlens architecture/);
  copyFileSync(file, join(root, 'again.safetensors'));
  assert.throws(
    () => importModel({ file: join(root, 'again.safetensors'), data, out: run, model: 'conv-ae', modelOptions: options }),
    /already holds a run/,
  );
});
