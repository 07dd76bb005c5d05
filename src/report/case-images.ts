// Images the report renders itself because no analysis writes them: sample cases per class and channel,
// and reconstructions of held-out cases. Both come from the run's own data spec and weights (reading,
// not recomputing an analysis); when either is unavailable the report says why instead.
import { relative, sep } from 'node:path';
import sharp from 'sharp';
import { loadCases } from '../data/spec.js';
import type { CaseDataset, ImageDataset } from '../data/types.js';
import { noGrad, scope, tensor } from '../engine/index.js';
import { openRun, trainingSplits } from '../train/index.js';
import { compositeWindow, grayPng, paintComposite, rgbChannels, rgbPng } from '../util/png.js';
import { fitPng } from './html.js';

/** Name of the colour composite beside the channels of RGB data. */
export const COMPOSITE_NAME = 'RGB composite';

/** Per-channel display window: the 1st and 99th percentile of a sample of pixels, so every source (0..1, HU, scanner units) shows contrast. */
export function channelWindows(data: CaseDataset, maxCases = 256): [number, number][] {
  const [n, c] = data.shape;
  // One case-channel block: an H x W image or a D x H x W volume.
  const hw = data.shape.slice(2).reduce((a, b) => a * b, 1);
  const step = Math.max(1, Math.floor(n / maxCases));
  return Array.from({ length: c }, (_, ch) => {
    const vals: number[] = [];
    for (let i = 0; i < n; i += step) {
      const off = (i * c + ch) * hw;
      for (let p = 0; p < hw; p += Math.max(1, Math.floor(hw / 256))) vals.push(data.images[off + p]!);
    }
    vals.sort((a, b) => a - b);
    const lo = vals[Math.floor(0.01 * (vals.length - 1))] ?? 0;
    const hi = vals[Math.ceil(0.99 * (vals.length - 1))] ?? 1;
    return [lo, hi > lo ? hi : lo + 1];
  });
}

/**
 * A grid of grayscale tiles (rows x columns, each H x W raw values shown through `window`) as a PNG,
 * tiles upscaled by nearest neighbour so small images stay legible, with a 2-pixel gap between tiles.
 */
