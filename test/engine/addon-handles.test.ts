// The addon's handle table: a freed or stale handle is refused with an error (never a crash, never a
// different tensor), a double release frees nothing, handles stay valid while the table grows, and
// errors from every kind of entry point arrive as JS exceptions.
import assert from 'node:assert/strict';
import test from 'node:test';
import { aten, full, memoryStats, scope, tensor } from '../../src/engine/index.js';
import { native } from '../../src/engine/native.js';

const T = native.tensor;

test('a stale handle throws once its slot holds a new tensor, and does not reach it', () => {
  const a = T.fromArray(new Float32Array([1, 2, 3]), [3]);
  assert.equal(T.release(a), true);
  // The freed slot is reused at once by the next tensor, under a new generation.
  const b = T.fromArray(new Float32Array([7]), [1]);
  assert.notEqual(b, a);
  assert.throws(() => T.shape(a), /used after dispose\(\) \(stale handle/);
  assert.throws(() => T.toArray(a), /stale handle/);
  assert.throws(() => aten('neg').call([a]), /argument 'self': tensor used after dispose/);
  assert.throws(() => aten('add.Tensor').call([b, a, 1]), /argument 'other'.*stale handle/);
  // Releasing the stale handle again must not free b.
  assert.equal(T.release(a), false);
  assert.deepEqual(Array.from(T.toArray(b) as Float32Array), [7]);
  assert.equal(T.release(b), true);
  assert.equal(T.release(b), false);
});

test('non-handles are refused as type errors', () => {
  assert.throws(() => T.shape(-1), /expected a tensor/);
  assert.throws(() => T.shape(1.5), /expected a tensor/);
  assert.throws(() => T.shape('x' as unknown as number), /expected a tensor/);
  assert.throws(() => T.shape(2 ** 40 + 123456), /names no tensor|stale handle/);
  assert.equal(T.release(-5), false);
});

test('handles stay valid while the slot table grows (no reference into the table is kept)', () => {
  scope(() => {
    const first = full([4], 3);
    // Thousands of live tensors force the table to reallocate several times.
    const many = Array.from({ length: 5000 }, (_, i) => full([1], i));
    // An op whose result is allocated while its argument is being read.
    const sum = first.add(many[4999]!);
    assert.deepEqual(Array.from(sum.toFloat32()), [5002, 5002, 5002, 5002]);
    assert.equal(many[1234]!.item(), 1234);
  });
});

test('disposing through Tensor frees the buffer once; the old handle cannot free a later tensor', () => {
  const before = memoryStats().liveBuffers;
  const t = tensor([1, 2]);
  const stale = t.id;
  t.dispose();
  const u = tensor([5, 6]);
  assert.equal(memoryStats().liveBuffers, before + 1);
  assert.equal(T.release(stale), false);
  assert.deepEqual(Array.from(u.toFloat32()), [5, 6]);
  u.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

test('errors of every entry point are JS exceptions', () => {
  assert.throws(() => native.setNumThreads(0), /at least 1 thread/);
  assert.throws(() => new native.Op('aten::no_such_op', ''), /unknown operator/);
  assert.throws(() => new native.Script(42 as unknown as string), /path must be a string/);
  assert.throws(() => new native.Script('/nonexistent/model.pt'), Error);
  assert.throws(() => new native.Generator(-1), /seed must be an integer/);
  assert.throws(() => aten('randn.generator').call([[2], {}]), /expected a generator/);
});
