/**
 * Pictures of the web app for the documentation: starts a Teller on a temporary data folder and
 * a free port, builds web/ when its build is missing or stale, and drives Debian's Chromium
 * through a contact — agent ready, a contact offered by the ACD, accepted, the customer's 360°
 * view open — then the supervisor's wallboard while the agent is busy.
 *
 *   node --import tsx scripts/screenshots.ts [outDir]      (default docs/screenshots)
 *
 * Writes agent-desktop.png, agent-desktop-zh.png and wallboard.png. Chinese text needs a CJK
 * font (Debian: fonts-wqy-microhei or fonts-noto-cjk).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { startTeller, type Teller } from '../src/app/index';
import { loadConfig } from '../src/config/index';
import { createLogger } from '../src/core/index';

const root = path.resolve(import.meta.dirname, '..');
const webDir = path.join(root, 'web');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'docs', 'screenshots'));

function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return time;
}

async function buildWeb(): Promise<void> {
  const index = path.join(webDir, 'dist', 'index.html');
  const sources = Math.max(
    newest(path.join(webDir, 'src')),
    newest(path.join(webDir, 'public')),
    statSync(path.join(webDir, 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  process.stderr.write('building web/ …\n');
  await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}

async function api<T>(
  teller: Teller,
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${teller.httpUrl}/api/v1${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function login(teller: Teller, username: string): Promise<string> {
  const result = await api<{ token: string }>(teller, '', 'POST', '/auth/login', {
    username,
    password: 'teller-demo',
  });
  return result.token;
}

/** Told of every page opened, so a failure can show the page it happened on. */
let onPage: (page: Page) => void = () => undefined;

async function signIn(
  browser: Browser,
  teller: Teller,
  username: string,
  lang: 'en' | 'zh-CN',
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, deviceScaleFactor: 1 });
  await context.addInitScript((l) => {
    (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(
      'teller.lang',
      l,
    );
  }, lang);
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  onPage(page);
  await page.goto(`${teller.httpUrl}/`);
  await page.locator('#username, input[autocomplete="username"]').fill(username);
  await page.locator('input[autocomplete="current-password"]').fill('teller-demo');
  await page.locator('button.login-submit').click();
  return page;
}

async function goReady(page: Page): Promise<void> {
  await page.locator('#agent-state').click();
  await page.locator('.ant-select-item-option').first().click();
  await page.locator('.desk-bar [data-state="ready"]').waitFor();
}

/** The ACD offers a contact for `customerId` to the one ready agent; the desktop accepts it and opens the customer. */
async function takeContact(
  page: Page,
  teller: Teller,
  supervisor: string,
  customerId: string,
  phone: string,
) {
  await api(teller, supervisor, 'POST', '/acd/interactions', {
    interactionId: `demo-${Date.now()}`,
    queueId: 'general',
    customerId,
    tier: 'affluent',
  });
  await page.locator('.offer-card').waitFor();
  await page.locator('.offer-card button.ant-btn-primary').click();
  await page.locator('.desk-bar [data-state="busy"]').waitFor();
  await page.locator('.customer-search input.ant-input').fill(phone);
  await page.locator('.customer-search button[type="submit"]').click();
  await page.locator('.search-results .ant-list-item-action button').first().click();
  await page.getByTestId('customer-name').waitFor();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(800);
}

async function main(): Promise<void> {
  await buildWeb();
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-shots-'));
  const teller = await startTeller(
    loadConfig({
      TELLER_DATA_DIR: dataDir,
      TELLER_HTTP_PORT: '0',
      TELLER_HTTP_HOST: '127.0.0.1',
      TELLER_SIP_PORT: '0',
      TELLER_DEMO_CUSTOMERS: '200',
      TELLER_LOG_LEVEL: 'silent',
    }),
    { logger: createLogger('silent'), loginPerAddressPerMinute: 1000 },
  );
  let current: Page | undefined;
  onPage = (page) => {
    current = page;
  };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  try {
    const supervisor = await login(teller, 'super01');
    const { customers } = await api<{ customers: { id: string }[] }>(
      teller,
      supervisor,
      'GET',
      '/customers?phone=13800000001',
    );
    const zhangWei = customers[0];
    if (!zhangWei) throw new Error('the demo customer 13800000001 is missing');

    // A few more agents logged in (not ready, so the contacts go to the agents on screen).
    for (const [name, reason] of [
      ['agent05', 'break'],
      ['agent06', 'training'],
      ['agent07', 'lunch'],
    ] as const) {
      const token = await login(teller, name);
      await api(teller, token, 'POST', '/acd/me/login');
      await api(teller, token, 'POST', '/acd/me/not-ready', { reason });
    }

    const agent = await signIn(browser, teller, 'agent01', 'en');
    await goReady(agent);
    await takeContact(agent, teller, supervisor, zhangWei.id, '13800000001');
    await agent.screenshot({ path: path.join(outDir, 'agent-desktop.png'), fullPage: true });

    const wallboard = await signIn(browser, teller, 'super01', 'en');
    await wallboard.locator('.queue-board').waitFor();
    await wallboard.locator('.agent-board [data-agent="agent01"]').waitFor();
    await wallboard.mouse.move(0, 0);
    await wallboard.waitForTimeout(1500);
    await wallboard.screenshot({ path: path.join(outDir, 'wallboard.png'), fullPage: true });

    // agent01 keeps the first contact; the next goes to agent02, in Chinese.
    const agentZh = await signIn(browser, teller, 'agent02', 'zh-CN');
    await goReady(agentZh);
    await takeContact(agentZh, teller, supervisor, zhangWei.id, '13800000001');
    await agentZh.screenshot({ path: path.join(outDir, 'agent-desktop-zh.png'), fullPage: true });
    process.stderr.write(`screenshots in ${outDir}\n`);
  } catch (error) {
    // What the page showed when it went wrong, for whoever runs this next.
    const shot = path.join(tmpdir(), 'teller-screenshots-failure.png');
    await current?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    process.stderr.write(`failed; the page at that moment: ${shot}\n`);
    throw error;
  } finally {
    await browser.close();
    await teller.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
