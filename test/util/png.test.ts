// The shared PNG writers (gray colour type 0, RGB colour type 2) round-trip their pixels, read back
// both with sharp and by inflating the IDAT data with node:zlib and undoing the PNG row filters; which
// channels make a colour composite and its window; the explorer's strip with the composite first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { channelStripPng, stripScale } from '../../src/serve/png.js';
import { compositeWindow, grayPng, paintComposite, pngHeader, rgbChannels, rgbPng } from '../../src/util/png.js';

/** The raw pixels of an 8-bit non-interlaced PNG: its IDAT chunks inflated with node:zlib and the row filters (PNG spec 9.2) undone. */
function unfilter(png: Buffer): { width: number; height: number; colourType: number; pixels: Uint8Array } {
  const { width, height, colourType, bitDepth } = pngHeader(png);
  assert.equal(bitDepth, 8);
  const bpp = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType]!;
  const idat: Buffer[] = [];
  for (let p = 8; p < png.length;) {
    const len = png.readUInt32BE(p),
      type = png.toString('latin1', p + 4, p + 8);
    if (type === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  assert.equal(raw.length, height * (stride + 1), 'one filter byte and one row of pixels per line');
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    assert.ok(f <= 4, `filter type ${f}`);
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= bpp ? out[y * stride + x - bpp]! : 0,
        b = y ? out[(y - 1) * stride + x]! : 0,
        c = x >= bpp && y ? out[(y - 1) * stride + x - bpp]! : 0;
      const paeth = () => {
        const p = a + b - c,
          pa = Math.abs(p - a),
          pb = Math.abs(p - b),
          pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      out[y * stride + x] = (v + [0, a, b, (a + b) >> 1, f === 4 ? paeth() : 0][f]!) & 255;
    }
  }
  return { width, height, colourType, pixels: out };
}

test('rgbPng writes colour type 2 and its pixels read back exactly (sharp and zlib + unfiltering)', async () => {
  const width = 7,
    height = 5;
  const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 37 + (i % 3) * 101) & 255);
  const png = await rgbPng(rgb, width, height);
  const u = unfilter(png);
  assert.deepEqual([u.width, u.height, u.colourType], [width, height, 2]);
  assert.deepEqual(u.pixels, rgb);
  const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(back.info.channels, 3);
  assert.deepEqual(new Uint8Array(back.data), rgb);
  await assert.rejects(rgbPng(rgb.subarray(1), width, height), /bytes for 7 x 5 RGB pixels/);
});

test('grayPng writes colour type 0 and round-trips', async () => {
  const gray = new Uint8Array(6 * 4).map((_, i) => i * 10);
  const u = unfilter(await grayPng(gray, 6, 4));
  assert.deepEqual([u.width, u.height, u.colourType], [6, 4, 0]);
  assert.deepEqual(u.pixels, gray);
});

test('rgbChannels: R, G, B in any order (and A) make a composite; other channels do not', () => {
  assert.deepEqual(rgbChannels(['R', 'G', 'B']), [0, 1, 2]);
  assert.deepEqual(rgbChannels(['b', 'g', 'r']), [2, 1, 0], 'the order is read from the names: no channel swap');
  assert.deepEqual(rgbChannels(['R', 'G', 'B', 'A']), [0, 1, 2]);
  for (const names of [['gray'], ['T1', 'T2', 'FLAIR'], ['R', 'G'], ['R', 'R', 'B'], ['R', 'G', 'B', 'X'], ['z0', 'z1', 'z2']])
    assert.equal(rgbChannels(names), null, names.join(','));
});

test('compositeWindow: 0..1 pixels are shown as they are; others share one percentile window', () => {
  const hw = 100;
  const unit = new Float32Array(2 * 3 * hw).map((_, i) => (i % 97) / 96);
  assert.deepEqual(compositeWindow(unit, 3, hw, [0, 1, 2]), [0, 1]);
  // z-scored: one window across the three channels, so a channel with a smaller range stays darker.
  const z = new Float32Array(3 * hw).map((_, i) => (i < hw ? -2 : i < 2 * hw ? 0 : 0.5) + (i % hw) / hw);
  const [lo, hi] = compositeWindow(z, 3, hw, [0, 1, 2]);
  assert.ok(lo < -1.9 && hi > 1.4 && hi < 1.5, `[${lo}, ${hi}]`);
});

test('paintComposite puts R, G, B planes in their bytes, clamped to the window', () => {
  const out = new Uint8Array(2 * 1 * 3);
  paintComposite(
    out,
    2,
    0,
    0,
    [
      [1, 0],
      [0, 2],
      [0.5, -1],
    ],
    1,
    2,
    [0, 1],
  );
  assert.deepEqual([...out], [255, 0, 128, 0, 255, 0]);
});

test('explorer strip of an RGB case: the composite first (colour type 2), then each channel in gray', async () => {
  const h = 2,
    w = 2,
    hw = h * w;
  // Channel order B, G, R in the data: the composite must still show red as red.
  const px = new Float32Array(3 * hw);
  px.fill(1, 2 * hw, 3 * hw); // R plane (index 2) full
  px[hw] = 1; // one green pixel (G, index 1)
  const png = await channelStripPng(px, [3, h, w], { scale: 1, gap: 1, composite: [2, 1, 0] });
  assert.equal(stripScale([3, h, w], { scale: 1, composite: [2, 1, 0] }), 1);
  const u = unfilter(png);
  assert.deepEqual([u.width, u.height, u.colourType], [4 * w + 3, h, 2]);
  const at = (x: number, y: number) => [...u.pixels.subarray((y * u.width + x) * 3, (y * u.width + x) * 3 + 3)];
  assert.deepEqual(at(0, 0), [255, 255, 0], 'red + green pixel is yellow');
  assert.deepEqual(at(1, 0), [255, 0, 0], 'red');
  assert.deepEqual(at(w + 1, 0), [0, 0, 0], 'B panel (data channel 0) is black, gray');
  assert.deepEqual(at(3 * (w + 1), 0), [255, 255, 255], 'R panel (data channel 2) is white, gray');
  // One channel asked: gray, no composite.
  assert.equal(pngHeader(await channelStripPng(px, [3, h, w], { channel: 1, composite: [2, 1, 0] })).colourType, 0);
  assert.equal(pngHeader(await channelStripPng(px, [3, h, w])).colourType, 0, 'without a composite the strip stays gray');
});
