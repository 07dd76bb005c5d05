// Tensor lifetimes: scopes free what they made, keep what they return, work async, and bound memory.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Adam, F, keep, memoryStats, noGrad, isGradEnabled, ones, randn, scope, zeros } from '../../src/engine/index.js';
import { Conv2d } from '../../src/nn/index.js';

const live = () => memoryStats().liveBuffers;

test('scope disposes intermediates and keeps returned tensors (also inside objects and arrays)', () => {
  const before = live();
  const { a, list } = scope(() => {
    const x = ones([10]);
    const y = x.mul(2).add(1);
    return { a: y.sum(), list: [x.exp()] };
  });
  assert.equal(live(), before + 2);
  assert.equal(a.item(), 30);
  assert.equal(list[0]!.disposed, false);
  a.dispose();
  list[0]!.dispose();
  assert.equal(live(), before);
});

test('nested scopes move kept tensors to the parent scope', () => {
  const before = live();
  scope(() => {
    const inner = scope(() => ones([3]).add(1));
    assert.equal(inner.disposed, false);
    return undefined;
  });
  assert.equal(live(), before, 'the inner result belonged to the outer scope and was freed with it');
});

test('a throwing scope frees everything it made', () => {
  const before = live();
  assert.throws(
    () =>
      scope(() => {
        ones([5]);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(live(), before);
});

test('async scopes track tensors made after await and close when the promise settles', async () => {
  const before = live();
  const kept = await scope(async () => {
    const a = ones([4]);
    await new Promise((r) => setTimeout(r, 5));
    const b = a.add(a);
    await Promise.resolve();
    return b.mul(3);
  });
  assert.deepEqual([...kept.toArray()], [6, 6, 6, 6]);
  assert.equal(live(), before + 1);
  kept.dispose();
});

test('keep() takes a tensor out of scope management', () => {
  let kept!: ReturnType<typeof zeros>;
  let dropped!: ReturnType<typeof zeros>;
  scope(() => {
    kept = keep(zeros([2]));
    dropped = ones([2]);
  });
  assert.equal(kept.disposed, false);
  assert.equal(dropped.disposed, true);
  kept.dispose();
});

test('noGrad turns recording off and restores it', () => {
  scope(() => {
    const w = ones([2]).requiresGrad_(true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return w.mul(2);
    });
    assert.equal(isGradEnabled(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(w.mul(2).requiresGrad, true);
  });
});

test('10,000 conv forward/backward steps inside scope grow RSS by less than 50 MB', () => {
  const conv = new Conv2d(1, 8, 3, { padding: 1 });
  const opt = new Adam(conv.parameters());
  const x = randn([4, 1, 16, 16]);
  const step = () =>
    scope(() => {
      opt.zeroGrad();
      F.mseLoss(conv.forward(x), x.expand(4, 8, 16, 16)).backward();
      opt.step();
    });
  for (let i = 0; i < 200; i++) step();
  const buffers = live();
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 10_000; i++) step();
  const growthMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.equal(live(), buffers, 'no tensor handle leaked');
  assert.ok(growthMb < 50, `RSS grew by ${growthMb.toFixed(1)} MB`);
  conv.dispose();
  opt.dispose();
  x.dispose();
});
