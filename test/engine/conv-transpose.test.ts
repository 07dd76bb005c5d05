// latentlens::conv_transpose (native/conv-transpose.cc) computes fp32 CPU transposed convolutions as the
// adjoint of a convolution. Known answer: libtorch's own aten::conv_transpose2d/3d, an independent
// implementation (im2col/col2im), for values, the three gradients and a second derivative, over strides,
// paddings, output paddings, groups, dilations and 3-D; and the cases the identity does not cover fall
// back to it exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { F, generator, grad, randn, scope, type Tensor } from '../../src/engine/index.js';
import { op } from '../../src/engine/tensor.js';
import { assertClose } from '../helpers/close.js';

interface Case {
  name: string;
  x: number[];
  w: number[];
  o: {
    stride?: number | number[];
    padding?: number | number[];
    outputPadding?: number | number[];
    groups?: number;
    dilation?: number | number[];
  };
}

const cases: Case[] = [
  {
    name: 'stride 2, padding 1, output padding 1 (the decoders)',
    x: [3, 4, 5, 6],
    w: [4, 3, 3, 3],
    o: { stride: 2, padding: 1, outputPadding: 1 },
  },
  { name: 'stride 1, no padding', x: [2, 3, 4, 4], w: [3, 5, 2, 2], o: {} },
  {
    name: 'anisotropic stride and padding, groups 2',
    x: [2, 4, 3, 5],
    w: [4, 3, 3, 2],
    o: { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], groups: 2 },
  },
  { name: 'dilation 2, stride 2', x: [1, 2, 4, 3], w: [2, 2, 3, 3], o: { stride: 2, dilation: 2, padding: 1, outputPadding: 1 } },
  { name: '3-D, stride 2, output padding 1', x: [2, 3, 3, 4, 2], w: [3, 2, 3, 3, 3], o: { stride: 2, padding: 1, outputPadding: 1 } },
];

function reference(x: Tensor, w: Tensor, b: Tensor | null, o: Case['o']): Tensor {
  const pair = (v: number | number[] | undefined, d: number, n: number) => (Array.isArray(v) ? v : Array(n).fill(v ?? d));
  const n = x.ndim - 2;
  return op(
    n === 2 ? 'conv_transpose2d.input' : 'conv_transpose3d.input',
    x.id,
    w.id,
    b?.id ?? null,
    pair(o.stride, 1, n),
    pair(o.padding, 0, n),
    pair(o.outputPadding, 0, n),
    o.groups ?? 1,
    pair(o.dilation, 1, n),
  );
}

function ours(x: Tensor, w: Tensor, b: Tensor | null, o: Case['o']): Tensor {
  return x.ndim === 4 ? F.convTranspose2d(x, w, b, o as never) : F.convTranspose3d(x, w, b, o as never);
}

function values(t: Tensor | null): Float32Array {
  return t!.contiguous().toArray() as Float32Array;
}

for (const c of cases) {
  for (const withBias of [true, false]) {
    test(`conv_transpose by adjoint equals aten's: ${c.name}, ${withBias ? 'with' : 'without'} bias`, () => {
      scope(() => {
        const g = generator(7);
        const x = randn(c.x, { generator: g }).requiresGrad_(true);
        const w = randn(c.w, { generator: g }).requiresGrad_(true);
        const groups = c.o.groups ?? 1;
        const b = withBias ? randn([c.w[1]! * groups], { generator: g }).requiresGrad_(true) : null;
        const want = reference(x, w, b, c.o);
        const got = ours(x, w, b, c.o);
        assert.deepEqual(got.shape, want.shape);
        assertClose(values(got), values(want), 1e-5, 1e-5, 'forward');
        // A weighted sum, so every output element's gradient differs.
        const r = randn(want.shape, { generator: g });
        const inputs = b ? [x, w, b] : [x, w];
        const gw = grad(want.mul(r).sum(), inputs, { createGraph: true });
        const go = grad(got.mul(r).sum(), inputs, { createGraph: true });
        for (let i = 0; i < inputs.length; i++)
          assertClose(values(go[i]!), values(gw[i]!), 1e-4, 1e-4, `gradient ${['input', 'weight', 'bias'][i]}`);
        // A second derivative through the backward (input-gradients of attribution methods differentiate it).
        const hw = grad(gw[0]!.pow(2).sum(), [w]);
        const ho = grad(go[0]!.pow(2).sum(), [w]);
        assertClose(values(ho[0]!), values(hw[0]!), 1e-4, 1e-3, 'second derivative');
      });
    });
  }
}

test('float64 and output padding >= stride go to aten::conv_transpose exactly', () => {
  scope(() => {
    const g = generator(3);
    const x = randn([2, 2, 3, 3], { generator: g, dtype: 'float64' });
    const w = randn([2, 3, 3, 3], { generator: g, dtype: 'float64' });
    const b = randn([3], { generator: g, dtype: 'float64' });
    assert.deepEqual(
      values(ours(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })),
      values(reference(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })),
    );
    const xf = x.float();
    const wf = w.float();
    const bf = b.float();
    // output padding 1 with stride 1 is valid only because dilation is 2; the adjoint does not apply.
    const o = { stride: 1, dilation: 2, outputPadding: 1 };
    assert.deepEqual(values(ours(xf, wf, bf, o)), values(reference(xf, wf, bf, o)));
  });
});
