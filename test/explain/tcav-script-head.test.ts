// TCAV with a user's TorchScript label head (test/fixtures/make_latent_head.py): class 1's logit is
// 3 tanh(mean map 0 - mean map 1), so the known answer is that a concept of cases high on map 0 raises
// class 1 for every case (score 1), one high on map 1 lowers it (score 0), and both are significant,
// while a concept of cases high on map 2, which the head ignores, is not.
// The head's gradient has the same direction for every case, so each run scores 0 or 1. The concepts
// have ~30-40 cases, fewer than the set size, so every run uses all of them; random concepts of that
// size share cases the same way and score 0 or 1 in every run too (measured: 1-5 of 199 at 30 runs),
// so the score alone ties; the CAVs' alignment with the gradient breaks the tie (map-0/1 concepts
// ~0.7, tied random concepts at most ~0.45). Under the version-1 t-test the map-2 concept came out
// significant in 2 of 8 seeds (p 0.0035, 0.0079).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { grad, scope, ScriptModule, tensor } from '../../src/engine/index.js';
import { Random } from '../../src/core/random.js';
import { runTcav, scriptLabelHead } from '../../src/explain/tcav/index.js';
import { assertClose } from '../helpers/close.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('latent_head.expected.json'), 'utf8')) as { logits: number[]; grad_class1_sum: number[] };

test("a TorchScript head gives PyTorch's logits and gradients through scriptLabelHead", () => {
  const head = scriptLabelHead(ScriptModule.load(fixture('latent_head.pt')), 2);
  scope(() => {
    const z = tensor(
      Float32Array.from({ length: 32 }, (_, i) => Math.sin(0.7 * i)),
      [2, 4, 2, 2],
    ).requiresGrad_(true);
    const logits = head.logits(z);
    assertClose(logits.toFloat32(), expected.logits, 1e-5, 1e-6, 'logits');
    const [g] = grad(logits.select(1, 1).sum(), z);
    assertClose(g!.toFloat32(), expected.grad_class1_sum, 1e-4, 1e-6, 'd logit1 / dz');
  });
  head.dispose();
});

test('TCAV through a TorchScript head: map-0 concept scores 1, map-1 concept 0, both significant; map-2 concept not', () => {
  const n = 600,
    k = 4,
    h = 2,
    w = 2;
  const rnd = new Random(3);
  const data = Float32Array.from({ length: n * k * h * w }, () => rnd.normal());
  const mapMean = (i: number, m: number) => {
    let s = 0;
    for (let p = 0; p < h * w; p++) s += data[(i * k + m) * h * w + p]!;
    return s / (h * w);
  };
  const labels = Int32Array.from({ length: n }, (_, i) => (mapMean(i, 0) > mapMean(i, 1) ? 1 : 0));
  const high = (m: number) => Int32Array.from([...Array(n).keys()].filter((i) => mapMean(i, m) > 0.8));
  const head = scriptLabelHead(ScriptModule.load(fixture('latent_head.pt')), 2);
  // 99 random concepts per size: the smallest p, 0.01, is 0.03 after Bonferroni over 3.
  const r = runTcav(
    { data, shape: [n, k, h, w] },
    labels,
    [
      { name: 'map0-high', indices: high(0) },
      { name: 'map1-high', indices: high(1) },
      { name: 'map2-high', indices: high(2) },
    ],
    { head, runs: 30, randomConcepts: 99, seed: testSeed(7) },
  );
  head.dispose();
  const [up, down, ignored] = r.concepts as [(typeof r.concepts)[0], (typeof r.concepts)[0], (typeof r.concepts)[0]];
  for (const c of r.concepts)
    console.log(
      `${c.name}: ${c.verdict}: ${c.reason} (alignment ${c.alignment.toFixed(2)}; version-1 t-test p ${c.tTest.p.toExponential(2)})`,
    );
  assert.equal(r.head.kind, 'torchscript');
  // No held-out cases for a user's head: the gate uses every labelled case, and says so.
  assert.equal(r.gate.source, 'labelled cases');
  assert.ok(r.gate.passed, r.gate.note);
  assert.match(r.gate.note, /may have been trained on them/);
  assert.ok(up.score > 0.95 && up.verdict === 'significant', `map0: ${up.reason}`);
  assert.ok(down.score < 0.05 && down.verdict === 'significant', `map1: ${down.reason}`);
  atMost(up.pBonferroni, 0.05, 'tcav script head: map-0 concept Bonferroni p');
  atMost(down.pBonferroni, 0.05, 'tcav script head: map-1 concept Bonferroni p');
  assert.equal(ignored.verdict, 'not significant', `map2: ${ignored.reason}`);
  atLeast(ignored.pBonferroni, 0.05, 'tcav script head: map-2 concept (ignored by the head) Bonferroni p');
  assert.ok(up.cavAccuracy > 0.8 && down.cavAccuracy > 0.8, `CAV accuracies ${up.cavAccuracy}, ${down.cavAccuracy}`);
  // Both caveats of this setting are stated next to the verdicts.
  for (const c of [up, down]) {
    assert.ok(c.size < 100, `${c.name}: ${c.size} cases`);
    assert.match(c.warnings.join('\n'), new RegExp(`${c.size} cases for sets of ${Math.min(c.size, 50)}: runs share most of them`));
    assert.match(c.warnings.join('\n'), /every run scored 0 or 1/);
  }
});
