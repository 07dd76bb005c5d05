// Attribution on volumes with a known answer: an encoder whose map 0 is, by construction, a FLAIR-minus-T1
// lesion detector (3 x 3 x 3 mean, threshold above the organ's contrast). On volume phantoms whose lesion is
// in FLAIR only, integrated gradients, 3D occlusion and Grad-CAM must put the map's attribution inside the
// lesion mask and on FLAIR; occlusion's cost is 1 + C x windows forward passes per volume.
import assert from 'node:assert/strict';
import test from 'node:test';
import { generateVolumePhantoms } from '../../src/data/phantom-volumes.js';
import { noGrad, scope, tensor, zeros } from '../../src/engine/index.js';
import { attributeVolumes, maskMass } from '../../src/explain/attribution/volumes.js';
import { Conv3d, ReLU, Sequential } from '../../src/nn/index.js';
import type { LatentModel } from '../../src/models/types.js';

const SIZE = 16;

function lesionDetector(): LatentModel {
  const enc = new Sequential(new Conv3d(2, 2, 3, { padding: 1 }), ReLU(), new Conv3d(2, 2, 1));
  noGrad(() => {
    const w1 = new Float32Array(2 * 2 * 27);
    for (let p = 0; p < 27; p++) {
      w1[p] = -1 / 27;
      w1[27 + p] = 1 / 27;
    } // out 0 = mean(FLAIR - T1); out 1 = 0
    (enc.layers[0] as Conv3d).weight.copy_(tensor(w1, [2, 2, 3, 3, 3]));
    (enc.layers[0] as Conv3d).bias!.copy_(tensor([-0.25, 0], [2])); // the organ's FLAIR - T1 is 0.1: below threshold
    (enc.layers[2] as Conv3d).weight.copy_(tensor([1, 0, 0, 1], [2, 2, 1, 1, 1]));
    (enc.layers[2] as Conv3d).bias!.copy_(zeros([2]));
  });
  const model = {
    config: { kind: 'conv-ae', inputShape: [2, SIZE, SIZE, SIZE], latentMaps: 2, latentGrid: [SIZE, SIZE, SIZE] },
    encode: (x: Parameters<LatentModel['encode']>[0]) => ({ z: enc.forward(x) }),
    encoderStack: () => enc,
    eval: () => enc.eval(),
    train: (on = true) => enc.train(on),
  };
  return model as unknown as LatentModel;
}

test("volumes: IG, 3D occlusion and Grad-CAM put the lesion map's attribution in the lesion, on FLAIR", () => {
  scope(() => {
    const ds = generateVolumePhantoms({ n: 24, size: SIZE, seed: 2, lesionRadius: [0.15, 0.2] });
    const V = SIZE ** 3;
    const pos = [...ds.labels!.keys()].filter((i) => ds.labels![i] === 1).slice(0, 4);
    const neg = [...ds.labels!.keys()].filter((i) => ds.labels![i] === 0);
    const take = (idx: number[]) =>
      tensor(Float32Array.from(idx.flatMap((i) => [...ds.images.subarray(i * 2 * V, (i + 1) * 2 * V)])), [idx.length, 2, SIZE, SIZE, SIZE]);
    const x = take(pos);
    const baseline = take(neg)
      .mean(0)
      .unsqueeze(0)
      .expand(...x.shape)
      .contiguous();
    const masks = Uint8Array.from(pos.flatMap((i) => [...ds.masks![0]!.data.subarray(i * V, (i + 1) * V)]));
    const model = lesionDetector();
    const target = { map: 0 };
    const flair = 1;

    const ig = attributeVolumes(model, x, { method: 'integrated-gradients', target, baseline, steps: 16 });
    const igMass = maskMass(ig.heatmaps, ig.shape, masks, [flair]);
    assert.equal(igMass.cases, 4);
    assert.ok(
      igMass.inMask > 0.5 && igMass.inMask > 20 * igMass.chance,
      `IG mass in lesion ${igMass.inMask.toFixed(3)} (chance ${igMass.chance.toFixed(4)})`,
    );
    assert.ok(igMass.pointing >= 0.75, `IG pointing ${igMass.pointing}`);
    for (let i = 0; i < 4; i++) assert.ok(ig.channelShare![i * 2 + flair]! > 0.9, `IG FLAIR share ${ig.channelShare![i * 2 + flair]}`);
    // Completeness: the attributions sum to f(x) - f(baseline), up to the 16-step Riemann sum.
    for (const d of ig.convergenceDelta!) assert.ok(Math.abs(d) < 0.02, `IG convergence delta ${d}`);
    assert.equal(ig.forwardPassesPerVolume, 18);

    const occ = attributeVolumes(model, x, { method: 'occlusion', target, baseline, occlusion: { window: 4 } });
    assert.equal(occ.forwardPassesPerVolume, 1 + 2 * 4 ** 3, 'one pass + 2 channels x 4^3 windows');
    const occMass = maskMass(occ.heatmaps, occ.shape, masks, [flair]);
    assert.ok(
      occMass.inMask > 5 * occMass.chance,
      `occlusion mass in lesion ${occMass.inMask.toFixed(3)} (chance ${occMass.chance.toFixed(4)})`,
    );
    assert.ok(occMass.pointing >= 0.75, `occlusion pointing ${occMass.pointing}`);
    for (let i = 0; i < 4; i++)
      assert.ok(occ.channelShare![i * 2 + flair]! > 0.9, `occlusion FLAIR share ${occ.channelShare![i * 2 + flair]}`);
    // Overlapping windows (stride 2) cost more passes: 7 starts per axis.
    const strided = attributeVolumes(model, x.narrow(0, 0, 1), {
      method: 'occlusion',
      target,
      baseline: baseline.narrow(0, 0, 1),
      occlusion: { window: 4, stride: 2 },
    });
    assert.equal(strided.forwardPassesPerVolume, 1 + 2 * 7 ** 3);

    const cam = attributeVolumes(model, x, { method: 'grad-cam', target, baseline });
    assert.deepEqual(cam.shape, [4, 1, SIZE, SIZE, SIZE]);
    const camMass = maskMass(cam.heatmaps, cam.shape, masks, [flair]);
    assert.ok(
      camMass.inMask > 0.5 && camMass.pointing >= 0.75,
      `Grad-CAM mass in lesion ${camMass.inMask.toFixed(3)}, pointing ${camMass.pointing}`,
    );
  });
});
