import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTeller, type TestTeller } from './support/teller';

/**
 * Browsers as SIP endpoints through the B2BUA: Debian's Chromium (fake microphone) runs SIP.js
 * 0.21 — the library the agent desktop's softphone uses — registered as extension 1001 over
 * Teller's SIP WebSocket. Its WebRTC media ends in the WebRTC gateway and is relayed to the media
 * engine; the server's own counters (engine endpoint and gateway leg) must show packets both ways.
 * The page is served from a tiny HTTP server on 127.0.0.1 (getUserMedia needs a secure context),
 * which also serves SIP.js's ESM build from node_modules.
 */

const sipJsDir = path.resolve(import.meta.dirname, '..', 'node_modules', 'sip.js', 'lib');

/** SIP.js 0.21 answers MD5 digest only; like web/src/softphone/digest.ts, hand it the MD5 challenge. */
const pageScript = `
import { Web } from '/sip.js/index.js';
const challenge = /^(www|proxy)-authenticate\\s*:/i;
const isMd5 = (line) => /algorithm\\s*=\\s*"?md5"?\\s*(,|$)/i.test(line) || !/algorithm\\s*=/i.test(line);
function onlyMd5(message) {
  if (!/^SIP\\/2\\.0 40[17] /.test(message)) return message;
  const end = message.indexOf('\\r\\n\\r\\n');
  const head = message.slice(0, end);
  const lines = head.split('\\r\\n');
  if (lines.filter((l) => challenge.test(l)).length < 2) return message;
  return lines.filter((l) => !challenge.test(l) || isMd5(l)).join('\\r\\n') + message.slice(end);
}
class Md5Transport extends Web.Transport {
  constructor(...args) {
    super(...args);
    let handler;
    Object.defineProperty(this, 'onMessage', {
      configurable: true,
      get: () => handler,
      set: (next) => { handler = next ? (m) => next(onlyMd5(m)) : undefined; },
    });
  }
}
window.startPhone = async (server, extension, password) => {
  const audio = document.createElement('audio');
  audio.autoplay = true;
  document.body.append(audio);
  window.events = [];
  const user = new Web.SimpleUser(server, {
    aor: 'sip:' + extension + '@127.0.0.1',
    media: { constraints: { audio: true, video: false }, remote: { audio } },
    userAgentOptions: {
      transportConstructor: Md5Transport,
      authorizationUsername: extension,
      authorizationPassword: password,
      sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 500 },
    },
    delegate: {
      onCallReceived: () => { window.events.push('received'); user.answer().catch((e) => window.events.push('answer failed ' + e)); },
      onCallAnswered: () => window.events.push('answered'),
      onCallHangup: () => window.events.push('hangup'),
      onRegistered: () => window.events.push('registered'),
    },
  });
  window.user = user;
  await user.connect();
  await user.register();
};
window.ready = true;
`;

interface PageGlobals {
  ready?: boolean;
  events: string[];
  startPhone(server: string, extension: string, password: string): Promise<void>;
  user: { call(target: string): Promise<void>; hangup(): Promise<void>; unregister(): Promise<void> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let server: http.Server;
let origin: string;
let browser: Browser;
let teller: TestTeller;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/sip.js/')) {
      const file = path.resolve(sipJsDir, `.${url.slice('/sip.js'.length)}`);
      if (!file.startsWith(sipJsDir)) {
        response.statusCode = 404;
        response.end();
        return;
      }
      readFile(file).then(
        (body) => {
          response.setHeader('content-type', 'text/javascript; charset=utf-8');
          response.end(body);
        },
        () => {
          response.statusCode = 404;
          response.end();
        },
      );
      return;
    }
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(
      `<!doctype html><title>Teller browser phone test</title><script type="module">${pageScript}</script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  teller = await startTestTeller();
}, 120_000);

afterAll(async () => {
  await teller?.close();
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function openPhone(extension: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(origin);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).ready === true);
  const ws = `${teller.httpUrl.replace(/^http/, 'ws')}/sip`;
  await page.evaluate(
    ({ ws, extension }) => (globalThis as unknown as PageGlobals).startPhone(ws, extension, 'teller-demo'),
    { ws, extension },
  );
  return page;
}

const events = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).events);

describe('browsers as SIP endpoints with WebRTC media', () => {
  it('SIP.js in Chromium, registered as 1001 over WebSocket, calls 8889: media flows both ways through the gateway and the engine', async () => {
    const page = await openPhone('1001');
    try {
      await until('registration', async () => (await events(page)).includes('registered'));
      await page.evaluate(() => (globalThis as unknown as PageGlobals).user.call('sip:8889@127.0.0.1'));
      await until('answer', async () => (await events(page)).includes('answered'));
      // Both directions counted on the server: the engine endpoint hears the browser (relayed by
      // the gateway) and sends the prompt, which the gateway passes on to the browser.
      let seen = '';
      await until('packets both ways on the server', async () => {
        const legs = await teller.calls.legMedia();
        const leg = legs.find((l) => l.party === '1001' && l.webrtc);
        seen = JSON.stringify(legs);
        return (
          !!leg?.webrtc &&
          leg.endpoint.packetsIn > 20 &&
          leg.endpoint.packetsOut > 20 &&
          leg.webrtc.browser.packetsIn > 20 &&
          leg.webrtc.browser.packetsOut > 20 &&
          leg.webrtc.plain.packetsIn > 20 &&
          leg.webrtc.plain.packetsOut > 20
        );
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; legs: ${seen}`);
      });
      const legs = await teller.calls.legMedia();
      expect(legs.filter((l) => l.webrtc)).toHaveLength(1);
      await page.evaluate(() => (globalThis as unknown as PageGlobals).user.hangup());
      await until('call over', async () => (await teller.calls.legMedia()).length === 0);
    } finally {
      await page.close();
    }
  }, 180_000);
  it('Teller calls a browser: 1001 (SIP.js) calls 1002 (SIP.js); both get a WebRTC offer or answer and media flows both ways', async () => {
    const callee = await openPhone('1002');
    const caller = await openPhone('1001');
    try {
      await until(
        'both registered',
        async () =>
          (await events(callee)).includes('registered') && (await events(caller)).includes('registered'),
      );
      await caller.evaluate(() => (globalThis as unknown as PageGlobals).user.call('sip:1002@127.0.0.1'));
      await until('the callee to answer', async () => (await events(callee)).includes('answered'));
      await until('the caller to be answered', async () => (await events(caller)).includes('answered'));
      let seen = '';
      await until('packets both ways on both browser legs', async () => {
        const legs = await teller.calls.legMedia();
        seen = JSON.stringify(legs);
        const ok = (party: string) => {
          const leg = legs.find((l) => l.party === party && l.webrtc);
          return (
            !!leg?.webrtc &&
            leg.webrtc.browser.packetsIn > 20 &&
            leg.webrtc.browser.packetsOut > 20 &&
            leg.endpoint.packetsIn > 20 &&
            leg.endpoint.packetsOut > 20
          );
        };
        return ok('1001') && ok('1002');
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; legs: ${seen}`);
      });
      await caller.evaluate(() => (globalThis as unknown as PageGlobals).user.hangup());
      await until('the callee to hear the hang-up', async () => (await events(callee)).includes('hangup'));
      await until('call over', async () => (await teller.calls.legMedia()).length === 0);
    } finally {
      await caller.close();
      await callee.close();
    }
  }, 180_000);
});
