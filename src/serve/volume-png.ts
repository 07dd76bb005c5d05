// PNGs of volumes for the explorer: three orthogonal slices through one point, a row per channel, the
// slices in the order of the report's volume card (depth, height, width: the planes of figures-volume.ts),
// so a case, its decoding and the explain figures read the same way.
import { SLICE_AXES_3D, volumeSlice } from '../explain/figures-volume.js';
import { grayPng, toByte } from '../util/png.js';
import { MAX_SCALE, MAX_STRIP_SIDE } from './png.js';

export interface VolumeSheetOptions {
  /** Output pixels per voxel. Default: about 128 pixels per slice. */
  scale?: number;
  /** Only this channel (one row). */
  channel?: number;
  /** [z, y, x] the three slices go through. Default the centre voxel. */
  at?: [number, number, number];
  /** Gap between slices and rows, in output pixels. Default 4. */
  gap?: number;
}

/** The voxel in the middle of a D x H x W volume. */
export const centreVoxel = (dims: readonly number[]): [number, number, number] => [
  Math.floor(dims[0]! / 2),
  Math.floor(dims[1]! / 2),
  Math.floor(dims[2]! / 2),
];

// Rows x cols of the depth (H x W), height (D x W) and width (D x H) planes.
const planes = ([d, h, w]: readonly number[]): [number, number][] => [
  [h!, w!],
  [d!, w!],
  [d!, h!],
];

function sheetSize(shape: readonly number[], rows: number, scale: number, gap: number): [number, number] {
  const p = planes(shape.slice(1));
  const width = p.reduce((s, [, c]) => s + c * scale, 0) + 2 * gap;
  const rowHeight = Math.max(...p.map(([r]) => r)) * scale;
  return [width, rows * rowHeight + (rows - 1) * gap];
}

/**
 * The scale a sheet of C x D x H x W is drawn at: the asked one (default about 128 px per slice) within
 * 1..MAX_SCALE, lowered until neither side exceeds MAX_STRIP_SIDE (1 when even scale 1 is larger).
 */
export function volumeSheetScale(shape: readonly number[], o: Pick<VolumeSheetOptions, 'scale' | 'channel' | 'gap'> = {}): number {
  const rows = o.channel === undefined ? shape[0]! : 1;
  const gap = o.gap ?? 4;
  const side = Math.max(...shape.slice(1));
  let s = Math.max(1, Math.min(MAX_SCALE, Math.round(o.scale ?? 128 / side)));
  while (s > 1 && Math.max(...sheetSize(shape, rows, s, gap)) > MAX_STRIP_SIDE) s--;
  return s;
}

/** C x D x H x W values (0..1 as black..white, clamped) as one gray PNG: per channel a row of the three slices through `at`. */
export async function volumeSheetPng(pixels: Float32Array, shape: readonly number[], o: VolumeSheetOptions = {}): Promise<Buffer> {
  const dims = shape.slice(1) as [number, number, number];
  const V = dims[0] * dims[1] * dims[2];
  const at = o.at ?? centreVoxel(dims);
  const channels = o.channel === undefined ? Array.from({ length: shape[0]! }, (_, i) => i) : [o.channel];
  const gap = o.gap ?? 4;
  const scale = volumeSheetScale(shape, o);
  const [W, H] = sheetSize(shape, channels.length, scale, gap);
  const rowHeight = Math.max(...planes(dims).map(([r]) => r)) * scale;
  const out = new Uint8Array(W * H).fill(255);
  channels.forEach((ch, row) => {
    const block = pixels.subarray(ch * V, (ch + 1) * V);
    let x0 = 0;
    for (const [k, axis] of SLICE_AXES_3D.entries()) {
      const s = volumeSlice(block, dims, axis, at[k]!, (n) => new Float32Array(n));
      const y0 = row * (rowHeight + gap);
      for (let y = 0; y < s.rows * scale; y++) {
        const src = Math.floor(y / scale) * s.cols;
        for (let x = 0; x < s.cols * scale; x++) out[(y0 + y) * W + x0 + x] = toByte(s.plane[src + Math.floor(x / scale)]!, 0, 1);
      }
      x0 += s.cols * scale + gap;
    }
  });
  return grayPng(out, W, H);
}
