// Quantile binning: codes agree with the cut points, ties are never split, few distinct values get a bin each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBins, binMatrix } from '../../src/forest/index.js';
import { binMatrixParallel } from '../../src/forest/parallel-binning.js';
import { TreePool } from '../../src/forest/pool.js';
import { Random } from '../../src/core/random.js';

test('binning: codes match edges, bins <= maxBins, discrete columns keep one bin per value', () => {
  const rng = new Random(3);
  const n = 3000;
  const d = 4;
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    data[r * d] = Math.round(rng.normal() * 2); // ~15 distinct integers
    data[r * d + 1] = Math.max(0, rng.normal()); // half zeros (a big tie)
    data[r * d + 2] = rng.normal() * 1e3 - 5;
    data[r * d + 3] = -rng.next();
  }
  const b = binMatrix({ data, rows: n, cols: d }, { maxBins: 64 });
  const distinct0 = new Set(Array.from({ length: n }, (_, r) => data[r * d])).size;
  assert.equal(b.nBins[0], distinct0);
  for (let c = 0; c < d; c++) {
    assert.ok(b.nBins[c] <= 64);
    for (let r = 0; r < n; r++) {
      const v = data[r * d + c];
      const code = b.codes[c * n + r];
      if (code > 0) assert.ok(v > b.edges[c][code - 1]);
      if (code < b.nBins[c] - 1) assert.ok(v <= b.edges[c][code]);
    }
  }
  // All zeros of column 1 share one bin.
  const zeroCodes = new Set<number>();
  for (let r = 0; r < n; r++) if (data[r * d + 1] === 0) zeroCodes.add(b.codes[n + r]);
  assert.equal(zeroCodes.size, 1);
  // applyBins (binary search) reproduces the radix-sorted encoding.
  assert.deepEqual(applyBins({ data, rows: n, cols: d }, b).codes, b.codes);
  assert.throws(() => binMatrix({ data: Float32Array.from([1, NaN]), rows: 2, cols: 1 }), /non-finite/);
});

test('binning on the pool: column ranges on two workers give binMatrix codes and edges exactly; a non-finite value is named as binMatrix names it', async () => {
  const pool = new TreePool(2);
  try {
    const rng = new Random(5);
    const n = 2100;
    const d = 501; // 1.05M values: above the size where binning is split; an odd count splits unevenly
    const data = new Float32Array(n * d);
    for (let i = 0; i < data.length; i++) data[i] = i % 3 === 0 ? Math.max(0, rng.normal()) : Math.round(rng.normal() * 40);
    const want = binMatrix({ data, rows: n, cols: d }, { maxBins: 64 });
    const got = await binMatrixParallel({ data, rows: n, cols: d }, { maxBins: 64 }, pool);
    assert.ok(Buffer.from(got.codes).equals(Buffer.from(want.codes)), 'codes');
    assert.deepEqual(Array.from(got.nBins), Array.from(want.nBins));
    assert.deepEqual(
      got.edges.map((e) => Array.from(e)),
      want.edges.map((e) => Array.from(e)),
    );
    data[7 * d + 300] = NaN;
    await assert.rejects(binMatrixParallel({ data, rows: n, cols: d }, {}, pool), /feature 300 has a non-finite value \(NaN\) at row 7/);
  } finally {
    await pool.close();
  }
});
