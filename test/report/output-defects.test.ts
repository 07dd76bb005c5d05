// Report and figure defects of issue 16 that are checkable without a browser: an all-zero importance
// chart said in words, the rule that chooses the figure cases, ground-truth outlines on overlays, a
// sequential palette for ordered labels, robust scatter limits, strips that keep frames apart.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { figureCasePositions, figureCaseRule, OUTLINE_COLOURS, overlayPng, stripPng } from '../../src/explain/figures.js';
import { buildReport } from '../../src/report/index.js';
import { allZero } from '../../src/util/charts.js';
import { classColours, rasterizeScatter, robustLimits, viridis } from '../../src/embed/scatter.js';
import { orderedLabels } from '../../src/runs/embed-run.js';
import { explainFile, rankFile, writeRunFolder } from './fixture.js';

const hex = (rgb: [number, number, number]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

test('figure cases: evenly spaced ranks of the activation, lowest to highest, with the rule in words', () => {
  const act = [5, 1, 4, 2, 3, 0, 6, 7];
  // Sorted: positions 5 (0), 1, 3, 4, 2, 0, 6, 7 (7); ranks 0, 2, 5, 7 of 8.
  assert.deepEqual(figureCasePositions(act, 4), [5, 3, 0, 7]);
  assert.deepEqual(figureCasePositions(act, 2), [5, 7], 'the lowest and the highest');
  assert.deepEqual(figureCasePositions([3, 1, 2], 4), [1, 2, 0], 'fewer cases than figures: all, by activation');
  assert.deepEqual(figureCasePositions([], 4), []);
  assert.deepEqual(figureCasePositions([1, 1, 1, 1, 1], 3), [0, 2, 4], 'ties in case order');
  assert.match(
    figureCaseRule(6, 4, 32),
    /4 of the 32 explained cases at evenly spaced ranks of map 6's mean activation, lowest to highest/,
  );
  assert.match(figureCaseRule(6, 3, 3), /every explained case \(3\)/);
});

test('report: an all-zero importance chart is said in words; the figure-case rule and the outlines are stated', async () => {
  const base = mkdtempSync(join(tmpdir(), 'latentlens-defects-'));
  const dir = join(base, 'run');
  try {
    mkdirSync(dir);
    await writeRunFolder(dir, { analyses: true });
    const zero = { mean: 0, std: 0, ciLow: 0, ciHigh: 0, t: 0, pValue: 1, qValue: 1, significant: false, nCases: 64, nChanged: 0 };
    const rank = rankFile();
    for (const g of rank.result.groups) {
      g.marginal = { ...zero };
      g.conditional = { ...zero };
    }
    writeFileSync(join(dir, 'rank.json'), JSON.stringify(rank));
    const base1 = explainFile();
    const ex = {
      ...base1,
      result: {
        ...base1.result,
        figureCases: { cases: [2, 0], activation: [0.1, 0.9], chosen: 'spread' as const, rule: figureCaseRule(1, 2, 2) },
        figureOutlines: [{ mask: 'lesion', colour: 'green' }],
      },
    };
    writeFileSync(join(dir, 'explain', 'map-1.json'), JSON.stringify(ex));
    const html = await buildReport(dir, { images: false });
    const ranking = html.slice(html.indexOf('<section id="ranking">'), html.indexOf('</section>', html.indexOf('<section id="ranking">')));
    assert.match(ranking, /No importance chart: every map's Brier importance is exactly 0/);
    assert.doesNotMatch(ranking, /<svg/, 'no empty axis');
    assert.match(
      html,
      /Cases shown: 2 \(activation 0\.100\), 0 \(activation 0\.900\): every explained case \(2\), in increasing mean activation of map 1/,
    );
    assert.match(html, /Ground truth outlined: lesion in green/);
    assert.match(html, /<img[^>]*class="framed"/, 'activation maximisation and traversals framed');

    // A file written before the rule says what it shows.
    writeFileSync(join(dir, 'explain', 'map-1.json'), JSON.stringify(explainFile()));
    assert.match(
      await buildReport(dir, { images: false }),
      /Cases shown: the first explained cases \(this file predates the case-choice rule/,
    );
    writeFileSync(join(dir, 'rank.json'), JSON.stringify(rankFile()));
    assert.doesNotMatch(await buildReport(dir, { images: false }), /No importance chart/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  assert.ok(allZero([{ value: 0, lo: 0, hi: 0 }]) && !allZero([{ value: 0, lo: -1e-9, hi: 0 }]));
});

test('overlays outline each ground-truth mask in its colour; strips keep a gap between frames', async () => {
  const h = 8,
    w = 8;
  const gray = new Float32Array(h * w).fill(0.5),
    heat = new Float32Array(h * w);
  const mask = new Uint8Array(h * w);
  for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask[y * w + x] = 1;
  const green = OUTLINE_COLOURS[0]!.rgb;
  const pixels = async (png: Buffer) => sharp(png).raw().toBuffer({ resolveWithObject: true });
  const at = (r: { data: Buffer; info: { width: number } }, x: number, y: number) =>
    Array.from(r.data.subarray((y * r.info.width + x) * 3, (y * r.info.width + x) * 3 + 3));
  const plain = await pixels(await overlayPng(gray, heat, h, w, { scale: 4 }));
  const outlined = await pixels(await overlayPng(gray, heat, h, w, { scale: 4, outlines: [{ mask, rgb: green }] }));
  assert.deepEqual(at(outlined, 8, 12), green, 'the edge of the region');
  assert.deepEqual(at(outlined, 9, 12), green, 'two pixels thick at scale 4');
  assert.deepEqual(at(outlined, 14, 14), at(plain, 14, 14), 'inside untouched');
  assert.deepEqual(at(outlined, 2, 2), at(plain, 2, 2), 'outside untouched');
  assert.ok(!plain.data.some((_, i) => i % 3 === 1 && plain.data[i] === 200 && plain.data[i - 1] === 0), 'no outline without a mask');

  const white = new Float32Array(h * w).fill(1);
  const strip = await sharp(await stripPng([white, white, white], h, w, 2))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(strip.info.width, 3 * 16 + 2 * 2);
  assert.deepEqual(
    [strip.data[15], strip.data[16], strip.data[17], strip.data[18]],
    [255, 128, 128, 255],
    'a 2-pixel mid-gray gap after the first frame',
  );
});

test('ordered labels get a sequential palette, unordered ones tab10', () => {
  assert.equal(orderedLabels({ task: 'binary' }, ['no lesion', 'lesion']), false);
  assert.equal(orderedLabels({ task: 'ordinal' }, ['0', '1', '2', '3', '4']), true);
  assert.equal(orderedLabels({ task: 'multiclass' }, ['0', '1', '2']), true, 'more than two numeric classes');
  assert.equal(orderedLabels({ task: 'multiclass' }, ['cat', 'dog', 'cow']), false);
  assert.equal(orderedLabels({ task: 'multiclass' }, ['a', 'b', 'c'], { kind: 'ordinal' }), true, 'an ordinal target');
  assert.equal(
    orderedLabels({ task: 'ordinal' }, ['grades 0-1', 'grades 2-4'], { kind: 'binary' }),
    false,
    'a binary target is two groups',
  );
  const seq = classColours([0, 2, 4], true, 5);
  assert.equal(seq(0), hex(viridis(0)));
  assert.equal(seq(4), hex(viridis(1)));
  assert.equal(seq(2), hex(viridis(0.5)));
  assert.equal(classColours([0, 1], false)(1), '#ff7f0e');
});

test('scatter limits are robust to one outlier; it is drawn at the edge', () => {
  const n = 200;
  const coords = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    coords[2 * i] = (i % 20) / 20;
    coords[2 * i + 1] = Math.floor(i / 20) / 10;
  }
  coords[0] = 1000; // one far outlier
  const [lo, hi] = robustLimits(Array.from({ length: n }, (_, i) => coords[2 * i]!));
  assert.ok(lo >= 0 && hi < 1.1, `${lo} ${hi}`);
  assert.deepEqual(robustLimits([0, 1, 2, 3]), [0, 3], 'no outlier: the data range');
  // The bulk of the points spans most of the plot, not a corner of it.
  const { rgba, width, height } = rasterizeScatter(coords, { width: 400, height: 400, alpha: 1 });
  let minX = width,
    maxX = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (rgba[4 * (y * width + x)]! < 200) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
      }
  assert.ok(maxX - minX > 150, `points span ${maxX - minX} px`);
});
