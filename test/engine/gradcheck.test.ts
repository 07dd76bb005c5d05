// Every differentiable op the engine exposes, checked against central finite differences in float64.
import test from 'node:test';
import { F, grad, manualSeed, randn, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { assertClose } from '../helpers/close.js';

interface Case {
  name: string;
  shapes: number[][];
  fn: (...xs: Tensor[]) => Tensor;
  /** Maps raw normal samples into the op's smooth domain (e.g. positive for log). */
  domain?: (x: Tensor) => Tensor;
}

const positive = (x: Tensor) => x.abs().add(0.5);
const NCHW = [2, 3, 5, 5];

const cases: Case[] = [
  {
    name: 'add',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => a.add(b, 0.7),
  },
  { name: 'add scalar', shapes: [[3, 4]], fn: (a) => a.add(2.5) },
  { name: 'sub', shapes: [[3, 4], [4]], fn: (a, b) => a.sub(b) },
  {
    name: 'mul',
    shapes: [
      [3, 4],
      [3, 1],
    ],
    fn: (a, b) => a.mul(b),
  },
  {
    name: 'div',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => a.div(b),
    domain: positive,
  },
  { name: 'pow scalar', shapes: [[3, 4]], fn: (a) => a.pow(3) },
  {
    name: 'pow tensor',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => a.pow(b),
    domain: positive,
  },
  { name: 'neg', shapes: [[5]], fn: (a) => a.neg() },
  { name: 'abs', shapes: [[5]], fn: (a) => a.abs(), domain: positive },
  { name: 'sqrt', shapes: [[5]], fn: (a) => a.sqrt(), domain: positive },
  { name: 'rsqrt', shapes: [[5]], fn: (a) => a.rsqrt(), domain: positive },
  { name: 'square', shapes: [[5]], fn: (a) => a.square() },
  { name: 'exp', shapes: [[5]], fn: (a) => a.exp() },
  { name: 'log', shapes: [[5]], fn: (a) => a.log(), domain: positive },
  { name: 'log1p', shapes: [[5]], fn: (a) => a.log1p(), domain: positive },
  { name: 'sin', shapes: [[5]], fn: (a) => a.sin() },
  { name: 'cos', shapes: [[5]], fn: (a) => a.cos() },
  { name: 'reciprocal', shapes: [[5]], fn: (a) => a.reciprocal(), domain: positive },
  { name: 'clamp', shapes: [[6]], fn: (a) => a.clamp(-10, 10) },
  { name: 'relu', shapes: [[6]], fn: (a) => a.relu(), domain: positive },
  { name: 'sigmoid', shapes: [[6]], fn: (a) => a.sigmoid() },
  { name: 'tanh', shapes: [[6]], fn: (a) => a.tanh() },
  { name: 'leakyRelu', shapes: [[6]], fn: (a) => F.leakyRelu(a.abs().add(0.1).neg(), 0.2) },
  { name: 'softplus', shapes: [[6]], fn: (a) => F.softplus(a, 2) },
  { name: 'elu', shapes: [[6]], fn: (a) => F.elu(a.abs().add(0.1).neg()) },
  { name: 'silu', shapes: [[6]], fn: (a) => F.silu(a) },
  { name: 'gelu', shapes: [[6]], fn: (a) => F.gelu(a) },
  {
    name: 'matmul',
    shapes: [
      [3, 4],
      [4, 2],
    ],
    fn: (a, b) => a.matmul(b),
  },
  {
    name: 'matmul batched',
    shapes: [
      [2, 3, 4],
      [4, 2],
    ],
    fn: (a, b) => a.matmul(b),
  },
  { name: 'sum', shapes: [[3, 4]], fn: (a) => a.sum() },
  { name: 'sum dim', shapes: [[3, 4]], fn: (a) => a.sum(1, true) },
  { name: 'mean', shapes: [[3, 4]], fn: (a) => a.mean() },
  { name: 'mean dims', shapes: [[2, 3, 4]], fn: (a) => a.mean([0, 2]) },
  { name: 'var', shapes: [[3, 4]], fn: (a) => a.var(1) },
  { name: 'std', shapes: [[3, 4]], fn: (a) => a.std(0) },
  { name: 'max', shapes: [[7]], fn: (a) => a.max() },
  { name: 'min', shapes: [[7]], fn: (a) => a.min() },
  { name: 'amax', shapes: [[3, 4]], fn: (a) => a.amax(1) },
  { name: 'amin', shapes: [[3, 4]], fn: (a) => a.amin(0) },
  { name: 'logsumexp', shapes: [[3, 4]], fn: (a) => a.logsumexp(1) },
  { name: 'softmax', shapes: [[3, 4]], fn: (a) => a.softmax(1) },
  { name: 'logSoftmax', shapes: [[3, 4]], fn: (a) => a.logSoftmax(0) },
  { name: 'reshape', shapes: [[3, 4]], fn: (a) => a.reshape(2, 6).mul(a.reshape(2, 6)) },
  { name: 'view', shapes: [[3, 4]], fn: (a) => a.view(4, 3).exp() },
  { name: 'flatten', shapes: [[2, 3, 4]], fn: (a) => a.flatten(1).exp() },
  { name: 'permute', shapes: [[2, 3, 4]], fn: (a) => a.permute(2, 0, 1).contiguous().view(4, 6).matmul(a.view(6, 4)) },
  { name: 'transpose', shapes: [[3, 4]], fn: (a) => a.transpose(0, 1).matmul(a) },
  { name: 't', shapes: [[3, 4]], fn: (a) => a.t().exp() },
  { name: 'unsqueeze/squeeze', shapes: [[3, 4]], fn: (a) => a.unsqueeze(1).exp().squeeze(1) },
  { name: 'expand', shapes: [[3, 1]], fn: (a) => a.expand(3, 4).exp() },
  { name: 'repeat', shapes: [[2, 3]], fn: (a) => a.repeat(2, 2).exp() },
  { name: 'contiguous/clone', shapes: [[3, 4]], fn: (a) => a.t().contiguous().clone().exp() },
  { name: 'slice', shapes: [[5, 4]], fn: (a) => a.slice(0, 1, 5, 2).exp() },
  { name: 'narrow', shapes: [[5, 4]], fn: (a) => a.narrow(1, 1, 2).exp() },
  { name: 'select', shapes: [[5, 4]], fn: (a) => a.select(0, 3).exp() },
  { name: 'indexSelect', shapes: [[5, 4]], fn: (a) => a.indexSelect(0, tensor([4, 0, 0], [3], { dtype: 'int64' })).exp() },
  { name: 'gather', shapes: [[3, 4]], fn: (a) => a.gather(1, tensor([0, 3, 1, 1, 2, 2], [3, 2], { dtype: 'int64' })).exp() },
  { name: 'index', shapes: [[5, 4]], fn: (a) => a.index([tensor([1, 3], [2], { dtype: 'int64' })]).exp() },
  { name: 'maskedFill', shapes: [[2, 3]], fn: (a) => a.maskedFill(tensor([1, 0, 1, 0, 0, 1], [2, 3], { dtype: 'bool' }), 0.5).exp() },
  {
    name: 'where',
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) => a.where(tensor([1, 0, 1, 0, 0, 1], [2, 3], { dtype: 'bool' }), b).exp(),
  },
  { name: 'conv2d', shapes: [NCHW, [4, 3, 3, 3], [4]], fn: (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }) },
  {
    name: 'conv2d groups dilation',
    shapes: [
      [1, 4, 7, 7],
      [4, 2, 3, 3],
    ],
    fn: (x, w) => F.conv2d(x, w, null, { groups: 2, dilation: 2 }),
  },
  {
    name: 'convTranspose2d',
    shapes: [[2, 3, 3, 3], [3, 2, 3, 3], [2]],
    fn: (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
  },
  { name: 'linear', shapes: [[3, 4], [2, 4], [2]], fn: (x, w, b) => F.linear(x, w, b) },
  { name: 'batchNorm (training)', shapes: [NCHW, [3], [3]], fn: (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }) },
  { name: 'groupNorm', shapes: [[2, 4, 3, 3], [4], [4]], fn: (x, w, b) => F.groupNorm(x, 2, w, b) },
  {
    name: 'mseLoss',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => F.mseLoss(a, b),
  },
  {
    name: 'l1Loss',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => F.l1Loss(a, b.add(10)),
  },
  {
    name: 'binaryCrossEntropyWithLogits',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => F.binaryCrossEntropyWithLogits(a, b.sigmoid()),
  },
  { name: 'crossEntropy', shapes: [[4, 3]], fn: (a) => F.crossEntropy(a, tensor([0, 2, 1, 2], [4], { dtype: 'int64' })) },
  { name: 'maxPool2d', shapes: [NCHW], fn: (x) => F.maxPool2d(x, 2) },
  { name: 'avgPool2d', shapes: [NCHW], fn: (x) => F.avgPool2d(x, 2, 1) },
  { name: 'adaptiveAvgPool2d', shapes: [NCHW], fn: (x) => F.adaptiveAvgPool2d(x, 2) },
  { name: 'interpolate nearest', shapes: [[1, 2, 3, 3]], fn: (x) => F.interpolate(x, { scaleFactor: 2 }).exp() },
  { name: 'interpolate bilinear', shapes: [[1, 2, 3, 3]], fn: (x) => F.interpolate(x, { size: [5, 4], mode: 'bilinear' }) },
  {
    name: 'dropout (fixed seed)',
    shapes: [[4, 5]],
    fn: (x) => {
      manualSeed(3);
      return F.dropout(x, 0.4, true);
    },
  },
  {
    name: 'cat',
    shapes: [
      [2, 3],
      [1, 3],
    ],
    fn: (a, b) => F.cat([a, b], 0).exp(),
  },
  {
    name: 'stack',
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) => F.stack([a, b], 1).exp(),
  },
  { name: 'topk', shapes: [[3, 5]], fn: (a) => F.topk(a, 2, 1)[0] },
  { name: 'sort', shapes: [[3, 5]], fn: (a) => F.sort(a, 1, true)[0].mul(tensor([1, 2, 3, 4, 5], [5], { dtype: 'float64' })) },
];

