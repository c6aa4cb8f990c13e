/**
 * SIP over WebSocket (RFC 7118) at `/sip` on the HTTP port, driven with the `ws` client as a
 * browser's SIP stack would: the "sip" subprotocol, a REGISTER answered with a digest challenge
 * and then 200, Via and Contact in the RFC 7118 §5 form (a random `.invalid` host, transport ws),
 * keep-alives, and what happens to the registration when the socket closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  answerChallenge,
  formatCredentials,
  getContacts,
  getTopVia,
  parseDigestChallenge,
  type SipResponse,
} from '../src/sip/index';
import { optionsRequest, readResponse, waitUntil } from './fixtures/sipp/peers';
import { startTestTeller, type TestTeller } from './support/teller';

/** A browser-like SIP WebSocket client: each WebSocket message is one SIP message. */
class WsPeer {
  private readonly messages: { data: Buffer; binary: boolean }[] = [];
  closeCode: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData, binary: boolean) =>
      this.messages.push({
        data: Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
        binary,
      }),
    );
    socket.on('close', (code: number) => {
      this.closeCode = code;
    });
  }

  static async open(url: string): Promise<WsPeer> {
    const socket = new WebSocket(url, 'sip');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new WsPeer(socket);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  async next(timeoutMs = 3000): Promise<{ data: Buffer; binary: boolean } | undefined> {
    await waitUntil(() => this.messages.length > 0, timeoutMs);
    return this.messages.shift();
  }

  /** The next final response, skipping 100 Trying. */
  async final(timeoutMs = 3000): Promise<SipResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const message = await this.next(deadline - Date.now());
      const response = message && readResponse(message.data);
      if (response && response.status >= 200) return response;
    }
    return undefined;
  }

  close(): void {
    this.socket.close(1000);
  }
}

/** How a handshake without the "sip" subprotocol ends: the HTTP status, or the close code. */
function refusal(url: string, protocols: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    socket.once('unexpected-response', (_request, response) => {
      resolve(`http ${response.statusCode}`);
      socket.terminate();
    });
    socket.once('open', () => socket.once('close', (code) => resolve(`opened, then closed ${code}`)));
    socket.once('error', (error) => resolve(`error ${error.message}`));
  });
}

const host = 'df7jal23ls0d.invalid';

