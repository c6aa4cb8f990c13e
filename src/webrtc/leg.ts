import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import {
  type RTCDtlsTransport,
  RTCPeerConnection,
  type RTCPeerConnectionConfig,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
} from 'werift';
import type { Logger } from '../core/index';
import { parseRtp, serializeRtp } from '../media/index';
import { WebRtcError, type WebRtcErrorCode } from './errors';
import {
  completeAnswer,
  DEFAULT_EVENTS,
  type G711,
  type NegotiatedMedia,
  type PlainSide,
  type PreparedOffer,
  prepareOffer,
  readBrowserAnswer,
  staticPayloadTypes,
  writePlainDescription,
} from './sdp';

/**
 * A leg's life:
 *
 *   new ──both descriptions applied──▶ connecting ──ICE + DTLS up──▶ connected
 *    │                                   │ ICE/DTLS failed, timeout     │ consent lost
 *    └───────────────▶ failed ◀──────────┴──────────────────────────────┘
 *   every state ──close()──▶ closed
 */
export const webRtcLegStates = ['new', 'connecting', 'connected', 'failed', 'closed'] as const;
export type WebRtcLegState = (typeof webRtcLegStates)[number];

const edges: Record<WebRtcLegState, readonly WebRtcLegState[]> = {
  new: ['connecting', 'failed', 'closed'],
  connecting: ['connected', 'failed', 'closed'],
  connected: ['failed', 'closed'],
  failed: ['closed'],
  closed: [],
};

/** Packets and bytes through one side of a leg. */
export interface WebRtcSideStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
}

export interface WebRtcLegStats {
  /** The browser side, counted as RTP inside SRTP (sizes before encryption). */
  browser: WebRtcSideStats;
  /** The plain side, counted as UDP datagrams to and from the media engine. */
  plain: WebRtcSideStats & {
    /** RTCP from the media engine; terminated here (each side keeps its own RTCP session). */
    rtcpIn: number;
    /** Datagrams from an address other than the connected media endpoint, dropped. */
    foreign: number;
    /** Datagrams that were not RTP, dropped. */
    malformed: number;
    /** Asynchronous socket errors (ICMP port unreachable after the endpoint went away). */
    socketErrors: number;
  };
  /** RFC 4733 telephone-event packets from the browser and to it (included in the packet counts). */
  dtmfIn: number;
  dtmfOut: number;
  /** Packets of a payload type that was not negotiated, or that came before the other side was ready. */
  dropped: number;
}

export interface WebRtcLegEvents {
  state: { from: WebRtcLegState; to: WebRtcLegState };
  connected: Record<string, never>;
  /** ICE or DTLS failed, the connect timeout passed, or a connected leg lost its path. */
  error: WebRtcError;
  closed: WebRtcLegStats;
}

type Listener<K extends keyof WebRtcLegEvents> = (event: WebRtcLegEvents[K]) => void;

/** Settings the gateway hands each leg. */
export interface LegSettings {
  peer: RTCPeerConnectionConfig;
  codecs: readonly G711[];
  plainAddress: string;
  connectTimeoutMs: number;
  logger: Logger | undefined;
}

const TELEPHONE_EVENT_PT = 101;

/** RFC 5761 §4: RTCP packet types 192–223 sit where RTP has marker + payload type. */
function looksLikeRtcp(datagram: Uint8Array): boolean {
  const second = datagram[1];
  return second !== undefined && second >= 192 && second <= 223;
}

function weriftCodecs(codecs: readonly G711[]): RTCRtpCodecParameters[] {
  return [
    ...codecs.map(
      (name) =>
        new RTCRtpCodecParameters({
          mimeType: `audio/${name}`,
          clockRate: 8000,
          channels: 1,
          payloadType: staticPayloadTypes[name],
        }),
    ),
    new RTCRtpCodecParameters({
      mimeType: 'audio/telephone-event',
      clockRate: 8000,
      channels: 1,
      payloadType: TELEPHONE_EVENT_PT,
      parameters: DEFAULT_EVENTS,
    }),
  ];
}

