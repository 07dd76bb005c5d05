// The reference convolutional autoencoder of the engine benchmark and the smoke run: three stride-2
// convolutions down, three stride-2 transposed convolutions up, sigmoid output, for 1 x 64 x 64 inputs.
import { Conv2d, ConvTranspose2d, ReLU, Sequential, Sigmoid } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../engine/tensor.js';

export class ReferenceAE extends Module {
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  constructor(channels = 1) {
    super();
    const up = { stride: 2, padding: 1, outputPadding: 1 };
    this.encoder = this.registerModule(
      'encoder',
      new Sequential(
        new Conv2d(channels, 32, 3, { stride: 2, padding: 1 }),
        ReLU(),
        new Conv2d(32, 64, 3, { stride: 2, padding: 1 }),
        ReLU(),
        new Conv2d(64, 64, 3, { stride: 2, padding: 1 }),
        ReLU(),
      ),
    );
    this.decoder = this.registerModule(
      'decoder',
      new Sequential(
        new ConvTranspose2d(64, 64, 3, up),
        ReLU(),
        new ConvTranspose2d(64, 32, 3, up),
        ReLU(),
        new ConvTranspose2d(32, channels, 3, up),
        Sigmoid(),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
}
