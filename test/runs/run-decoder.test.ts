// A decoder run (train-decoder) is described next to the conv decoder of its encoder's run, from the two
// health checks: in the report's Training section and the explorer's /decoder reply, with how far the
// numbers may be compared. Other runs get nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../src/report/index.js';
import { decoderComparison } from '../../src/runs/run-decoder.js';
import type { HealthRecord } from '../../src/train/health.js';
import type { RunConfig } from '../../src/train/run-folder.js';
import { writeRunFolder } from '../report/fixture.js';

function health(psnr: number, baseline: number, cases = 40): HealthRecord {
  return {
    format: 'latentlens-health',
    version: 1,
    created: '2026-01-01T00:00:00.000Z',
    source: 'train',
    cases: { split: 'val', count: cases },
    model: { mse: 10 ** (-psnr / 10), psnr },
    baseline: { mse: 10 ** (-baseline / 10), psnr: baseline, what: 'the mean image' },
    marginDb: 1,
    dataRange: 1,
    activeUnits: { count: 3, of: 3, cells: { active: 48, of: 48 }, threshold: 0.01, thresholdKind: 'absolute' },
    passed: true,
    reasons: [],
    warning: null,
  } as unknown as HealthRecord;
}

test('a decoder run: its PSNR beside the conv decoder of the encoder run, in the report, with the caveats', async () => {
  const root = mkdtempSync(join(tmpdir(), 'll-decoder-'));
  const enc = join(root, 'encoder'),
    dec = join(root, 'decoder');
  await writeRunFolder(enc, { analyses: false });
  await writeRunFolder(dec, { analyses: false });
  writeFileSync(join(enc, 'health.json'), JSON.stringify(health(24.5, 20)));
  writeFileSync(join(dec, 'health.json'), JSON.stringify(health(26.25, 20)));
  const config = JSON.parse(readFileSync(join(dec, 'config.json'), 'utf8')) as RunConfig;
  writeFileSync(join(dec, 'config.json'), JSON.stringify({ ...config, decoder: 'adversarial', from: enc }));

  const c = decoderComparison(dec, { ...config, decoder: 'adversarial', from: enc })!;
  assert.equal(c.kind, 'adversarial');
  assert.equal(c.decoder!.psnr, 26.25);
  assert.equal(c.conv!.psnr, 24.5);
  assert.ok(c.notes.some((n) => /no perceptual term/.test(n)));
  assert.equal(decoderComparison(enc, config), null, 'an ordinary run is not a decoder run');

  const html = await buildReport(dec, { images: false });
  assert.match(html, /<h3>Decoder<\/h3><p>A <strong>adversarial<\/strong> decoder on the frozen encoder of/);
  assert.match(html, /adversarial \(this run\)<\/td><td>26\.25 dB<\/td><td>6\.25 dB/);
  assert.match(html, /conv \(the encoder run\)<\/td><td>24\.50 dB<\/td><td>4\.50 dB/);
  assert.ok(!(await buildReport(enc, { images: false })).includes('<h3>Decoder</h3>'));

  // Different cases, or an encoder run that is gone: said, not hidden.
  writeFileSync(join(enc, 'health.json'), JSON.stringify(health(24.5, 20, 30)));
  assert.ok(
    decoderComparison(dec, { ...config, decoder: 'diffusion', from: enc })!.notes.some((n) =>
      /different cases \(40 val vs 30 val\)/.test(n),
    ),
  );
  const gone = decoderComparison(dec, { ...config, decoder: 'diffusion', from: join(root, 'missing') })!;
  assert.equal(gone.conv, null);
  assert.ok(gone.notes.some((n) => /cannot be read here: no conv-decoder number/.test(n)));
});

test('a joint diffusion autoencoder (train --model diffusion-ae): its own health alone, said to have no conv decoder to compare', async () => {
  const root = mkdtempSync(join(tmpdir(), 'll-decoder-joint-'));
  const dir = join(root, 'joint');
  await writeRunFolder(dir, { analyses: false });
  writeFileSync(join(dir, 'health.json'), JSON.stringify(health(23.5, 20)));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfig;
  const joint = { ...config, model: { ...config.model, kind: 'diffusion-ae' as const, joint: true } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(joint));
  const c = decoderComparison(dir, joint)!;
  assert.equal(c.joint, true);
  assert.equal(c.kind, 'diffusion');
  assert.equal(c.conv, null);
  assert.equal(c.decoder!.psnr, 23.5);
  assert.ok(c.notes.some((n) => /no conv decoder to compare/.test(n)));
  const html = await buildReport(dir, { images: false });
  assert.match(html, /<h3>Decoder<\/h3><p>A <strong>diffusion<\/strong> decoder trained jointly with its encoder/);
  assert.match(html, /diffusion, joint \(this run\)<\/td><td>23\.50 dB<\/td><td>3\.50 dB/);
  assert.ok(!html.includes('conv (the encoder run)'));
});
