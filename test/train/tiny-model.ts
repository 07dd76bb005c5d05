// A tiny LatentModel for trainer tests (16 x 16 single-channel images, 4 maps of 4 x 4), plus a variant
// whose loss turns NaN from a given step on.
import * as F from '../../src/engine/functional.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { randn } from '../../src/engine/create.js';
import { Conv2d, ConvTranspose2d, ReLU, Sequential } from '../../src/nn/layers.js';
import { Module } from '../../src/nn/module.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from '../../src/models/types.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { setNumThreads } from '../../src/engine/runtime.js';

// node --test runs the test files in parallel processes: one libtorch thread each keeps them from
// oversubscribing the cores (OpenMP barriers spin badly then). Results do not depend on it.
setNumThreads(1);
import type { ImageDataset } from '../../src/data/types.js';

export class TinyAE extends Module implements LatentModel {
  readonly config: ModelConfig = { kind: 'conv-ae', inputShape: [1, 16, 16], latentMaps: 4, latentGrid: [4, 4] };
  readonly encoder = this.registerModule(
    'encoder',
    new Sequential(new Conv2d(1, 8, 3, { stride: 2, padding: 1 }), ReLU(), new Conv2d(8, 4, 3, { stride: 2, padding: 1 })),
  );
  readonly decoder = this.registerModule(
    'decoder',
    new Sequential(
      new ConvTranspose2d(4, 8, 4, { stride: 2, padding: 1 }),
      ReLU(),
      new ConvTranspose2d(8, 1, 4, { stride: 2, padding: 1 }),
    ),
  );

  /**
   * @param poisonFrom from this step on, the loss is multiplied by `poison` (NaN or Infinity)
   * @param noise std of Gaussian noise added to training inputs (denoising), drawn from libtorch's generator
   */
  constructor(
    private readonly poisonFrom = Infinity,
    private readonly poison = NaN,
    private readonly noise = 0,
  ) {
    super();
  }

  encode(x: Tensor): Encoding {
    return { z: this.encoder.forward(x) };
  }
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z).sigmoid();
  }
  reconstruct(x: Tensor): Tensor {
    return this.decode(this.encode(x).z);
  }
  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }
  paramGroups(): ParamGroup[] {
    return [{ name: 'main', params: this.parameters() }];
  }

  trainStep(x: Tensor, step: number, update: UpdateFn): LossTerms {
    const input = this.noise > 0 ? x.add(randn(x.shape).mul(this.noise)) : x;
    let loss = F.mseLoss(this.reconstruct(input), x);
    if (step >= this.poisonFrom) loss = loss.mul(this.poison);
    update('main', loss);
    return { loss: loss.item(), recon: loss.item() };
  }

  evalLoss(x: Tensor): LossTerms {
    const l = F.mseLoss(this.reconstruct(x), x).item();
    return { loss: l, recon: l };
  }
}

/** 16 x 16 one-channel phantoms in 0..1 with the phantom splits (val 10%, test 20%). */
export function tinyPhantoms(n = 200, seed = 1): ImageDataset {
  const ds = generatePhantoms({ n, size: 16, seed, channels: ['gray'], lesionChannels: ['gray'], distractorChannels: [] });
  for (let i = 0; i < ds.images.length; i++) ds.images[i] = Math.min(1, Math.max(0, ds.images[i]!));
  return ds;
}
