// PNGs the explorer shows: the channels of one image side by side in gray (RGB images: their colour
// composite first), upscaled so 28-32 pixel images stay readable. Encoded with sharp on libuv's pool
// (util/png.ts), so it does not block the HTTP thread.
import { grayPng, paintComposite, rgbPng, toByte } from '../util/png.js';

/** Largest scale a request may ask for. */
export const MAX_SCALE = 16;
/** Longest side of a strip, in output pixels: a larger asked scale is lowered to fit (never below 1). */
export const MAX_STRIP_SIDE = 1024;

export interface StripOptions {
  /** Output pixels per input pixel. Default: about 128 pixels per channel. */
  scale?: number;
  /** Only this channel. */
  channel?: number;
  /** Gap between channels, in output pixels. Default 4. */
  gap?: number;
  /**
   * Indices of the R, G and B channels (util/png.ts rgbChannels): without `channel`, the strip starts with
   * their colour composite (0..1 as black..full colour, like the gray panels) and is an RGB PNG.
   */
  composite?: [number, number, number];
}

/**
 * The scale a strip is drawn at: the asked one (default about 128 pixels per channel) within 1..MAX_SCALE,
 * lowered until both sides are at most MAX_STRIP_SIDE pixels (1 when even scale 1 is wider).
 */
export function stripScale(shape: [number, number, number], o: StripOptions = {}): number {
  const [c, h, w] = shape;
  const n = o.channel === undefined ? c + (o.composite ? 1 : 0) : 1;
  const gap = n > 1 ? (o.gap ?? 4) : 0;
  const fits = Math.floor(Math.min((MAX_STRIP_SIDE - (n - 1) * gap) / (n * w), MAX_STRIP_SIDE / h));
  return Math.max(1, Math.min(MAX_SCALE, fits, Math.round(o.scale ?? 128 / w)));
}

/**
 * C x H x W values (0..1 shown as black..white, clamped) as one gray PNG, at stripScale's scale; with
 * `composite` (and no `channel`) the colour composite comes first and the strip is an RGB PNG.
 */
export async function channelStripPng(pixels: Float32Array, shape: [number, number, number], o: StripOptions = {}): Promise<Buffer> {
  const [c, h, w] = shape;
  const scale = stripScale(shape, o);
  const channels = o.channel === undefined ? Array.from({ length: c }, (_, i) => i) : [o.channel];
  const composite = o.channel === undefined ? o.composite : undefined;
  const panels = channels.length + (composite ? 1 : 0);
  const gap = panels > 1 ? (o.gap ?? 4) : 0;
  const cw = w * scale;
  const W = panels * cw + (panels - 1) * gap,
    H = h * scale;
  const bands = composite ? 3 : 1;
  const out = new Uint8Array(W * H * bands).fill(255);
  const hw = h * w;
  if (composite)
    paintComposite(
      out,
      W,
      0,
      0,
      composite.map((ch) => pixels.subarray(ch * hw, (ch + 1) * hw)) as [Float32Array, Float32Array, Float32Array],
      h,
      w,
      [0, 1],
      scale,
    );
  channels.forEach((ch, j) => {
    const x0 = (j + (composite ? 1 : 0)) * (cw + gap);
    for (let y = 0; y < H; y++) {
      const row = ch * hw + Math.floor(y / scale) * w;
      for (let x = 0; x < cw; x++) {
        const v = toByte(pixels[row + Math.floor(x / scale)]!, 0, 1);
        const o3 = (y * W + x0 + x) * bands;
        for (let b = 0; b < bands; b++) out[o3 + b] = v;
      }
    }
  });
  return composite ? rgbPng(out, W, H) : grayPng(out, W, H);
}
