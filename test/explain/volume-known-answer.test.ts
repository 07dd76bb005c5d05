// The known answer on volumes from map to channel to location: an encoder with a lesion map (map 0, a
// FLAIR-minus-T1 detector) beside a nuisance map (map 1, local T1 brightness: the organ, unrelated to the
// label). On volume phantoms with a FLAIR-only lesion, rank (maps pooled over d x h x w) must put map 0
// first and call it significant, and integrated gradients on it must name FLAIR and lie in the lesion.
// Its decoder writes map 0 to FLAIR and map 1 to T1 only: ablating map 0 changes FLAIR alone, inside the
// lesion, and the two maps' effects do not overlap (entanglement 0).
import assert from 'node:assert/strict';
import test from 'node:test';
import { generateVolumePhantoms } from '../../src/data/phantom-volumes.js';
import { noGrad, scope, tensor, zeros } from '../../src/engine/index.js';
import { explainVolumeMap } from '../../src/explain/explain-volume-map.js';
import { rankFeatureMaps } from '../../src/explain/importance/rank.js';
import { encodeLatents } from '../../src/models/encode.js';
import { poolLatents } from '../../src/models/pool-latents.js';
import { Conv3d, ReLU, Sequential } from '../../src/nn/index.js';
import type { LatentModel } from '../../src/models/types.js';

const SIZE = 16;

function twoMapEncoder(): LatentModel {
  const enc = new Sequential(new Conv3d(2, 2, 3, { padding: 1 }), ReLU(), new Conv3d(2, 2, 1));
  noGrad(() => {
    const w1 = new Float32Array(2 * 2 * 27);
    for (let p = 0; p < 27; p++) {
      w1[p] = -1 / 27;
      w1[27 + p] = 1 / 27;
      w1[2 * 27 + p] = 1 / 27;
    } // out 0: FLAIR - T1; out 1: T1
    (enc.layers[0] as Conv3d).weight.copy_(tensor(w1, [2, 2, 3, 3, 3]));
    (enc.layers[0] as Conv3d).bias!.copy_(tensor([-0.25, 0], [2]));
    (enc.layers[2] as Conv3d).weight.copy_(tensor([1, 0, 0, 1], [2, 2, 1, 1, 1]));
    (enc.layers[2] as Conv3d).bias!.copy_(zeros([2]));
  });
  const dec = new Conv3d(2, 2, 1, { bias: false });
  noGrad(() => dec.weight.copy_(tensor([0, 1, 1, 0], [2, 2, 1, 1, 1]))); // T1 <- map 1, FLAIR <- map 0
  return {
    config: { kind: 'conv-ae', inputShape: [2, SIZE, SIZE, SIZE], latentMaps: 2, latentGrid: [SIZE, SIZE, SIZE] },
    encode: (x: Parameters<LatentModel['encode']>[0]) => ({ z: enc.forward(x) }),
    decode: (z: Parameters<LatentModel['decode']>[0]) => dec.forward(z),
    encoderStack: () => enc,
    eval: () => enc.eval(),
    train: (on = true) => enc.train(on),
  } as unknown as LatentModel;
}

test('volumes: rank finds the lesion map, integrated gradients its channel (FLAIR) and its place (the lesion)', async () => {
  const ds = generateVolumePhantoms({ n: 80, size: SIZE, seed: 9 });
  const model = twoMapEncoder();
  const x = tensor(ds.images, ds.shape);
  const enc = scope(() => encodeLatents(model, x));
  assert.deepEqual(enc.shape, [80, 2, SIZE, SIZE, SIZE]);
  const r = await rankFeatureMaps(poolLatents(enc, 'summary'), ds.labels!, {
    forest: { nTrees: 30 },
    folds: 3,
    conditional: false,
    marginalNull: 0,
    stabilityBootstraps: 0,
    repeats: 3,
    seed: 1,
  });
  assert.equal(r.ranking[0], 0, `ranking ${r.ranking}`);
  assert.equal(r.groups[0]!.marginal!.significant, true);
  const e = scope(() =>
    explainVolumeMap(
      { model, x, channelNames: ds.channelNames, labels: ds.labels!, masks: ds.masks },
      { map: r.ranking[0]!, methods: ['integrated-gradients'], maxCases: 4, steps: 16, ablationPermutations: 50 },
    ),
  );
  const abl = e.decoder!.ablation;
  assert.equal(abl.T1!.effect, 0);
  assert.ok(
    abl.FLAIR!.effect > 1e-3 && abl.FLAIR!.insideMask! > 0.5,
    `FLAIR effect ${abl.FLAIR!.effect}, ${abl.FLAIR!.insideMask} inside the lesion`,
  );
  assert.equal(e.decoder!.entanglement.map, 0);
  assert.equal(e.decoder!.decodesPerVolume, 3);
  assert.equal(e.inputChannel, 'FLAIR');
  const lesion = e.methods[0]!.masks[0]!;
  assert.equal(lesion.cases, 4);
  assert.ok(
    lesion.inMask > 0.5 && lesion.inMask > 20 * lesion.chance,
    `IG in lesion ${lesion.inMask.toFixed(3)} (chance ${lesion.chance.toFixed(4)})`,
  );
  assert.ok(lesion.pointing >= 0.75, `pointing ${lesion.pointing}`);
  assert.deepEqual(e.figureData!.positions, [0, 1]);
});
