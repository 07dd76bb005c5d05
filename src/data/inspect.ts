// Summaries of a dataset (shape, channels, class balance per split, intensity statistics) and a
// contact-sheet PNG of samples per class and channel, as shown by `latentlens data inspect`.
import sharp from 'sharp';
import { compositeWindow, grayPng, rgbChannels, rgbPng, toByte } from '../util/png.js';
import { resizePlane } from './resize.js';
import type { ImageDataset } from './types.js';

/** Intensity statistics of one channel. */
export interface ChannelStats {
  name: string;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** 1st and 99th percentiles (from at most 1M evenly spaced pixels). */
  p1: number;
  p99: number;
}

/** What `summarizeDataset` returns. */
export interface DatasetSummary {
  source: string;
  shape: [number, number, number, number];
  /** Volumes only (summarizeVolumes): N x C x D x H x W; `shape` then reads each channel's voxels as a (D·H) x W plane. */
  volumeShape?: [number, number, number, number, number];
  channelNames: string[];
  task?: string;
  classNames?: string[];
  /** Samples per class (multi-label: positives per label), for all samples and each split present. */
  classCounts?: Array<{ split: 'all' | 'train' | 'val' | 'test'; n: number; counts: number[] }>;
  channels: ChannelStats[];
  factors?: Array<{ name: string; min: number; max: number; mean: number }>;
  /** For each mask: its channels and the fraction of samples where it is non-empty. */
  masks?: Array<{ name: string; channels: string[]; nonEmpty: number }>;
  /** Defaults the loader applied that the spec did not name (`dataset.defaults`), if any. */
  defaults?: string[];
  /** Number of skipped inputs, and the first few with reasons. */
  skipped: number;
  skippedExamples: Array<{ item: string; reason: string }>;
}

/** Computes the summary of a dataset. */
export function summarizeDataset(ds: ImageDataset): DatasetSummary {
  const [n, C, H, W] = ds.shape;
  const HW = H * W;
  const channels: ChannelStats[] = ds.channelNames.map((name, c) => {
    let min = Infinity,
      max = -Infinity,
      s1 = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const plane = ds.images.subarray((i * C + c) * HW, (i * C + c + 1) * HW);
      for (let p = 0; p < HW; p++) {
        const v = plane[p]!;
        if (v < min) min = v;
        if (v > max) max = v;
        s1 += v;
        s2 += v * v;
      }
    }
    const m = n * HW;
    const step = Math.max(1, Math.ceil(m / 1_000_000));
    const sample = new Float32Array(Math.ceil(m / step));
    let k = 0;
    for (let q = 0; q < m; q += step) sample[k++] = ds.images[(Math.floor(q / HW) * C + c) * HW + (q % HW)]!;
    const sorted = sample.subarray(0, k).sort();
    const mean = s1 / m;
    return {
      name,
      min,
      max,
      mean,
      std: Math.sqrt(Math.max(0, s2 / m - mean * mean)),
      p1: sorted[Math.floor(0.01 * (k - 1))]!,
      p99: sorted[Math.floor(0.99 * (k - 1))]!,
    };
  });
  const summary: DatasetSummary = {
    source: ds.source,
    shape: [...ds.shape],
    channelNames: [...ds.channelNames],
    channels,
    skipped: ds.skipped.length,
    skippedExamples: ds.skipped.slice(0, 10),
  };
  if (ds.defaults) summary.defaults = [...ds.defaults];
  if (ds.task) summary.task = ds.task;
  if (ds.labels && ds.classNames) {
    summary.classNames = [...ds.classNames];
    const K = ds.classNames.length;
    const lw = ds.labelWidth ?? 1;
    const count = (idx: ArrayLike<number> | null) => {
      const counts = new Array<number>(K).fill(0);
      const m = idx ? idx.length : n;
      for (let k = 0; k < m; k++) {
        const i = idx ? idx[k]! : k;
        if (lw === 1) counts[ds.labels![i]!]!++;
        else for (let l = 0; l < lw; l++) counts[l]! += ds.labels![i * lw + l]!;
      }
      return { n: m, counts };
    };
    summary.classCounts = [{ split: 'all', ...count(null) }];
    if (ds.splits)
      for (const s of ['train', 'val', 'test'] as const)
        if (ds.splits[s].length) summary.classCounts.push({ split: s, ...count(ds.splits[s]) });
  }
  if (ds.factors) {
    const F = ds.factors.names.length;
    summary.factors = ds.factors.names.map((name, f) => {
      let min = Infinity,
        max = -Infinity,
        s = 0;
      for (let i = 0; i < n; i++) {
        const v = ds.factors!.values[i * F + f]!;
        min = Math.min(min, v);
        max = Math.max(max, v);
        s += v;
      }
      return { name, min, max, mean: s / n };
    });
  }
  if (ds.masks) {
    summary.masks = ds.masks.map((m) => {
      let nonEmpty = 0;
      for (let i = 0; i < n; i++) if (m.data.subarray(i * HW, (i + 1) * HW).some((v) => v !== 0)) nonEmpty++;
      return { name: m.name, channels: [...m.channels], nonEmpty: nonEmpty / n };
    });
  }
  return summary;
}

