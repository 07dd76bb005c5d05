// --target end to end on a tiny run over a CSV image folder with 5 ordinal grades (30, 25, 20, 15, 10
// cases) and an extra column: rank, TCAV, embed and explain record the target in their JSON and print
// it, rank prints each AUC with its direction, and the report shows it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { demoStages } from '../../src/cli/demo.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'target-cli-'));
const folder = join(root, 'images');
const run = join(root, 'run');
const data = `folder:${folder}?csv=labels.csv`;
const COUNTS = [30, 25, 20, 15, 10];
const DESCRIPTION = 'label>=2 (positive: labels 2-4, 45 cases; reference: labels 0-1, 55 cases)'; // folder data: labels, not grades

const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
const ok = (...args: string[]) => {
  const r = latentlens(...args);
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const json = (f: string) => JSON.parse(readFileSync(join(run, f), 'utf8'));
/** An analysis file's target (its inputs) and result, as one object for the assertions. */
const analysis = (f: string) => {
  const e = json(f);
  return { ...e.result, target: e.inputs.target, concepts: e.inputs.concepts, result: e.result };
};

before(async () => {
  mkdirSync(folder);
  const rows = ['path,label,site'];
  let i = 0;
  for (const [grade, n] of COUNTS.entries()) {
    for (let k = 0; k < n; k++, i++) {
      // A disc whose brightness rises with the grade, on a noisy background.
      const buf = Buffer.alloc(32 * 32);
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const inside = (x - 16) ** 2 + (y - 16) ** 2 < 64;
          buf[y * 32 + x] = Math.min(255, 30 + ((i * 37 + x * 11 + y * 7) % 40) + (inside ? 40 * grade : 0));
        }
      await sharp(buf, { raw: { width: 32, height: 32, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(join(folder, `c${i}.png`));
      rows.push(`c${i}.png,${grade},${i % 4 === 0 ? 'B' : 'A'}`);
    }
  }
  writeFileSync(join(folder, 'labels.csv'), rows.join('\n') + '\n');
  ok(
    'train',
    '--data',
    data,
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

const RANK = ['--trees', '20', '--bootstraps', '0', '--folds', '3', '--repeats', '2', '--no-conditional'];

test('rank --target ordinal keeps the 5 grades (accuracy as the metric); a bad target fails naming it', () => {
  const out = ok('rank', run, '--target', 'ordinal', ...RANK);
  assert.match(out, /target: ordinal \(5 ordered classes: 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 cases/);
  assert.match(out, /\(macro one-vs-rest\)/);
  const r = analysis('rank.json');
  assert.equal(r.target.kind, 'ordinal');
  assert.deepEqual(r.classes, [0, 1, 2, 3, 4]);
  assert.equal(r.metric, 'accuracy');
  const bad = latentlens('rank', run, '--target', 'label>=9', ...RANK);
  assert.notEqual(bad.status, 0);
  assert.match(
    bad.stderr,
    /target 'label>=9' leaves the positive class empty: label>=9 has 0 cases, label<9 has 100 \(labels 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 \(100 cases\)\)/,
  );
  const col = latentlens('rank', run, '--target', 'hospital', ...RANK);
  assert.match(col.stderr, /target 'hospital': no column 'hospital' \(columns: site\)/);
});

test('rank --target label>=2 records the target in rank.json and prints it, AUCs with their direction', () => {
  const out = ok('rank', run, '--target', 'label>=2', ...RANK);
  assert.ok(out.includes(`target: ${DESCRIPTION}`), out);
  assert.match(out, /\| \d\.\d{3} \((higher|lower) in positive: label>=2\)/);
  const r = analysis('rank.json');
  assert.equal(r.target.expression, 'label>=2');
  assert.equal(r.target.positive, 'label>=2');
  assert.equal(r.target.reference, 'label<2');
  assert.deepEqual(r.target.classes, [
    { name: 'label<2', cases: 55 },
    { name: 'label>=2', cases: 45 },
  ]);
  assert.equal(r.target.description, DESCRIPTION);
  assert.deepEqual(r.classes, [0, 1]);
  assert.deepEqual(r.classCounts ?? [55, 45], [55, 45]);
  assert.equal(r.metric, 'auc');
});

test('tcav --target label>=2: label:>=3 selects the 25 grade 3-4 cases, label:>=2 is circular, column:site==B the 25 site-B cases, a 0-case concept errors with the counts', () => {
  const out = ok(
    'tcav',
    run,
    '--target',
    'label>=2',
    '--concept',
    'label:>=3#severe',
    'label:>=2#target',
    'label:in 0,1#mild',
    'column:site==B#siteB',
    '--runs',
    '2',
    '--random-concepts',
    '3',
    '--head',
    'logistic',
    '--set-size',
    '10',
  );
  assert.ok(out.includes(`target: ${DESCRIPTION}`), out);
  const t = analysis('tcav.json');
  assert.equal(t.target.expression, 'label>=2');
  assert.deepEqual(
    t.concepts.map((c: { cases: number }) => c.cases),
    [25, 45, 55, 25],
  );
  assert.equal(t.result.targetClass, 1);
  const [severe, target, mild, site] = t.result.concepts as { circular: boolean; reason: string }[];
  assert.equal(site!.circular, false);
  assert.equal(severe!.circular, false);
  assert.equal(target!.circular, true);
  assert.match(target!.reason, /selects the cases labelled label>=2, the class whose logit is tested/);
  assert.equal(mild!.circular, true); // the complement of a two-class target
  const zero = latentlens('tcav', run, '--target', 'label>=2', '--concept', 'label:>=7', '--runs', '2', '--head', 'logistic');
  assert.notEqual(zero.status, 0);
  assert.match(
    zero.stderr,
    /concept 'label:>=7' selects 0 case\(s\); a CAV needs at least 2\. The cases' labels 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 \(100 cases\)/,
  );
});

test('embed --target one-vs-rest:3 and explain --target label>=2 record the target', () => {
  const out = ok('embed', run, '--method', 'pca', '--target', 'one-vs-rest:3');
  assert.match(out, /target: one-vs-rest:3 \(positive: label 3, 15 cases; reference: labels 0-2, 4, 85 cases\)/);
  const e = analysis('embed-pca.json');
  assert.equal(e.target.positive, 'label==3');
  assert.equal(e.target.positiveCases, 15);
  const x = ok('explain', run, '--map', '0', '--target', 'label>=2', '--methods', 'gradient', '--cases', '4', '--max-cases', '100');
  assert.ok(x.includes(`target: ${DESCRIPTION}`), x);
  const m = analysis('explain/map-0.json');
  assert.equal(m.target.expression, 'label>=2');
});

test('the report shows the target in the ranking, TCAV, embedding and explained-map sections', () => {
  ok('report', run, '--no-images');
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  const shown = DESCRIPTION.replace(/>/g, '&gt;').replace(/</g, '&lt;');
  const count = html.split(`<strong>Target:</strong> ${shown}`).length - 1;
  assert.ok(count >= 3, `target shown ${count} times`); // ranking, explained map, TCAV
  assert.match(html, /coloured by the target one-vs-rest:3/);
  assert.match(html, /\d\.\d{3} \((higher|lower) in positive: label&gt;=2\)/);
});

test('demo --target passes the target to rank, TCAV and embed', () => {
  const { analyse } = demoStages({ data: data, out: root, seed: 0, quick: true, target: 'label>=2' });
  for (const s of analyse(run, true)) assert.deepEqual(s.command.slice(2, 4), ['--target', 'label>=2'], s.name);
  assert.ok(
    demoStages({ data, out: root, seed: 0, quick: true })
      .analyse(run, true)
      .every((s) => !s.command.includes('--target')),
  );
});
