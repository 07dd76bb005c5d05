// PNGs the explorer shows: the channels of one image side by side in gray, upscaled so 28-32 pixel
// images stay readable. Encoded with sharp on libuv's pool, so it does not block the HTTP thread.
import sharp from 'sharp';

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
}

/**
 * The scale a strip is drawn at: the asked one (default about 128 pixels per channel) within 1..MAX_SCALE,
 * lowered until both sides are at most MAX_STRIP_SIDE pixels (1 when even scale 1 is wider).
 */
export function stripScale(shape: [number, number, number], o: StripOptions = {}): number {
  const [c, h, w] = shape;
  const n = o.channel === undefined ? c : 1;
  const gap = n > 1 ? (o.gap ?? 4) : 0;
  const fits = Math.floor(Math.min((MAX_STRIP_SIDE - (n - 1) * gap) / (n * w), MAX_STRIP_SIDE / h));
  return Math.max(1, Math.min(MAX_SCALE, fits, Math.round(o.scale ?? 128 / w)));
}

/** C x H x W values (0..1 shown as black..white, clamped) as one gray PNG, at stripScale's scale. */
export async function channelStripPng(pixels: Float32Array, shape: [number, number, number], o: StripOptions = {}): Promise<Buffer> {
  const [c, h, w] = shape;
  const scale = stripScale(shape, o);
  const channels = o.channel === undefined ? Array.from({ length: c }, (_, i) => i) : [o.channel];
  const gap = channels.length > 1 ? (o.gap ?? 4) : 0;
  const cw = w * scale;
  const W = channels.length * cw + (channels.length - 1) * gap, H = h * scale;
  const out = new Uint8Array(W * H).fill(255);
  channels.forEach((ch, j) => {
    const x0 = j * (cw + gap);
    for (let y = 0; y < H; y++) {
      const row = ch * h * w + Math.floor(y / scale) * w;
      for (let x = 0; x < cw; x++) {
        const v = pixels[row + Math.floor(x / scale)]!;
        out[y * W + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
      }
    }
  });
  return sharp(Buffer.from(out.buffer), { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
}
