// `data inspect` for volumes: the summary of a VolumeDataset (its N x C x D x H x W shape; intensity
// statistics over every voxel) and its middle slice along each axis as 2D datasets, so that each axis
// gets a contact sheet from the 2D contactSheet.
import { summarizeDataset, type DatasetSummary } from './inspect.js';
import type { ImageDataset, VolumeDataset } from './types.js';

/** The three axes of a D x H x W volume, named by the side they cut. */
export type VolumeAxis = 'depth' | 'height' | 'width';
export const VOLUME_AXES: readonly VolumeAxis[] = ['depth', 'height', 'width'];

/** summarizeDataset of volumes: the same statistics over all voxels, and `volumeShape` N x C x D x H x W. */
export function summarizeVolumes(ds: VolumeDataset): DatasetSummary {
  const [n, c, d, h, w] = ds.shape;
  // Per-channel statistics and mask counts read each case's channel as one block of D·H·W values: a
  // (D·H) x W image is the same block.
  const flat: ImageDataset = { ...ds, shape: [n, c, d * h, w], spacing: undefined };
  return { ...summarizeDataset(flat), volumeShape: [...ds.shape] };
}

/**
 * The middle slice of every volume along `axis` as a 2D ImageDataset: depth -> H x W (slice D/2),
 * height -> D x W (row H/2), width -> D x H (column W/2). Labels, splits, ids and masks follow; the
 * source says which slice it is.
 */
export function middleSlices(ds: VolumeDataset, axis: VolumeAxis): ImageDataset {
  const [n, c, d, h, w] = ds.shape;
  const [rows, cols] = axis === 'depth' ? [h, w] : axis === 'height' ? [d, w] : [d, h];
  const mid = Math.floor((axis === 'depth' ? d : axis === 'height' ? h : w) / 2);
  // Offset within one D x H x W block of the pixel (r, q) of the slice.
  const at = (r: number, q: number) =>
    axis === 'depth' ? (mid * h + r) * w + q : axis === 'height' ? (r * h + mid) * w + q : (r * h + q) * w + mid;
  const V = d * h * w,
    plane = rows * cols;
  const cut = <T extends Float32Array | Uint8Array>(src: T, blocks: number, make: (len: number) => T): T => {
    const out = make(blocks * plane);
    for (let b = 0; b < blocks; b++)
      for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) out[b * plane + r * cols + q] = src[b * V + at(r, q)]!;
    return out;
  };
  const { spacing: _spacing, ...rest } = ds;
  void _spacing;
  return {
    ...rest,
    images: cut(ds.images, n * c, (len) => new Float32Array(len)),
    shape: [n, c, rows, cols],
    ...(ds.masks ? { masks: ds.masks.map((m) => ({ ...m, data: cut(m.data, n, (len) => new Uint8Array(len)) })) } : {}),
    source: `${ds.source} (middle slice across ${axis}: ${axis === 'depth' ? 'd' : axis === 'height' ? 'h' : 'w'} = ${mid})`,
  };
}
