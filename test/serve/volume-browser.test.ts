// The explorer on a volume run in Debian's headless Chromium (playwright-core): the page loads without
// errors, the header says volumes, the case and its decoding are slice sheets, moving a slice slider
// reloads both through the new voxel, and the explained map shows every slice figure explain listed, a
// row of depth, height and width per method, volume and channel, none broken. Skipped by name when
// /usr/bin/chromium or playwright-core is missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../../src/serve/index.js';
import { browserSkip, openBrowser } from '../helpers/chromium.js';
import { makeVolumeRunFolder } from './volume-fixture.js';

const skip = browserSkip('explorer volume browser test');

test('explorer on a volume run: slice sheets, slice sliders, the volume map view', { skip, timeout: 180_000 }, async () => {
  const { dir, tmp } = await makeVolumeRunFolder();
  const figures = (JSON.parse(readFileSync(join(dir, 'explain', 'map-0.json'), 'utf8')) as { result: { figures: unknown[] } }).result
    .figures.length;
  const server = await startServer({ runs: [dir], threads: 1 });
  const browser = await openBrowser({ width: 1400, height: 1000 }, { consoleErrors: true });
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    const panel = page.locator('.panel').first();
    assert.match(await panel.locator('.run-head').innerText(), /3 maps of 4x4x4 · 24 volumes of 2x16x16x16 \(T1, FLAIR\)/);

    const decoded = panel.locator('img.decoded');
    const version = () => decoded.evaluate((img: HTMLImageElement) => Number(img.dataset.version));
    await page.waitForFunction((el) => Number(el!.getAttribute('data-version')) >= 1, await decoded.elementHandle(), { timeout: 30_000 });
    const input = panel.locator('.editor img.strip').first();
    const size = await input.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [3 * 128 + 8, 2 * 128 + 4], 'input: two rows (channels) of three 128 px slices');
    assert.match(await panel.locator('.editor .captions').first().innerText(), /depth, z = 8\s+height, y = 8\s+width, x = 8/);

    // Moving the depth slider reloads the input and the decoding through the new voxel.
    const srcBefore = await input.getAttribute('src');
    const v0 = await version();
    const depth = panel.locator('.slice-sliders input[data-axis="0"]');
    await depth.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(
      ([el, v]) => Number((el as Element).getAttribute('data-version')) > (v as number),
      [await decoded.elementHandle(), v0] as const,
      { timeout: 30_000 },
    );
    const srcAfter = await input.getAttribute('src');
    assert.notEqual(srcAfter, srcBefore);
    assert.match(srcAfter!, /at=0%2C8%2C8|at=0,8,8/);
    assert.match(await panel.locator('.editor .captions').first().innerText(), /depth, z = 0/);

    // Map 0 (the one explained) in the ranking: its volume view with every slice figure.
    await panel.locator('table.ranking tbody tr[data-map="0"]').click();
    await panel.locator('.volume-map img.slice').first().waitFor({ timeout: 30_000 });
    const view = await panel.locator('.map-view').innerText();
    assert.match(view, /Input channel that drives it: /);
    assert.match(view, /forward passes per volume/);
    assert.match(view, /Entanglement index/);
    assert.match(view, /ground truth outlined: lesion in green/);
    assert.equal(await panel.locator('.volume-map img.slice').count(), figures);
    assert.equal(await panel.locator('.volume-map .volume-method').count(), 3, 'IG, occlusion, Grad-CAM');
    assert.equal(await panel.locator('.volume-map .volume-method').first().locator('figure .slice-row').first().locator('img').count(), 3);
    await page.waitForFunction(() => [...document.querySelectorAll('img.slice')].every((i) => (i as HTMLImageElement).complete), null, {
      timeout: 30_000,
    });
    const broken = await page.evaluate(() =>
      [...document.images].filter((i) => i.getAttribute('src') && i.naturalWidth === 0).map((i) => i.alt || i.src.slice(0, 80)),
    );
    assert.deepEqual(broken, [], 'no broken image');
    assert.deepEqual(errors, [], 'no errors in the page');
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