function openSocket(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function emptyStats(): WebRtcLegStats {
  const side = () => ({ packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 });
  return {
    browser: side(),
    plain: { ...side(), rtcpIn: 0, foreign: 0, malformed: 0, socketErrors: 0 },
    dtmfIn: 0,
    dtmfOut: 0,
    dropped: 0,
  };
}

/**
 * One browser's media through the gateway: a werift peer connection (ICE, DTLS-SRTP) on one
 * side, a plain UDP RTP socket pair on the other, and a relay between them that changes no
 * payload. Browser → plain: each SRTP packet, decrypted, goes to the media endpoint with its
 * payload type, sequence number, timestamp, marker and SSRC as the browser sent them (header
 * extensions are not negotiated, so none arrive). Plain → browser: each RTP packet goes out
 * encrypted, as is except for the SSRC, which becomes the one our SDP announced.
 */
export class WebRtcLeg {
  readonly id = randomUUID();
  private current: WebRtcLegState = 'new';
  private readonly pc: RTCPeerConnection;
  private transceiver: RTCRtpTransceiver | undefined;
  private transport: RTCDtlsTransport | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private media: NegotiatedMedia | undefined;
  /** Payload types relayed either way: the codec and telephone-event. */
  private allowed = new Set<number>();
  private remote: { address: string; port: number } | undefined;
  private readonly counters = emptyStats();
  private readonly listeners = new Map<keyof WebRtcLegEvents, Set<(event: never) => void>>();
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private failure: WebRtcError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private iceConnected = false;
  private dtlsFailed = false;
  private readonly origin = { sessionId: String(Date.now()), version: 0, body: '' };
  private closing: Promise<WebRtcLegStats> | undefined;

  private constructor(
    private readonly settings: LegSettings,
    private readonly rtp: dgram.Socket,
    private readonly rtcp: dgram.Socket,
    private readonly role: 'answerer' | 'offerer',
  ) {
    this.pc = new RTCPeerConnection({
      ...settings.peer,
      codecs: { audio: weriftCodecs(settings.codecs) },
      headerExtensions: { audio: [] },
      // Called for each binding request that passed its integrity check (RFC 8445 §7.3): the
      // browser can only send one once it holds our answer, so the connect clock starts here.
      iceFilterStunResponse: () => {
        this.answerDelivered();
        return true;
      },
    });
    const sub = <T extends unknown[]>(
      event: { subscribe(fn: (...args: T) => void): { unSubscribe(): void } },
      fn: (...args: T) => void,
    ) => {
      const { unSubscribe } = event.subscribe(fn);
      this.unsubscribe.push(unSubscribe);
    };
    sub(this.pc.iceConnectionStateChange, (state) => {
      if (state === 'connected' || state === 'completed') this.iceConnected = true;
    });
    sub(this.pc.connectionStateChange, (state) => {
      if (state === 'connected') this.onConnected();
      else if (state === 'failed') this.onTransportFailed();
    });
    rtp.on('message', (msg, from) => this.fromPlain(msg, from));
    rtcp.on('message', (_msg, from) => {
      if (this.isRemote(from)) this.counters.plain.rtcpIn++;
      else this.counters.plain.foreign++;
    });
    for (const socket of [rtp, rtcp]) socket.on('error', () => this.counters.plain.socketErrors++);
  }

  /** Opens the plain sockets and the peer connection; the gateway then answers or offers through it. */
  static async open(settings: LegSettings, role: 'answerer' | 'offerer'): Promise<WebRtcLeg> {
    let rtp: dgram.Socket | undefined;
    try {
      rtp = await openSocket(settings.plainAddress);
      const rtcp = await openSocket(settings.plainAddress);
      return new WebRtcLeg(settings, rtp, rtcp, role);
    } catch (error) {
      rtp?.close();
      throw new WebRtcError(
        'WEBRTC_IO',
        `cannot open plain RTP sockets on ${settings.plainAddress}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  get state(): WebRtcLegState {
    return this.current;
  }

  /** Where the media engine sends this leg's RTP (and RTCP), and where it receives from. */
  get plain(): PlainSide {
    const rtp = this.rtp.address();
    return { address: rtp.address, port: rtp.port, rtcpPort: this.rtcp.address().port };
  }

  /** The codec, telephone-event and browser direction both sides use; undefined until negotiated. */
  get negotiated(): NegotiatedMedia | undefined {
    return this.media;
  }

  /** The plain side as an RTP/AVP description (see `writePlainDescription`), once negotiated. */
  plainDescription(): string {
    const media = this.requireMedia('plainDescription');
    const draft = writePlainDescription(this.plain, media, { sessionId: this.origin.sessionId, version: 0 });
    if (this.origin.body !== '' && this.origin.body !== draft) this.origin.version++;
    this.origin.body = draft;
    return writePlainDescription(this.plain, media, this.origin);
  }

  /**
   * Tells the leg where the media engine's endpoint is. RTP from the browser goes there, and
   * only datagrams from there are relayed to the browser. The unspecified address (an endpoint
   * bound to 0.0.0.0) means this host.
   */
  connectPlain(remote: { address: string; port: number }): void {
    if (this.current === 'closed') throw new WebRtcError('WEBRTC_CLOSED', `WebRTC leg ${this.id} is closed`);
    const family6 = isIP(this.plain.address) === 6;
    const unspecified = remote.address === '0.0.0.0' || remote.address === '::';
    const address = unspecified ? (family6 ? '::1' : '127.0.0.1') : remote.address;
    this.remote = { address, port: remote.port };
  }

  /** Current counters (a copy). */
  stats(): WebRtcLegStats {
    return structuredClone(this.counters);
  }

  /** Resolves once ICE and DTLS are up; rejects with the failure, or when the leg closes first. */
  connected(): Promise<void> {
    if (this.current === 'connected') return Promise.resolve();
    if (this.current === 'failed') return Promise.reject(this.failure);
    if (this.current === 'closed') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof WebRtcLegEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  // ---- negotiation ----------------------------------------------------------------------

  /** Answers a browser's offer (the gateway's `acceptOffer`). */
  async answer(offer: string): Promise<string> {
    this.requireState('answer', ['new']);
    const prepared = prepareOffer(offer, this.settings.codecs);
    const answer = await this.applyOffer(prepared);
    this.transition('connecting');
    if (this.pc.connectionState === 'connected') this.onConnected();
    return answer;
  }

  /**
   * Says that the browser now has our answer (the 200 carrying it was sent): ICE and DTLS must
   * be up within the connect timeout from now. Until then a leg that answered an offer waits
   * without a deadline, because the call layer may hold the answer while the callee rings. The
   * browser's first ICE check starts the clock too, whichever comes first; a leg that made the
   * offer starts it in `acceptAnswer`.
   */
  answerDelivered(): void {
    if (this.current !== 'connecting' || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.fail(
        'WEBRTC_CONNECT_TIMEOUT',
        `WebRTC leg ${this.id}: ICE and DTLS not up ${this.settings.connectTimeoutMs} ms after the browser had the answer`,
      );
    }, this.settings.connectTimeoutMs);
    this.timer.unref();
  }

  /** Our offer for a browser (the gateway's `createOffer`). */
  async offer(): Promise<string> {
    this.requireState('offer', ['new']);
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.localSdp();
  }

  /** Applies the browser's answer to `createOffer`'s offer; connecting starts. */
  async acceptAnswer(answer: string): Promise<void> {
    this.requireState('acceptAnswer', ['new']);
    if (this.role !== 'offerer')
      throw new WebRtcError(
        'WEBRTC_BAD_STATE',
        `WebRTC leg ${this.id} answered an offer; it takes no answer`,
      );
    const media = readBrowserAnswer(answer, this.settings.codecs);
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
      throw new WebRtcError(
        'WEBRTC_SDP_NOT_ACCEPTABLE',
        `WebRTC answer not acceptable: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.setMedia(media);
    this.transition('connecting');
    if (this.pc.connectionState === 'connected') this.onConnected();
    else this.answerDelivered();
  }

  /**
   * Answers a new offer from the browser on a leg already set up (a re-INVITE for hold or
   * resume). The codec cannot change: the media endpoint behind the leg keeps its own. An ICE
   * restart (new ufrag) is not supported yet: between werift peers the media stops after one.
   */
  async renegotiate(offer: string): Promise<string> {
    this.requireState('renegotiate', ['connecting', 'connected']);
    const media = this.requireMedia('renegotiate');
    const prepared = prepareOffer(offer, [media.codec.name]);
    return this.applyOffer(prepared);
  }

  private async applyOffer(prepared: PreparedOffer): Promise<string> {
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: prepared.weriftSdp });
      this.transceiver ??= this.pc.getTransceivers()[0];
      await this.pc.setLocalDescription(await this.pc.createAnswer());
    } catch (error) {
      if (error instanceof WebRtcError) throw error;
      throw new WebRtcError(
        'WEBRTC_SDP_NOT_ACCEPTABLE',
        `WebRTC offer not acceptable: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.setMedia(prepared.media);
    return completeAnswer(this.localSdp(), prepared);
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new WebRtcError('WEBRTC_BAD_STATE', `WebRTC leg ${this.id} has no local description`);
    return sdp;
  }

  private setMedia(media: NegotiatedMedia): void {
    this.media = media;
    this.allowed = new Set([media.codec.payloadType]);
    if (media.telephoneEvent) this.allowed.add(media.telephoneEvent.payloadType);
    this.attachTransport();
  }

  /** Subscribes to the decrypted RTP of the (bundled) DTLS transport, again if a renegotiation replaced it. */
  private attachTransport(): void {
    const transport = this.transceiver?.dtlsTransport;
    if (!transport || transport === this.transport) return;
    this.transport = transport;
    const rtp = transport.onRtp.subscribe((packet) => this.fromBrowser(packet));
    const state = transport.onStateChange.subscribe((s) => {
      if (s === 'failed') this.dtlsFailed = true;
    });
    this.unsubscribe.push(rtp.unSubscribe, state.unSubscribe);
  }

  private onConnected(): void {
    if (this.current !== 'connecting') return;
    clearTimeout(this.timer);
    this.transition('connected');
    this.emit('connected', {});
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  private onTransportFailed(): void {
    if (this.current === 'connected') {
      this.fail('WEBRTC_DISCONNECTED', `WebRTC leg ${this.id}: the browser's path was lost`);
    } else if (this.current === 'connecting' || this.current === 'new') {
      const dtls = this.dtlsFailed || this.iceConnected;
      this.fail(
        dtls ? 'WEBRTC_DTLS_FAILED' : 'WEBRTC_ICE_FAILED',
        dtls
          ? `WebRTC leg ${this.id}: the DTLS handshake failed (a fingerprint that does not match, or an alert)`
          : `WebRTC leg ${this.id}: ICE found no working candidate pair`,
      );
    }
  }

  /** Reports a transport failure once, as an `error` event, and releases the peer connection. */
  private fail(code: WebRtcErrorCode, message: string): void {
    if (this.current === 'failed' || this.current === 'closed') return;
    clearTimeout(this.timer);
    const error = new WebRtcError(code, message);
    this.failure = error;
    this.transition('failed');
    this.emit('error', error);
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    void this.closePeer();
  }

  // ---- the relay ------------------------------------------------------------------------

  private isRemote(from: dgram.RemoteInfo): boolean {
    return (
      this.remote !== undefined && from.address === this.remote.address && from.port === this.remote.port
    );
  }

  private fromBrowser(packet: RtpPacket): void {
    const c = this.counters;
    const { header, payload } = packet;
    c.browser.packetsIn++;
    c.browser.bytesIn += header.serializeSize + payload.length;
    if (!this.allowed.has(header.payloadType) || !this.remote || this.current !== 'connected') {
      c.dropped++;
      return;
    }
    if (header.payloadType === this.media?.telephoneEvent?.payloadType) c.dtmfIn++;
    const datagram = serializeRtp({
      marker: header.marker,
      payloadType: header.payloadType,
      sequenceNumber: header.sequenceNumber,
      timestamp: header.timestamp,
      ssrc: header.ssrc,
      csrcs: header.csrc,
      payload,
    });
    c.plain.packetsOut++;
    c.plain.bytesOut += datagram.length;
    this.rtp.send(datagram, this.remote.port, this.remote.address);
  }

  private fromPlain(datagram: Buffer, from: dgram.RemoteInfo): void {
    const c = this.counters;
    if (!this.isRemote(from)) {
      c.plain.foreign++;
      return;
    }
    // An endpoint multiplexing RTCP on the RTP port (RFC 5761 §4): terminated like the rest.
    if (looksLikeRtcp(datagram)) {
      c.plain.rtcpIn++;
      return;
    }
    let packet: ReturnType<typeof parseRtp>;
    try {
      packet = parseRtp(datagram);
    } catch {
      c.plain.malformed++;
      return;
    }
    c.plain.packetsIn++;
    c.plain.bytesIn += datagram.length;
    const sender = this.transceiver?.sender;
    const transport = this.transport;
    if (
      !this.allowed.has(packet.payloadType) ||
      this.current !== 'connected' ||
      !sender ||
      !transport ||
      transport.state !== 'connected'
    ) {
      c.dropped++;
      return;
    }
    const header = new RtpHeader({
      marker: packet.marker,
      payloadType: packet.payloadType,
      sequenceNumber: packet.sequenceNumber,
      timestamp: packet.timestamp,
      // The browser demultiplexes by the SSRC our SDP announced (a=ssrc, RFC 5576).
      ssrc: sender.ssrc,
      csrc: packet.csrcs,
      csrcLength: packet.csrcs.length,
    });
    const payload = Buffer.from(packet.payload.buffer, packet.payload.byteOffset, packet.payload.byteLength);
    c.browser.packetsOut++;
    c.browser.bytesOut += header.serializeSize + payload.length;
    const isEvent = packet.payloadType === this.media?.telephoneEvent?.payloadType;
    if (isEvent) c.dtmfOut++;
    // The sender keeps RTCP sender reports for the codec's stream, but rewrites every payload
    // type to its codec's, so telephone-event packets go straight to the SRTP transport.
    const sent =
      !isEvent && sender.codec?.payloadType === packet.payloadType
        ? sender.sendRtp(new RtpPacket(header, payload))
        : transport.sendRtp(payload, header);
    sent.catch((error: unknown) =>
      this.settings.logger?.warn({ err: error, leg: this.id }, 'SRTP send failed'),
    );
  }

  // ---- events, states, close ---------------------------------------------------------------

  private transition(to: WebRtcLegState): void {
    const from = this.current;
    if (from === to) return;
    if (!edges[from].includes(to))
      throw new WebRtcError('WEBRTC_BAD_STATE', `WebRTC leg ${this.id}: no transition from ${from} to ${to}`);
    this.current = to;
    this.emit('state', { from, to });
  }

  private emit<K extends keyof WebRtcLegEvents>(event: K, data: WebRtcLegEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(data);
      } catch (error) {
        // mediasoup's safeEmit: a failing listener is reported and does not stop the others.
        this.settings.logger?.error(
          { err: error, leg: this.id },
          `listener of WebRTC leg event ${event} failed`,
        );
      }
    }
  }

  private requireState(method: string, states: readonly WebRtcLegState[]): void {
    if (this.current === 'closed') throw this.closedError();
    if (!states.includes(this.current))
      throw new WebRtcError('WEBRTC_BAD_STATE', `WebRTC leg ${this.id}: ${method} in state ${this.current}`);
  }

  private requireMedia(method: string): NegotiatedMedia {
    if (!this.media)
      throw new WebRtcError(
        'WEBRTC_BAD_STATE',
        `WebRTC leg ${this.id}: ${method} before the media is negotiated`,
      );
    return this.media;
  }

  private closedError(): WebRtcError {
    return new WebRtcError('WEBRTC_CLOSED', `WebRTC leg ${this.id} is closed`);
  }

  private peerClosed: Promise<void> | undefined;

  private closePeer(): Promise<void> {
    this.peerClosed ??= this.pc.close().catch((error: unknown) => {
      this.settings.logger?.warn({ err: error, leg: this.id }, 'closing the WebRTC peer connection failed');
    });
    return this.peerClosed;
  }

  /** Releases the peer connection (ICE sockets, DTLS) and the plain sockets; returns the final counters. */
  close(): Promise<WebRtcLegStats> {
    this.closing ??= (async () => {
      clearTimeout(this.timer);
      for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
      await this.closePeer();
      await Promise.all(
        [this.rtp, this.rtcp].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      this.transition('closed');
      const error = this.closedError();
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      const stats = this.stats();
      this.emit('closed', stats);
      return stats;
    })();
    return this.closing;
  }
}
