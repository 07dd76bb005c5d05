// The explorer driven in Debian's headless Chromium through playwright-core (no browser download): load
// it, pick a map in the ranking, move that map's slider, and see the decoded image change; and a report
// and the explorer made from a run given as `./run` (issue 16: its figure paths lost their first letters
// and every figure was broken) show no broken image. Reports itself skipped by name when
// /usr/bin/chromium or playwright-core is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer } from '../../src/serve/index.js';
import { browserSkip, openBrowser } from '../helpers/chromium.js';
import { makeRunFolder } from './fixture.js';

const skip = browserSkip('explorer browser test');

test('explorer in headless Chromium: pick a map, move its slider, the decoding changes', { skip, timeout: 120_000 }, async () => {
  const { dir, tmp } = await makeRunFolder();
  // Served twice, the run also exercises the side-by-side comparison layout.
  const server = await startServer({ runs: [dir, dir], threads: 1 });
  const browser = await openBrowser({ width: 1500, height: 1100 }, { consoleErrors: true });
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    assert.equal(await page.locator('.panel').count(), 2, 'two runs side by side');

    const panel = page.locator('.panel').first();
    const decoded = panel.locator('img.decoded');
    await page.waitForFunction((el) => Number(el!.getAttribute('data-version')) >= 1, await decoded.elementHandle(), { timeout: 30_000 });
    const pixels = () =>
      decoded.evaluate((img: HTMLImageElement) => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        return { src: img.src, version: Number(img.dataset.version), data: Array.from(g.getImageData(0, 0, c.width, c.height).data) };
      });
    // Pick maps from the ranking table below the top one (which is preselected) and move each one's
    // slider to its end: the decoding must be reloaded every time, and must visibly change for at least
    // one of them (a small fixture model can have nearly dead maps, wherever the ranking puts them).
    const tried: string[] = [];
    for (let i = 1; i <= 3 && tried.every((t) => !t.endsWith('visible')); i++) {
      const row = panel.locator('table.ranking tbody tr').nth(i);
      const k = Number(await row.getAttribute('data-map'));
      await row.click();
      await assert.doesNotReject(panel.locator(`table.ranking tr.selected[data-map="${k}"]`).waitFor());
      assert.match(await panel.locator('.map-view').innerText(), new RegExp(`map ${k}\\b`));
      const slider = panel.locator(`.sliders .slider.selected input[data-map="${k}"]`);
      assert.equal(
        await panel.locator('.sliders .slider').first().getAttribute('data-map'),
        String(k),
        "the picked map's slider comes first",
      );
      const before = await pixels();
      assert.ok(before.data.length > 0);
      await slider.focus();
      await page.keyboard.press('End');
      await page.waitForFunction(
        ([el, v]) => Number((el as Element).getAttribute('data-version')) > (v as number),
        [await decoded.elementHandle(), before.version] as const,
        { timeout: 30_000 },
      );
      const after = await pixels();
      assert.notEqual(after.src, before.src, 'a new decoding was loaded');
      const changed = after.data.reduce((n, v, j) => n + (Math.abs(v - before.data[j]!) > 2 ? 1 : 0), 0);
      tried.push(`map ${k}: ${changed} of ${after.data.length} pixel values ${changed > 0.01 * after.data.length ? 'visible' : ''}`.trim());
    }
    assert.ok(
      tried.some((t) => t.endsWith('visible')),
      `no slider visibly changed the decoding: ${tried.join('; ')}`,
    );
    assert.match(await panel.locator('.editor .toolbar p').innerText(), new RegExp(`${tried.length} maps? edited`));

    const shot = join(mkdtempSync(join(tmpdir(), 'explorer-shot-')), 'explorer.png');
    await page.screenshot({ path: shot, fullPage: false });
    console.log(`screenshot: ${shot}`);
    assert.deepEqual(errors, [], 'no errors in the page');
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** Images in the page that have a source but did not load (naturalWidth 0), by alt text. */
const brokenImages = (page: import('playwright-core').Page) =>
  page.evaluate(() =>
    [...document.images]
      .filter((i) => i.getAttribute('src') && (!i.complete || i.naturalWidth === 0))
      .map((i) => i.alt || i.src.slice(0, 80)),
  );

test('a run given as ./run: its report and the explorer show every figure, none broken', { skip, timeout: 180_000 }, async () => {
  const { dir, tmp } = await makeRunFolder();
  const rel = `./${basename(dir)}`;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(process.cwd(), 'dist/src/cli/main.js'), ...args], {
      cwd: dirname(dir),
      encoding: 'utf8',
      env: { ...process.env, LATENTLENS_THREADS: '1' },
    });
    assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  };
  // The top map is preselected in the explorer, so its figures are on screen without a click.
  cli('explain', rel, '--map', 'top', '--methods', 'gradient,integrated-gradients', '--cases', '6', '--max-cases', '160');
  cli('report', rel, '--samples', '2', '--reconstructions', '2');
  const top = (JSON.parse(readFileSync(join(dir, 'rank.json'), 'utf8')) as { result: { ranking: number[] } }).result.ranking[0]!;
  const figures = (JSON.parse(readFileSync(join(dir, 'explain', `map-${top}.json`), 'utf8')) as { result: { figures: string[] } }).result
    .figures;
  assert.ok(figures.length > 0 && figures.every((f) => f.startsWith(`figures/map-${top}/`) && existsSync(join(dir, f))), figures.join(' '));

  const cwd = process.cwd();
  process.chdir(dirname(dir)); // the explorer is given the run as ./<name>, as a user types it
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  const browser = await openBrowser({ width: 1500, height: 1100 });
  try {
    server = await startServer({ runs: [rel], threads: 1 });
    const { page, errors } = browser;

    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    const html = await page.content();
    assert.ok(!html.includes('figure file(s) listed in the JSON are missing'), 'the report misses no figure');
    assert.match(html, /decoded with <code>model\.safetensors<\/code>/);
    const inReport = await page.locator(`#map-${top} img`).count();
    assert.ok(inReport >= figures.length - 1, `${inReport} images in map ${top}'s card for ${figures.length} figures`);
    assert.deepEqual(await brokenImages(page), [], 'no broken image in the report');

    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    const panel = page.locator('.panel').first();
    await panel.locator('img.heatmap').first().waitFor({ timeout: 30_000 });
    const shown = await panel.locator('img.heatmap, img.extra').count();
    assert.equal(shown, figures.length, 'every recorded figure is on the map view');
    await page.waitForFunction(
      () => [...document.querySelectorAll('img.heatmap, img.extra')].every((i) => (i as HTMLImageElement).complete),
      null,
      { timeout: 30_000 },
    );
    assert.deepEqual(await brokenImages(page), [], 'no broken image in the explorer');
    assert.deepEqual(errors, [], 'no errors in the page');
  } finally {
    process.chdir(cwd);
    await browser.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
