/**
 * How a whole Teller serves the built web app (src/api/web.ts): page paths get index.html,
 * hashed assets a year-long cache, and nothing under the server's own paths (/api, /sip,
 * /healthz, /metrics) is ever answered with the app. web/ is built first when its build is
 * missing or stale. (Without a build the plugin adds no route and logs "run `npm run build`";
 * that case needs the plugin on its own, which tests may import only once src/api/index.ts
 * exports it.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTeller, type TestTeller } from './support/teller';

const webDir = path.resolve(import.meta.dirname, '..', 'web');
const dist = path.join(webDir, 'dist');

function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return time;
}

describe('web app serving', () => {
  let teller: TestTeller;
  let index: string;
  let asset: string;

  beforeAll(async () => {
    const sources = Math.max(
      newest(path.join(webDir, 'src')),
      newest(path.join(webDir, 'public')),
      statSync(path.join(webDir, 'index.html')).mtimeMs,
      statSync(path.join(webDir, 'vite.config.ts')).mtimeMs,
    );
    const built = path.join(dist, 'index.html');
    if (!existsSync(built) || statSync(built).mtimeMs < sources) {
      await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
    }
    index = readFileSync(built, 'utf8');
    const script = /src="\/assets\/([^"]+\.js)"/.exec(index)?.[1];
    if (!script) throw new Error('index.html names no script under /assets/');
    asset = script;
    teller = await startTestTeller();
  }, 300_000);

  afterAll(async () => {
    await teller?.close();
  });

  const get = (url: string, accept = 'text/html,application/xhtml+xml') =>
    fetch(`${teller.httpUrl}${url}`, { headers: { accept }, redirect: 'manual' });

  it('answers / and any page path a browser asks for with index.html, never cached, with its policy', async () => {
    for (const url of ['/', '/agent', '/supervisor', '/admin?tab=users', '/no/such/page']) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(await response.text(), url).toBe(index);
      expect(response.headers.get('cache-control'), url).toBe('no-cache');
      expect(response.headers.get('content-security-policy'), url).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy'), url).toContain("frame-ancestors 'none'");
    }
  });

  it('serves hashed assets with a year-long immutable cache, other files with a short one', async () => {
    const script = await get(`/assets/${asset}`, '*/*');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).toBe(readFileSync(path.join(dist, 'assets', asset), 'utf8'));
    const icon = await get('/favicon.svg', 'image/*');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('leaves the server’s own paths to the server', async () => {
    expect((await get('/healthz', 'application/json')).status).toBe(200);
    const metrics = await get('/metrics', 'text/plain');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).not.toBe(index);
    const docs = await get('/api/docs/json', 'application/json');
    expect(docs.status).toBe(200);
    // SIP over WebSocket: a plain GET is refused by the SIP endpoint, not answered with the app.
    const sip = await get('/sip');
    expect(sip.status).toBe(400);
    expect(await sip.text()).not.toBe(index);
  });

  it('never answers an unknown API path, a missing file or a non-HTML request with the app', async () => {
    for (const url of ['/api/v1/nothing', '/api', '/assets/gone.js', '/logo.png']) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-type'), url).toContain('application/problem+json');
    }
    expect((await get('/agent', 'application/json')).status).toBe(404);
  });

  it('does not leave the build folder', async () => {
    for (const url of [
      '/assets/..%2f..%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
    ]) {
      const response = await get(url, '*/*');
      const body = await response.text();
      expect(body, url).not.toContain('"name": "teller"');
      if (response.status === 200) expect(body, url).toBe(index);
    }
  });
});
