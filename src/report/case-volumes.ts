// The report's own case images for volume runs: each volume shown as its middle slices across depth,
// height and width (one row per axis), since a volume has no single image to show. The same windows,
// classes and held-out cases as the 2D images (case-images.ts).
import type { VolumeDataset } from '../data/types.js';
import { SLICE_AXES_3D, volumeSlice } from '../explain/figures-volume.js';
import { channelWindows, classGroups, decodeHeldOut, gridPng, stackPngs, type Reconstructions, type SampleImages } from './case-images.js';
import { fitPng } from './html.js';

const dimsOf = (data: VolumeDataset): [number, number, number] => [data.shape[2], data.shape[3], data.shape[4]];
const middles = (dims: [number, number, number]): [number, number, number] => [dims[0] >> 1, dims[1] >> 1, dims[2] >> 1];

/** Channel `ch`'s D x H x W block of case j in an N x C x D x H x W array. */
function block(src: Float32Array, j: number, ch: number, c: number, dims: [number, number, number]): Float32Array {
  const v = dims[0] * dims[1] * dims[2];
  return src.subarray((j * c + ch) * v, (j * c + ch + 1) * v);
}

/** Per axis (depth, height, width), one row per entry of `rows`: each block's middle slice across that axis. */
async function sliceRows(rows: Float32Array[][], dims: [number, number, number], window: [number, number]): Promise<Uint8Array[]> {
  const mid = middles(dims);
  const pngs: Uint8Array[] = [];
  for (let a = 0; a < 3; a++) {
    const tiles = rows.map((blocks) => blocks.map((b) => volumeSlice(b, dims, SLICE_AXES_3D[a]!, mid[a]!, (n) => new Float32Array(n))));
    const { rows: h, cols: w } = tiles[0]![0]!;
    pngs.push(
      await gridPng(
        tiles.map((r) => r.map((t) => t.plane)),
        h,
        w,
        window,
      ),
    );
  }
  return pngs;
}

/** The first `perClass` volumes of each class: per channel three rows (depth, height, width middle slices). */
export async function sampleVolumes(data: VolumeDataset, perClass: number): Promise<SampleImages> {
  const c = data.shape[1];
  const dims = dimsOf(data);
  const windows = channelWindows(data);
  const classes: SampleImages['classes'] = [];
  for (const g of classGroups(data)) {
    const cases = g.members.slice(0, perClass);
    const rows: Uint8Array[] = [];
    for (let ch = 0; ch < c; ch++)
      rows.push(...(await sliceRows([cases.map((i) => block(data.images, i, ch, c, dims))], dims, windows[ch]!)));
    classes.push({ name: g.name, count: g.members.length, cases, png: await fitPng(await stackPngs(rows)) });
  }
  return { classes, channels: data.channelNames, slices: middles(dims) };
}

/** Decodes `count` held-out volumes (test split, else val); per channel the inputs over their reconstructions, per axis. */
export async function reconstructVolumes(dir: string, data: VolumeDataset, count: number): Promise<Reconstructions> {
  const c = data.shape[1];
  const dims = dimsOf(data);
  const { x, recon, cases, split, weights } = decodeHeldOut(dir, data, count);
  const windows = channelWindows(data);
  const channels = await Promise.all(
    data.channelNames.map(async (name, ch) => {
      const pair = [cases.map((_, j) => block(x, j, ch, c, dims)), cases.map((_, j) => block(recon, j, ch, c, dims))];
      return { name, png: await fitPng(await stackPngs(await sliceRows(pair, dims, windows[ch]!))) };
    }),
  );
  return { channels, cases, split, weights, slices: middles(dims) };
}
