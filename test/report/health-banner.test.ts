// The report's health banner: a run whose model failed the health check shows it on top, before the
// navigation and every section; a passing run shows no banner (its numbers are in the Training section);
// a run without health.json says its health is not recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePhantoms } from '../../src/data/phantom.js';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/registry.js';
import { buildReport } from '../../src/report/index.js';
import { readHealth, writeHealth } from '../../src/train/health.js';
import { trainModel } from '../../src/train/trainer.js';

setNumThreads(1); // test files run in parallel processes

test('report: failed health on top, nothing when passed, "not recorded" without health.json', async () => {
  const out = mkdtempSync(join(tmpdir(), 'll-health-report-'));
  const data = generatePhantoms({ n: 80, size: 28, seed: 2, channels: ['gray'], lesionChannels: ['gray'], distractorChannels: [] });
  manualSeed(0);
  const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 4, width: 4 });
  try {
    await trainModel(model, data, { steps: 1, lr: 1e-9, batchSize: 16, out, progress: false });
    const h = readHealth(out)!;
    assert.equal(h.passed, false);

    const failed = await buildReport(out, { images: false });
    const banner = failed.indexOf('This model failed the health check');
    assert.ok(banner > 0 && banner < failed.indexOf('<nav>'), 'the banner comes before the navigation and every section');
    assert.ok(failed.includes('does not reconstruct better than the mean image'));
    assert.match(failed, /<h3>Health check<\/h3>/);

    writeHealth(out, { ...h, passed: true, reasons: [], warning: null });
    const passed = await buildReport(out, { images: false });
    assert.ok(!passed.includes('This model failed the health check') && !passed.includes('health-banner'));
    assert.match(passed, /<span class="yes">passed<\/span>/);

    writeHealth(out, { ...h, reasons: ['<script>alert(1)</script>'] });
    assert.ok(!(await buildReport(out, { images: false })).includes('<script>alert(1)'), 'reasons are escaped');

    rmSync(join(out, 'health.json'));
    const unknown = await buildReport(out, { images: false });
    assert.ok(unknown.indexOf('Model health not recorded') < unknown.indexOf('<nav>') && unknown.includes('Model health not recorded'));
  } finally {
    model.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});
