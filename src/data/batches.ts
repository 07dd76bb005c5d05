// Batches: from an in-memory dataset, or streamed from disk with bounded memory through an
// ImageSource (for data larger than memory, e.g. a folder of 100,000 PNGs).
import { Random } from '../core/random.js';
import { caseSize, type CaseDataset, type ImageDataset } from './types.js';

/** One batch of samples. */
export interface Batch {
  /** NCHW float32 pixels of the batch (NCDHW for volumes). */
  images: Float32Array;
  /** `[B, C, H, W]`, or `[B, C, D, H, W]` for a batch of volumes. */
  shape: [number, number, number, number] | [number, number, number, number, number];
  /** Labels of the batch (B x labelWidth), when the source has labels. */
  labels?: Int32Array;
  /** Dataset indices of the samples in this batch. */
  indices: Int32Array;
}

/** Options of `batches` and `streamBatches`. */
export interface BatchOptions {
  /** Samples per batch. Default 64. */
  batchSize?: number;
  /** Shuffle the order (seeded). Default false. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default 0. Use a different seed (e.g. seed + epoch) per epoch. */
  seed?: number | string;
  /** Only these samples (e.g. `ds.splits.train`). Default all. */
  indices?: ArrayLike<number>;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/**
 * A dataset that reads samples on demand: only labels and metadata are held in memory, pixels are
 * read batch by batch. `loadImageFolder`'s lazy twin `openImageFolder` returns one; any in-memory
 * dataset can act as one through `datasetSource`.
 */
export interface ImageSource {
  /** Number of samples N. */
  length: number;
  /** `[C, H, W]` of every sample. */
  sampleShape: [number, number, number];
  /** Channel names. */
  channelNames: string[];
  /** Labels (N x labelWidth) when known. */
  labels?: Int32Array;
  /** Labels per sample. Default 1. */
  labelWidth?: number;
  /** Class names. */
  classNames?: string[];
  /** Reads the given samples as NCHW float32, in the given order. */
  read(indices: ArrayLike<number>): Promise<Float32Array>;
}

function order(n: number, options: BatchOptions): Int32Array {
  const idx = options.indices ? Int32Array.from(options.indices) : Int32Array.from({ length: n }, (_, i) => i);
  if (options.shuffle) new Random(options.seed ?? 0).shuffle(idx);
  return idx;
}

function labelsOf(labels: Int32Array | undefined, width: number, idx: Int32Array): Int32Array | undefined {
  if (!labels) return undefined;
  const out = new Int32Array(idx.length * width);
  idx.forEach((i, k) => out.set(labels.subarray(i * width, (i + 1) * width), k * width));
  return out;
}

/** Iterates batches of an in-memory dataset of images or volumes (copies; the dataset is not changed). */
export function* batches(ds: CaseDataset, options: BatchOptions = {}): Generator<Batch> {
  const bs = options.batchSize ?? 64;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${bs}`);
  const n = ds.shape[0];
  const plane = caseSize(ds);
  const idx = order(n, options);
  for (let start = 0; start < idx.length; start += bs) {
    const chunk = idx.subarray(start, Math.min(idx.length, start + bs));
    if (options.dropLast && chunk.length < bs) break;
    const images = new Float32Array(chunk.length * plane);
    chunk.forEach((i, k) => images.set(ds.images.subarray(i * plane, (i + 1) * plane), k * plane));
    const batch: Batch = { images, shape: [chunk.length, ...ds.shape.slice(1)] as Batch['shape'], indices: Int32Array.from(chunk) };
    const labels = labelsOf(ds.labels, ds.labelWidth ?? 1, chunk);
    if (labels) batch.labels = labels;
    yield batch;
  }
}

/**
 * Streams batches from an ImageSource, reading one batch ahead while the caller works on the
 * current one: at most two batches of pixels are in memory at a time.
 */
export async function* streamBatches(source: ImageSource, options: BatchOptions = {}): AsyncGenerator<Batch> {
  const bs = options.batchSize ?? 64;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${bs}`);
  const [C, H, W] = source.sampleShape;
  const idx = order(source.length, options);
  const chunks: Int32Array[] = [];
  for (let start = 0; start < idx.length; start += bs) {
    const chunk = idx.slice(start, Math.min(idx.length, start + bs));
    if (options.dropLast && chunk.length < bs) break;
    chunks.push(chunk);
  }
  let next = chunks.length ? source.read(chunks[0]!) : null;
  for (let k = 0; k < chunks.length; k++) {
    const images = await next!;
    next = k + 1 < chunks.length ? source.read(chunks[k + 1]!) : null;
    const chunk = chunks[k]!;
    const batch: Batch = { images, shape: [chunk.length, C, H, W], indices: chunk };
    const labels = labelsOf(source.labels, source.labelWidth ?? 1, chunk);
    if (labels) batch.labels = labels;
    yield batch;
  }
}

/** An in-memory dataset seen as an ImageSource. */
export function datasetSource(ds: ImageDataset): ImageSource {
  const [n, C, H, W] = ds.shape;
  const plane = C * H * W;
  const src: ImageSource = {
    length: n,
    sampleShape: [C, H, W],
    channelNames: ds.channelNames,
    labelWidth: ds.labelWidth ?? 1,
    async read(indices) {
      const out = new Float32Array(indices.length * plane);
      for (let k = 0; k < indices.length; k++) out.set(ds.images.subarray(indices[k]! * plane, (indices[k]! + 1) * plane), k * plane);
      return out;
    },
  };
  if (ds.labels) src.labels = ds.labels;
  if (ds.classNames) src.classNames = ds.classNames;
  return src;
}