/** Summary as readable text lines. */
export function formatSummary(s: DatasetSummary): string {
  const f = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));
  const lines = [
    `source    ${s.source}`,
    s.volumeShape
      ? `shape     ${s.volumeShape.join(' x ')}  (N x C x D x H x W: volumes)`
      : `shape     ${s.shape.join(' x ')}  (N x C x H x W)`,
    `channels  ${s.channelNames.join(', ')}`,
  ];
  if (s.classNames && s.classCounts) {
    lines.push(`labels    ${s.task ?? ''}: ${s.classNames.map((c, k) => `${k}=${c}`).join(', ')}`);
    for (const cc of s.classCounts) {
      lines.push(
        `  ${cc.split.padEnd(6)} n=${cc.n}  ${cc.counts.map((c, k) => `${s.classNames![k]}: ${c} (${((100 * c) / Math.max(1, cc.n)).toFixed(1)}%)`).join(', ')}`,
      );
    }
  } else lines.push('labels    none');
  lines.push('intensity per channel: min / p1 / mean ± std / p99 / max');
  for (const c of s.channels)
    lines.push(`  ${c.name.padEnd(8)} ${f(c.min)} / ${f(c.p1)} / ${f(c.mean)} ± ${f(c.std)} / ${f(c.p99)} / ${f(c.max)}`);
  if (s.factors) lines.push(`factors   ${s.factors.map((x) => `${x.name} [${f(x.min)}, ${f(x.max)}]`).join(', ')}`);
  if (s.masks)
    for (const m of s.masks)
      lines.push(
        `mask      ${m.name} in ${m.channels.join('+') || '(no channel)'}: non-empty in ${(100 * m.nonEmpty).toFixed(1)}% of samples`,
      );
  for (const d of s.defaults ?? []) lines.push(`default   ${d}`);
  lines.push(`skipped   ${s.skipped}`);
  for (const k of s.skippedExamples) lines.push(`  ${k.item}: ${k.reason}`);
  if (s.skipped > s.skippedExamples.length) lines.push(`  ... and ${s.skipped - s.skippedExamples.length} more`);
  return lines.join('\n');
}

/** Options of `contactSheet`. */
export interface ContactSheetOptions {
  /** Samples per class (columns). Default 8. */
  perClass?: number;
  /** Largest tile side in pixels; bigger images are shrunk. Default 96. */
  tile?: number;
}

/**
 * Renders a contact sheet PNG: for each class (or all samples when unlabelled) one row per channel
 * showing the first `perClass` samples of that class; each channel scaled from its 1st to 99th
 * percentile. RGB data (channels R, G, B: util/png.ts rgbChannels) gets a colour composite row first in
 * each class, through one window shared by R, G and B (0..1 as it is when the pixels lie in 0..1), and the
 * sheet is an RGB PNG; otherwise gray. Rows are labelled `class / channel` (`class / RGB`). Returns the PNG bytes.
 */
