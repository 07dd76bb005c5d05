// InfoGAN (Chen et al. 2016): a generator G(noise, c) with a categorical code (k classes) and continuous
// codes (m, uniform in [-1, 1]); a discriminator whose trunk also feeds a Q head that predicts the codes
// back, so that maximising a lower bound of I(c; G(noise, c)) makes the codes meaningful. The Q network
// applied to real images is the encoder: its code estimates are the latents analysed downstream.
import * as F from '../engine/functional.js';
import { onesLike, rand, randint, randn, zeros, zerosLike } from '../engine/create.js';
import { callAten } from '../engine/functional.js';
import type { Tensor } from '../engine/tensor.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, Linear, ReLU, Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { planBackbone, type BackboneOptions } from './backbone.js';
import { numbers } from './vae.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from './types.js';

export interface InfoGANOptions extends BackboneOptions {
  /** Dimensions of the incompressible noise. Default 62 (as in the paper's MNIST model). */
  noiseDim?: number;
  /** Classes of the categorical code. Default 10. */
  categories?: number;
  /** Continuous codes. Default 2. */
  continuous?: number;
  /** Weights of the categorical and continuous mutual-information terms. Default 1 and 0.1. */
  lambdaCat?: number;
  lambdaCont?: number;
  /** Learning rates of generator+Q and discriminator (Adam, betas 0.5, 0.999). Default 1e-3 and 2e-4. */
  generatorLr?: number;
  discriminatorLr?: number;
}

export class InfoGAN extends Module implements LatentModel {
  readonly config: ModelConfig;
  readonly generatorHead: Linear;
  readonly generator: Sequential;
  readonly trunk: Sequential;
  readonly dHead: Linear;
  readonly qHead: Linear;
  private readonly o: Required<
    Pick<InfoGANOptions, 'noiseDim' | 'categories' | 'continuous' | 'lambdaCat' | 'lambdaCont' | 'generatorLr' | 'discriminatorLr'>
  >;
  private readonly seedShape: [number, number, number];

  constructor(o: InfoGANOptions) {
    super();
    this.o = {
      noiseDim: o.noiseDim ?? 62,
      categories: o.categories ?? 10,
      continuous: o.continuous ?? 2,
      lambdaCat: o.lambdaCat ?? 1,
      lambdaCont: o.lambdaCont ?? 0.1,
      generatorLr: o.generatorLr ?? 1e-3,
      discriminatorLr: o.discriminatorLr ?? 2e-4,
    };
    const plan = planBackbone(o);
    const codes = this.o.categories + this.o.continuous;
    this.config = { ...o, ...this.o, kind: 'infogan', latentMaps: codes, latentGrid: [1, 1], backboneGrid: plan.latentGrid };
    const [c, h, w] = o.inputShape;
    const rev = [...plan.widths].reverse();
    this.seedShape = [rev[0]!, plan.latentGrid[0], plan.latentGrid[1]];
    this.generatorHead = this.registerModule(
      'generator_head',
      new Linear(this.o.noiseDim + codes, rev[0]! * plan.latentGrid[0] * plan.latentGrid[1]),
    );
    const up: Module[] = [];
    for (let i = 0; i < rev.length; i++) {
      const cout = rev[i + 1] ?? rev[rev.length - 1]!;
      up.push(new BatchNorm2d(rev[i]!), ReLU(), new ConvTranspose2d(rev[i]!, cout, 4, { stride: 2, padding: 1 }));
    }
    this.generator = this.registerModule(
      'generator',
      new Sequential(...up, new BatchNorm2d(rev[rev.length - 1]!), ReLU(), new Conv2d(rev[rev.length - 1]!, c, 3, { padding: 1 })),
    );
    const down: Module[] = [];
    let cin = c;
    plan.widths.forEach((wd, i) => {
      down.push(new Conv2d(cin, wd, 4, { stride: 2, padding: 1 }), ...(i > 0 ? [new BatchNorm2d(wd)] : []), LeakyReLU(0.2));
      cin = wd;
    });
    this.trunk = this.registerModule('trunk', new Sequential(...down));
    const feat = cin * (h / 2 ** plan.depth) * (w / 2 ** plan.depth);
    this.dHead = this.registerModule('d_head', new Linear(feat, 1));
    this.qHead = this.registerModule('q_head', new Linear(feat, codes));
  }

