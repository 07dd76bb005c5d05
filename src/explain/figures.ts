// PNG figures of explanations: each input channel in gray with a signed heatmap on top (red where the
// attribution is positive, blue where negative), upscaled so small phantoms stay readable.
import sharp from 'sharp';

export interface OverlayOptions {
  /** Output pixels per input pixel. Default: enough for about 192 pixels wide. */
  scale?: number;
  /** Heat value that saturates the colour; default the largest |heat|. */
  maxAbs?: number;
}

/** One channel (H x W values in 0..1) with its heatmap (H x W, signed) as an RGB PNG. */
export async function overlayPng(gray: ArrayLike<number>, heat: ArrayLike<number>, h: number, w: number, o: OverlayOptions = {}): Promise<Buffer> {
  const scale = o.scale ?? Math.max(1, Math.round(192 / w));
  let maxAbs = o.maxAbs ?? 0;
  if (!o.maxAbs) for (let p = 0; p < h * w; p++) maxAbs = Math.max(maxAbs, Math.abs(heat[p]!));
  const W = w * scale, H = h * scale;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = Math.floor(y / scale) * w + Math.floor(x / scale);
    const g = Math.min(1, Math.max(0, gray[p]!)) * 0.75;
    const a = maxAbs > 0 ? Math.min(1, Math.abs(heat[p]!) / maxAbs) : 0;
    const hot = heat[p]! >= 0;
    const o3 = (y * W + x) * 3;
    rgb[o3] = Math.round(255 * (g * (1 - a) + (hot ? a : 0)));
    rgb[o3 + 1] = Math.round(255 * (g * (1 - a) + a * 0.15));
    rgb[o3 + 2] = Math.round(255 * (g * (1 - a) + (hot ? 0 : a)));
  }
  return sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
}

/** Grayscale images side by side (each H x W in 0..1) as one PNG, e.g. a traversal row. */
export async function stripPng(images: ArrayLike<number>[], h: number, w: number, scale = Math.max(1, Math.round(96 / w))): Promise<Buffer> {
  const W = w * scale * images.length, H = h * scale;
  const out = new Uint8Array(W * H);
  images.forEach((img, k) => {
    for (let y = 0; y < H; y++) for (let x = 0; x < w * scale; x++) {
      out[y * W + k * w * scale + x] = Math.round(255 * Math.min(1, Math.max(0, img[Math.floor(y / scale) * w + Math.floor(x / scale)]!)));
    }
  });
  return sharp(Buffer.from(out), { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
}
