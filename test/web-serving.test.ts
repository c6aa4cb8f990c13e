/**
 * How Teller serves the built web app (src/api/web.ts), on a bare Fastify with a temporary
 * build: page paths get index.html, hashed assets a year-long cache, and nothing under the
 * server's own paths is ever answered with the app. Without a build the plugin adds no route and
 * says how to build. (test/web-app.test.ts covers the same plugin inside a whole Teller.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webApp } from '../src/api/web';

const html = '<!doctype html><div id="root"></div>';
const script = 'console.log("app")';

async function appWith(root: string, logLines: string[] = []): Promise<FastifyInstance> {
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
  const app = Fastify({ loggerInstance: logger });
  const routes: { url: string; access: unknown }[] = [];
  app.addHook('onRoute', (route) => {
    routes.push({ url: route.url, access: route.config?.access });
  });
  await app.register(webApp, { root });
  await app.ready();
  for (const route of routes) expect(route.access, `route ${route.url} declares its access`).toBe('public');
  return app as unknown as FastifyInstance;
}

describe('web app serving', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'teller-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), html);
    writeFileSync(path.join(dir, 'assets', 'index-Ab12Cd34.js'), script);
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await appWith(dir);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / and any page path a browser asks for with index.html, never cached', async () => {
    for (const url of ['/', '/agent', '/supervisor', '/admin?tab=users']) {
      const response = await app.inject({ url, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(html);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(String(response.headers['content-security-policy'])).toContain("script-src 'self'");
    }
  });

  it('serves hashed assets with a year-long immutable cache and other files with a short one', async () => {
    const asset = await app.inject({ url: '/assets/index-Ab12Cd34.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe(script);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('never answers the server’s own paths, a missing file or a non-HTML request with the app', async () => {
    const html_ = { accept: 'text/html' };
    for (const url of [
      '/api/v1/nothing',
      '/api',
      '/healthz',
      '/metrics',
      '/sip',
      '/assets/gone.js',
      '/logo.png',
    ]) {
      const response = await app.inject({ url, headers: html_ });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toBe(html);
    }
    const json = await app.inject({ url: '/agent', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
  });

  it('does not leave the build folder', async () => {
    for (const url of [
      '/assets/../../etc/passwd',
      '/assets/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
    ]) {
      const response = await app.inject({ url, headers: { accept: 'text/html' } });
      expect(response.body, url).not.toContain('root:');
      expect([200, 400, 403, 404], url).toContain(response.statusCode);
      if (response.statusCode === 200) expect(response.body, url).toBe(html);
    }
  });

  it('without a build adds no route and says to run npm run build', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'teller-web-empty-'));
    const lines: string[] = [];
    const bare = await appWith(empty, lines);
    try {
      expect(bare.hasRoute({ method: 'GET', url: '/' })).toBe(false);
      expect(lines.some((line) => line.includes('npm run build'))).toBe(true);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
