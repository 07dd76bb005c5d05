// `data inspect --sheet` on RGB image folders: the contact sheet is an RGB PNG with a colour composite
// row per class (true colours: red stays red, nothing channel-swapped or clipped) above the gray
// per-channel rows; gray folders keep a sheet without one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { registerDataCommands } from '../../src/cli/data-inspect.js';
import { contactSheet, loadDataset } from '../../src/data/index.js';
import { pngHeader } from '../../src/util/png.js';
import { needSharedData, sharedData } from '../helpers/shared-data.js';

const S = 8;

/** An S x S image: left half `left`, right half `right` (RGB bytes). */
async function halves(file: string, left: number[], right: number[], format: 'png' | 'jpeg' = 'png'): Promise<void> {
  const px = Buffer.alloc(S * S * 3);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) px.set(x < S / 2 ? left : right, (y * S + x) * 3);
  const img = sharp(px, { raw: { width: S, height: S, channels: 3 } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 100, chromaSubsampling: '4:4:4' })).toFile(file);
}

async function pixels(png: Buffer): Promise<(x: number, y: number) => number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
}

test('data inspect --sheet on an RGB folder writes a colour composite row per class above the channels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-inspect-rgb-'));
  try {
    mkdirSync(join(dir, 'imgs', 'red-blue'), { recursive: true });
    mkdirSync(join(dir, 'imgs', 'green-gray'), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await halves(join(dir, 'imgs', 'red-blue', `${i}.png`), [255, 0, 0], [0, 0, 255]);
      await halves(
        join(dir, 'imgs', 'green-gray', `${i}.${i === 2 ? 'jpg' : 'png'}`),
        [0, 255, 0],
        [128, 128, 128],
        i === 2 ? 'jpeg' : 'png',
      );
    }
    const sheet = join(dir, 'sheet.png');
    const program = new Command().exitOverride();
    registerDataCommands(program);
    const log = console.log;
    const printed: string[] = [];
    console.log = (...a: unknown[]) => {
      printed.push(a.join(' '));
    };
    try {
      await program.parseAsync([
        'node',
        'latentlens',
        'data',
        'inspect',
        `folder:${join(dir, 'imgs')}`,
        '--sheet',
        sheet,
        '--per-class',
        '3',
      ]);
    } finally {
      console.log = log;
    }
    assert.match(printed.join('\n'), /channels {2}R, G, B/);
    const png = await sharp(sheet).toBuffer();
    const head = pngHeader(png);
    assert.ok(head.colourType === 2 || head.colourType === 6, `colour PNG (type ${head.colourType})`);
    // 2 classes x (composite + 3 channels) rows of 8 px and 2 px gaps; 150 px margin and 3 columns of 10 px.
    assert.deepEqual([head.width, head.height], [150 + 3 * 10, 8 * 10 + 2]);
    const at = await pixels(png);
    const row = (r: number) => 2 + r * 10; // top of row r
    // Classes in folder order: green-gray first, red-blue second.
    const close = (got: number[], want: number[], what: string) =>
      assert.ok(
        got.every((v, k) => Math.abs(v - want[k]!) <= 3),
        `${what}: ${got} vs ${want}`,
      );
    for (let col = 0; col < 3; col++) {
      const x = 150 + col * 10;
      close(at(x + 1, row(0) + 3), [0, 255, 0], `green-gray composite, left, case ${col}`);
      close(at(x + 6, row(0) + 3), [128, 128, 128], `green-gray composite, right (mid-gray, not stretched), case ${col}`);
      close(at(x + 1, row(4) + 3), [255, 0, 0], `red-blue composite, left, case ${col}`);
      close(at(x + 6, row(4) + 3), [0, 0, 255], `red-blue composite, right, case ${col}`);
      // Channel rows are gray: R of the red-blue class is bright on the left, dark on the right.
      const r = at(x + 1, row(5) + 3);
      assert.ok(r[0] === r[1] && r[1] === r[2] && r[0]! > 200, `R row gray and bright: ${r}`);
      const b = at(x + 1, row(7) + 3);
      assert.ok(b[0] === b[1] && b[1] === b[2] && b[0]! < 50, `B row gray and dark on the left: ${b}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a gray folder's sheet has no composite row", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-inspect-gray-'));
  try {
    for (let i = 0; i < 2; i++)
      await sharp(Buffer.alloc(S * S, i * 100), { raw: { width: S, height: S, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(join(dir, `${i}.png`));
    const ds = await loadDataset(`folder:${dir}`);
    assert.deepEqual(ds.channelNames, ['gray']);
    const head = pngHeader(await contactSheet(ds, { perClass: 2 }));
    assert.equal(head.height, 10 + 2, 'one row: the gray channel');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "ISIC dermoscopy folder: the sheet's composite rows are the JPEGs' colours",
  { skip: needSharedData('isic_uda1_300x225/labels.csv') },
  async () => {
    const ds = await loadDataset(`folder:${sharedData('isic_uda1_300x225')}?csv=labels.csv&label=benign_malignant&size=32`);
    const png = await contactSheet(ds, { perClass: 2 });
    const at = await pixels(png);
    // The first benign case, composite tile centre, against the channels' own values at that pixel.
    const i = ds.labels!.indexOf(0),
      hw = 32 * 32,
      p = 16 * 32 + 16;
    const want = [0, 1, 2].map((c) => Math.round(255 * ds.images[(i * 3 + c) * hw + p]!));
    const got = at(150 + 16, 2 + 16);
    assert.ok(
      got.every((v, k) => Math.abs(v - want[k]!) <= 2),
      `${got} vs ${want}`,
    );
    assert.ok(want[0]! > want[2]!, 'skin: more red than blue');
  },
);
