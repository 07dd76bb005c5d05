// The decoder side of an explanation (src/explain/ablation/decoder-side.ts) on decoders whose answer is
// known, without training: it reads nothing but decode(z), so these stand for any decoder (conv,
// adversarial, diffusion). A planted decoder writes map 0 into FLAIR and map 1 into T1 and ignores the
// other six maps; a blind decoder ignores its input altogether and returns one image.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, noGrad, scope, tensor, zeros, type Tensor } from '../../src/engine/index.js';
import { decoderReadingsNaming, explainDecoderSide, type DecoderSide } from '../../src/explain/ablation/decoder-side.js';
import type { LatentModel } from '../../src/models/types.js';

const N = 16,
  K = 8,
  S = 4;
const CHANNELS = ['T1', 'FLAIR'];

// Maps 0 and 1 sit around 1 on the explained cases (the dataset mean latent is 0), the others around 0.
function latents(): Tensor {
  const v = new Float32Array(N * K * S * S);
  let r = 12345;
  const noise = () => ((r = (r * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.2;
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) for (let p = 0; p < S * S; p++) v[(i * K + k) * S * S + p] = (k < 2 ? 1 : 0) + noise();
  return tensor(v, [N, K, S, S]);
}

const model = (decode: (z: Tensor) => Tensor) => ({ decode, eval() {} }) as unknown as LatentModel;
// T1 <- map 1, FLAIR <- map 0, at the latent's own resolution.
const planted = model((z) => F.cat([z.narrow(1, 1, 1), z.narrow(1, 0, 1)], 1));
// One image whatever z: T1 at 1, FLAIR at 0.
const blind = model((z) => F.cat([zeros([z.shape[0]!, 1, S, S]).add(1), zeros([z.shape[0]!, 1, S, S])], 1));

function side(m: LatentModel, map: number): DecoderSide {
  return noGrad(() =>
    scope(() =>
      explainDecoderSide(m, latents(), {
        map,
        meanLatent: zeros([K, S, S]),
        meanImage: zeros([2, S, S]),
        channels: CHANNELS,
        masks: new Uint8Array(N * S * S).fill(1),
        permutations: 200,
        alpha: 0.05,
        entanglementThreshold: 0.5,
        seed: 0,
      }),
    ),
  );
}

test('a planted decoder: ablation names the planted channel, no reading names the other, masked decoding reaches its smallest p', () => {
  const flair = side(planted, 0);
  assert.deepEqual(flair.decoderChannels, ['FLAIR']);
  // Map 0's effects lie only in FLAIR, map 1's only in T1, the others have none: no two maps overlap.
  assert.ok(flair.entanglement.perMap.every((v) => v < 1e-6));
  // One kept map of 8 against the 7 others: p = (1 + 0) / 8 is the smallest it can give, so at alpha 0.05
  // over two channels (0.025) this control can never name a channel with 8 maps (README "Generative decoders").
  assert.ok(Math.abs(flair.maskedDecode.pValue[1]! - 1 / 8) < 1e-9);
  assert.deepEqual(Object.values(decoderReadingsNaming(flair, 'T1', 0.05)), [false, false, false, false]);
  const t1 = side(planted, 1);
  assert.deepEqual(t1.decoderChannels, ['T1']);
  const named = decoderReadingsNaming(t1, 'T1', 0.05);
  assert.equal(named['single-map ablation vs other maps'], true);
  assert.equal(named['single-map ablation + entanglement flag'], true);
});

test('a decoder that ignores its input: index 0, nothing named by the controls, but the naive masked decoding names T1', () => {
  const d = side(blind, 0);
  assert.deepEqual(d.entanglement.perMap, new Array(K).fill(0));
  assert.deepEqual(d.decoderChannels, []);
  assert.ok(d.maskedDecode.pValue.every((p) => p === 1));
  const named = decoderReadingsNaming(d, 'T1', 0.05);
  // Its one image differs from the mean image only in T1: "zero the rest and look" blames T1 for map 0.
  assert.equal(named['zero-the-rest masked decoding'], true);
  assert.equal(named['masked decoding vs random map sets'], false);
  assert.equal(named['single-map ablation vs other maps'], false);
  assert.throws(() => decoderReadingsNaming(d, 'T2', 0.05), /no channel 'T2'/);
});
