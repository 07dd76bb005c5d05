// The PNG writers every figure goes through: gray (PNG colour type 0) and RGB (colour type 2) from 8-bit
// raw pixels, encoded with sharp on libuv's pool. Also what makes a colour composite of RGB inputs: which
// channels are red, green and blue, the window the three share, and a painter of composite tiles. The
// inspect contact sheet, the report's case images and the explorer's strips all use these.
import sharp from 'sharp';

/** `width x height` 8-bit gray pixels (row-major) as a gray PNG (colour type 0). */
export async function grayPng(gray: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (gray.length !== width * height) throw new Error(`grayPng: ${gray.length} bytes for ${width} x ${height} pixels`);
  // Without toColourspace, libvips writes one-band raw input as RGB: three times the bytes.
  return sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** `width x height` 8-bit RGB pixels (row-major, interleaved R, G, B) as an RGB PNG (colour type 2). */
export async function rgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (rgb.length !== 3 * width * height) throw new Error(`rgbPng: ${rgb.length} bytes for ${width} x ${height} RGB pixels`);
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A PNG's width, height, bit depth and colour type (0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA), from its IHDR chunk. */
export function pngHeader(png: Uint8Array): { width: number; height: number; bitDepth: number; colourType: number } {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (png.length < 33 || sig.some((b, i) => png[i] !== b) || String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR')
    throw new Error('not a PNG');
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), bitDepth: png[24]!, colourType: png[25]! };
}

/**
 * Indices of the red, green and blue channels when the channels are exactly R, G, B (in any order,
 * case-insensitive), or those and A: how the folder (PNG, JPEG, ...), MedMNIST and DICOM readers name
 * RGB images. Null for any other channels (gray, MRI sequences, ...): they have no colour composite.
 */
export function rgbChannels(names: readonly string[]): [number, number, number] | null {
  const up = names.map((n) => n.trim().toUpperCase());
  if (!(up.length === 3 || (up.length === 4 && up.includes('A')))) return null;
  const r = up.indexOf('R'),
    g = up.indexOf('G'),
    b = up.indexOf('B');
  return r >= 0 && g >= 0 && b >= 0 && new Set(up).size === up.length ? [r, g, b] : null;
}

/**
 * The one display window of a colour composite (shared by R, G and B, so hues are kept): 0..1 when
 * every sampled value of the three channels lies in 0..1 (the readers' pixels, shown as their true
 * colours, nothing stretched or clipped); otherwise from the lowest 1st to the highest 99th percentile of
 * the three (normalised data). `images` holds cases of C x `hw` values.
 */
export function compositeWindow(
  images: ArrayLike<number>,
  c: number,
  hw: number,
  rgb: [number, number, number],
  maxSamples = 65536,
): [number, number] {
  const n = Math.floor(images.length / (c * hw));
  const perChannel: number[][] = [[], [], []];
  const step = Math.max(1, Math.floor((n * hw) / Math.max(1, Math.floor(maxSamples / 3))));
  let inUnit = true;
  for (let q = 0; q < n * hw; q += step) {
    const i = Math.floor(q / hw),
      p = q % hw;
    rgb.forEach((ch, k) => {
      const v = images[(i * c + ch) * hw + p]!;
      if (!Number.isFinite(v)) return;
      if (v < 0 || v > 1) inUnit = false;
      perChannel[k]!.push(v);
    });
  }
  if (inUnit) return [0, 1];
  let lo = Infinity,
    hi = -Infinity;
  for (const vals of perChannel) {
    if (!vals.length) continue;
    vals.sort((a, b) => a - b);
    lo = Math.min(lo, vals[Math.floor(0.01 * (vals.length - 1))]!);
    hi = Math.max(hi, vals[Math.ceil(0.99 * (vals.length - 1))]!);
  }
  if (!Number.isFinite(lo)) return [0, 1];
  return [lo, hi > lo ? hi : lo + 1];
}

/** A value through a window as a byte, clamped (NaN black). */
export function toByte(v: number, lo: number, hi: number): number {
  const t = (v - lo) / (hi - lo);
  return t > 0 ? (t < 1 ? Math.round(255 * t) : 255) : 0;
}

/**
 * Paints one composite tile into an interleaved RGB canvas `width` pixels wide: the R, G and B planes
 * (each h x w, row-major) through `window`, upscaled `scale` times by nearest neighbour, its top-left at
 * (x0, y0).
 */
export function paintComposite(
  out: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  planes: [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>],
  h: number,
  w: number,
  window: [number, number],
  scale = 1,
): void {
  const [lo, hi] = window;
  for (let y = 0; y < h * scale; y++) {
    const row = Math.floor(y / scale) * w;
    for (let x = 0; x < w * scale; x++) {
      const p = row + Math.floor(x / scale),
        o = ((y0 + y) * width + x0 + x) * 3;
      out[o] = toByte(planes[0][p]!, lo, hi);
      out[o + 1] = toByte(planes[1][p]!, lo, hi);
      out[o + 2] = toByte(planes[2][p]!, lo, hi);
    }
  }
}
