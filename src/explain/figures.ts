// PNG figures of explanations: each input channel in gray with a signed heatmap on top (red where the
// attribution is positive, blue where negative) and the ground-truth outlines where masks exist, upscaled
// so small phantoms stay readable; which explained cases they show, and the rule that chose them.
import { grayPng, paintComposite, rgbPng } from '../util/png.js';
import { fileSlug } from '../util/run-paths.js';

export interface OverlayOptions {
  /** Output pixels per input pixel. Default: enough for about 192 pixels wide. */
  scale?: number;
  /** Heat value that saturates the colour; default the largest |heat|. */
  maxAbs?: number;
  /** Ground-truth regions (H x W, nonzero inside) outlined on top, each in its colour. */
  outlines?: { mask: ArrayLike<number>; rgb: [number, number, number] }[];
}

/** Whether output pixel (x, y) of an image upscaled by `scale` lies on the inner edge of `mask`'s region, `t` output pixels thick. */
function onEdge(mask: ArrayLike<number>, h: number, w: number, scale: number, x: number, y: number, t: number): boolean {
  const inside = (X: number, Y: number) =>
    X >= 0 && Y >= 0 && X < w * scale && Y < h * scale && mask[Math.floor(Y / scale) * w + Math.floor(X / scale)] !== 0;
  if (!inside(x, y)) return false;
  for (let d = 1; d <= t; d++) if (!inside(x - d, y) || !inside(x + d, y) || !inside(x, y - d) || !inside(x, y + d)) return true;
  return false;
}

/** One channel (H x W values in 0..1) with its heatmap (H x W, signed) as an RGB PNG. */
export async function overlayPng(
  gray: ArrayLike<number>,
  heat: ArrayLike<number>,
  h: number,
  w: number,
  o: OverlayOptions = {},
): Promise<Buffer> {
  const scale = o.scale ?? Math.max(1, Math.round(192 / w));
  let maxAbs = o.maxAbs ?? 0;
  if (!o.maxAbs) for (let p = 0; p < h * w; p++) maxAbs = Math.max(maxAbs, Math.abs(heat[p]!));
  const W = w * scale,
    H = h * scale;
  const t = scale >= 4 ? 2 : 1;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const p = Math.floor(y / scale) * w + Math.floor(x / scale);
      const g = Math.min(1, Math.max(0, gray[p]!)) * 0.75;
      const a = maxAbs > 0 ? Math.min(1, Math.abs(heat[p]!) / maxAbs) : 0;
      const hot = heat[p]! >= 0;
      const o3 = (y * W + x) * 3;
      rgb[o3] = Math.round(255 * (g * (1 - a) + (hot ? a : 0)));
      rgb[o3 + 1] = Math.round(255 * (g * (1 - a) + a * 0.15));
      rgb[o3 + 2] = Math.round(255 * (g * (1 - a) + (hot ? 0 : a)));
      for (const ol of o.outlines ?? []) if (onEdge(ol.mask, h, w, scale, x, y, t)) rgb.set(ol.rgb, o3);
    }
  return rgbPng(rgb, W, H);
}

/** Grayscale images side by side (each H x W in 0..1) as one PNG, e.g. a traversal row; `gap` mid-gray pixels between them, so white frames stay apart. */
export async function stripPng(
  images: ArrayLike<number>[],
  h: number,
  w: number,
  scale = Math.max(1, Math.round(96 / w)),
  gap = 2,
): Promise<Buffer> {
  const step = w * scale + gap;
  const W = Math.max(1, step * images.length - gap),
    H = h * scale;
  const out = new Uint8Array(W * H).fill(128);
  images.forEach((img, k) => {
    for (let y = 0; y < H; y++)
      for (let x = 0; x < w * scale; x++) {
        out[y * W + k * step + x] = Math.round(255 * Math.min(1, Math.max(0, img[Math.floor(y / scale) * w + Math.floor(x / scale)]!)));
      }
  });
  return grayPng(out, W, H);
}

/**
 * Colour composites side by side (each frame the R, G, B planes, H x W in 0..1 as black..full colour,
 * clamped) as an RGB PNG, laid out as stripPng lays out gray frames; the `gray` frames (H x W) follow them.
 */
export async function compositeStripPng(
  frames: [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>][],
  h: number,
  w: number,
  gray: ArrayLike<number>[] = [],
  scale = Math.max(1, Math.round(96 / w)),
  gap = 2,
): Promise<Buffer> {
  const step = w * scale + gap,
    count = frames.length + gray.length;
  const W = Math.max(1, step * count - gap),
    H = h * scale;
  const out = new Uint8Array(W * H * 3).fill(128);
  frames.forEach((planes, k) => paintComposite(out, W, k * step, 0, planes, h, w, [0, 1], scale));
  gray.forEach((img, j) => paintComposite(out, W, (frames.length + j) * step, 0, [img, img, img], h, w, [0, 1], scale));
  return rgbPng(out, W, H);
}

/** File name of the traversal strip of RGB outputs as colour composites. */
export const TRAVERSAL_COMPOSITE_FIGURE = 'traversal-rgb.png';

/** Explained cases shown in figures by default. */
export const FIGURE_CASES = 4;

/**
 * Which of the explained cases the figures show: `count` of them at evenly spaced ranks of the map's
 * activation, lowest to highest (rank round(j (m - 1) / (count - 1)) of m, ties in case order), so the
 * figures span the activation range instead of being whichever cases come first. Returns positions into
 * `activation`, in increasing activation.
 */
export function figureCasePositions(activation: ArrayLike<number>, count = FIGURE_CASES): number[] {
  const m = activation.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => activation[a]! - activation[b]! || a - b);
  const shown = Math.min(count, m);
  if (shown <= 1) return order.slice(0, shown);
  return Array.from({ length: shown }, (_, j) => order[Math.round((j * (m - 1)) / (shown - 1))]!);
}

/** The default rule in words (recorded in the explain JSON; the report and the explorer print it). */
export function figureCaseRule(map: number, shown: number, explained: number): string {
  return shown >= explained
    ? `every explained case (${explained}), in increasing mean activation of map ${map}`
    : `${shown} of the ${explained} explained cases at evenly spaced ranks of map ${map}'s mean activation, lowest to highest (the lowest, the highest and ranks evenly between them), so they span its range`;
}

/** Colours of ground-truth outlines on overlays, one per mask in order (none is red or blue, the heatmap's colours). */
export const OUTLINE_COLOURS: { name: string; rgb: [number, number, number] }[] = [
  { name: 'green', rgb: [0, 200, 83] },
  { name: 'yellow', rgb: [255, 214, 0] },
  { name: 'cyan', rgb: [0, 229, 255] },
  { name: 'magenta', rgb: [255, 64, 255] },
];

// File names of explain's figures. Channel names come from the run's data spec and may hold anything
// ('/', '..', '</script>'), so the channel's index carries the meaning and a slug of its name is only a
// hint for people browsing the folder: `<method>-case<k>-ch<c>[-<slug>].png`, `traversal-ch<c>[-<slug>].png`.
const slugPart = (name: string) => {
  const s = fileSlug(name);
  return s ? `-${s}` : '';
};

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
  if (`${name}.png` === TRAVERSAL_COMPOSITE_FIGURE) return { kind: 'traversal', channel: 'RGB composite' };
  const trav = /^traversal-(.+)$/.exec(name);
  if (trav) return { kind: 'traversal', channel: channelOf(trav[1]!) };
  return null;
}