export async function gridPng(
  tiles: ArrayLike<number>[][],
  h: number,
  w: number,
  window: [number, number],
  scale = Math.max(1, Math.round(64 / w)),
): Promise<Uint8Array> {
  const gap = 2;
  const rows = tiles.length,
    cols = Math.max(...tiles.map((r) => r.length));
  const W = cols * w * scale + (cols - 1) * gap,
    H = rows * h * scale + (rows - 1) * gap;
  const out = new Uint8Array(W * H).fill(255);
  const [lo, hi] = window;
  tiles.forEach((row, r) =>
    row.forEach((tile, k) => {
      const x0 = k * (w * scale + gap),
        y0 = r * (h * scale + gap);
      for (let y = 0; y < h * scale; y++)
        for (let x = 0; x < w * scale; x++) {
          const v = (tile[Math.floor(y / scale) * w + Math.floor(x / scale)]! - lo) / (hi - lo);
          out[(y0 + y) * W + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
    }),
  );
  return grayPng(out, W, H);
}

/** Like gridPng, each tile the colour composite of its R, G, B planes through one shared window, as an RGB PNG. */
export async function compositeGridPng(
  tiles: [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>][][],
  h: number,
  w: number,
  window: [number, number],
  scale = Math.max(1, Math.round(64 / w)),
): Promise<Uint8Array> {
  const gap = 2;
  const rows = tiles.length,
    cols = Math.max(...tiles.map((r) => r.length));
  const W = cols * w * scale + (cols - 1) * gap,
    H = rows * h * scale + (rows - 1) * gap;
  const out = new Uint8Array(W * H * 3).fill(255);
  tiles.forEach((row, r) =>
    row.forEach((planes, k) => paintComposite(out, W, k * (w * scale + gap), r * (h * scale + gap), planes, h, w, window, scale)),
  );
  return rgbPng(out, W, H);
}

/** The colour composite of RGB data (channel order and shared window), or null when the channels are not R, G, B. */
export function dataComposite(data: ImageDataset): { rgb: [number, number, number]; window: [number, number] } | null {
  const rgb = rgbChannels(data.channelNames);
  if (!rgb) return null;
  const [, c, h, w] = data.shape;
  return { rgb, window: compositeWindow(data.images, c, h * w, rgb) };
}

const plane = (data: ImageDataset, i: number, ch: number) => {
  const [, c, h, w] = data.shape;
  const off = (i * c + ch) * h * w;
  return data.images.subarray(off, off + h * w);
};

export interface SampleImages {
  /** One PNG per class (or one 'all cases' row without labels): rows are channels (RGB data: the colour composite first), columns cases; volumes: three rows per channel (`slices`). */
  classes: { name: string; count: number; cases: number[]; png: Uint8Array }[];
  channels: string[];
  /** Set for RGB data: the first row is the colour composite, shown through this window shared by R, G and B. */
  composite?: { window: [number, number] };
  /** Volumes: each shown as its middle slices across depth, height and width, at these indices. */
  slices?: [number, number, number];
}

const compositeTiles = (data: ImageDataset, cases: number[], rgb: [number, number, number]) =>
  cases.map((i) => rgb.map((ch) => plane(data, i, ch)) as [Float32Array, Float32Array, Float32Array]);

/** The cases of each class (one 'all cases' group without single labels), empty classes left out. */
export function classGroups(data: CaseDataset): { name: string; members: number[] }[] {
  const n = data.shape[0];
  const single = data.labels && (data.labelWidth ?? 1) === 1 ? data.labels : null;
  if (!single) return [{ name: 'all cases', members: Array.from({ length: n }, (_, i) => i) }];
  const groups = Array.from({ length: Math.max(...single) + 1 }, (_, cls) => ({
    name: data.classNames?.[cls] ?? `class ${cls}`,
    members: [] as number[],
  }));
  for (let i = 0; i < n; i++) groups[single[i]!]!.members.push(i);
  return groups.filter((g) => g.members.length > 0);
}

/** The first `perClass` cases of each class, every channel, shown through per-channel windows. */
export async function sampleImages(data: ImageDataset, perClass: number): Promise<SampleImages> {
  const [, c, h, w] = data.shape;
  const windows = channelWindows(data);
  const composite = dataComposite(data);
  const classes: SampleImages['classes'] = [];
  for (const g of classGroups(data)) {
    const cases = g.members.slice(0, perClass);
    // One PNG per channel would need one window each; a shared PNG uses each row's own window instead.
    const rows = await Promise.all(
      Array.from({ length: c }, (_, ch) => gridPng([cases.map((i) => plane(data, i, ch))], h, w, windows[ch]!)),
    );
    if (composite) rows.unshift(await compositeGridPng([compositeTiles(data, cases, composite.rgb)], h, w, composite.window));
    classes.push({ name: g.name, count: g.members.length, cases, png: await fitPng(await stackPngs(rows)) });
  }
  return composite
    ? { classes, channels: data.channelNames, composite: { window: composite.window } }
    : { classes, channels: data.channelNames };
}

/** PNGs stacked vertically with a 2-pixel white gap, as one PNG: gray when they all are, else RGB. */
export async function stackPngs(pngs: Uint8Array[]): Promise<Uint8Array> {
  const metas = await Promise.all(pngs.map((p) => sharp(p).metadata()));
  const width = Math.max(...metas.map((m) => m.width ?? 0));
  let top = 0;
  const layers = pngs.map((p, i) => {
    const layer = { input: Buffer.from(p), top, left: 0 };
    top += (metas[i]!.height ?? 0) + 2;
    return layer;
  });
  // Composited in RGB (sharp creates 3 channels at least; compositing adds alpha, dropped: everything is opaque);
  // written as one gray channel when no input has colour: a third of the bytes.
  const rgb = await sharp({ create: { width, height: Math.max(1, top - 2), channels: 3, background: '#ffffff' } })
    .composite(layers)
    .png()
    .toBuffer();
  const colour = metas.some((m) => (m.channels ?? 1) - (m.hasAlpha ? 1 : 0) >= 3);
  return colour ? sharp(rgb).removeAlpha().png().toBuffer() : sharp(rgb).removeAlpha().grayscale().png().toBuffer();
}

export interface Reconstructions {
  /** Per channel, a PNG with the inputs on the top row and their reconstructions below; for RGB data the colour composite (COMPOSITE_NAME, `composite` set) comes first. */
  channels: { name: string; png: Uint8Array; composite?: true }[];
  cases: number[];
  split: string;
  weights: string;
  /** Volumes: each shown as its middle slices across depth, height and width, at these indices. */
  slices?: [number, number, number];
}

/** Decodes `count` held-out cases (test split, else val) with the run's weights. */
export async function reconstructions(dir: string, data: ImageDataset, count: number): Promise<Reconstructions> {
  const [, c, h, w] = data.shape;
  const { x, recon, cases, split, weights } = decodeHeldOut(dir, data, count);
  const windows = channelWindows(data);
  const channels: Reconstructions['channels'] = await Promise.all(
    data.channelNames.map(async (name, ch) => {
      const at = (src: Float32Array, j: number) => src.subarray((j * c + ch) * h * w, (j * c + ch + 1) * h * w);
      const png = await fitPng(await gridPng([cases.map((_, j) => at(x, j)), cases.map((_, j) => at(recon, j))], h, w, windows[ch]!));
      return { name, png };
    }),
  );
  const comp = dataComposite(data);
  if (comp) {
    const at = (src: Float32Array, j: number) =>
      comp.rgb.map((ch) => src.subarray((j * c + ch) * h * w, (j * c + ch + 1) * h * w)) as [Float32Array, Float32Array, Float32Array];
    const png = await fitPng(await compositeGridPng([cases.map((_, j) => at(x, j)), cases.map((_, j) => at(recon, j))], h, w, comp.window));
    channels.unshift({ name: COMPOSITE_NAME, png, composite: true });
  }
  return { channels, cases, split, weights };
}

/**
 * The first `count` held-out cases (test split, else val, else train) of images or volumes, copied out
 * as one batch, and the run's reconstruction of them; `weights` is the weights file relative to the run.
 */
export function decodeHeldOut(
  dir: string,
  data: CaseDataset,
  count: number,
): { x: Float32Array; recon: Float32Array; cases: number[]; split: string; weights: string } {
  const run = openRun(dir);
  try {
    const splits = trainingSplits(data, run.config.seed);
    const split = splits.test.length ? 'test' : splits.val.length ? 'val' : 'train';
    const cases = Array.from(splits[split]).slice(0, count);
    const caseShape = data.shape.slice(1);
    const len = caseShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(cases.length * len);
    cases.forEach((i, j) => x.set(data.images.subarray(i * len, (i + 1) * len), j * len));
    const recon = scope(() => noGrad(() => run.model.reconstruct(tensor(x, [cases.length, ...caseShape])).toFloat32()));
    return { x, recon, cases, split, weights: relative(dir, run.weights).split(sep).join('/') };
  } finally {
    run.model.dispose();
  }
}

/** The run's dataset (images or volumes) from the spec recorded in config.json. */
export async function loadRunDataset(dataSpec: unknown): Promise<CaseDataset> {
  if (typeof dataSpec !== 'string') throw new Error('config.json records no dataSpec (runs trained from code can pass one in extraConfig)');
  return loadCases(dataSpec);
}

/** Given cases of the dataset side by side, one row per channel (e.g. a map's exemplars); RGB data: the colour composite row first. */
export async function casesPng(
  data: ImageDataset,
  cases: number[],
  windows = channelWindows(data),
  composite = dataComposite(data),
): Promise<Uint8Array> {
  const [, c, h, w] = data.shape;
  const rows = Array.from({ length: c }, (_, ch) => cases.map((i) => plane(data, i, ch)));
  // One window per row: gridPng takes one, so rows are rendered separately and stacked.
  const pngs = await Promise.all(rows.map((row, ch) => gridPng([row], h, w, windows[ch]!)));
  if (composite) pngs.unshift(await compositeGridPng([compositeTiles(data, cases, composite.rgb)], h, w, composite.window));
  return fitPng(await stackPngs(pngs));
}