  /** Images (pixels 0..1) from noise N x noiseDim and codes N x (k + m). */
  generate(noise: Tensor, codes: Tensor): Tensor {
    const [c, h, w] = this.seedShape;
    const seed = this.generatorHead.forward(F.cat([noise, codes], 1)).reshape(noise.shape[0]!, c, h, w);
    return this.generator.forward(seed).sigmoid();
  }

  private features(x: Tensor): Tensor {
    return this.trunk.forward(x).flatten(1);
  }

  /** Q's estimate of the codes of images: categorical logits (k) then continuous means (m). */
  predictCodes(x: Tensor): Tensor {
    return this.qHead.forward(this.features(x));
  }

  encode(x: Tensor): Encoding {
    const q = this.predictCodes(x);
    const k = this.o.categories;
    const z = F.cat([q.narrow(1, 0, k).softmax(1), q.narrow(1, k, this.o.continuous)], 1);
    return { z: z.unsqueeze(2).unsqueeze(3) };
  }

  /** G with zero noise, codes taken from z (N x (k + m), any trailing 1 x 1). */
  decode(z: Tensor): Tensor {
    const codes = z.flatten(1);
    return this.generate(zeros([codes.shape[0]!, this.o.noiseDim]), codes);
  }
  reconstruct(x: Tensor): Tensor {
    return this.decode(this.encode(x).z);
  }
  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  paramGroups(): ParamGroup[] {
    return [
      {
        name: 'discriminator',
        params: [...this.trunk.parameters(), ...this.dHead.parameters()],
        lr: this.o.discriminatorLr,
        betas: [0.5, 0.999],
      },
      {
        name: 'generator',
        params: [...this.generatorHead.parameters(), ...this.generator.parameters(), ...this.qHead.parameters()],
        lr: this.o.generatorLr,
        betas: [0.5, 0.999],
      },
    ];
  }

  /** Random noise and codes for n samples: class indices, one-hot codes, continuous codes. */
  sampleCodes(n: number): { noise: Tensor; classes: Tensor; codes: Tensor; continuous: Tensor } {
    const classes = randint(0, this.o.categories, [n]);
    const oneHot = (callAten('one_hot', [classes, this.o.categories]) as Tensor).float();
    const continuous = rand([n, this.o.continuous]).mul(2).sub(1);
    return { noise: randn([n, this.o.noiseDim]), classes, codes: F.cat([oneHot, continuous], 1), continuous };
  }

  trainStep(x: Tensor, _step: number, update: UpdateFn): LossTerms {
    const n = x.shape[0]!;
    const s = this.sampleCodes(n);
    const fake = this.generate(s.noise, s.codes);
    const real = this.dHead.forward(this.features(x));
    const fakeD = this.dHead.forward(this.features(fake.detach()));
    const dLoss = F.binaryCrossEntropyWithLogits(real, onesLike(real)).add(F.binaryCrossEntropyWithLogits(fakeD, zerosLike(fakeD)));
    update('discriminator', dLoss);
    const h = this.features(fake);
    const adv = this.dHead.forward(h);
    const q = this.qHead.forward(h);
    const k = this.o.categories;
    const cat = F.crossEntropy(q.narrow(1, 0, k), s.classes);
    const cont = F.mseLoss(q.narrow(1, k, this.o.continuous), s.continuous);
    const gLoss = F.binaryCrossEntropyWithLogits(adv, onesLike(adv)).add(cat.mul(this.o.lambdaCat)).add(cont.mul(this.o.lambdaCont));
    update('generator', gLoss);
    return numbers(gLoss.add(dLoss), { generator: gLoss, discriminator: dLoss, mi_categorical: cat, mi_continuous: cont });
  }

  evalLoss(x: Tensor): LossTerms {
    const real = this.dHead.forward(this.features(x));
    const d = F.binaryCrossEntropyWithLogits(real, onesLike(real)).item();
    return { loss: d, discriminator_real: d };
  }
}
