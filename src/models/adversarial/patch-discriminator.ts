// A PatchGAN discriminator (Isola et al. 2017, as VQGAN uses it): strided convolutions whose output is
// one logit per overlapping patch, so the decoder is judged on local texture and edges rather than on
// the whole image, which a small discriminator on few cases could memorise.
import type { Tensor } from '../../engine/tensor.js';
import { Conv2d, LeakyReLU, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';

export interface PatchDiscriminatorOptions {
  /** Image channels. */
  channels: number;
  /** Channels of the first convolution, doubled per further stride-2 layer (capped at 8x). Default 32. */
  width?: number;
  /** Stride-2 4x4 convolutions. Default 2: a 28 px image gives 7 x 7 patch logits, each seeing 18 x 18 px. */
  layers?: number;
}

export class PatchDiscriminator extends Module {
  readonly net: Sequential;

  constructor(o: PatchDiscriminatorOptions) {
    super();
    const width = o.width ?? 32;
    const layers = o.layers ?? 2;
    if (!(Number.isInteger(layers) && layers >= 1))
      throw new RangeError(`patch discriminator: layers must be a whole number >= 1, got ${layers}`);
    if (!(Number.isInteger(width) && width >= 1))
      throw new RangeError(`patch discriminator: width must be a whole number >= 1, got ${width}`);
    const parts: Module[] = [];
    let cin = o.channels;
    for (let i = 0; i < layers; i++) {
      const cout = width * 2 ** Math.min(i, 3);
      // No normalisation: batch norm would mix the real and the fake batch statistics the loss compares.
      parts.push(new Conv2d(cin, cout, 4, { stride: 2, padding: 1 }), LeakyReLU(0.2));
      cin = cout;
    }
    parts.push(new Conv2d(cin, 1, 3, { padding: 1 }));
    this.net = this.registerModule('net', new Sequential(...parts));
  }

  /** Images N x C x H x W (pixels 0..1) to patch logits N x 1 x h x w. */
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}
