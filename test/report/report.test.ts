// The report from run folders written from documented shapes (every analysis present, or none), and
// from a tiny trained run through the CLI: sections, inlined images, SVG charts, no URLs, escaping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { buildReport, writeReport } from '../../src/report/index.js';
import { registerTrain } from '../../src/cli/train.js';
import { registerReport } from '../../src/cli/report.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { EVIL, tinyPng, writeRunFolder } from './fixture.js';

setNumThreads(1); // test files run in parallel processes

const SECTIONS = [
  'Data',
  'Training',
  'Reconstructions',
  'Map ranking',
  'Explained maps',
  'TCAV: concepts in latent space',
  'Embeddings of the latent space',
  'Disentanglement metrics',
  'Methods and caveats',
];
const SPEC = 'phantom:n=64,size=16,channels=T1,FLAIR,lesion=FLAIR,seed=1';
const TRAIN_SPEC = 'phantom:n=64,size=28,channels=T1,FLAIR,lesion=FLAIR,seed=1'; // the registry's models take 28 pixels and up

function checkCommon(html: string): void {
  for (const s of SECTIONS) assert.ok(html.includes(`<h2>${s.replace(/&/g, '&amp;')}</h2>`), `section "${s}"`);
  assert.ok(/<svg[^>]*class="chart"/.test(html), 'an inline SVG chart');
  assert.doesNotMatch(html, /https?:\/\//, 'no URL of any kind');
  assert.doesNotMatch(html, /<script|<link|<iframe|src="(?!data:image\/png;base64,)/i, 'no scripts, links or non-data sources');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
}

test('report: every analysis present, text escaped, figures inlined, paths outside the run refused', async () => {
  const base = mkdtempSync(join(tmpdir(), 'latentlens-report-'));
  const dir = join(base, 'run');
  try {
    mkdirSync(dir);
    await writeRunFolder(dir, { analyses: true, dataSpec: SPEC });
    const outside = await tinyPng(12, 34, 56);
    writeFileSync(join(base, 'outside.png'), outside);
    const html = await buildReport(dir, { reconstructions: 2, samplesPerClass: 2 });
    checkCommon(html);
    assert.ok(!html.includes(EVIL), 'the markup channel name never appears raw');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'it appears escaped');
    assert.ok(!html.includes('<b>bold</b>'));
    assert.ok(!html.includes(outside.toString('base64')), 'a figure path leaving the run folder is not read');
    for (const png of ['gradient-case0-T1.png', 'traversal-T1.png', 'activation-max.png']) {
      const b64 = readFileSync(join(dir, 'figures', 'map-1', png)).toString('base64');
      assert.ok(html.includes(`data:image/png;base64,${b64}`), `${png} inlined`);
    }
    assert.match(html, /<td>2 epochs, batch 16, /, 'the training row of the fixture (epochs, no --steps)');
    assert.match(html, /id="map-1"/);
    assert.match(html, /Rank 1; marginal Brier importance 0\.0040/);
    assert.match(html, /p vs shuffled channels/);
    assert.match(html, /IG completeness/);
    assert.match(html, /Sample cases/, 'samples rendered from the data spec');
    assert.match(html, /Reconstructions not shown/, 'no weights: said, not thrown');
    assert.match(html, /MIG/);
    assert.match(html, /PCA \(no PNG found; from the JSON\)/, 'embedding plotted from its JSON when the PNG is absent');
    assert.doesNotMatch(html, /Not computed:<\/strong> (TCAV|disentanglement|map ranking|explanations)/);
    assert.match(html, /Not computed: <code>latentlens embed [^<]* --method tsne<\/code>/, 'missing embedding methods are named');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('report: missing analyses say "not computed" with the command; a broken file is reported, not thrown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-report-empty-'));
  try {
    await writeRunFolder(dir, { analyses: false });
    writeFileSync(join(dir, 'metrics.json'), '{"truncated": ');
    const html = await buildReport(dir);
    checkCommon(html);
    for (const cmd of ['latentlens rank', 'latentlens explain', 'latentlens tcav', 'latentlens embed']) {
      assert.ok(html.includes(`Not computed:</strong>`) && html.includes(`<code>${cmd} ${dir}`), `"${cmd}" suggested`);
    }
    assert.match(html, /Could not read metrics\.json/);
    assert.match(html, /Sample images not shown: config\.json records no dataSpec/);
    assert.match(html, /2 epochs, 8 steps/, 'a half-written last log line is skipped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report CLI on a tiny trained run: reconstructions from the weights, report.html written atomically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-report-run-'));
  const log = console.log;
  const printed: string[] = [];
  try {
    const program = new Command().exitOverride();
    registerTrain(program);
    registerReport(program);
    console.log = () => {};
    await program.parseAsync([
      'node',
      'latentlens',
      'train',
      '--data',
      TRAIN_SPEC,
      '--model',
      'conv-ae',
      '--latent-maps',
      '4',
      '--width',
      '4',
      '--steps',
      '4',
      '--batch-size',
      '16',
      '--no-progress',
      '--out',
      dir,
    ]);
    console.log = (...a: unknown[]) => {
      printed.push(a.join(' '));
    };
    await program.parseAsync(['node', 'latentlens', 'report', dir, '--reconstructions', '3']);
    console.log = log;
    const out = join(dir, 'report.html');
    assert.deepEqual(printed, [out]);
    const html = readFileSync(out, 'utf8');
    checkCommon(html);
    assert.doesNotMatch(html, /Reconstructions not shown/);
    const recon = html.slice(html.indexOf('id="reconstructions"'), html.indexOf('id="ranking"'));
    assert.equal((recon.match(/data:image\/png;base64,/g) ?? []).length, 2, 'one reconstruction strip per channel');
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary file left');
    assert.equal(await writeReport(dir, { images: false }), out);
    assert.match(readFileSync(out, 'utf8'), /image rendering was turned off/);
  } finally {
    console.log = log;
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
});
