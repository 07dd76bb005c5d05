// The report of a tiny run on an RGB image folder: the sample cases, the reconstructions (input above
// reconstruction) and exemplar strips each carry a colour composite (an RGB PNG, colour type 2) beside
// the gray per-channel images, with red shown as red.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { registerTrain } from '../../src/cli/train.js';
import { loadDataset } from '../../src/data/index.js';
import { casesPng } from '../../src/report/case-images.js';
import { buildReport } from '../../src/report/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { pngHeader } from '../../src/util/png.js';

setNumThreads(1);

const S = 28;

const images = (html: string) => [...html.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)].map((m) => Buffer.from(m[1]!, 'base64'));

test('report of a tiny RGB run: colour composites in sample cases, reconstructions and exemplars', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-rgb-report-'));
  const log = console.log;
  try {
    // Two classes: a red square on black, a blue square on black.
    for (const [cls, rgb] of [
      ['red', [255, 0, 0]],
      ['blue', [0, 0, 255]],
    ] as const) {
      mkdirSync(join(dir, 'imgs', cls), { recursive: true });
      for (let i = 0; i < 8; i++) {
        const px = Buffer.alloc(S * S * 3);
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++) if (x >= 4 && x < 24 && y >= 4 + (i % 3) && y < 24) px.set(rgb, (y * S + x) * 3);
        await sharp(px, { raw: { width: S, height: S, channels: 3 } })
          .png()
          .toFile(join(dir, 'imgs', cls, `${i}.png`));
      }
    }
    const spec = `folder:${join(dir, 'imgs')}`;
    const program = new Command().exitOverride();
    registerTrain(program);
    console.log = () => {};
    await program.parseAsync([
      'node',
      'latentlens',
      'train',
      '--data',
      spec,
      '--model',
      'conv-ae',
      '--latent-maps',
      '4',
      '--width',
      '4',
      '--steps',
      '2',
      '--batch-size',
      '8',
      '--no-progress',
      '--out',
      join(dir, 'run'),
    ]);
    console.log = log;
    const html = await buildReport(join(dir, 'run'), { reconstructions: 2, samplesPerClass: 2 });

    const data = html.slice(html.indexOf('id="data"'), html.indexOf('id="training"'));
    assert.match(
      data,
      /The top row is the colour composite of the R, G and B channels \(their values 0\.\.1 as they are: the true colours\)/,
    );
    const samples = images(data);
    assert.equal(samples.length, 2, 'one sample PNG per class');
    for (const png of samples) assert.equal(pngHeader(png).colourType, 2, 'sample cases: an RGB PNG');
    // Classes in folder order: blue, then red; the composite row's first tile centre has the class colour, the R row below is gray.
    const blue = await sharp(samples[0]!).raw().toBuffer({ resolveWithObject: true });
    const red = await sharp(samples[1]!).raw().toBuffer({ resolveWithObject: true });
    const px = (b: typeof red, x: number, y: number) => [...b.data.subarray((y * b.info.width + x) * 3, (y * b.info.width + x) * 3 + 3)];
    const scale = Math.round(64 / S),
      centre = Math.round(14 * scale);
    assert.deepEqual(px(red, centre, centre), [255, 0, 0], 'red stays red');
    assert.deepEqual(px(blue, centre, centre), [0, 0, 255], 'blue stays blue: no channel swap');
    const rRow = px(red, centre, S * scale + 2 + centre);
    assert.ok(rRow[0] === rRow[1] && rRow[1] === rRow[2], `the R row is gray: ${rRow}`);

    const recon = html.slice(html.indexOf('id="reconstructions"'), html.indexOf('id="ranking"'));
    const strips = images(recon);
    assert.equal(strips.length, 4, 'the composite and one strip per channel');
    assert.deepEqual(
      strips.map((p) => pngHeader(p).colourType),
      [2, 0, 0, 0],
      'composite in colour, channels gray',
    );
    assert.match(recon, /<figcaption>RGB composite<\/figcaption>/);
    assert.match(recon, /<code>R<\/code>.*<code>G<\/code>.*<code>B<\/code>/s);

    // Exemplar strips (the map cards' highest/lowest cases) come from casesPng.
    const ds = await loadDataset(spec);
    const ex = Buffer.from(await casesPng(ds, [0, 9]));
    assert.equal(pngHeader(ex).colourType, 2);
    assert.equal(pngHeader(ex).height, 4 * S * scale + 3 * 2, 'composite row and three channel rows');
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
});
