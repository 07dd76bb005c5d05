// Defaults for scanner data (NIfTI, DICOM) that make a plain spec train well: intensities brought to
// [0, 1] per subject (1st–99th percentile per channel), and slices larger than DEFAULT_MAX_SIDE pixels
// resized to it. Each default applied is said on stderr (a `DataDefault` process warning) and recorded
// in `dataset.defaults`; naming the option in the spec (`norm=`, `size=`) turns it off.
import { fitNormalization, applyNormalization, type NormalizationMethod } from './transforms.js';
import { squareLabels, squarePlane } from './resize.js';
import type { ImageDataset } from './types.js';

/** Slices with a side above this many pixels are resized to it by default (`size=` overrides). */
export const DEFAULT_MAX_SIDE = 128;

/** Says on stderr that a default was applied (a process warning of type `DataDefault`). */
export function defaultNote(source: string, text: string): void {
  process.emitWarning(`${source}: ${text}`, { type: 'DataDefault', code: 'LATENTLENS_DATA_DEFAULT' });
}

/**
 * Centre-crops every plane to a square and resizes it to size x size (area averaging when shrinking),
 * masks by nearest neighbour, spacing scaled: what a reader's `size=` option does, after reading.
 */
export function resizeDataset(ds: ImageDataset, size: number): ImageDataset {
  const [n, c, h, w] = ds.shape;
  if (h === size && w === size) return ds;
  const HW = h * w;
  const S = size * size;
  const images = new Float32Array(n * c * S);
  for (let p = 0; p < n * c; p++) images.set(squarePlane(ds.images.subarray(p * HW, (p + 1) * HW), h, w, size), p * S);
  const out: ImageDataset = { ...ds, images, shape: [n, c, size, size] };
  if (ds.masks) {
    out.masks = ds.masks.map((m) => {
      const data = new Uint8Array(n * S);
      for (let i = 0; i < n; i++) data.set(squareLabels(m.data.subarray(i * HW, (i + 1) * HW), h, w, size), i * S);
      return { ...m, data };
    });
  }
  if (ds.spacing) {
    const scale = Math.min(h, w) / size;
    out.spacing = [ds.spacing[0] * scale, ds.spacing[1] * scale];
  }
  return out;
}

/**
 * Normalises each channel per group (subject, patient; `groups`, else the whole dataset as one):
 * the statistics of a subject's own cases only, so scanners and sessions with different intensity
 * scales meet on one. Returns a new dataset.
 */
export function normalizePerGroup(ds: ImageDataset, method: NormalizationMethod): ImageDataset {
  const [n, c, h, w] = ds.shape;
  const per = c * h * w;
  const byGroup = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = ds.groups?.[i] ?? '';
    let list = byGroup.get(g);
    if (!list) byGroup.set(g, (list = []));
    list.push(i);
  }
  const images = new Float32Array(ds.images.length);
  for (const idx of byGroup.values()) {
    const norm = fitNormalization(ds, { method, fitOn: idx });
    // Contiguous runs of the group's cases are normalised together.
    for (let a = 0; a < idx.length;) {
      let b = a + 1;
      while (b < idx.length && idx[b] === idx[b - 1]! + 1) b++;
      const from = idx[a]! * per;
      const to = (idx[b - 1]! + 1) * per;
      images.set(applyNormalization(ds.images.subarray(from, to), [b - a, c, h, w], norm), from);
      a = b;
    }
  }
  return { ...ds, images };
}

/** Which defaults apply: `norm` and `size` as given in the spec (undefined: not given). */
export interface ImagingDefaultOptions {
  norm?: string;
  size?: string;
}

/**
 * Applies the scanner-data defaults to a NIfTI or DICOM dataset read at native size and intensity:
 * `norm=percentile` per subject unless `norm` is given (`norm=none` keeps the stored values; an explicit
 * method is applied per subject too), and `size=128` when a slice side exceeds 128 pixels and `size` is
 * not given. Both are listed in `defaults`; the size, which changes the images' geometry, is also said on
 * stderr (unless `quiet`: the subjects reader notes it once for all subjects).
 */
export function applyImagingDefaults(ds: ImageDataset, o: ImagingDefaultOptions, source: string, quiet = false): ImageDataset {
  const applied: string[] = [...(ds.defaults ?? [])];
  let out = ds;
  const [, , h, w] = ds.shape;
  if (o.size === undefined && Math.max(h, w) > DEFAULT_MAX_SIDE) {
    out = resizeDataset(out, DEFAULT_MAX_SIDE);
    const text = `size=${DEFAULT_MAX_SIDE} (slices are ${h} x ${w} pixels, above ${DEFAULT_MAX_SIDE}: centre-cropped to a square and resized; give size=<pixels> to choose)`;
    applied.push(text);
    if (!quiet) defaultNote(source, `default ${text}`);
  }
  const method = o.norm ?? 'percentile';
  if (method !== 'none') {
    out = normalizePerGroup(out, method as NormalizationMethod);
    if (o.norm === undefined) {
      const text = 'norm=percentile (per subject and channel, 1st–99th percentile to [0, 1]; give norm=none for the stored intensities)';
      applied.push(text);
    }
  }
  return applied.length > 0 ? { ...out, defaults: applied } : out;
}
