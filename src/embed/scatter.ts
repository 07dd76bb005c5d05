// Scatter plots of 2-D embeddings: points are rasterised into an RGBA buffer here (anti-aliased
// discs, alpha-blended, drawn in a seeded-free fixed order so equal inputs give equal bytes); the
// legend and title are an SVG overlay composited by sharp, which also encodes the PNG.
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EmbeddingResult } from './types.js';

/** What colours the points: categorical labels, or a continuous value per point (viridis). */
export interface ScatterOptions {
  /** Image width in pixels. Default 800. */
  width?: number;
  /** Image height in pixels. Default 800. */
  height?: number;
  /** One integer class per point (coloured with the tab10 palette, cycling past 10). */
  labels?: ArrayLike<number>;
  /** Name of each class index, for the legend. Default: the index. */
  classNames?: string[];
  /**
   * The classes are ordered (grades, an ordinal target, more than two numeric classes): coloured by a
   * sequential palette (viridis, lowest class dark) instead of the categorical tab10. Default false.
   */
  ordered?: boolean;
  /** One number per point (a factor, a map's activation), coloured low→high by viridis. Ignored when `labels` is given. */
  values?: ArrayLike<number>;
  /** Legend heading for `values` (or `labels`). Default `'value'` / `'label'`. */
  colorName?: string;
  /** Title drawn at the top left. Default none. */
  title?: string;
  /** Disc radius in pixels. Default 3 below 2,000 points, else 2. */
  pointRadius?: number;
  /** Opacity of each disc. Default 0.7. */
  alpha?: number;
}

const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
// viridis at 9 evenly spaced stops (matplotlib), interpolated linearly between them.
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];
const MARGIN = 24;
const LEGEND_WIDTH = 170;

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[i][c] + f * (VIRIDIS[i + 1][c] - VIRIDIS[i][c]))) as [number, number, number];
}

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((o) => parseInt(hex.slice(o, o + 2), 16)) as [number, number, number];
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const hex = (rgb: [number, number, number]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/**
 * Colour (as #rrggbb) of each class index: tab10 for unordered classes; for ordered ones viridis at the
 * class's place among `classes` of them (0 = lowest = dark purple .. highest = yellow), so grades read as
 * a scale rather than as unrelated groups.
 */
export function classColours(present: number[], ordered: boolean, classes = 0): (c: number) => string {
  if (!ordered) return (c) => TAB10[((c % 10) + 10) % 10];
  const k = Math.max(classes, present.length ? Math.max(...present) + 1 : 0);
  return (c) => hex(viridis(k > 1 ? c / (k - 1) : 0));
}

/**
 * Axis limits robust to a few outliers: the 1st..99th percentile widened by 5% of its range on each side,
 * never beyond the data's own range (equal to min..max when no point lies far out). Points outside are
 * drawn at the edge.
 */
export function robustLimits(v: ArrayLike<number>): [number, number] {
  const s = Array.from(v)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (!s.length) return [0, 1];
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
  const lo = at(0.01),
    hi = at(0.99);
  const pad = 0.05 * (hi - lo);
  return [Math.max(s[0]!, lo - pad), Math.min(s[s.length - 1]!, hi + pad)];
}

/** Colour of each point and the legend entries that explain them. */
function colourPoints(
  n: number,
  o: ScatterOptions,
): { rgb: Uint8Array; legend: { colour: string; text: string }[]; heading: string; gradient?: [number, number] } {
  const rgb = new Uint8Array(3 * n).fill(60);
  if (o.labels) {
    const present = [...new Set(Array.from(o.labels))].sort((x, y) => x - y);
    const colourOf = classColours(present, o.ordered ?? false, o.classNames?.length);
    for (let i = 0; i < n; i++) rgb.set(hexRgb(colourOf(o.labels[i])), 3 * i);
    const legend = present.map((c) => ({ colour: colourOf(c), text: o.classNames?.[c] ?? String(c) }));
    return { rgb, legend, heading: o.colorName ?? 'label' };
  }
  if (o.values) {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < n; i++)
      if (Number.isFinite(o.values[i])) {
        lo = Math.min(lo, o.values[i]);
        hi = Math.max(hi, o.values[i]);
      }
    if (!(hi > lo)) hi = lo + 1;
    for (let i = 0; i < n; i++) rgb.set(viridis((o.values[i] - lo) / (hi - lo)), 3 * i);
    return { rgb, legend: [], heading: o.colorName ?? 'value', gradient: [lo, hi] };
  }
  return { rgb, legend: [], heading: '' };
}

