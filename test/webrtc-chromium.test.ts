import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRtp, type RtpPacket, serializeRtp } from '../src/media/index';
import { WebRtcGateway, type WebRtcLeg } from '../src/webrtc/index';

/**
 * The gateway against Debian's Chromium with its fake microphone (a beep): the page's
 * RTCPeerConnection offers or answers exactly as it would for SIP.js, the gateway takes the
 * other side, and a UDP socket stands in for the media engine. getUserMedia needs a secure
 * context, so the page comes from a tiny HTTP server on 127.0.0.1 rather than about:blank.
 */

/**
 * The little of the browser's WebRTC API the page code uses: the project compiles without
 * lib.dom, and each `page.evaluate` callback casts `globalThis` to this (casts vanish when the
 * callback is serialized to the page).
 */
interface PageTrack {
  readonly kind: string;
}
interface PageStream {
  getTracks(): PageTrack[];
  getAudioTracks(): PageTrack[];
}
interface PageSender {
  readonly dtmf: { insertDTMF(tones: string, duration: number, gap: number): void } | null;
  replaceTrack(track: PageTrack): Promise<void>;
}
interface PagePeer {
  readonly localDescription: { sdp: string } | null;
  readonly iceGatheringState: string;
  readonly connectionState: string;
  addTrack(track: PageTrack, stream: PageStream): void;
  createDataChannel(label: string): unknown;
  setLocalDescription(): Promise<void>;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void>;
  addEventListener(type: string, listener: () => void): void;
  getSenders(): PageSender[];
  getTransceivers(): { direction: string; sender: PageSender }[];
  getStats(): Promise<Map<string, { type: string; kind?: string; packetsReceived?: number }>>;
}
interface PageGlobals {
  pc: PagePeer;
  RTCPeerConnection: new () => PagePeer;
  navigator: {
    mediaDevices: { getUserMedia(constraints: { audio: boolean; video?: boolean }): Promise<PageStream> };
  };
}

/** A UDP socket standing in for a media engine endpoint. */
class PlainPeer {
  readonly received: RtpPacket[] = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg) => this.received.push(parseRtp(new Uint8Array(msg))));
  }

  static async open(): Promise<PlainPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new PlainPeer(socket);
  }

  get address(): { address: string; port: number } {
    return { address: '127.0.0.1', port: this.socket.address().port };
  }

  /** Sends `count` packets of a 1 kHz-ish µ-law pattern, one every 20 ms, as the media engine would. */
  async play(to: number, count: number): Promise<void> {
    const payload = new Uint8Array(160).map((_, i) => (i % 8 < 4 ? 0x1f : 0x9f));
    for (let n = 0; n < count; n++) {
      const packet = serializeRtp({
        marker: n === 0,
        payloadType: 0,
        sequenceNumber: 100 + n,
        timestamp: 160 * n,
        ssrc: 0x7e11e7,
        csrcs: [],
        payload,
      });
      this.socket.send(packet, to, '127.0.0.1');
      await sleep(20);
    }
  }

  close(): void {
    this.socket.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let server: http.Server;
let origin: string;
let browser: Browser;
let gateway: WebRtcGateway;
let page: Page;
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>Teller softphone test</title><p>softphone</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  gateway = new WebRtcGateway();
}, 60_000);

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

afterAll(async () => {
  await gateway?.close();
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function openPage(): Promise<Page> {
  const p = await browser.newPage();
  cleanup.push(() => p.close());
  await p.goto(origin);
  return p;
}

/** The page offers, as SIP.js does in an INVITE: microphone track, ICE gathered into the SDP. */
async function browserOffer(p: Page, kinds: { video?: boolean; data?: boolean } = {}): Promise<string> {
  return p.evaluate(async ({ video, data }) => {
    const g = globalThis as unknown as PageGlobals;
    const stream = await g.navigator.mediaDevices.getUserMedia({ audio: true, video: video === true });
    const pc = new g.RTCPeerConnection();
    g.pc = pc;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    if (data) pc.createDataChannel('chat');
    await pc.setLocalDescription();
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
    return pc.localDescription!.sdp;
  }, kinds);
}

async function applyAnswer(p: Page, sdp: string): Promise<void> {
  await p.evaluate(
    (answer) =>
      (globalThis as unknown as PageGlobals).pc.setRemoteDescription({ type: 'answer', sdp: answer }),
    sdp,
  );
}

async function inboundPackets(p: Page): Promise<number> {
  return p.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    let packets = 0;
    for (const report of (await g.pc.getStats()).values())
      if (report.type === 'inbound-rtp' && report.kind === 'audio') packets += report.packetsReceived ?? 0;
    return packets;
  });
}

async function connect(leg: WebRtcLeg): Promise<PlainPeer> {
  const plain = await PlainPeer.open();
  cleanup.push(() => plain.close());
  leg.connectPlain(plain.address);
  await leg.connected();
  return plain;
}