/** Weighted sum of the op's output, so every output element contributes with a distinct weight. */
function objective(c: Case, inputs: Tensor[], weights: Tensor): Tensor {
  return c
    .fn(...inputs)
    .mul(weights)
    .sum();
}

for (const c of cases) {
  test(`gradient of ${c.name} matches finite differences`, () => {
    scope(() => {
      manualSeed(11);
      const inputs = c.shapes.map((s) => {
        const raw = randn(s, { dtype: 'float64' });
        return (c.domain ? c.domain(raw) : raw).detach().requiresGrad_(true);
      });
      const out = c.fn(...inputs);
      const weights = randn(out.shape, { dtype: 'float64' });
      const analytic = grad(objective(c, inputs, weights), inputs).map((g) => g!.toFloat32());
      const eps = 1e-6;
      inputs.forEach((x, k) => {
        const base = x.detach().toArray() as Float64Array;
        const numeric = new Float64Array(base.length);
        for (let i = 0; i < base.length; i++) {
          const at = (delta: number) => {
            const moved = base.slice();
            moved[i] += delta;
            const xs = inputs.map((y, j) => (j === k ? tensor(moved, x.shape, { dtype: 'float64' }) : y.detach()));
            return objective(c, xs, weights).item();
          };
          numeric[i] = (at(eps) - at(-eps)) / (2 * eps);
        }
        assertClose(analytic[k]!, Float32Array.from(numeric), 2e-3, 2e-4, `${c.name} d/dinput${k}`);
      });
    });
  });
}
