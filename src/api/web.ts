import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` (vite build --config web/vite.config.ts) writes the web app. */
const defaultWebRoot = path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');

/** Paths the web app never answers, even for a browser asking for HTML: they belong to the server. */
const serverPrefixes = ['/api/', '/sip', '/healthz', '/metrics'] as const;

function isServerPath(url: string): boolean {
  const pathname = url.split('?')[0] ?? '';
  return pathname === '/api' || serverPrefixes.some((prefix) => pathname.startsWith(prefix));
}

/** A browser navigating asks for text/html; fetch() and curl send `*\/*`, which HTML also satisfies. */
function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return accept === undefined || accept.includes('text/html') || accept.includes('*/*');
}

/**
 * The policy the app needs: scripts and styles from its own origin (antd writes its CSS-in-JS
 * into <style> elements, hence 'unsafe-inline' for styles only), API, event and SIP sockets on
 * the same origin, the ringing tone and media from blobs, no framing.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "media-src 'self' blob: mediastream:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

interface WebAppOptions {
  /** The built app (index.html and assets/); defaults to web/dist. */
  root?: string;
}

/**
 * Serves the single-page app built into web/dist at `/`: hashed files under /assets/ with a
 * year-long immutable cache, index.html (never cached, so a new build is picked up at once) for
 * `/` and for any other GET a browser makes for a page (the app routes on the client). It never
 * answers under /api, /sip, /healthz or /metrics, nor for a missing file with an extension:
 * those get the server's usual 404. Without a build it registers nothing, so `/` keeps
 * redirecting to the API docs, and says how to build it.
 */
export async function webApp(app: FastifyInstance, options: WebAppOptions = {}): Promise<void> {
  const root = options.root ?? defaultWebRoot;
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    app.log.warn(
      `the web app is not built (${index} is missing): run \`npm run build\`; / redirects to /api/docs`,
    );
    return;
  }
  await app.register(fastifyStatic, { root, serve: false, dotfiles: 'deny', index: false });

  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', contentSecurityPolicy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .sendFile('index.html', { cacheControl: false });

  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    sendIndex(reply),
  );

  app.get('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    reply.header('x-content-type-options', 'nosniff');
    return reply.sendFile(path.posix.join('assets', file), { maxAge: '365d', immutable: true });
  });

  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (isServerPath(request.url)) return reply.callNotFound();
    const pathname = (request.params as { '*': string })['*'];
    const last = pathname.split('/').pop() ?? '';
    if (last.includes('.')) {
      // A file of the build's top level (favicon.svg …), short cache: its name has no hash.
      const file = path.resolve(root, pathname);
      const inside = file.startsWith(root + path.sep);
      if (inside && existsSync(file) && statSync(file).isFile()) {
        return reply.sendFile(pathname, { maxAge: '1h' });
      }
      return reply.callNotFound();
    }
    if (!acceptsHtml(request)) return reply.callNotFound();
    return sendIndex(reply);
  });
}