export async function contactSheet(ds: ImageDataset, options: ContactSheetOptions = {}): Promise<Buffer> {
  const [n, C, H, W] = ds.shape;
  const per = options.perClass ?? 8;
  const maxTile = options.tile ?? 96;
  const scale = Math.min(1, maxTile / Math.max(H, W));
  const th = Math.max(1, Math.round(H * scale));
  const tw = Math.max(1, Math.round(W * scale));
  const stats = summarizeDataset(ds).channels;
  const single = ds.labels && ds.classNames && (ds.labelWidth ?? 1) === 1;
  const groups: Array<{ name: string; idx: number[] }> = single
    ? ds.classNames!.map((name) => ({ name, idx: [] as number[] }))
    : [{ name: 'all', idx: [] }];
  for (let i = 0; i < n; i++) {
    const g = groups[single ? ds.labels![i]! : 0]!;
    if (g.idx.length < per) g.idx.push(i);
  }
  const gap = 2;
  const margin = 150;
  const HW = H * W;
  const rgb = rgbChannels(ds.channelNames);
  // Rows per class: the composite (RGB data), then each channel.
  const R = C + (rgb ? 1 : 0),
    first = rgb ? 1 : 0;
  const rows = groups.length * R;
  const width = margin + per * (tw + gap);
  const height = rows * (th + gap) + gap;
  const canvas = Buffer.alloc(width * height, 24);
  const tileOf = (i: number, c: number) => {
    const plane = ds.images.subarray((i * C + c) * HW, (i * C + c + 1) * HW);
    return th === H && tw === W ? plane : resizePlane(plane, H, W, th, tw);
  };
  const colour = rgb ? Buffer.alloc(width * height * 3, 24) : null;
  if (rgb) {
    const [lo, hi] = compositeWindow(ds.images, C, HW, rgb);
    groups.forEach((g, gi) => {
      const top = gi * R * (th + gap) + gap;
      g.idx.forEach((i, col) => {
        const [r, gr, b] = rgb.map((c) => tileOf(i, c));
        const left = margin + col * (tw + gap);
        for (let y = 0; y < th; y++) {
          for (let x = 0; x < tw; x++) {
            const o = ((top + y) * width + left + x) * 3,
              p = y * tw + x;
            colour![o] = toByte(r![p]!, lo, hi);
            colour![o + 1] = toByte(gr![p]!, lo, hi);
            colour![o + 2] = toByte(b![p]!, lo, hi);
          }
        }
      });
    });
  }
  groups.forEach((g, gi) => {
    for (let c = 0; c < C; c++) {
      const top = (gi * R + first + c) * (th + gap) + gap;
      const lo = stats[c]!.p1;
      const range = stats[c]!.p99 - lo || 1;
      g.idx.forEach((i, col) => {
        const t = tileOf(i, c);
        const left = margin + col * (tw + gap);
        for (let y = 0; y < th; y++) {
          for (let x = 0; x < tw; x++) {
            const v = ((t[y * tw + x]! - lo) / range) * 255;
            canvas[(top + y) * width + left + x] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
          }
        }
      });
    }
  });
  const esc = (s: string) => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const texts = groups.flatMap((g, gi) =>
    [...(rgb ? ['RGB'] : []), ...ds.channelNames].map((ch, c) => {
      const y = (gi * R + c) * (th + gap) + gap + th / 2 + 4;
      return `<text x="4" y="${y}" font-family="sans-serif" font-size="11" fill="white">${esc(`${g.name.slice(0, 16)} / ${ch}`)}</text>`;
    }),
  );
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${margin}" height="${height}">${texts.join('')}</svg>`);
  // The channel rows into the RGB sheet: the gray canvas is background (24) in the composite rows, the RGB one in the channel rows.
  if (colour) for (let p = 0; p < width * height; p++) if (canvas[p] !== 24) colour.fill(canvas[p]!, p * 3, p * 3 + 3);
  const raw = colour ?? canvas,
    bands = colour ? 3 : 1;
  try {
    return await sharp(raw, { raw: { width, height, channels: bands } })
      .composite([{ input: svg, left: 0, top: 0 }])
      .png()
      .toBuffer();
  } catch {
    // Text rendering unavailable: the sheet without row labels.
    return colour ? await rgbPng(colour, width, height) : await grayPng(canvas, width, height);
  }
}
