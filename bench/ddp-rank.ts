// One latentlens rank of the ddp benchmark (bench/ddp.ts starts it with torchrun's variables): the ConvAE
// from the shared initial weights, trained through trainModel on the shared images with DataParallel;
// rank 0 prints its final state and the images per second of the steps after the first two.
import { readFileSync } from 'node:fs';
import { processGroupFromEnv } from '../src/engine/distributed.js';
import { tensor } from '../src/engine/tensor.js';
import { createModel } from '../src/models/registry.js';
import { DataParallel } from '../src/train/distributed/data-parallel.js';
import { trainModel } from '../src/train/trainer.js';
import type { ImageDataset } from '../src/data/types.js';

export interface BenchSetup {
  n: number;
  batch: number;
  steps: number;
  lr: number;
}

/** The benchmark's images (n x 1 x 28 x 28 float32 in dir/images.f32), all of them training cases. */
export function benchData(dir: string, n: number): ImageDataset {
  const buf = readFileSync(`${dir}/images.f32`);
  const images = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return {
    images,
    shape: [n, 1, 28, 28],
    channelNames: ['gray'],
    splits: { train: Int32Array.from({ length: n }, (_, i) => i), val: new Int32Array(0), test: new Int32Array(0) },
    skipped: [],
    source: 'bench ddp',
  };
}

/** The ConvAE of the train benchmark with the initial weights in dir/init.json ({name: [shape, values]}). */
export function benchModel(dir: string) {
  const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 32, latentGrid: [7, 7] });
  const init = JSON.parse(readFileSync(`${dir}/init.json`, 'utf8')) as Record<string, [number[], number[]]>;
  const state = model.stateDict();
  const src = new Map([...state].map(([k, t]) => [k, tensor(init[k]![1], init[k]![0], { dtype: t.dtype })]));
  model.loadStateDict(src);
  return model;
}

/** Trains and returns images per second over steps 3..end, measured between step events. */
export async function benchTrain(dir: string, s: BenchSetup, distributed?: DataParallel) {
  const model = benchModel(dir);
  const times: number[] = [];
  await trainModel(
    model,
    benchData(dir, s.n),
    {
      batchSize: s.batch,
      steps: s.steps,
      lr: s.lr,
      seed: 0,
      sampler: 'distributed',
      checkpointEvery: 0,
      ...(distributed ? { distributed } : {}),
    },
    (e) => {
      if (e.type === 'step') times.push(performance.now());
    },
  );
  const imgPerSec = ((times.length - 2) * s.batch) / ((times[times.length - 1]! - times[1]!) / 1000);
  return { model, imgPerSec };
}

if (process.env.WORLD_SIZE) {
  const [dir, json] = process.argv.slice(2) as [string, string];
  const s = JSON.parse(json) as BenchSetup;
  const pg = processGroupFromEnv({ timeoutMs: 120_000 })!;
  const { model, imgPerSec } = await benchTrain(dir, s, new DataParallel(pg));
  if (pg.rank === 0) {
    const state = Object.fromEntries([...model.stateDict()].map(([k, t]) => [k, Array.from(t.toNumbers(), Number)]));
    console.log(JSON.stringify({ imgPerSec, state }));
  }
  pg.close();
}
