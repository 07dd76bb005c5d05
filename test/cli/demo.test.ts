// The demo pipeline end to end on a reduced setting: every stage leaves its documented file behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { alwaysVisible, runDemo } from '../../src/cli/demo.js';
import { loadDataset } from '../../src/data/index.js';

test('latentlens demo (reduced) trains two models and writes every analysis', async () => {
  const out = mkdtempSync(join(tmpdir(), 'll-demo-'));
  const lines: string[] = [];
  const { runs, health } = await runDemo(
    {
      data: 'phantom:n=400,size=32,channels=T1,FLAIR,lesion=FLAIR,distractor=T1,organScale=1,lesionIntensity=0.5:0.9',
      out,
      seed: 0,
      quick: true,
    },
    (l) => lines.push(l),
  );
  for (const dir of Object.values(runs)) {
    for (const f of ['config.json', 'model.safetensors', 'train.jsonl', 'rank.json']) assert.ok(existsSync(join(dir, f)), `${dir}/${f}`);
    for (const f of ['rank-importance.svg', 'rank-pvalues.svg', 'rank-stability.svg']) {
      const svg = readFileSync(join(dir, 'figures', f), 'utf8');
      assert.ok(
        svg.startsWith('<?xml') && svg.includes('<svg xmlns="http://www.w3.org/2000/svg"') && (svg.match(/\bclass="/g) ?? []).length > 0,
        `${f} is a standalone SVG`,
      );
      assert.ok(!/<svg[^>]*\sclass="[^"]*"[^>]*\sclass="/.test(svg), `${f}: one class attribute on the root`);
    }
    const explained = readdirSync(join(dir, 'explain'));
    assert.ok(explained.length >= 1 && explained.every((f) => /^map-\d+\.json$/.test(f)));
    const file = JSON.parse(readFileSync(join(dir, 'explain', explained[0]!), 'utf8')) as {
      format: string;
      result: { figures: string[]; map: number; conclusion: { notes: string[] } };
    };
    assert.equal(file.format, 'latentlens-explain');
    const r = file.result;
    // The explanation opens with what rank.json says of the map: significant or not, with its q-values.
    const rank = JSON.parse(readFileSync(join(dir, 'rank.json'), 'utf8')) as {
      result: { groups: { marginal: { significant: boolean }; conditional: { significant: boolean } | null }[] };
    };
    const g = rank.result.groups[r.map]!;
    const which = [g.marginal.significant ? 'marginally' : '', g.conditional?.significant ? 'conditionally' : '']
      .filter(Boolean)
      .join(' and ');
    assert.match(
      r.conclusion.notes[0]!,
      new RegExp(`^rank\\.json: map ${r.map} is ${which ? `significant ${which}` : 'not significant'}[^(]* \\(marginal q`),
    );
    assert.ok(r.figures.every((f) => existsSync(join(dir, f))));
    for (const f of ['tcav.json', 'embed-umap.json', 'embed-pca.json', 'metrics.json', 'report.html'])
      assert.ok(existsSync(join(dir, f)), `${dir}/${f} written`);
  }
  assert.ok(lines.some((l) => l.startsWith('explore: latentlens serve')));
  // Each model's health is the first thing said about it after training; a failed one says so again
  // before its report, and its report carries the banner.
  for (const [key, name] of [
    ['convAe', 'ConvAE'],
    ['betaVae', 'beta-VAE'],
  ] as const) {
    const h = health[key]!;
    assert.ok(h && existsSync(join(runs[key]!, 'health.json')), `${name}: health.json`);
    const trainLine = lines.findIndex((l) => l.includes(`train ${name}:`));
    const about = lines.slice(trainLine + 1).find((l) => l.includes(name));
    assert.match(
      about!,
      h.passed ? new RegExp(`${name} health: passed`) : new RegExp(`${name} FAILED the health check; .*WARNING: this model`),
    );
    const report = readFileSync(join(runs[key]!, 'report.html'), 'utf8');
    assert.equal(report.includes('This model failed the health check'), !h.passed, `${name}: banner iff failed`);
    if (!h.passed)
      assert.ok(lines.some((l) => l.startsWith(`${name} FAILED`) && lines.indexOf(l) > lines.findIndex((x) => x.includes(' done.'))));
  }
});

test('the demo scores disentanglement on phantoms that always show both objects', async () => {
  assert.equal(alwaysVisible('phantom:n=400,size=32'), 'phantom:n=400,size=32,lesionRate=1,distractorRate=1');
  assert.equal(alwaysVisible('phantom:'), 'phantom:lesionRate=1,distractorRate=1');
  assert.equal(alwaysVisible('phantom:n=40,lesionRate=0.7'), 'phantom:n=40,lesionRate=0.7,distractorRate=1');
  const ds = await loadDataset(alwaysVisible('phantom:n=50,size=16'));
  assert.ok(Array.from(ds.labels!).every((l) => l === 1));
});
