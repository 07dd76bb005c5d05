// Debian's headless Chromium through playwright-core (no browser download) for the explorer's browser
// tests: one launch recipe, one skip reason when either is missing, and the page's errors collected.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Playwright = typeof import('playwright-core');
const playwright = await import('playwright-core').then(
  (m: Playwright) => m,
  () => null,
);

/** node:test's skip for a browser test named `what`: the reason when Chromium or playwright-core is missing, else false. */
export function browserSkip(what: string): string | false {
  if (!existsSync(CHROMIUM)) return `${what} skipped: ${CHROMIUM} not found (apt-get install chromium)`;
  return playwright ? false : `${what} skipped: playwright-core is not installed (npm install)`;
}

export interface BrowserPage {
  page: Page;
  /** Uncaught page errors, and console errors when asked for. */
  errors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** A page of Chromium with a fresh profile. */
export async function openBrowser(viewport: { width: number; height: number }, o: { consoleErrors?: boolean } = {}): Promise<BrowserPage> {
  const profile = mkdtempSync(join(tmpdir(), 'serve-chromium-'));
  const ctx = await playwright!.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (o.consoleErrors)
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  return {
    page,
    errors,
    close: async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