describe('WebRtcGateway with Chromium', { timeout: 120_000 }, () => {
  it('answers Chromium’s offer: its microphone arrives as plain PCMU, and RTP sent back reaches it', async () => {
    page = await openPage();
    const offer = await browserOffer(page);
    expect(offer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111 .*\b0\b.*\b8\b/m);
    const { leg, answer } = await gateway.acceptOffer(offer);
    cleanup.push(() => leg.close());
    await applyAnswer(page, answer);
    const plain = await connect(leg);

    await until('50 packets from Chromium on the plain side', () => plain.received.length > 50);
    expect(plain.received.every((p) => p.payloadType === 0)).toBe(true);
    expect(plain.received.every((p) => p.payload.length === 160)).toBe(true);
    // The fake microphone beeps: not every byte is µ-law silence (0xff / 0x7f).
    expect(plain.received.some((p) => p.payload.some((b) => b !== 0xff && b !== 0x7f))).toBe(true);
    const ssrcs = new Set(plain.received.map((p) => p.ssrc));
    expect(ssrcs.size).toBe(1);

    await plain.play(leg.plain.port, 150);
    await until('inbound-rtp packets in Chromium', async () => (await inboundPackets(page)) > 50);
    const stats = leg.stats();
    expect(stats.browser.packetsIn).toBeGreaterThan(50);
    expect(stats.plain.packetsOut).toBeGreaterThan(50);
    expect(stats.plain.packetsIn).toBe(150);
    expect(stats.browser.packetsOut).toBe(150);
  });

  it('relays Chromium’s RFC 4733 keys (RTCDTMFSender) with the negotiated telephone-event payload type', async () => {
    page = await openPage();
    const { leg, answer } = await gateway.acceptOffer(await browserOffer(page));
    cleanup.push(() => leg.close());
    await applyAnswer(page, answer);
    const plain = await connect(leg);
    const te = leg.negotiated!.telephoneEvent!.payloadType;
    await until('Chromium to connect', () =>
      page.evaluate(() => (globalThis as unknown as PageGlobals).pc.connectionState === 'connected'),
    );
    await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).pc.getSenders()[0]!.dtmf!.insertDTMF('19#', 100, 70),
    );
    await until('the three keys on the plain side', () => {
      const ends = plain.received.filter((p) => p.payloadType === te && (p.payload[1]! & 0x80) !== 0);
      return new Set(ends.map((p) => p.payload[0])).size >= 3;
    });
    const events = plain.received.filter((p) => p.payloadType === te).map((p) => p.payload[0]);
    // RFC 4733 §3.2: events 1, 9 and 11 (#), in the order keyed.
    expect([...new Set(events)]).toEqual([1, 9, 11]);
    // The end packet is retransmitted (RFC 4733 §2.5.1.4); the relay counts each one as it
    // forwards it, so a copy may be counted but still in flight: wait for both sides to agree.
    const teOnPlain = () => plain.received.filter((p) => p.payloadType === te).length;
    await until('every relayed key packet to arrive', () => leg.stats().dtmfIn === teOnPlain());
    expect(leg.stats().dtmfIn).toBe(teOnPlain());
  });

  it('declines Chromium’s video and data sections and still carries the audio', async () => {
    page = await openPage();
    const offer = await browserOffer(page, { video: true, data: true });
    const { leg, answer } = await gateway.acceptOffer(offer);
    cleanup.push(() => leg.close());
    expect(answer).toMatch(/^m=video 0 UDP\/TLS\/RTP\/SAVPF \d+$/m);
    expect(answer).toMatch(/^m=application 0 UDP\/DTLS\/SCTP webrtc-datachannel$/m);
    await applyAnswer(page, answer);
    const plain = await connect(leg);
    await until('audio from Chromium', () => plain.received.length > 20);
    expect(plain.received.every((p) => p.payloadType === 0)).toBe(true);
  });

  it('connects when the answer reaches Chromium long after the offer (the callee rang first)', async () => {
    const patient = new WebRtcGateway({ connectTimeoutMs: 3000 });
    cleanup.push(() => patient.close());
    page = await openPage();
    const { leg, answer } = await patient.acceptOffer(await browserOffer(page));
    const errors: string[] = [];
    leg.on('error', (e) => errors.push(e.code));
    const plain = await PlainPeer.open();
    cleanup.push(() => plain.close());
    leg.connectPlain(plain.address);
    // Twice the connect timeout passes before the call layer sends the 200 with the answer.
    await sleep(6000);
    expect(errors).toEqual([]);
    await applyAnswer(page, answer);
    leg.answerDelivered();
    await leg.connected();
    await until('audio from Chromium', () => plain.received.length > 20);
  });

  it('offers to Chromium (Teller calls the agent’s browser) and carries audio both ways once it answers', async () => {
    page = await openPage();
    const { leg, offer } = await gateway.createOffer();
    cleanup.push(() => leg.close());
    const answer = await page.evaluate(async (sdp) => {
      const g = globalThis as unknown as PageGlobals;
      const stream = await g.navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new g.RTCPeerConnection();
      g.pc = pc;
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const [transceiver] = pc.getTransceivers();
      transceiver!.direction = 'sendrecv';
      await transceiver!.sender.replaceTrack(stream.getAudioTracks()[0]!);
      await pc.setLocalDescription();
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve();
        });
      });
      return pc.localDescription!.sdp;
    }, offer);
    await leg.acceptAnswer(answer);
    const plain = await connect(leg);
    expect(leg.negotiated?.codec).toEqual({ name: 'PCMU', payloadType: 0 });
    await until('50 packets from Chromium', () => plain.received.length > 50);
    await plain.play(leg.plain.port, 100);
    await until('inbound-rtp packets in Chromium', async () => (await inboundPackets(page)) > 20);
  });
});
