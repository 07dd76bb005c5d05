// Cross-attention to latent tokens (src/models/diffusion/cross-attention.ts): the identity at
// initialisation (zero output projection), the attention arithmetic against a hand computation, and a
// diffusion decoder conditioned through it rebuilds from its config with the same parameter names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generator, noGrad, randn, scope, setNumThreads, withGenerator } from '../../src/engine/index.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { CrossAttention } from '../../src/models/diffusion/cross-attention.js';
import { DiffusionAE } from '../../src/models/diffusion/diffusion-ae.js';
import { modelFromConfig } from '../../src/models/registry.js';
import { normal_ } from '../../src/nn/init.js';
import { atMost } from '../helpers/margin.js';

setNumThreads(1);

test('cross-attention starts as the identity and computes h + W_o softmax(Q K^T / sqrt(d)) V', () => {
  scope(() =>
    noGrad(() =>
      withGenerator(generator(3), () => {
        const block = new CrossAttention(2, 3);
        const h = randn([1, 2, 2, 2]);
        const tokens = randn([1, 4, 3]);
        assert.deepEqual(block.forward(h, tokens).toFloat32(), h.toFloat32(), 'zero output projection: identity');
        normal_(block.out.weight, 0, 1);
        normal_(block.out.bias!, 0, 1);
        const got = block.forward(h, tokens).toFloat32();

        // By hand: group norm (2 groups of 1 channel over 4 pixels), then the four linear maps.
        const hv = h.toFloat32(),
          tv = tokens.toFloat32();
        const W = (l: { weight: { toFloat32(): Float32Array }; bias: { toFloat32(): Float32Array } | null }) => ({
          w: l.weight.toFloat32(),
          b: l.bias!.toFloat32(),
        });
        const lin = (p: { w: Float32Array; b: Float32Array }, x: number[], out: number) =>
          Array.from({ length: out }, (_, o) => p.b[o]! + x.reduce((s, v, i) => s + v * p.w[o * x.length + i]!, 0));
        const normed = [0, 1].map((c) => {
          const v = Array.from(hv.subarray(c * 4, c * 4 + 4));
          const m = v.reduce((a, b) => a + b, 0) / 4;
          const s2 = v.reduce((a, b) => a + (b - m) ** 2, 0) / 4;
          return v.map((x) => (x - m) / Math.sqrt(s2 + 1e-5));
        });
        const tok = [0, 1, 2, 3].map((j) => Array.from(tv.subarray(j * 3, j * 3 + 3)));
        const ks = tok.map((t) => lin(W(block.k), t, 3)),
          vs = tok.map((t) => lin(W(block.v), t, 3));
        let worst = 0;
        for (let p = 0; p < 4; p++) {
          const q = lin(W(block.q), [normed[0]![p]!, normed[1]![p]!], 3);
          const logits = ks.map((k) => k.reduce((s, v, i) => s + v * q[i]!, 0) / Math.sqrt(3));
          const mx = Math.max(...logits);
          const e = logits.map((l) => Math.exp(l - mx));
          const z = e.reduce((a, b) => a + b, 0);
          const read = [0, 1, 2].map((i) => vs.reduce((s, v, j) => s + (e[j]! / z) * v[i]!, 0));
          const out = lin(W(block.out), read, 2);
          for (let c = 0; c < 2; c++) worst = Math.max(worst, Math.abs(got[c * 4 + p]! - (hv[c * 4 + p]! + out[c]!)));
        }
        atMost(worst, 1e-5, 'cross-attention against the hand computation');
        block.dispose();
      }),
    ),
  );
});

test('a cross-attention diffusion decoder: its tokens come from the latent maps, and it rebuilds from its config', () => {
  scope(() =>
    noGrad(() => {
      const enc = new ConvAE({ inputShape: [1, 28, 28], latentMaps: 3, latentGrid: [7, 7], width: 4 });
      const model = new DiffusionAE(enc, { width: 4, mults: [1, 2], conditioning: 'adagn+cross-attention' });
      const names = [...model.stateDict().keys()];
      for (const n of [
        'denoiser.tokens.proj.weight',
        'denoiser.tokens.map_embedding',
        'denoiser.attn_mid.q.weight',
        'denoiser.attn_up.out.weight',
      ])
        assert.ok(names.includes(n), n);
      assert.equal(
        model.stateDict().get('denoiser.tokens.proj.weight')!.shape.join('x'),
        '8x49',
        'K tokens from the 7x7 cells of each map',
      );
      const rebuilt = modelFromConfig(JSON.parse(JSON.stringify(model.config)));
      assert.deepEqual([...rebuilt.stateDict().keys()], names);
      const x = randn([2, 1, 28, 28], { generator: generator(1) }).sigmoid();
      assert.deepEqual(model.reconstructWith(x, { steps: 3 }).shape, [2, 1, 28, 28]);
      rebuilt.dispose();
      model.dispose();
    }),
  );
});