function register(cseq: number, extra: string[] = []): string {
  return [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/WS ${host};branch=z9hG4bK-ws-${cseq}-${Date.now().toString(36)}`,
    'Max-Forwards: 70',
    'From: <sip:1001@127.0.0.1>;tag=ws-reg',
    'To: <sip:1001@127.0.0.1>',
    'Call-ID: ws-register@test',
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:w1001@${host};transport=ws>;expires=600`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('SIP over WebSocket (RFC 7118)', () => {
  let teller: TestTeller;
  let url: string;
  beforeAll(async () => {
    teller = await startTestTeller();
    url = `${teller.httpUrl.replace(/^http/, 'ws')}/sip`;
  });
  afterAll(async () => {
    await teller?.close();
  });

  it("is served on Teller's own HTTP port at /sip", async () => {
    const peer = await WsPeer.open(`${teller.httpUrl.replace(/^http/, 'ws')}/sip`);
    peer.close();
  });

  it('refuses a handshake that does not offer the sip subprotocol', async () => {
    expect(await refusal(url, [])).toBe('http 400');
    expect(await refusal(url, ['chat', 'superchat'])).toBe('http 400');
    const peer = await WsPeer.open(url);
    expect(peer.socket.protocol).toBe('sip');
    peer.close();
  });

  it('registers with digest auth, binds the contact to the socket, and forgets it when the socket closes', async () => {
    const peer = await WsPeer.open(url);
    try {
      peer.send(register(1));
      const challenge = await peer.final();
      expect(challenge?.status).toBe(401);
      const offered = challenge!.headers.getAll('www-authenticate').map((h) => parseDigestChallenge(h)!);
      expect(offered.map((c) => c.algorithm)).toContain('SHA-256');
      const chosen = offered.find((c) => c.algorithm === 'SHA-256')!;
      const credentials = answerChallenge(chosen, {
        username: '1001',
        password: 'teller-demo',
        method: 'REGISTER',
        uri: 'sip:127.0.0.1',
      });
      peer.send(register(2, [`Authorization: ${formatCredentials(credentials)}`]));
      const ok = await peer.final();
      expect(ok?.status).toBe(200);
      // §10.3 step 8: the bindings with their expiry; the .invalid contact is kept as given.
      const contacts = getContacts(ok!);
      expect(
        !contacts.star &&
          contacts.list.map((c) => [c.uri.type === 'sip' && c.uri.host, c.params.get('expires')]),
      ).toEqual([[host, '600']]);
      // §18.2.1 / RFC 7118 §5.2: the Via's .invalid host is not where it came from; received says.
      expect(getTopVia(ok!).params.get('received')).toBe('127.0.0.1');
      const bindings = teller.sip.location.lookup('sip:1001@teller');
      expect(bindings.map((b) => [b.contact, b.protocol])).toEqual([
        [`sip:w1001@${host};transport=ws`, 'ws'],
      ]);

      // Requests to the browser can only go back over its socket.
      const flow = await teller.sip.flowTo('ws', bindings[0]!.source);
      expect(flow.protocol).toBe('ws');
      expect(flow.id).toBe(bindings[0]!.flowId);
    } finally {
      peer.close();
    }
    // The browser is gone: the binding cannot be reached and must not be offered calls.
    expect(await waitUntil(() => teller.sip.location.lookup('sip:1001@teller').length === 0, 3000)).toBe(
      true,
    );
  });

  it('answers OPTIONS and a double-CRLF keep-alive over the socket', async () => {
    const peer = await WsPeer.open(url);
    try {
      peer.send(optionsRequest('WS').replace('127.0.0.1:LOCALPORT', host));
      expect((await peer.final())?.status).toBe(200);
      peer.send('\r\n\r\n');
      const pong = await peer.next();
      expect(pong?.data.toString('latin1')).toBe('\r\n');
      // A lone CRLF is not a ping and gets nothing.
      peer.send('\r\n');
      expect(await peer.next(300)).toBeUndefined();
    } finally {
      peer.close();
    }
  });

  it('sends a message that is not UTF-8 in a binary frame, byte for byte', async () => {
    const peer = await WsPeer.open(url);
    try {
      peer.send(optionsRequest('WS').replace('127.0.0.1:LOCALPORT', host));
      // The answer's Via tells where the socket comes from (received, rport: RFC 3581), which is
      // how the server finds the flow back, as it does for a registered browser.
      const via = getTopVia((await peer.final())!);
      const source = { address: via.params.get('received')!, port: Number(via.params.get('rport')) };
      const flow = await teller.sip.flowTo('ws', source);
      const bytes = Buffer.concat([
        Buffer.from('MESSAGE sip:x@y SIP/2.0\r\n\r\n'),
        Buffer.from([0xff, 0xfe, 0x00, 0x80]),
      ]);
      await flow.write(bytes);
      const received = await peer.next();
      expect(received?.binary).toBe(true);
      expect(received?.data.equals(bytes)).toBe(true);
      await flow.write(Buffer.from('SIP/2.0 200 OK\r\n\r\n'));
      expect((await peer.next())?.binary).toBe(false);
    } finally {
      peer.close();
    }
  });

  it('closes a socket that sends a message over the size limit', async () => {
    const peer = await WsPeer.open(url);
    peer.send(`OPTIONS sip:x@y SIP/2.0\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    expect(await waitUntil(() => peer.closeCode !== undefined, 3000)).toBe(true);
    expect(peer.closeCode).toBe(1009);
  });
});
