// Figures of attributions on volumes: three orthogonal slices through the point the attribution peaks
// at (a volume cannot be shown whole), each an overlay of the input channel with the heatmap and the
// ground-truth masks outlined, as the 2D overlays are.
import { fileSlug } from '../util/run-paths.js';
import { overlayPng } from './figures.js';

export type SliceAxis3d = 'depth' | 'height' | 'width';
export const SLICE_AXES_3D: readonly SliceAxis3d[] = ['depth', 'height', 'width'];

/** The plane of a D x H x W block at `index` across `axis`: depth -> H x W, height -> D x W, width -> D x H. */
export function volumeSlice<T extends Float32Array | Uint8Array>(
  block: ArrayLike<number>,
  dims: [number, number, number],
  axis: SliceAxis3d,
  index: number,
  make: (n: number) => T,
): { plane: T; rows: number; cols: number } {
  const [d, h, w] = dims;
  const [rows, cols] = axis === 'depth' ? [h, w] : axis === 'height' ? [d, w] : [d, h];
  const plane = make(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let q = 0; q < cols; q++) {
      const p = axis === 'depth' ? (index * h + r) * w + q : axis === 'height' ? (r * h + index) * w + q : (r * h + q) * w + index;
      plane[r * cols + q] = block[p]!;
    }
  return { plane, rows, cols };
}

/** [z, y, x] of the largest value summed over the C blocks of D x H x W (the attribution's peak). */
export function peakVoxel(
  heat: ArrayLike<number>,
  offset: number,
  channels: number,
  dims: [number, number, number],
): [number, number, number] {
  const [d, h, w] = dims;
  const V = d * h * w;
  let best = -Infinity,
    at = 0;
  for (let p = 0; p < V; p++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += heat[offset + c * V + p]!;
    if (s > best) {
      best = s;
      at = p;
    }
  }
  return [Math.floor(at / (h * w)), Math.floor(at / w) % h, at % w];
}

/** File name of one slice figure: method, case, channel (index and slug), axis and slice index. */
export function volumeFigureName(
  method: string,
  caseIndex: number,
  channel: number,
  channelName: string,
  axis: SliceAxis3d,
  index: number,
): string {
  const slug = fileSlug(channelName);
  return `${fileSlug(method) || 'method'}-case${caseIndex}-ch${channel}${slug ? `-${slug}` : ''}-${axis}${index}.png`;
}

/**
 * The three slice overlays of one channel of one volume through `at` ([z, y, x]): input values (D x H x W),
 * heatmap (D x H x W, one colour scale for the three) and masks (D x H x W each) outlined.
 */
export async function sliceOverlays(
  input: ArrayLike<number>,
  heat: ArrayLike<number>,
  dims: [number, number, number],
  at: [number, number, number],
  outlines: { mask: ArrayLike<number>; rgb: [number, number, number] }[],
): Promise<{ axis: SliceAxis3d; index: number; png: Buffer }[]> {
  let maxAbs = 0;
  for (let p = 0; p < heat.length; p++) maxAbs = Math.max(maxAbs, Math.abs(heat[p]!));
  const out: { axis: SliceAxis3d; index: number; png: Buffer }[] = [];
  for (const [k, axis] of SLICE_AXES_3D.entries()) {
    const index = at[k]!;
    const f32 = (n: number) => new Float32Array(n);
    const img = volumeSlice(input, dims, axis, index, f32);
    const hm = volumeSlice(heat, dims, axis, index, f32);
    const masks = outlines.map((m) => ({ mask: volumeSlice(m.mask, dims, axis, index, (n) => new Uint8Array(n)).plane, rgb: m.rgb }));
    out.push({
      axis,
      index,
      png: await overlayPng(img.plane, hm.plane, img.rows, img.cols, { outlines: masks, ...(maxAbs > 0 ? { maxAbs } : {}) }),
    });
  }
  return out;
}
