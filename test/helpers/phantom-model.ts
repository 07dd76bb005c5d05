// A small ConvAE trained on phantoms (lesion only in FLAIR, a distractor only in T1), shared by the
// explanation tests. Training takes a few seconds; weights are cached in the temp folder per settings.
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam, getNumThreads, manualSeed, scope, tensor, torchVersion, type Tensor } from '../../src/engine/index.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import type { ImageDataset } from '../../src/data/types.js';
import { loadStateDict, saveStateDict } from '../../src/nn/index.js';
import { ConvAE } from '../../src/models/conv-ae.js';

export interface PhantomModel {
  model: ConvAE;
  data: ImageDataset;
  x: Tensor;
}

export const PHANTOM_CHANNELS = ['T1', 'FLAIR'];

export function phantomData(n: number, seed: number): ImageDataset {
  return generatePhantoms({
    n,
    size: 32,
    seed,
    channels: PHANTOM_CHANNELS,
    lesionChannels: ['FLAIR'],
    distractorChannels: ['T1'],
    lesionIntensity: [0.6, 1.0],
    lesionRadius: [0.08, 0.15],
    organScale: [1, 1],
  });
}

export function trainedPhantomModel(steps = 600, seed = 0): PhantomModel {
  const data = phantomData(1024, seed);
  const x = tensor(data.images, data.shape).clamp(0, 1);
  manualSeed(seed);
  const model = new ConvAE({ inputShape: [2, 32, 32], latentMaps: 8, latentGrid: [8, 8], width: 16 });
  const dir = join(tmpdir(), 'latentlens-test-cache');
  mkdirSync(dir, { recursive: true });
  // Trained weights differ by CPU kind, thread count and libtorch version: the cache key names all three.
  const machine = `${torchVersion()}-${getNumThreads()}t-${(cpus()[0]?.model ?? 'cpu').replace(/[^A-Za-z0-9]+/g, '_')}`;
  const file = join(dir, `phantom-convae-v4-${steps}-${seed}-${machine}.safetensors`);
  if (existsSync(file)) {
    loadStateDict(model, file);
  } else {
    const opt = new Adam(model.parameters(), { lr: 2e-3 });
    model.train();
    for (let step = 0; step < steps; step++) {
      scope(() => {
        const xb = x.narrow(0, (step * 32) % (1024 - 32), 32);
        model.trainStep(xb, step + 1, (_g, loss) => {
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
      });
    }
    opt.dispose();
    saveStateDict(model, file);
  }
  model.eval();
  return { model, data, x };
}
