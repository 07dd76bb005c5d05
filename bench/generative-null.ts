// The null of the entanglement index for bench generative: conv decoders trained afresh on the same
// frozen encoder, each from its own initial weights and batches.
//
// Why this null. The question is "does decoder X reduce entanglement compared with conv?", asked of one
// encoder (every decoder here reads the same frozen latents). A difference between X and the conv decoder
// mixes the decoder kind with the chance of one decoder's training (initial weights, batch order, where
// the optimiser stops). Retraining the conv decoder on the same latents and the same cases gives that
// chance alone: if X's index lies inside the spread of retrained conv decoders, the kind made no difference
// that this design can see. The other candidates answer other questions: the seed-to-seed spread of the
// conv index moves the encoder and the phantoms too (X and conv share those within a seed, so the paired
// difference needs no such allowance); latents permuted across cases or a random decoder say whether an
// index is above a structureless one, not whether two trained decoders differ.
import * as F from '../src/engine/functional.js';
import { Adam, generator, noGrad, scope, withGenerator, type Tensor } from '../src/engine/index.js';
import { ConvAE } from '../src/models/conv-ae.js';

/**
 * `count` conv decoders trained from new initial weights (generator seed + 100 + r) on the frozen
 * encoder of `enc`, as its own decoder was trained (Adam lr 2e-3, batch 32, `steps` steps, MSE), each a
 * ConvAE whose encoder weights are `enc`'s. The batch order starts at a different offset per decoder.
 */
export function freshConvDecoders(enc: ConvAE, xTrain: Tensor, count: number, steps: number, seed: number): ConvAE[] {
  const trained = enc.stateDict();
  const n = xTrain.shape[0]!;
  const batch = 32;
  return Array.from({ length: count }, (_, r) => {
    const m = withGenerator(generator(seed + 100 + r), () => new ConvAE(enc.config as never));
    const own = m.stateDict();
    m.loadStateDict(new Map([...own].map(([k, v]) => [k, k.startsWith('encoder.') ? trained.get(k)! : v])));
    const opt = new Adam(m.decoder.parameters(), { lr: 2e-3 });
    m.train();
    m.encoder.eval(); // the encoder's batch-norm statistics stay the trained ones
    const offset = Math.floor(((r + 1) * n) / (count + 1));
    for (let s = 0; s < steps; s++)
      scope(() => {
        const xb = xTrain.narrow(0, (offset + s * batch) % (n - batch), batch);
        const z = noGrad(() => enc.encode(xb).z);
        const loss = F.mseLoss(m.decode(z), xb);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    opt.dispose();
    m.eval();
    return m;
  });
}

/** Where a decoder's index falls against the null indices: the spread, and a one-sided rank p-value. */
export interface AgainstNull {
  /** The decoder's index minus the conv decoder's. */
  minusConv: number;
  /** The null's indices minus the conv decoder's: min, max. */
  nullMinusConv: [number, number];
  /** (1 + null indices at or below the decoder's) / (1 + null count): small when X is lower than every retrained conv decoder. */
  pLower: number;
  /** The same for higher. */
  pHigher: number;
  /** 'lower' or 'higher' when outside every null index, else 'within'. */
  verdict: 'lower' | 'higher' | 'within';
}

export function againstNull(index: number, conv: number, nullIndices: number[]): AgainstNull {
  if (nullIndices.length === 0) throw new Error('againstNull: no null indices');
  const below = nullIndices.filter((v) => v <= index).length;
  const above = nullIndices.filter((v) => v >= index).length;
  const d = nullIndices.map((v) => v - conv);
  return {
    minusConv: index - conv,
    nullMinusConv: [Math.min(...d), Math.max(...d)],
    pLower: (1 + below) / (1 + nullIndices.length),
    pHigher: (1 + above) / (1 + nullIndices.length),
    verdict: below === 0 ? 'lower' : above === 0 ? 'higher' : 'within',
  };
}
