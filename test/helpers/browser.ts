import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_OUTPUT } from './webserver.ts';
import { assertServicesAllowed } from './tier.ts';

export const CHROMIUM = process.env.UPDRAFT_CHROMIUM || '/usr/bin/chromium';

/** Debian's chromium driven by playwright-core, headless. `.ci/run` installs it when missing. */
export async function launchBrowser(): Promise<Browser> {
  assertServicesAllowed('a browser');
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set UPDRAFT_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page with Playwright waits long enough for a loaded CI machine: what a
 * test waits for may take longer there than Playwright's 30 s default.
 */
export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(90_000);
  return page;
}

/** Saves a full-page screenshot under test-results/screenshots. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const folder = join(TEST_OUTPUT, 'screenshots');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