/** Rasterises the points into a width x height RGBA buffer on white (legend area left blank). */
export function rasterizeScatter(
  coords: Float32Array | Float64Array,
  options: ScatterOptions = {},
): { rgba: Uint8Array; width: number; height: number } {
  const width = options.width ?? 800,
    height = options.height ?? 800;
  const n = coords.length / 2;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const { rgb } = colourPoints(n, options);
  const [minX, maxX] = robustLimits(Array.from({ length: n }, (_, i) => coords[2 * i]));
  const [minY, maxY] = robustLimits(Array.from({ length: n }, (_, i) => coords[2 * i + 1]));
  const plotW = width - 2 * MARGIN - LEGEND_WIDTH,
    plotH = height - 2 * MARGIN - 16;
  // One scale for both axes: distances in the picture mean what they mean in the embedding.
  const scale = Math.min(plotW / (maxX - minX || 1), plotH / (maxY - minY || 1));
  const offX = MARGIN + (plotW - scale * (maxX - minX || 0)) / 2,
    offY = MARGIN + 16 + (plotH - scale * (maxY - minY || 0)) / 2;
  const radius = options.pointRadius ?? (n < 2000 ? 3 : 2);
  const alpha = options.alpha ?? 0.7;
  for (let i = 0; i < n; i++) {
    // A point beyond the robust limits is drawn on the edge it lies past.
    const cx = offX + (Math.min(maxX, Math.max(minX, coords[2 * i])) - minX) * scale;
    const cy = offY + (maxY - Math.min(maxY, Math.max(minY, coords[2 * i + 1]))) * scale;
    for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y++) {
      if (y < 0 || y >= height) continue;
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++) {
        if (x < 0 || x >= width) continue;
        const cover = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
        if (cover <= 0) continue;
        const w = cover * alpha,
          p = 4 * (y * width + x);
        for (let c = 0; c < 3; c++) rgba[p + c] = Math.round(rgba[p + c] * (1 - w) + rgb[3 * i + c] * w);
      }
    }
  }
  return { rgba, width, height };
}

/** How many points lie beyond the robust axis limits (drawn at the edge). */
export function pointsAtEdge(coords: Float32Array | Float64Array): number {
  const n = coords.length / 2;
  const [x0, x1] = robustLimits(Array.from({ length: n }, (_, i) => coords[2 * i]));
  const [y0, y1] = robustLimits(Array.from({ length: n }, (_, i) => coords[2 * i + 1]));
  let out = 0;
  for (let i = 0; i < n; i++) if (coords[2 * i] < x0 || coords[2 * i] > x1 || coords[2 * i + 1] < y0 || coords[2 * i + 1] > y1) out++;
  return out;
}

function legendSvg(width: number, height: number, coords: Float32Array | Float64Array, o: ScatterOptions): string {
  const n = coords.length / 2;
  const { legend, heading, gradient } = colourPoints(n, o);
  const x0 = width - LEGEND_WIDTH - MARGIN / 2;
  const parts: string[] = [];
  if (o.title) parts.push(`<text x="${MARGIN}" y="${MARGIN}" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);
  if (heading) parts.push(`<text x="${x0}" y="${MARGIN + 30}" font-size="13" font-weight="bold">${escapeXml(heading)}</text>`);
  legend.slice(0, 20).forEach((e, k) => {
    const y = MARGIN + 44 + 20 * k;
    parts.push(
      `<rect x="${x0}" y="${y}" width="12" height="12" fill="${e.colour}"/><text x="${x0 + 18}" y="${y + 11}" font-size="12">${escapeXml(e.text)}</text>`,
    );
  });
  if (gradient) {
    const stops = VIRIDIS.map((c, k) => `<stop offset="${k / (VIRIDIS.length - 1)}" stop-color="rgb(${c.join(',')})"/>`).join('');
    const y = MARGIN + 44;
    parts.push(`<defs><linearGradient id="v" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`);
    parts.push(`<rect x="${x0}" y="${y}" width="16" height="160" fill="url(#v)"/>`);
    parts.push(
      `<text x="${x0 + 22}" y="${y + 10}" font-size="12">${gradient[1].toPrecision(3)}</text><text x="${x0 + 22}" y="${y + 160}" font-size="12">${gradient[0].toPrecision(3)}</text>`,
    );
  }
  const edge = pointsAtEdge(coords);
  if (edge > 0)
    parts.push(
      `<text x="${x0}" y="${height - MARGIN}" font-size="11" fill="#555">${edge} outlying point${edge === 1 ? '' : 's'} drawn at the edge</text><text x="${x0}" y="${height - MARGIN + 13}" font-size="11" fill="#555">(axes: 1st-99th percentile)</text>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, sans-serif" fill="#222">${parts.join('')}</g></svg>`;
}

/** The scatter plot as PNG bytes. */
export async function scatterPng(coords: Float32Array | Float64Array, options: ScatterOptions = {}): Promise<Buffer> {
  const { rgba, width, height } = rasterizeScatter(coords, options);
  const overlay = Buffer.from(legendSvg(width, height, coords, options));
  return sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/** Writes the scatter plot PNG atomically. */
export async function writeScatterPng(path: string, coords: Float32Array | Float64Array, options: ScatterOptions = {}): Promise<void> {
  writeFileAtomic(path, await scatterPng(coords, options));
}

/** An embedding as JSON holds it: the result record with `coords` as [[x, y], ...]. */
export type EmbeddingJson = Omit<EmbeddingResult, 'coords'> & { coords: [number, number][] };

export function embeddingJson(result: EmbeddingResult): EmbeddingJson {
  const points: [number, number][] = [];
  for (let i = 0; i < result.coords.length / 2; i++) points.push([result.coords[2 * i]!, result.coords[2 * i + 1]!]);
  return { method: result.method, trustworthiness: result.trustworthiness, seconds: result.seconds, params: result.params, coords: points };
}
