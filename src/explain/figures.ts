// PNG figures of explanations: each input channel in gray with a signed heatmap on top (red where the
// attribution is positive, blue where negative), upscaled so small phantoms stay readable.
import sharp from 'sharp';
import { fileSlug } from '../util/run-paths.js';

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

// File names of explain's figures. Channel names come from the run's data spec and may hold anything
// ('/', '..', '</script>'), so the channel's index carries the meaning and a slug of its name is only a
// hint for people browsing the folder: `<method>-case<k>-ch<c>[-<slug>].png`, `traversal-ch<c>[-<slug>].png`.
const slugPart = (name: string) => { const s = fileSlug(name); return s ? `-${s}` : ''; };

/** File name of an attribution overlay: method, case index and input channel index (plus a slug of its name). */
export function attributionFigureName(method: string, caseIndex: number, channel: number, channelName: string): string {
  return `${fileSlug(method) || 'method'}-case${caseIndex}-ch${channel}${slugPart(channelName)}.png`;
}

/** File name of a traversal strip of output channel `channel`. */
export function traversalFigureName(channel: number, channelName: string): string {
  return `traversal-ch${channel}${slugPart(channelName)}.png`;
}

export type ExplainFigure =
  | { kind: 'attribution'; method: string; caseIndex: string; channel: string }
  | { kind: 'traversal'; channel: string }
  | { kind: 'activation-max' };

/**
 * What a figure file (its name without .png) shows, with the channel's real name from `channels`; null
 * for other names. Names written before channel indices (`<method>-case<k>-<channel name>`) still read.
 */
export function parseFigureName(name: string, channels: readonly string[]): ExplainFigure | null {
  if (name === 'activation-max') return { kind: 'activation-max' };
  const channelOf = (tail: string): string => {
    const m = /^ch(\d+)(?:-([A-Za-z0-9_-]+))?$/.exec(tail);
    const c = m ? Number(m[1]) : -1;
    // The index names the channel only when the slug beside it is that channel's: an old file of a channel named "ch1" stays "ch1".
    return m && c < channels.length && (m[2] ?? '') === fileSlug(channels[c]!) ? channels[c]! : tail;
  };
  const att = /^(.+?)-case(\d+)-(.+)$/.exec(name);
  if (att) return { kind: 'attribution', method: att[1]!, caseIndex: att[2]!, channel: channelOf(att[3]!) };
  const trav = /^traversal-(.+)$/.exec(name);
  if (trav) return { kind: 'traversal', channel: channelOf(trav[1]!) };
  return null;
}
