import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';

/**
 * The web app in Debian's Chromium for end-to-end tests: web/ is built first when web/dist is
 * missing or older than its sources; the browser has a fake microphone and camera and may play
 * audio without a gesture, so the agent's softphone works unattended.
 */

const webDir = path.resolve(import.meta.dirname, '..', '..', 'web');
const distIndex = path.join(webDir, 'dist', 'index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export async function buildWebIfStale(): Promise<void> {
  const sources = Math.max(
    newestSource(path.join(webDir, 'src')),
    newestSource(path.join(webDir, 'public')),
    statSync(path.join(webDir, 'index.html')).mtimeMs,
    statSync(path.join(webDir, 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= sources) return;
  await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** The little of the page's DOM the callbacks passed to the browser use (no lib.dom here). */
export interface PageStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A fresh browser context (its own cookies) on the app's start page, in `lang` unless the page chose one. */
export async function openApp(
  browser: Browser,
  baseUrl: string,
  lang: 'en' | 'zh-CN' = 'en',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
  await context.addInitScript((l) => {
    // The test compiles without lib.dom; the cast vanishes when the callback goes to the page.
    const storage = (globalThis as unknown as { localStorage: PageStorage }).localStorage;
    if (!storage.getItem('teller.lang')) storage.setItem('teller.lang', l);
  }, lang);
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  await page.goto(`${baseUrl}/`);
  return { context, page };
}

export async function signIn(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('teller-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Picks the agent state `title` (Ready, a not-ready reason) in the desktop's state control. */
export async function chooseState(page: Page, title: string): Promise<void> {
  await page.getByLabel('Agent state').click();
  await page.locator(`.ant-select-item-option[title="${title}"]`).click();
}
