import dgram from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
  type RtpPacket,
} from 'werift';
import { MediaEngine, type RtpPacket as PlainPacket, parseRtp, serializeRtp } from '../src/media/index';
import { answerOffer } from '../src/sip/index';
import { WebRtcError, WebRtcGateway, type WebRtcLeg } from '../src/webrtc/index';

/**
 * The gateway against a werift peer playing the browser (same ICE, DTLS and SRTP as a browser's,
 * and an offer shaped like Chromium's: opus first, G.711, telephone-event at 48 and 8 kHz), with
 * a plain UDP socket standing in for the media engine, and once with the real media engine.
 */

const codec = (mimeType: string, clockRate: number, payloadType: number, channels = 1) =>
  new RTCRtpCodecParameters({ mimeType, clockRate, payloadType, channels });

const chromiumLikeCodecs = () => [
  codec('audio/opus', 48000, 111, 2),
  codec('audio/PCMU', 8000, 0),
  codec('audio/PCMA', 8000, 8),
  codec('audio/telephone-event', 48000, 110),
  codec('audio/telephone-event', 8000, 126),
];

class BrowserPeer {
  readonly pc: RTCPeerConnection;
  readonly received: RtpPacket[] = [];
  transceiver: RTCRtpTransceiver | undefined;

  constructor(codecs = chromiumLikeCodecs()) {
    this.pc = new RTCPeerConnection({ iceServers: [], codecs: { audio: codecs } });
    this.pc.onTransceiverAdded.subscribe((t) => {
      this.transceiver = t;
    });
    this.pc.onRemoteTransceiverAdded.subscribe((t) => {
      this.transceiver = t;
    });
    // What arrives through SRTP, decrypted with the keys DTLS agreed (the gateway's answer
    // announces no track, so werift's track events stay silent; a browser plays it anyway).
    this.pc.connectionStateChange.subscribe((state) => {
      if (state !== 'connected') return;
      for (const transport of this.pc.dtlsTransports)
        transport.onRtp.subscribe((packet) => this.received.push(packet.clone()));
    });
  }

