// PNGs the explorer shows: the channels of one image side by side in gray, upscaled so 28-32 pixel
// images stay readable. Encoded with sharp on libuv's pool, so it does not block the HTTP thread.
import sharp from 'sharp';

export interface StripOptions {
  /** Output pixels per input pixel. Default: about 128 pixels per channel. */
  scale?: number;
  /** Only this channel. */
  channel?: number;
  /** Gap between channels, in output pixels. Default 4. */
  gap?: number;
}

/** C x H x W values (0..1 shown as black..white, clamped) as one gray PNG. */
export async function channelStripPng(pixels: Float32Array, shape: [number, number, number], o: StripOptions = {}): Promise<Buffer> {
  const [c, h, w] = shape;
  const scale = Math.max(1, Math.min(16, Math.round(o.scale ?? 128 / w)));
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
