import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePhantoms, channelMask, PHANTOM_FACTORS } from '../../src/data/phantom.js';
import { DataError } from '../../src/data/errors.js';

const F = PHANTOM_FACTORS.length;
const col = (name: string) => PHANTOM_FACTORS.indexOf(name as (typeof PHANTOM_FACTORS)[number]);

test('one seed gives identical output; another seed differs', () => {
  const a = generatePhantoms({ n: 50, size: 32, seed: 3 });
  const b = generatePhantoms({ n: 50, size: 32, seed: 3 });
  const c = generatePhantoms({ n: 50, size: 32, seed: 4 });
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.factors!.values, b.factors!.values);
  assert.deepEqual(a.masks![0]!.data, b.masks![0]!.data);
  assert.deepEqual(a.splits, b.splits);
  assert.notDeepEqual(a.images, c.images);
});

test('shape, channels, labels equal lesion presence, splits partition the cases', () => {
  const ds = generatePhantoms({ n: 200, size: 40, seed: 1 });
  assert.deepEqual(ds.shape, [200, 3, 40, 40]);
  assert.equal(ds.images.length, 200 * 3 * 40 * 40);
  assert.deepEqual(ds.channelNames, ['T1', 'T2', 'FLAIR']);
  assert.deepEqual(ds.classNames, ['no lesion', 'lesion']);
  assert.deepEqual(ds.factors!.names, [...PHANTOM_FACTORS]);
  for (let i = 0; i < 200; i++) assert.equal(ds.labels![i], ds.factors!.values[i * F + col('lesion_present')]);
  const all = [...ds.splits!.train, ...ds.splits!.val, ...ds.splits!.test].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.equal(ds.splits!.test.length, 40);
  assert.equal(ds.splits!.val.length, 20);
  assert.deepEqual(
    ds.masks!.map((m) => [m.name, m.channels]),
    [
      ['lesion', ['FLAIR']],
      ['distractor', ['T1']],
    ],
  );
});

// Noise- and texture-free pairs that differ only in whether the lesion (or distractor) is drawn: the
// factor streams are identical, so the difference image is exactly the object's contribution.
function pair(which: 'lesion' | 'distractor') {
  const base = { n: 60, size: 48, seed: 11, noise: 0, texture: 0 };
  const on = which === 'lesion' ? { lesionRate: 1, distractorRate: 0 } : { lesionRate: 0, distractorRate: 1 };
  const off = { lesionRate: 0, distractorRate: 0 };
  return [generatePhantoms({ ...base, ...on }), generatePhantoms({ ...base, ...off })] as const;
}

test('the lesion mask lies where the lesion is, and only in its channel', () => {
  const [withLesion, without] = pair('lesion');
  const HW = 48 * 48;
  const mask = withLesion.masks![0]!.data;
  for (let i = 0; i < 60; i++) {
    const f = withLesion.factors!.values.subarray(i * F, (i + 1) * F);
    const intensity = f[col('lesion_intensity')]!;
    const R = f[col('lesion_radius')]! * 48;
    let area = 0;
    let sx = 0;
    let sy = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < HW; p++) {
        const d = withLesion.images[(i * 3 + c) * HW + p]! - without.images[(i * 3 + c) * HW + p]!;
        const inside = mask[i * HW + p] === 1;
        if (c !== 2) assert.equal(d, 0, `case ${i}: channel ${c} changed`);
        else if (inside) assert.ok(d >= 0.5 * intensity - 1e-5 && d <= intensity + 1e-5, `case ${i}: inside diff ${d}`);
        else assert.ok(d < 0.5 * intensity + 1e-5, `case ${i}: outside diff ${d}`);
        if (c === 2 && inside) {
          area++;
          sx += (p % 48) + 0.5;
          sy += Math.floor(p / 48) + 0.5;
        }
      }
    }
    // Centroid at (x, y), area close to pi R^2.
    assert.ok(Math.abs(sx / area - f[col('lesion_x')]! * 48) < 0.5, `case ${i} centroid x`);
    assert.ok(Math.abs(sy / area - f[col('lesion_y')]! * 48) < 0.5, `case ${i} centroid y`);
    assert.ok(Math.abs(area - Math.PI * R * R) < 2 * Math.PI * R + 2, `case ${i} area ${area} vs ${Math.PI * R * R}`);
  }
  // No-lesion cases have empty lesion masks.
  assert.ok(without.masks![0]!.data.every((v) => v === 0));
  // channelMask: FLAIR carries the lesion, T2 carries nothing.
  const m = channelMask(withLesion, 0, 'FLAIR');
  assert.deepEqual(m, mask.subarray(0, HW));
  assert.ok(channelMask(withLesion, 0, 'T2').every((v) => v === 0));
});

