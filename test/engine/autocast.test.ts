// CPU bf16 autocast (engine/autocast.ts). Known answers: inside the region a convolution and
// latentlens::conv_transpose return bf16 and equal, to bf16 rounding, the float64 result on the
// bf16-rounded inputs; their gradients reach the fp32 leaves in fp32 and equal the float64 gradients to
// the same tolerance; the state nests and survives an exception. These run on any CPU (oneDNN emulates
// bf16 where the CPU lacks it).
import test from 'node:test';
import assert from 'node:assert/strict';
import { F, autocastBf16, generator, grad, isAutocastBf16, outsideAutocast, randn, scope, type Tensor } from '../../src/engine/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';

setNumThreads(1);

const values = (t: Tensor): Float64Array => Float64Array.from(t.contiguous().toArray() as ArrayLike<number>);

/** max |a - b| / max |b|: bf16 keeps 8 significant bits, so one rounding is 2^-9 of a value. */
function relativeError(a: Tensor, b: Tensor): number {
  const x = values(a);
  const y = values(b);
  assert.equal(x.length, y.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    err = Math.max(err, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return err / scale;
}

const rounded = (t: Tensor) => t.to('bfloat16').to('float64');

test('autocastBf16: nests, restores on exit and on a throw, pauses for outsideAutocast', () => {
  assert.equal(isAutocastBf16(), false);
  autocastBf16(() => {
    assert.equal(isAutocastBf16(), true);
    autocastBf16(() => assert.equal(isAutocastBf16(), true));
    assert.equal(isAutocastBf16(), true, 'the inner region restores the outer one');
    outsideAutocast(() => assert.equal(isAutocastBf16(), false));
    assert.equal(isAutocastBf16(), true);
  });
  assert.equal(isAutocastBf16(), false);
  assert.throws(() =>
    autocastBf16(() => {
      throw new Error('boom');
    }),
  );
  assert.equal(isAutocastBf16(), false);
  assert.throws(() => autocastBf16(() => Promise.resolve(1)), /synchronous/);
  assert.equal(isAutocastBf16(), false);
});

for (const dims of [2, 3]) {
  test(`conv${dims}d and conv_transpose${dims}d under autocast: bf16 outputs, fp32 leaf gradients, float64 answers to bf16 rounding`, () => {
    scope(() => {
      const g = generator(11);
      const sp = dims === 2 ? [9, 8] : [5, 4, 6];
      const x = randn([3, 4, ...sp], { generator: g }).requiresGrad_(true);
      const wc = randn([6, 4, ...Array(dims).fill(3)], { generator: g }).requiresGrad_(true);
      const wt = randn([6, 5, ...Array(dims).fill(3)], { generator: g }).requiresGrad_(true);
      const bt = randn([5], { generator: g }).requiresGrad_(true);
      const conv = (a: Tensor, w: Tensor) =>
        dims === 2 ? F.conv2d(a, w, null, { stride: 2, padding: 1 }) : F.conv3d(a, w, null, { stride: 2, padding: 1 });
      const convT = (a: Tensor, w: Tensor, b: Tensor) =>
        dims === 2
          ? F.convTranspose2d(a, w, b, { stride: 2, padding: 1, outputPadding: 1 })
          : F.convTranspose3d(a, w, b, { stride: 2, padding: 1, outputPadding: 1 });
      const y = autocastBf16(() => convT(conv(x, wc).relu(), wt, bt));
      assert.equal(y.dtype, 'bfloat16');
      // Known answer: float64 on the rounded inputs, the intermediate rounded as autocast rounds it.
      const h = conv(rounded(x), rounded(wc)).to('bfloat16').to('float64').relu();
      const want = convT(h, rounded(wt), rounded(bt));
      assert.deepEqual(y.shape, want.shape);
      const fwd = relativeError(y, want);
      assert.ok(fwd < 2 ** -6, `forward relative error ${fwd}`);
      assert.ok(fwd > 0, 'bf16 rounding is visible: the region was on');

      const r = randn(want.shape, { generator: g, dtype: 'float64' });
      const got = grad(y.float().mul(r.float()).sum(), [x, wc, wt, bt]);
      const leaves64 = [x, wc, wt, bt].map((t) => rounded(t.detach()).requiresGrad_(true));
      const h64 = conv(leaves64[0]!, leaves64[1]!).relu();
      const exp = grad(convT(h64, leaves64[2]!, leaves64[3]!).mul(r).sum(), leaves64);
      ['input', 'conv weight', 'transposed weight', 'bias'].forEach((name, i) => {
        assert.equal(got[i]!.dtype, 'float32', `${name} gradient is fp32 like its leaf`);
        const e = relativeError(got[i]!, exp[i]!);
        // Gradients go through two bf16 layers and a bf16 upstream gradient: a few roundings.
        assert.ok(e < 2 ** -5, `${name} gradient relative error ${e}`);
      });
    });
  });
}

test('outside a region the transposed convolution stays fp32 and exact as before', () => {
  scope(() => {
    const g = generator(5);
    const x = randn([2, 4, 5, 5], { generator: g });
    const w = randn([4, 3, 3, 3], { generator: g });
    const y = F.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 });
    assert.equal(y.dtype, 'float32');
    const want = F.convTranspose2d(x.to('float64'), w.to('float64'), null, { stride: 2, padding: 1, outputPadding: 1 });
    assert.ok(relativeError(y, want) < 1e-6);
  });
});
