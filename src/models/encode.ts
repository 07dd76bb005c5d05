// Encoding a dataset to latents: batched, without gradients, bounded memory. Every analysis starts here.
import { noGrad, scope, tensor, type Tensor } from '../engine/index.js';
import { takeRows } from '../util/rows.js';
import type { LatentModel } from './types.js';

/** N x K x h x w: maps of images, or of volumes read as their cells (see `latentCells`). */
export type GridShape = [number, number, number, number];
/** N x K x d x h x w: maps of volumes. */
export type VolumeShape = [number, number, number, number, number];
export type LatentShape = GridShape | VolumeShape;

/** Latent maps of N cases, row-major, in the model's own rank (vector latents have 1 x 1 grids). */
export interface LatentMaps<S extends LatentShape = LatentShape> {
  data: Float32Array;
  shape: S;
}

/** Cases to encode: a tensor, or contiguous NCHW / NCDHW float32 with its shape (a dataset is one). */
export type EncodeCases = Tensor | { images: Float32Array; shape: readonly number[] };

export interface EncodeOptions {
  /** Cases per forward pass. Default 256 for images; volumes never take more than 32. */
  batch?: number;
  /** Encode only these cases, in this order. Default all. */
  indices?: ArrayLike<number>;
}

/** The model's latent `z` (posterior means for VAEs) of every case, or of `indices` only. */
export function encodeLatents(model: LatentModel, cases: EncodeCases, o: EncodeOptions = {}): LatentMaps {
  const [images, shape] = 'images' in cases ? [cases.images, cases.shape] : [cases.toFloat32(), cases.shape];
  if (shape.length !== 4 && shape.length !== 5)
    throw new RangeError(`encodeLatents: expected images N x C x H x W or volumes N x C x D x H x W, got shape [${shape.join(', ')}]`);
  // A volume batch holds D times the activations of an image batch.
  const batch = shape.length === 5 ? Math.min(o.batch ?? 32, 32) : (o.batch ?? 256);
  const r = encodeCases(model, images, shape, batch, o.indices);
  const s = r.shape;
  const cell = (i: number): number => (s.length === 2 ? 0 : (s[i] ?? 1)); // no cases: no latent shape
  const k = s.length === 2 ? 0 : s[1]!;
  return shape.length === 5
    ? { data: r.values, shape: [s[0]!, k, cell(2), cell(3), cell(4)] }
    : { data: r.values, shape: [s[0]!, k, cell(2), cell(3)] };
}

/**
 * Maps of volumes K x d x h x w read as K x (d·h) x w, images' maps as they are: for readers that treat
 * a map as its cells (flattened or averaged), never by their geometry; a cell's row is then z·h + y.
 */
export function latentCells(maps: LatentMaps): LatentMaps<GridShape> {
  const s = maps.shape;
  return s.length === 5 ? { data: maps.data, shape: [s[0], s[1], s[2] * s[3], s[4]] } : { data: maps.data, shape: s };
}

// The batched loop: cases of any rank, latents of the model's rank.
function encodeCases(
  model: LatentModel,
  images: Float32Array,
  shape: readonly number[],
  batchSize: number,
  indices?: ArrayLike<number>,
): { values: Float32Array; shape: number[] } {
  const total = shape[0]!;
  const caseShape = shape.slice(1);
  const n = indices ? indices.length : total;
  const per = caseShape.reduce((a, b) => a * b, 1);
  let values: Float32Array | null = null;
  let zShape: number[] = [n, 0];
  model.eval();
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const batch = indices
      ? takeRows(
          images,
          per,
          Array.from({ length: b }, (_, r) => indices[start + r]!),
        )
      : images.subarray(start * per, (start + b) * per);
    scope(() =>
      noGrad(() => {
        const z = model.encode(tensor(batch, [b, ...caseShape])).z;
        const s = z.shape;
        const zPer = s.slice(1).reduce((a, v) => a * v, 1);
        if (!values) {
          values = new Float32Array(n * zPer);
          zShape = [n, ...s.slice(1)];
        }
        values.set(z.toFloat32(), start * zPer);
      }),
    );
  }
  return { values: values ?? new Float32Array(0), shape: zShape };
}