  async offer(direction: 'sendrecv' | 'sendonly' = 'sendrecv'): Promise<string> {
    if (!this.transceiver) {
      this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction });
    } else {
      this.transceiver.setDirection(direction);
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    for (const t of this.pc.getTransceivers()) t.setDirection('sendrecv');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  /** Sends one RTP packet as the browser would: through SRTP, with the payload type given. */
  async send(payloadType: number, sequenceNumber: number, payload: Buffer, marker = false): Promise<void> {
    const sender = this.transceiver!.sender;
    const header = new RtpHeader({
      payloadType,
      sequenceNumber,
      timestamp: sequenceNumber * 160,
      ssrc: sender.ssrc,
      marker,
    });
    await sender.dtlsTransport.sendRtp(payload, header);
  }

  /** Both ends finish DTLS at their own pace: the gateway may be up before this side is. */
  async connected(): Promise<void> {
    await until('the browser peer to connect', () => this.pc.connectionState === 'connected');
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}

/** A UDP socket standing in for a media engine endpoint. */
class PlainPeer {
  readonly received: PlainPacket[] = [];

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

  send(to: number, packet: Omit<PlainPacket, 'csrcs' | 'paddingLength'>): void {
    this.socket.send(serializeRtp({ csrcs: [], ...packet }), to, '127.0.0.1');
  }

  close(): void {
    this.socket.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A distinct G.711 payload per packet, so that a reordered, altered or dropped one shows. */
const frame = (n: number) => Buffer.from(Array.from({ length: 160 }, (_, i) => (n * 7 + i) & 0xff));

let gateway: WebRtcGateway;
const cleanup: (() => unknown)[] = [];

beforeAll(() => {
  gateway = new WebRtcGateway({ iceUseIpv6: false });
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

afterAll(async () => {
  await gateway.close();
});

async function browserCall(
  options: { codecs?: RTCRtpCodecParameters[] } = {},
): Promise<{ browser: BrowserPeer; leg: WebRtcLeg; answer: string; plain: PlainPeer }> {
  const browser = new BrowserPeer(options.codecs);
  cleanup.push(() => browser.close());
  const { leg, answer } = await gateway.acceptOffer(await browser.offer());
  cleanup.push(() => leg.close());
  await browser.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const plain = await PlainPeer.open();
  cleanup.push(() => plain.close());
  leg.connectPlain(plain.address);
  await leg.connected();
  await browser.connected();
  return { browser, leg, answer, plain };
}

describe('WebRtcGateway answering a browser', { timeout: 60_000 }, () => {
  it('answers with one G.711 codec and telephone-event/8000 over DTLS-SRTP, nothing else', async () => {
    const { answer, leg } = await browserCall();
    const audio = answer.split(/\r\n/).find((l) => l.startsWith('m=audio'));
    expect(audio).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 126$/);
    expect(answer).toMatch(/^a=fingerprint:sha-256 /m);
    expect(answer).toMatch(/^a=ice-ufrag:/m);
    expect(answer).toMatch(/^a=candidate:.* typ host/m);
    expect(answer).not.toMatch(/opus|telephone-event\/48000/);
    expect(leg.negotiated).toEqual({
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEvent: { payloadType: 126, events: '0-15' },
      browserDirection: 'sendrecv',
    });
    expect(leg.state).toBe('connected');
  });

  it('relays the browser’s RTP, decrypted, to the media endpoint unchanged, and the endpoint’s RTP to the browser', async () => {
    const { browser, leg, plain } = await browserCall();
    const count = 60;
    for (let n = 0; n < count; n++) {
      await browser.send(0, 1000 + n, frame(n), n === 0);
      await sleep(2);
    }
    await until('the browser’s packets on the plain side', () => plain.received.length >= count);
    plain.received.forEach((packet, n) => {
      expect(packet.payloadType).toBe(0);
      expect(packet.sequenceNumber).toBe(1000 + n);
      expect(packet.timestamp).toBe((1000 + n) * 160);
      expect(packet.ssrc).toBe(browser.transceiver!.sender.ssrc);
      expect(packet.marker).toBe(n === 0);
      expect(packet.extension).toBeUndefined();
      expect(Buffer.from(packet.payload).equals(frame(n))).toBe(true);
    });

    const plainSsrc = 0x0badcafe;
    for (let n = 0; n < count; n++) {
      plain.send(leg.plain.port, {
        marker: n === 0,
        payloadType: 0,
        sequenceNumber: 5000 + n,
        timestamp: 80_000 + 160 * n,
        ssrc: plainSsrc,
        payload: frame(100 + n),
      });
      await sleep(2);
    }
    await until('the endpoint’s packets in the browser', () => browser.received.length >= count);
    browser.received.forEach((packet, n) => {
      expect(packet.header.payloadType).toBe(0);
      expect(packet.header.sequenceNumber).toBe(5000 + n);
      expect(packet.header.timestamp).toBe(80_000 + 160 * n);
      expect(packet.payload.equals(frame(100 + n))).toBe(true);
    });

    const stats = leg.stats();
    expect(stats.browser.packetsIn).toBe(count);
    expect(stats.plain.packetsOut).toBe(count);
    expect(stats.plain.packetsIn).toBe(count);
    expect(stats.browser.packetsOut).toBe(count);
    expect(stats.plain.bytesOut).toBe(count * (12 + 160));
    expect(stats.plain.bytesIn).toBe(count * (12 + 160));
    expect(stats.dropped).toBe(0);
  });

  it('passes RFC 4733 telephone-event packets through both ways with their payload type', async () => {
    const { browser, leg, plain } = await browserCall();
    // Event 5, volume 10, durations 160..480, the last three with the E bit (RFC 4733 §2.5.1.4).
    const event = (duration: number, end: boolean) =>
      Buffer.from([5, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
    const keyed = [
      event(160, false),
      event(320, false),
      event(480, true),
      event(480, true),
      event(480, true),
    ];
    for (const [i, payload] of keyed.entries()) await browser.send(126, 300 + i, payload, i === 0);
    await until('the key on the plain side', () => plain.received.length >= keyed.length);
    expect(plain.received.map((p) => p.payloadType)).toEqual(keyed.map(() => 126));
    expect(plain.received.map((p) => Buffer.from(p.payload).toString('hex'))).toEqual(
      keyed.map((k) => k.toString('hex')),
    );

    for (const [i, payload] of keyed.entries()) {
      plain.send(leg.plain.port, {
        marker: i === 0,
        payloadType: 126,
        sequenceNumber: 700 + i,
        timestamp: 16_000,
        ssrc: 42,
        payload,
      });
    }
    await until('the key in the browser', () => browser.received.length >= keyed.length);
    expect(browser.received.map((p) => p.header.payloadType)).toEqual(keyed.map(() => 126));
    expect(browser.received.map((p) => p.payload.toString('hex'))).toEqual(
      keyed.map((k) => k.toString('hex')),
    );
    expect(leg.stats()).toMatchObject({ dtmfIn: keyed.length, dtmfOut: keyed.length });
  });

  it('drops what it must not relay: payload types never negotiated, and datagrams from anyone but the endpoint', async () => {
    const { browser, leg, plain } = await browserCall();
    const stranger = await PlainPeer.open();
    cleanup.push(() => stranger.close());
    stranger.send(leg.plain.port, {
      marker: false,
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 0,
      ssrc: 7,
      payload: frame(1),
    });
    plain.send(leg.plain.port, {
      marker: false,
      payloadType: 8,
      sequenceNumber: 2,
      timestamp: 0,
      ssrc: 7,
      payload: frame(2),
    });
    plain.socket.send(Buffer.from('not rtp at all'), leg.plain.port, '127.0.0.1');
    plain.send(leg.plain.port, {
      marker: false,
      payloadType: 0,
      sequenceNumber: 3,
      timestamp: 160,
      ssrc: 7,
      payload: frame(3),
    });
    await until('the one good packet in the browser', () => browser.received.length >= 1);
    await sleep(200);
    expect(browser.received.map((p) => p.header.sequenceNumber)).toEqual([3]);
    expect(leg.stats().plain).toMatchObject({ foreign: 1, malformed: 1, packetsIn: 2 });
    expect(leg.stats().dropped).toBe(1);
  });

  it('describes its plain side as RTP/AVP that the SIP layer’s offer/answer accepts as a phone’s', async () => {
    const { leg } = await browserCall();
    const plainSdp = leg.plainDescription();
    expect(plainSdp).toContain(`m=audio ${leg.plain.port} RTP/AVP 0 126`);
    expect(plainSdp).toContain(`a=rtcp:${leg.plain.rtcpPort}`);
    const { audio } = answerOffer(plainSdp, { address: '127.0.0.1', port: 30_000 });
    expect(audio.codec).toEqual({ name: 'PCMU', payloadType: 0 });
    expect(audio.telephoneEvent).toEqual({ payloadType: 126 });
    expect(audio.remote).toEqual({
      address: '127.0.0.1',
      port: leg.plain.port,
      rtcpPort: leg.plain.rtcpPort,
    });
    expect(audio.remoteHold).toBe(false);
  });

  it('takes PCMA when the browser offers no PCMU, and refuses an offer with neither', async () => {
    const { leg, answer } = await browserCall({
      codecs: [codec('audio/opus', 48000, 111, 2), codec('audio/PCMA', 8000, 8)],
    });
    expect(answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8$/m);
    expect(leg.negotiated?.codec).toEqual({ name: 'PCMA', payloadType: 8 });
    expect(leg.negotiated?.telephoneEvent).toBeUndefined();

    const opusOnly = new BrowserPeer([codec('audio/opus', 48000, 111, 2)]);
    cleanup.push(() => opusOnly.close());
    const error = await gateway.acceptOffer(await opusOnly.offer()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebRtcError);
    expect(error).toMatchObject({ code: 'WEBRTC_SDP_NOT_ACCEPTABLE' });
    expect((error as Error).message).toMatch(/no PCMU or PCMA.*opus/);
  });

  it('answers a hold re-offer (sendonly) on the same connection, and the plain description says so', async () => {
    const { browser, leg, plain } = await browserCall();
    const before = leg.plainDescription();
    const answer = await leg.renegotiate(await browser.offer('sendonly'));
    expect(answer).toMatch(/^a=recvonly$/m);
    await browser.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(leg.negotiated?.browserDirection).toBe('sendonly');
    const held = leg.plainDescription();
    expect(held).toMatch(/^a=sendonly$/m);
    const version = (sdp: string) => Number(/^o=\S+ \S+ (\d+)/m.exec(sdp)![1]);
    expect(version(held)).toBe(version(before) + 1);
    expect(answerOffer(held, { address: '127.0.0.1', port: 30_000 }).audio.remoteHold).toBe(true);
    // Still the same DTLS-SRTP session: the browser's packets keep flowing.
    await browser.send(0, 9, frame(9));
    await until('a packet after the re-offer', () => plain.received.length >= 1);
    expect(leg.state).toBe('connected');
  });
});

describe('WebRtcGateway offering to a browser', { timeout: 60_000 }, () => {
  it('offers PCMU, PCMA and telephone-event, takes the browser’s answer and relays both ways', async () => {
    const { leg, offer } = await gateway.createOffer();
    cleanup.push(() => leg.close());
    expect(offer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 8 101$/m);
    expect(offer).toMatch(/^a=setup:actpass$/m);
    expect(() => leg.plainDescription()).toThrow(/before the media is negotiated/);
    const browser = new BrowserPeer();
    cleanup.push(() => browser.close());
    const answer = await browser.answer(offer);
    await leg.acceptAnswer(answer);
    const plain = await PlainPeer.open();
    cleanup.push(() => plain.close());
    leg.connectPlain(plain.address);
    await leg.connected();
    await browser.connected();
    expect(leg.negotiated?.codec).toEqual({ name: 'PCMU', payloadType: 0 });
    expect(leg.negotiated?.telephoneEvent?.payloadType).toBe(101);

    await browser.send(0, 42, frame(42));
    await until('the browser’s packet on the plain side', () => plain.received.length >= 1);
    expect(Buffer.from(plain.received[0]!.payload).equals(frame(42))).toBe(true);
    plain.send(leg.plain.port, {
      marker: true,
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 0,
      ssrc: 1,
      payload: frame(1),
    });
    await until('the endpoint’s packet in the browser', () => browser.received.length >= 1);
    expect(browser.received[0]!.payload.equals(frame(1))).toBe(true);
    await expect(leg.acceptAnswer(answer)).rejects.toMatchObject({ code: 'WEBRTC_BAD_STATE' });
  });
});

describe('WebRtcGateway with the media engine', { timeout: 60_000 }, () => {
  let engine: MediaEngine;

  beforeAll(async () => {
    engine = await MediaEngine.start({
      workers: 1,
      portMin: 36000,
      portMax: 36999,
      bindAddress: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await engine.close();
  });

  it('a media endpoint set up from the plain description echoes the browser’s audio back to it', async () => {
    const browser = new BrowserPeer();
    cleanup.push(() => browser.close());
    const { leg, answer } = await gateway.acceptOffer(await browser.offer());
    cleanup.push(() => leg.close());
    // What the B2BUA does for a phone, with the plain description standing in for the phone's offer.
    const endpoint = await engine.createEndpoint({});
    cleanup.push(() => engine.closeEndpoint(endpoint.id));
    const { audio } = answerOffer(leg.plainDescription(), { address: '127.0.0.1', port: endpoint.port });
    await engine.updateEndpoint(endpoint.id, {
      codec: audio.codec.name === 'PCMU' ? 'pcmu' : 'pcma',
      payloadType: audio.codec.payloadType,
      ...(audio.telephoneEvent ? { telephoneEventPt: audio.telephoneEvent.payloadType } : {}),
      remote: audio.remote,
    });
    leg.connectPlain({ address: endpoint.bindAddress, port: endpoint.port });
    await browser.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await leg.connected();
    await browser.connected();
    await engine.echo(endpoint.id);
    for (let n = 0; n < 100; n++) {
      await browser.send(0, 2000 + n, Buffer.alloc(160, 0x7f - (n % 16)), n === 0);
      await sleep(20);
    }
    await until('echoed audio in the browser', () => browser.received.length >= 50);
    const engineStats = await engine.stats(endpoint.id);
    expect(engineStats.packetsIn).toBeGreaterThanOrEqual(90);
    expect(engineStats.foreign).toBe(0);
    expect(engineStats.malformed).toBe(0);
    expect(browser.received.every((p) => p.header.payloadType === 0 && p.payload.length === 160)).toBe(true);
    expect(leg.stats().plain.packetsIn).toBeGreaterThanOrEqual(50);
  });
});

describe('WebRtcGateway failures', { timeout: 60_000 }, () => {
  it('refuses bad SDP with a clear error and leaves nothing open', async () => {
    const size = gateway.size;
    const browser = new BrowserPeer();
    cleanup.push(() => browser.close());
    const good = await browser.offer();
    const cases: [string, string, RegExp][] = [
      ['', 'WEBRTC_SDP_INVALID', /empty description/],
      ['hello world', 'WEBRTC_SDP_INVALID', /no v=0/],
      [good.replace(/^a=fingerprint:.*\r\n/gm, ''), 'WEBRTC_SDP_INVALID', /a=fingerprint/],
      [good.replace(/^a=ice-pwd:.*\r\n/gm, ''), 'WEBRTC_SDP_INVALID', /ice-pwd/],
      [good.replace(/^a=rtcp-mux\r\n/gm, ''), 'WEBRTC_SDP_NOT_ACCEPTABLE', /rtcp-mux/],
      [
        'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
        'WEBRTC_SDP_NOT_ACCEPTABLE',
        /no DTLS-SRTP .*audio RTP\/AVP/,
      ],
    ];
    for (const [sdp, code, message] of cases) {
      const error = await gateway.acceptOffer(sdp).catch((e: unknown) => e);
      expect(error, JSON.stringify(sdp.slice(0, 40))).toBeInstanceOf(WebRtcError);
      expect(error).toMatchObject({ code });
      expect((error as Error).message).toMatch(message);
    }
    expect(gateway.size).toBe(size);
  });

  it('a DTLS fingerprint that does not match is an error event, not a crash', async () => {
    const browser = new BrowserPeer();
    cleanup.push(() => browser.close());
    const offer = (await browser.offer()).replace(/^(a=fingerprint:sha-256 )../m, '$100');
    const { leg, answer } = await gateway.acceptOffer(offer);
    cleanup.push(() => leg.close());
    const errors: WebRtcError[] = [];
    leg.on('error', (e) => errors.push(e));
    await browser.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await expect(leg.connected()).rejects.toMatchObject({ code: 'WEBRTC_DTLS_FAILED' });
    expect(errors.map((e) => e.code)).toEqual(['WEBRTC_DTLS_FAILED']);
    expect(leg.state).toBe('failed');
    await leg.close();
    expect(leg.state).toBe('closed');
  });

  it('waits while the call layer holds the answer, then times out as an error event once the browser has it and never connects', async () => {
    const quick = new WebRtcGateway({ iceUseIpv6: false, connectTimeoutMs: 1000 });
    cleanup.push(() => quick.close());
    const browser = new BrowserPeer();
    cleanup.push(() => browser.close());
    // The browser is never given the answer, so it never checks or answers our checks.
    const { leg } = await quick.acceptOffer(await browser.offer());
    const errors: string[] = [];
    leg.on('error', (e) => errors.push(e.code));
    // A callee ringing: the 200 with our answer is not sent yet, so no deadline runs.
    await sleep(2500);
    expect(leg.state).toBe('connecting');
    expect(errors).toEqual([]);
    leg.answerDelivered();
    await expect(leg.connected()).rejects.toMatchObject({ code: 'WEBRTC_CONNECT_TIMEOUT' });
    expect(errors).toEqual(['WEBRTC_CONNECT_TIMEOUT']);
    expect(leg.state).toBe('failed');
    await quick.close();
    expect(quick.size).toBe(0);
    await expect(quick.createOffer()).rejects.toMatchObject({ code: 'WEBRTC_CLOSED' });
  });

  it('close() releases the plain ports and reports the final counters', async () => {
    const { leg } = await browserCall();
    const { port, rtcpPort } = leg.plain;
    const closed: unknown[] = [];
    leg.on('closed', (stats) => closed.push(stats));
    const stats = await leg.close();
    expect(stats.browser).toBeDefined();
    expect(closed).toHaveLength(1);
    for (const p of [port, rtcpPort]) {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(p, '127.0.0.1', () => resolve());
      });
      socket.close();
    }
    expect(() => leg.connectPlain({ address: '127.0.0.1', port: 1 })).toThrow(/closed/);
    await expect(leg.connected()).rejects.toMatchObject({ code: 'WEBRTC_CLOSED' });
  });
});
