// Tensor basics: data in and out for every supported dtype, metadata, hand-computed conv values, errors.
import assert from 'node:assert/strict';
import test from 'node:test';
import { arange, F, ones, scope, tensor, zeros, full, Tensor, memoryStats } from '../../src/engine/index.js';
import { assertClose } from '../helpers/close.js';

test('typed arrays round-trip for float32, float64, int32, int64, uint8 and bool', () => {
  scope(() => {
    const f32 = tensor(new Float32Array([1.5, -2, 3]), [3]);
    assert.deepEqual([...f32.toArray()], [1.5, -2, 3]);
    assert.equal(f32.dtype, 'float32');
    const f64 = tensor(new Float64Array([0.1, 0.2]), [2, 1]);
    assert.equal(f64.dtype, 'float64');
    assert.deepEqual(f64.shape, [2, 1]);
    assert.deepEqual([...f64.toArray()], [0.1, 0.2]);
    const i32 = tensor(new Int32Array([-7, 2147483647]), [2]);
    assert.deepEqual([...i32.toArray()], [-7, 2147483647]);
    const i64 = tensor(new BigInt64Array([2n ** 40n, -3n]), [2]);
    assert.equal(i64.dtype, 'int64');
    assert.deepEqual([...i64.toArray()], [2n ** 40n, -3n]);
    const u8 = tensor(new Uint8Array([0, 255, 7]), [3]);
    assert.equal(u8.dtype, 'uint8');
    assert.deepEqual([...u8.toArray()], [0, 255, 7]);
    const b = tensor([1, 0, 1], [3], { dtype: 'bool' });
    assert.equal(b.dtype, 'bool');
    assert.deepEqual([...b.toArray()], [1, 0, 1]);
    assert.deepEqual(tensor([3, 4], [2], { dtype: 'int64' }).toNumbers(), [3, 4]);
  });
});

test('metadata, item, device and conversions', () => {
  scope(() => {
    const x = arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 3);
    assert.deepEqual(x.shape, [2, 3]);
    assert.equal(x.ndim, 2);
    assert.equal(x.numel, 6);
    assert.equal(x.device, 'cpu');
    assert.equal(x.size(-1), 3);
    assert.equal(x.sum().item(), 15);
    assert.equal(x.to('float64').dtype, 'float64');
    assert.deepEqual(x.gt(2).toNumbers(), [0, 0, 0, 1, 1, 1]);
    assert.throws(() => x.item(), /6 elements, expected 1/);
  });
});

test('conv2d matches a hand-computed case', () => {
  scope(() => {
    // 4x4 input 0..15, 2x2 kernel [[1,0],[0,-1]], stride 2: each output = x[i][j] - x[i+1][j+1] = -5.
    const x = arange(0, 16, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4);
    const w = tensor([1, 0, 0, -1], [1, 1, 2, 2]);
    const y = F.conv2d(x, w, tensor([0.5], [1]), { stride: 2 });
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assert.deepEqual([...y.toArray()], [-4.5, -4.5, -4.5, -4.5]);
    // Padding 1, 3x3 ones kernel on a 3x3 ones image: corner sums 4, edges 6, centre 9.
    const s = F.conv2d(ones([1, 1, 3, 3]), ones([1, 1, 3, 3]), null, { padding: 1 });
    assert.deepEqual([...s.toArray()], [4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });
});

test('convTranspose2d matches a hand-computed case and PyTorch output-size rule', () => {
  scope(() => {
    // Stride 2, kernel 2 of ones: every input value is copied into its own 2x2 block.
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = F.convTranspose2d(x, ones([1, 1, 2, 2]), null, { stride: 2 });
    assert.deepEqual([...y.toArray()], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // out = (in - 1) * stride - 2 * padding + kernel + output_padding = 7*2 - 2 + 3 + 1 = 16.
    const z = F.convTranspose2d(zeros([2, 3, 8, 8]), zeros([3, 5, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 });
    assert.deepEqual(z.shape, [2, 5, 16, 16]);
  });
});

test('libtorch errors become catchable JS errors carrying its message', () => {
  scope(() => {
    const a = zeros([2, 3]);
    assert.throws(() => a.add(zeros([4])), /must match the size of tensor b \(4\) at non-singleton dimension 1/);
    assert.throws(() => a.view(7), /shape '\[7\]' is invalid for input of size 6/);
    assert.throws(() => F.conv2d(zeros([1, 2, 5, 5]), zeros([4, 3, 3, 3])), /input has 2 channels, weight \[4,3,3,3\] expects 3/);
    assert.throws(() => a.matmul(zeros([2, 2])), /inner sizes 3 and 2/);
    assert.throws(() => tensor(new Float32Array(5), [2, 3]), /needs 6 elements, the array has 5/);
  });
});

test('a disposed tensor refuses use, and dispose frees its buffer', () => {
  const before = memoryStats().liveBuffers;
  const t = full([1000], 2);
  assert.equal(memoryStats().liveBuffers, before + 1);
  const view = t.view(10, 100);
  assert.equal(memoryStats().liveBuffers, before + 1, 'a view shares its buffer and is counted once');
  assert.ok(view.sharesStorageWith(t));
  t.dispose();
  view.dispose();
  assert.equal(memoryStats().liveBuffers, before);
  assert.equal(t.disposed, true);
  assert.throws(() => t.sum(), /used after dispose/);
});

test('Tensor class is what every op returns', () => {
  scope(() => {
    const y = ones([2]).add(1);
    assert.ok(y instanceof Tensor);
    assert.deepEqual([...y.toArray()], [2, 2]);
    assertClose(ones([3]).mul(0.1).toFloat32(), [0.1, 0.1, 0.1]);
  });
});