test('the distractor shows only in T1 and is independent of the label', () => {
  const [withD, without] = pair('distractor');
  const HW = 48 * 48;
  const mask = withD.masks![1]!.data;
  for (let i = 0; i < 60; i++) {
    const intensity = withD.factors!.values[i * F + col('distractor_intensity')]!;
    let inside = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < HW; p++) {
        const d = withD.images[(i * 3 + c) * HW + p]! - without.images[(i * 3 + c) * HW + p]!;
        if (c !== 0) assert.equal(d, 0);
        else if (mask[i * HW + p]) {
          inside++;
          assert.ok(d >= 0.5 * intensity - 1e-5);
        } else assert.ok(d < 0.5 * intensity + 1e-5);
      }
    }
    assert.ok(inside > 0, `case ${i}: empty distractor mask`);
  }
  assert.ok(withD.labels!.every((v) => v === 0));
});

test('factor distributions are independent and within their ranges', () => {
  const n = 4000;
  const ds = generatePhantoms({ n, size: 16, seed: 5 });
  const v = ds.factors!.values;
  const mean = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) mean[f]! += v[i * F + f]! / n;
  const sd = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) sd[f]! += (v[i * F + f]! - mean[f]!) ** 2 / n;
  for (let f = 0; f < F; f++) sd[f] = Math.sqrt(sd[f]!);
  // |r| under 4 standard errors (1/sqrt(n)) for every pair.
  for (let a = 0; a < F; a++) {
    for (let b = a + 1; b < F; b++) {
      let cov = 0;
      for (let i = 0; i < n; i++) cov += (v[i * F + a]! - mean[a]!) * (v[i * F + b]! - mean[b]!);
      const r = cov / n / (sd[a]! * sd[b]!);
      assert.ok(Math.abs(r) < 4 / Math.sqrt(n), `corr(${PHANTOM_FACTORS[a]}, ${PHANTOM_FACTORS[b]}) = ${r.toFixed(3)}`);
    }
  }
  assert.ok(Math.abs(mean[col('lesion_present')]! - 0.5) < 0.03);
  assert.ok(Math.abs(mean[col('distractor_present')]! - 0.5) < 0.03);
  for (let i = 0; i < n; i++) {
    const r = v[i * F + col('lesion_radius')]!;
    assert.ok(r >= 0.05 && r <= 0.12);
    const x = v[i * F + col('lesion_x')]!;
    assert.ok(x >= 0.3 && x <= 0.7);
  }
  // Uniform on [0.3, 0.7]: mean 0.5, sd 0.4 / sqrt(12).
  assert.ok(Math.abs(sd[col('lesion_x')]! - 0.4 / Math.sqrt(12)) < 0.005);
});

test('pixel noise has the configured standard deviation', () => {
  const a = generatePhantoms({ n: 100, size: 32, seed: 2, noise: 0.05, lesionRate: 0, distractorRate: 0 });
  const b = generatePhantoms({ n: 100, size: 32, seed: 2, noise: 0, lesionRate: 0, distractorRate: 0 });
  let s2 = 0;
  let s1 = 0;
  for (let k = 0; k < a.images.length; k++) {
    const d = a.images[k]! - b.images[k]!;
    s1 += d;
    s2 += d * d;
  }
  const m = s1 / a.images.length;
  assert.ok(Math.abs(m) < 0.001, `noise mean ${m}`);
  assert.ok(Math.abs(Math.sqrt(s2 / a.images.length) - 0.05) < 0.001);
});

test('custom channels and lesion channels; bad options name the problem', () => {
  const ds = generatePhantoms({ n: 10, size: 16, channels: ['A', 'B'], lesionChannels: ['A', 'B'] });
  assert.deepEqual(ds.channelNames, ['A', 'B']);
  assert.deepEqual(ds.masks![0]!.channels, ['A', 'B']);
  assert.deepEqual(ds.masks![1]!.channels, ['A']);
  assert.throws(
    () => generatePhantoms({ lesionChannels: ['T9'] }),
    (e: Error) => e instanceof DataError && /lesion channel "T9" is not one of the channels \[T1, T2, FLAIR\]/.test(e.message),
  );
  assert.throws(() => generatePhantoms({ n: 0 }), /n must be a positive integer/);
  assert.throws(() => generatePhantoms({ lesionRate: 2 }), /lesionRate must be in \[0, 1\]/);
  assert.throws(() => generatePhantoms({ lesionRadius: [0.2, 0.1] }), /lesionRadius/);
});
