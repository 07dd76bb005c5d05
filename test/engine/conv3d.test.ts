// The volumetric layers (conv3d, convTranspose3d, batch norm and nearest upsampling on N x C x D x H x W):
// gradients against central finite differences in float64, and forward values with known answers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { F, grad, manualSeed, ones, randn, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { BatchNorm3d, Conv3d, ConvTranspose3d } from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';

interface Case {
  name: string;
  shapes: number[][];
  fn: (...xs: Tensor[]) => Tensor;
}

const cases: Case[] = [
  {
    name: 'conv3d stride 2 padding 1',
    shapes: [[2, 2, 4, 4, 4], [3, 2, 3, 3, 3], [3]],
    fn: (x, w, b) => F.conv3d(x, w, b, { stride: 2, padding: 1 }),
  },
  {
    name: 'conv3d anisotropic kernel, groups',
    shapes: [
      [1, 4, 3, 4, 5],
      [2, 2, 1, 3, 2],
    ],
    fn: (x, w) => F.conv3d(x, w, null, { groups: 2, padding: [0, 1, 0] }),
  },
  {
    name: 'convTranspose3d',
    shapes: [[1, 3, 2, 2, 2], [3, 2, 4, 4, 4], [2]],
    fn: (x, w, b) => F.convTranspose3d(x, w, b, { stride: 2, padding: 1 }),
  },
  {
    name: 'batchNorm on volumes (training)',
    shapes: [[3, 2, 2, 3, 2], [2], [2]],
    fn: (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }),
  },
  { name: 'interpolate3d nearest', shapes: [[1, 2, 2, 2, 2]], fn: (x) => F.interpolate3d(x, { scaleFactor: 2 }).exp() },
  { name: 'interpolate3d trilinear', shapes: [[1, 1, 2, 3, 2]], fn: (x) => F.interpolate3d(x, { size: [4, 5, 3], mode: 'trilinear' }) },
];

for (const c of cases) {
  test(`gradient of ${c.name} matches finite differences`, () => {
    scope(() => {
      manualSeed(5);
      const inputs = c.shapes.map((s) => randn(s, { dtype: 'float64' }).detach().requiresGrad_(true));
      const weights = randn(c.fn(...inputs).shape, { dtype: 'float64' });
      const objective = (xs: Tensor[]) =>
        c
          .fn(...xs)
          .mul(weights)
          .sum();
      const analytic = grad(objective(inputs), inputs).map((g) => g!.toFloat32());
      const eps = 1e-6;
      inputs.forEach((x, k) => {
        const base = x.detach().toArray() as Float64Array;
        const numeric = new Float64Array(base.length);
        for (let i = 0; i < base.length; i++) {
          const at = (delta: number) => {
            const moved = base.slice();
            moved[i] += delta;
            return objective(inputs.map((y, j) => (j === k ? tensor(moved, x.shape, { dtype: 'float64' }) : y.detach()))).item();
          };
          numeric[i] = (at(eps) - at(-eps)) / (2 * eps);
        }
        assertClose(analytic[k]!, Float32Array.from(numeric), 2e-3, 2e-4, `${c.name} d/dinput${k}`);
      });
    });
  });
}

test('Conv3d with a ones kernel sums each 3 x 3 x 3 neighbourhood; shapes follow PyTorch', () => {
  scope(() => {
    const conv = new Conv3d(1, 1, 3, { padding: 1, bias: false });
    conv.weight.detach().copy_(ones([1, 1, 3, 3, 3]));
    const y = conv.forward(ones([1, 1, 4, 4, 4])).toArray() as Float32Array;
    // A corner voxel sees 2 x 2 x 2 voxels inside the volume, an interior one 27.
    assert.equal(y[0], 8);
    assert.equal(y[1 * 16 + 1 * 4 + 1], 27);
    assert.deepEqual(conv.weight.shape, [1, 1, 3, 3, 3]);
    const down = new Conv3d(2, 4, 3, { stride: 2, padding: 1 }).forward(ones([2, 2, 28, 28, 28]));
    assert.deepEqual(down.shape, [2, 4, 14, 14, 14]);
    const up = new ConvTranspose3d(4, 2, 4, { stride: 2, padding: 1 }).forward(down);
    assert.deepEqual(up.shape, [2, 2, 28, 28, 28]);
    assert.throws(() => new BatchNorm3d(4).forward(ones([2, 4, 3, 3])), /BatchNorm3d\(4\): expected N x 4 x D x H x W, got \[2,4,3,3\]/);
    assert.throws(() => F.conv3d(ones([1, 1, 4, 4]), conv.weight), /conv3d: expected input N x C x D x H x W \(5-D\)/);
  });
});
