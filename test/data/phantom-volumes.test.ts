// Volume phantoms: the lesion sits where its factors say, only in its channel, and its mask marks it.
import assert from 'node:assert/strict';
import test from 'node:test';
import { generateVolumePhantoms, VOLUME_PHANTOM_FACTORS } from '../../src/data/phantom-volumes.js';
import { loadCases, loadDataset } from '../../src/data/spec.js';

test('volume phantom: label = lesion presence, the mask is the sphere of the factors, visible in FLAIR only', () => {
  const ds = generateVolumePhantoms({ n: 12, size: 20, seed: 4, noise: 0 });
  assert.deepEqual(ds.shape, [12, 2, 20, 20, 20]);
  assert.deepEqual(ds.channelNames, ['T1', 'FLAIR']);
  const F = VOLUME_PHANTOM_FACTORS.length;
  const V = 20 ** 3;
  let withLesion = 0;
  for (let i = 0; i < 12; i++) {
    const f = ds.factors!.values.subarray(i * F, (i + 1) * F);
    const [present, r, x, y, z] = [f[0]!, f[1]! * 20, f[2]! * 20, f[3]! * 20, f[4]! * 20];
    assert.equal(ds.labels![i], present);
    const mask = ds.masks![0]!.data.subarray(i * V, (i + 1) * V);
    const count = mask.reduce((a, b) => a + b, 0);
    if (!present) {
      assert.equal(count, 0);
      continue;
    }
    withLesion++;
    // About the sphere's volume (voxel centres inside it), and its centre voxel is in the mask.
    const ideal = (4 / 3) * Math.PI * r ** 3;
    assert.ok(Math.abs(count - ideal) < 0.35 * ideal, `case ${i}: ${count} voxels vs ${ideal.toFixed(0)}`);
    const centre = (Math.floor(z) * 20 + Math.floor(y)) * 20 + Math.floor(x);
    assert.equal(mask[centre], 1);
    // Without noise the organ is 0.35 in T1 and 0.45 in FLAIR; the lesion adds its intensity to FLAIR only.
    const t1 = ds.images[i * 2 * V + centre]!,
      flair = ds.images[(i * 2 + 1) * V + centre]!;
    assert.ok(flair - t1 > 0.1 + f[5]! - 0.05, `FLAIR ${flair} vs T1 ${t1} at the lesion centre`);
    assert.ok(t1 < 0.4, `T1 ${t1} shows no lesion`);
  }
  assert.ok(withLesion >= 3 && withLesion <= 9, `${withLesion} of 12 cases have a lesion`);
  // Same seed, same volumes.
  assert.deepEqual(
    generateVolumePhantoms({ n: 2, size: 16, seed: 'a' }).images,
    generateVolumePhantoms({ n: 2, size: 16, seed: 'a' }).images,
  );
});

test('phantom3d: spec loads volumes; 2D commands refuse it and name the 2D phantom', async () => {
  const ds = await loadCases('phantom3d:n=4&size=16&seed=1&split=train');
  assert.equal(ds.shape.length, 5);
  assert.deepEqual(ds.shape.slice(1), [2, 16, 16, 16]);
  assert.equal(ds.masks![0]!.data.length, ds.shape[0] * 16 ** 3);
  await assert.rejects(
    loadDataset('phantom3d:n=4&size=16', { command: 'report (its case images)' }),
    /and report \(its case images\) takes 2D images only .*; use a 2D phantom \(phantom:\.\.\.\) instead/,
  );
});
