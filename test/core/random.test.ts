// core/random.ts: the one seeded generator, its moments, permutations, forks and named streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSeed, Random, randomStream, streamSeed } from '../../src/core/random.js';

test('equal seeds give equal streams, different seeds differ', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  const sb = Array.from({ length: 100 }, () => b.nextUint32());
  const sc = Array.from({ length: 100 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.deepEqual(
    Array.from({ length: 5 }, () => new Random('fold-1').next()),
    Array.from({ length: 5 }, () => new Random('fold-1').next()),
  );
  assert.notEqual(new Random('fold-1').next(), new Random('fold-2').next());
});

test('uniform, int and normal have the right moments and ranges', () => {
  const r = new Random(7);
  const n = 200_000;
  let sum = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    sum += u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  assert.ok(min >= 0 && min < 0.001 && max < 1 && max > 0.999);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `die count ${c}`);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal(2, 3);
    s1 += z;
    s2 += z * z;
  }
  const mean = s1 / n;
  const sd = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean - 2) < 0.03, `normal mean ${mean}`);
  assert.ok(Math.abs(sd - 3) < 0.03, `normal sd ${sd}`);
  assert.throws(() => r.int(0), RangeError);
});

test('permutation is a permutation; fork gives an independent reproducible stream', () => {
  const p = new Random(1).permutation(1000);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.notDeepEqual(
    [...p],
    Array.from({ length: 1000 }, (_, i) => i),
  );
  const f1 = new Random(5).fork();
  const f2 = new Random(5).fork();
  assert.equal(f1.next(), f2.next());
  const parent = new Random(5);
  const child = parent.fork();
  // Child stream is not a shifted copy of the parent's.
  const pv = Array.from({ length: 50 }, () => parent.nextUint32());
  const cv = Array.from({ length: 50 }, () => child.nextUint32());
  assert.equal(pv.filter((v) => cv.includes(v)).length, 0);
});

test("the forest's generator, bit for bit: the values forest/random.ts's Rng gave, so rank's numbers stay", () => {
  // Recorded from the forest's Rng(12345) and deriveSeed before the two generators were merged.
  const r = new Random(12345);
  assert.deepEqual(
    [r.nextUint32(), r.nextUint32(), r.int(1000), r.normal(), r.next()],
    [4164816853, 1512695896, 73, -1.5716545946132778, 0.7898352516349405],
  );
  assert.equal(deriveSeed(7, 3, 0x626f6f74), 3162088407);
  assert.deepEqual(Array.from(new Random(9).permutation(10)), [0, 5, 9, 8, 3, 6, 7, 4, 2, 1]);
});

test('streams are named by (seed, purpose, index): each triple is its own reproducible stream', () => {
  const draw = (s: number, p: string, i: number) =>
    Array.from(
      { length: 4 },
      (() => {
        const g = randomStream(s, p, i);
        return () => g.nextUint32();
      })(),
    );
  assert.deepEqual(draw(3, 'smoothgrad', 5), draw(3, 'smoothgrad', 5));
  assert.equal(streamSeed(3, 'smoothgrad', 5), streamSeed(3, 'smoothgrad', 5));
  const others = [draw(3, 'smoothgrad', 6), draw(3, 'sanity', 5), draw(4, 'smoothgrad', 5), draw(3, 'smoothgrad', 4)];
  for (const o of others) assert.notDeepEqual(o, draw(3, 'smoothgrad', 5));
  // The index of a stream is not an offset into another: stream i+1 is not stream i advanced.
  const g = randomStream(3, 'smoothgrad', 5);
  const long = Array.from({ length: 64 }, () => g.nextUint32());
  assert.equal(draw(3, 'smoothgrad', 6).filter((v) => long.includes(v)).length, 0);
});
