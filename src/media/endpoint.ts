import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { type DtmfDigit, DtmfEventReceiver, DtmfEventSender, type DtmfReport } from './dtmf-event';
import { MediaError } from './errors';
import { decodeG711, encodeG711, type G711Law } from './g711';
import { GoertzelDtmfDetector } from './goertzel';
import { JitterBuffer } from './jitter-buffer';
import { ip4ToNumber, ip4ToString, type NativeRtpIo } from './native-io';
import type { Player } from './player';
import type {
  EndpointId,
  EndpointSnapshotData,
  EndpointStats,
  MediaDirection,
  MediaEvents,
  PlaybackId,
  RemoteAddress,
  StreamSettings,
} from './protocol';
import { ntpFromUnixMs, ntpMiddle, parseRtcp, type RtcpPacket, serializeRtcp } from './rtcp';
import { parseRtp, RTP_HEADER_SIZE, writeRtpHeader } from './rtp';
import { ReceiveStats } from './rtp-stats';
import { dtmfTone, type ToneGenerator } from './tone';

export const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;
const RATE = 8000;
/** RFC 3550 §6.2: 5 s minimum interval between RTCP reports, randomised by [0.5, 1.5] (§6.3.1). */
const RTCP_INTERVAL_MS = 5000;
/** RFC 3389 comfort noise: played as silence. */
const PT_CN = 13;

export type EndpointSnapshot = EndpointSnapshotData;

type Emit = <K extends keyof MediaEvents>(event: K, data: MediaEvents[K]) => void;

/**
 * A received audio packet waiting in the jitter buffer: its payload is `data` from `offset` on.
 * The common packet is kept as the datagram itself with the offset past its header, so that no
 * view on its payload is made for a packet nobody decodes (a caller listening to a prompt).
 */
interface Queued {
  pt: number;
  data: Uint8Array;
  offset: number;
  /** The copy's stamp in the worker's packet arena (native receive), else -1: the packet owns `data`. */
  stamp: number;
}

function defaultPayloadType(law: G711Law): number {
  return law === 'pcmu' ? 0 : 8; // RFC 3551 Table 4
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function portError(error: unknown, port: number, bindAddress: string): MediaError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return new MediaError('MEDIA_PORT_IN_USE', `port ${port} or ${port + 1} is in use`, { cause: error });
  }
  return new MediaError('MEDIA_IO', `cannot bind ${bindAddress}:${port}: ${(error as Error).message}`, {
    cause: error,
  });
}

/** The RTP socket as a handle of the worker's native I/O set (ADR 016): read and sent by the tick. */
interface NativeRtp {
  io: NativeRtpIo;
  handle: number;
}

/**
 * One RTP stream on a real UDP port pair (RTP on an even port, RTCP on the next, RFC 3550 §11),
 * driven by its worker's tick: `pull` takes this tick's received frame out of the jitter buffer,
 * `push` encodes and sends this tick's outgoing frame. Packets are received as they come (socket
 * events) and only queued; all timing comes from the tick.
 */
export class RtpEndpoint {
  readonly id: EndpointId;
  /** The RTP socket: dgram, or (ADR 016) a native handle; exactly one of the two is set. */
  private rtp: dgram.Socket | undefined;
  private native: NativeRtp | undefined;
  private rtcp: dgram.Socket;
  private law: G711Law = 'pcmu';
  private payloadType = 0;
  private telephoneEventPt: number | undefined;
  private direction: MediaDirection = 'sendrecv';
  private remote: Required<RemoteAddress> | undefined;
  /** `remote.address` as the native path's number; undefined when it is not an IPv4 literal. */
  private remoteIp4: number | undefined;
  private symmetric = true;
  private latched = false;
  /**
   * `address:port` the RTP socket is connected to. Once the peer is latched the socket is
   * connected (connect(2)): the kernel then drops other sources and sends skip Node's per-packet
   * address lookup, about a quarter of the cost of a send.
   */
  private connectedTo: string | undefined;
  private connecting = false;
  private mediaTimeoutMs = 0;
  private timeoutReported = false;
  private cname: string;

  // sending (RFC 3550 §5.1: random initial sequence number and timestamp, random SSRC §8)
  private ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private timestamp = randomInt(0, 0xffffffff);
  private sentPackets = 0;
  private sentOctets = 0;
  private marker = true;
  /**
   * The audio packet, rewritten every tick instead of allocated: on a connected socket a send
   * the kernel takes at once (uv_udp_try_send) has copied it before `send` returns. A send that
   * had to queue (the socket's buffer was full) still points at it, so it is left to that send
   * and the next tick makes a new one.
   */
  private audioPacket: Buffer | undefined;
  private audioPayload: Buffer | undefined;
  private readonly dtmfSender = new DtmfEventSender();
  private readonly inbandQueue: { digit: DtmfDigit; left: number; gap: number; tone?: ToneGenerator }[] = [];
  private dtmfWaiters: { kind: 'events' | 'inband'; resolve: () => void; reject: (e: Error) => void }[] = [];

  // receiving
  private stats = new ReceiveStats(RATE);
  private sourceSsrc: number | undefined;
  private jitter: JitterBuffer<Queued>;
  private jitterPackets: number | undefined;
  private readonly dtmfReceiver = new DtmfEventReceiver(RATE);
  private goertzel: GoertzelDtmfDetector | undefined;
  private inbandDtmf: boolean | undefined;
  /** Decoded samples not yet played (packets of other than 20 ms). */
  private readonly fifo = new Int16Array(FRAME_SAMPLES * 8);
  private fifoLength = 0;

  private inboundValue: Int16Array | null = null;
  /**
   * A whole 20 ms packet popped this tick but not yet decoded: decoding waits until someone
   * reads `inbound` (a mix, a recorder, echo, the DTMF detector). A caller listening to a prompt
   * has nobody reading what it says, and its stream is never decoded.
   */
  private pendingPayload: Uint8Array | undefined;
  private pendingOffset = 0;
  private pendingLaw: G711Law = 'pcmu';
  private readonly inboundFrame = new Int16Array(FRAME_SAMPLES);

  /** This tick's received audio, or null when nothing was heard. */
  get inbound(): Int16Array | null {
    const payload = this.pendingPayload;
    if (payload) {
      decodeG711(this.pendingLaw, payload, this.inboundFrame, this.pendingOffset);
      this.pendingPayload = undefined;
      this.inboundValue = this.inboundFrame;
    }
    return this.inboundValue;
  }
  /** This tick's audio to send; whoever writes it sets `outboundSet`. */
  readonly outbound = new Int16Array(FRAME_SAMPLES);
  outboundSet = false;

  player: { id: PlaybackId; player: Player } | undefined;
  mixId: string | undefined;
  /** Send back what is received (a line test, and the 8888 demo's echo step). */
  echo = false;

  private rtcpIntervalTicks = RTCP_INTERVAL_MS / FRAME_MS;
  private rtcpCountdown: number;
  private lastSr: { middle: number; at: number } | undefined;
  private remoteReport: EndpointStats['remoteReport'] = null;
  private readonly counters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    malformed: 0,
    foreign: 0,
    dtmfIn: 0,
    dtmfOut: 0,
    rtcpIn: 0,
    rtcpOut: 0,
    socketErrors: 0,
    lastPacketAt: 0,
  };
  private closed = false;
  /** Packets a jitter buffer held so long that the packet arena had been written over them. */
  private staleDiscarded = 0;

  private constructor(
    id: EndpointId,
    rtp: dgram.Socket | NativeRtp,
    rtcp: dgram.Socket,
    private readonly emit: Emit,
    private readonly now: () => number,
    bindAddress: string,
  ) {
    this.id = id;
    if (rtp instanceof dgram.Socket) {
      this.rtp = rtp;
      rtp.on('message', (msg, rinfo) => this.onRtp(msg, rinfo));
      // A send to an unreachable peer surfaces as an asynchronous socket error (ICMP); it must not kill the worker.
      // It is counted, not thrown: a peer that went away is the call layer's business, not a crash.
      rtp.on('error', () => this.counters.socketErrors++);
    } else {
      this.native = rtp;
    }
    this.rtcp = rtcp;
    this.cname = `teller@${bindAddress}`;
    this.jitter = new JitterBuffer<Queued>();
    this.rtcpCountdown = Math.round(this.rtcpIntervalTicks * (0.5 + Math.random()));
    rtcp.on('message', (msg, rinfo) => this.onRtcp(msg, rinfo));
    rtcp.on('error', () => this.counters.socketErrors++);
  }

  /**
   * Binds the RTP port and the RTCP port above it; fails with MEDIA_PORT_IN_USE when either is taken.
   * With `io` (the worker's native I/O set) and an IPv4 bind address, the RTP port is a native
   * handle; RTCP, a few packets a call, stays on dgram.
   */
  static async open(
    id: EndpointId,
    port: number,
    bindAddress: string,
    settings: StreamSettings,
    emit: Emit,
    now: () => number,
    io?: NativeRtpIo,
  ): Promise<RtpEndpoint> {
    if (io && isIP(bindAddress) === 4)
      return RtpEndpoint.openNative(id, port, bindAddress, settings, emit, now, io);
    const type = isIP(bindAddress) === 6 ? 'udp6' : 'udp4';
    const rtp = dgram.createSocket({ type, recvBufferSize: 256 * 1024 });
    const rtcp = dgram.createSocket({ type });
    try {
      await bindSocket(rtp, port, bindAddress);
      await bindSocket(rtcp, port === 0 ? 0 : port + 1, bindAddress);
    } catch (error) {
      rtp.close();
      rtcp.close();
      throw portError(error, port, bindAddress);
    }
    const endpoint = new RtpEndpoint(id, rtp, rtcp, emit, now, bindAddress);
    endpoint.update(settings);
    return endpoint;
  }

  private static async openNative(
    id: EndpointId,
    port: number,
    bindAddress: string,
    settings: StreamSettings,
    emit: Emit,
    now: () => number,
    io: NativeRtpIo,
  ): Promise<RtpEndpoint> {
    let endpoint: RtpEndpoint | undefined;
    let handle: number;
    try {
      handle = io.open(bindAddress, port, (data, ip4, from, at) =>
        endpoint?.onNativeRtp(data, ip4, from, at),
      );
    } catch (error) {
      throw portError(error, port, bindAddress);
    }
    const rtcp = dgram.createSocket({ type: 'udp4' });
    try {
      await bindSocket(rtcp, port === 0 ? 0 : port + 1, bindAddress);
    } catch (error) {
      io.close(handle);
      rtcp.close();
      throw portError(error, port, bindAddress);
    }
    endpoint = new RtpEndpoint(id, { io, handle }, rtcp, emit, now, bindAddress);
    endpoint.update(settings);
    return endpoint;
  }

  /** Everything needed to carry on this stream from another worker on the same ports. */
  snapshot(): EndpointSnapshot {
    if (
      this.player ||
      this.mixId !== undefined ||
      this.echo ||
      this.dtmfSender.busy ||
      this.inbandQueue.length > 0
    ) {
      throw new MediaError(
        'MEDIA_BAD_STATE',
        `endpoint ${this.id} is busy (playing, mixed, echoing or sending keys)`,
      );
    }
    const settings: StreamSettings = {
      codec: this.law,
      payloadType: this.payloadType,
      telephoneEventPt: this.telephoneEventPt,
      direction: this.direction,
      symmetric: this.symmetric,
      mediaTimeoutMs: this.mediaTimeoutMs,
      cname: this.cname,
      rtcpIntervalMs: this.rtcpIntervalTicks * FRAME_MS,
    };
    if (this.inbandDtmf !== undefined) settings.inbandDtmf = this.inbandDtmf;
    if (this.jitterPackets !== undefined) settings.jitterPackets = this.jitterPackets;
    if (this.remote) settings.remote = { ...this.remote };
    return {
      settings,
      latched: this.latched,
      ssrc: this.ssrc,
      seq: this.seq,
      timestamp: this.timestamp,
      sentPackets: this.sentPackets,
      sentOctets: this.sentOctets,
      counters: { ...this.counters },
    };
  }

  /** Takes over a stream moved from another worker: same SSRC and sequence, so the peer sees one stream. */
  restore(snapshot: EndpointSnapshot): void {
    this.ssrc = snapshot.ssrc;
    this.seq = snapshot.seq;
    this.timestamp = snapshot.timestamp;
    this.sentPackets = snapshot.sentPackets;
    this.sentOctets = snapshot.sentOctets;
    Object.assign(this.counters, snapshot.counters);
    this.marker = true; // RFC 3551 §4.1: a discontinuity (the move took a few ms)
    this.latched = snapshot.latched;
    this.connectToRemote();
  }

  /** Releases the ports without a BYE: the stream goes on elsewhere. */
  detach(): void {
    this.closed = true;
    this.closeRtp();
    this.rtcp.close();
  }

  private closeRtp(): void {
    if (this.native) this.native.io.close(this.native.handle);
    else this.rtp?.close();
  }

  get ports(): { port: number; rtcpPort: number } {
    const port = this.native ? this.native.io.localPort(this.native.handle) : this.rtp!.address().port;
    return { port, rtcpPort: this.rtcp.address().port };
  }

  /** Applies (new) SDP-derived settings; only the fields present change. */
  update(s: StreamSettings): void {
    if (s.codec) {
      this.law = s.codec;
      this.payloadType = s.payloadType ?? defaultPayloadType(s.codec);
    } else if (s.payloadType !== undefined) {
      this.payloadType = s.payloadType;
    }
    // A codec means a whole new offer/answer: telephone-event is then as given (absent = not negotiated).
    if ('telephoneEventPt' in s || s.codec !== undefined) this.telephoneEventPt = s.telephoneEventPt;
    if (s.inbandDtmf !== undefined) this.inbandDtmf = s.inbandDtmf;
    const inband = this.inbandDtmf ?? this.telephoneEventPt === undefined;
    this.goertzel = inband ? (this.goertzel ?? new GoertzelDtmfDetector()) : undefined;
    if (s.direction) this.direction = s.direction;
    if (s.symmetric !== undefined) this.symmetric = s.symmetric;
    if (s.mediaTimeoutMs !== undefined) this.mediaTimeoutMs = s.mediaTimeoutMs;
    if (s.cname) this.cname = s.cname;
    if (s.rtcpIntervalMs !== undefined) {
      this.rtcpIntervalTicks = Math.max(1, s.rtcpIntervalMs / FRAME_MS);
      this.rtcpCountdown = Math.min(
        this.rtcpCountdown,
        Math.round(this.rtcpIntervalTicks * (0.5 + Math.random())),
      );
    }
    if (s.jitterPackets !== undefined) {
      this.jitterPackets = s.jitterPackets;
      this.jitter = new JitterBuffer<Queued>({ targetDepth: s.jitterPackets });
    }
    if (s.remote) {
      const changed =
        !this.remote || this.remote.address !== s.remote.address || this.remote.port !== s.remote.port;
      this.setRemote(s.remote.address, s.remote.port, s.remote.rtcpPort ?? s.remote.port + 1);
      if (changed) {
        // A new peer (re-INVITE, transfer): learn its source afresh and mark the discontinuity (RFC 3551 §4.1).
        this.latched = false;
        this.marker = true;
        this.disconnect();
      }
    }
  }

  private setRemote(address: string, port: number, rtcpPort: number): void {
    this.remote = { address, port, rtcpPort };
    this.remoteIp4 = ip4ToNumber(address);
  }

  private disconnect(): void {
    if (this.connectedTo === undefined || !this.rtp) return;
    this.connectedTo = undefined;
    try {
      this.rtp.disconnect();
    } catch {
      // not connected after all (a connect still in flight); its callback sees the change
    }
  }

  /** dgram only: the native path names the destination in every send, which costs it nothing. */
  private connectToRemote(): void {
    const remote = this.remote;
    const rtp = this.rtp;
    if (!rtp || !remote || !this.latched || this.connecting || this.closed) return;
    const key = `${remote.address}:${remote.port}`;
    if (this.connectedTo === key) return;
    this.connecting = true;
    rtp.connect(remote.port, remote.address, () => {
      this.connecting = false;
      if (this.closed) return;
      const now = this.remote;
      if (now && this.latched && `${now.address}:${now.port}` === key) this.connectedTo = key;
      else {
        rtp.disconnect();
        this.connectToRemote();
      }
    });
  }

  private onRtp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (
      this.remote &&
      this.latched &&
      (rinfo.address !== this.remote.address || rinfo.port !== this.remote.port)
    ) {
      this.counters.foreign++;
      return;
    }
    this.receiveRtp(msg, rinfo.address, 0, rinfo.port, this.now(), false);
  }

  /**
   * A datagram from the worker's native receive (ADR 016): `msg` is a view of the worker's receive
   * buffer, valid only during this call; the source is a number, made a string only to latch.
   * The arrival time is the kernel's, so the jitter estimate (RFC 3550 §6.4.1) does not see
   * the tick's 20 ms batching.
   */
  onNativeRtp(msg: Buffer, ip4: number, port: number, arrivalMs: number): void {
    if (this.closed) return;
    if (this.remote && this.latched && (ip4 !== this.remoteIp4 || port !== this.remote.port)) {
      this.counters.foreign++;
      return;
    }
    this.receiveRtp(msg, undefined, ip4, port, arrivalMs, true);
  }

  /** `address` is the source as a string, or undefined with `ip4` its number (native path). */
  private receiveRtp(
    msg: Buffer,
    address: string | undefined,
    ip4: number,
    port: number,
    now: number,
    borrowed: boolean,
  ): void {
    let pt: number;
    let seq: number;
    let ts: number;
    let ssrc: number;
    let data: Uint8Array = msg;
    let offset = RTP_HEADER_SIZE;
    const b0 = msg[0] ?? 0;
    if (msg.length >= RTP_HEADER_SIZE && (b0 & 0xf0) === 0x80 && (b0 & 0x0f) === 0) {
      // Fast path for the common shape (no padding, extension or CSRCs): no objects allocated.
      pt = msg[1]! & 0x7f;
      seq = msg.readUInt16BE(2);
      ts = msg.readUInt32BE(4);
      ssrc = msg.readUInt32BE(8);
    } else {
      try {
        const p = parseRtp(msg);
        ({ payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc, payload: data } = p);
        offset = 0;
      } catch {
        this.counters.malformed++;
        return;
      }
    }
    if (pt >= 72 && pt <= 76) {
      // RFC 5761 §4: RTCP multiplexed onto the RTP port.
      this.onRtcp(msg, { address: address ?? ip4ToString(ip4), port });
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += msg.length;
    this.counters.lastPacketAt = Date.now();
    this.timeoutReported = false;
    if (this.symmetric && !this.latched) {
      this.latched = true;
      const from = address ?? ip4ToString(ip4);
      const current = this.remote;
      if (!current || current.address !== from || current.port !== port) {
        this.setRemote(from, port, port + 1);
        this.emit('remote-latched', { endpointId: this.id, address: from, port });
      }
      this.connectToRemote();
    }
    if (this.sourceSsrc !== ssrc) {
      // A new source (RFC 3550 §8.2: after a transfer or a re-INVITE the peer may change SSRC): start over.
      if (this.sourceSsrc !== undefined) {
        this.stats = new ReceiveStats(RATE);
        this.jitter.reset();
        this.fifoLength = 0;
      }
      this.sourceSsrc = ssrc;
      this.stats.ssrc = ssrc;
    }
    const update = this.stats.updateSeq(seq);
    if (!update.accepted) return;
    if (update.restarted) this.jitter.reset();
    if (pt === this.telephoneEventPt) {
      this.jitter.skip(update.extended);
      if (this.direction === 'sendonly' || this.direction === 'inactive') return;
      let reports: DtmfReport[];
      try {
        reports = this.dtmfReceiver.receive(seq, ts, data.subarray(offset), now);
      } catch {
        this.counters.malformed++;
        return;
      }
      this.reportDtmf(reports, 'rfc4733');
      return;
    }
    this.stats.updateJitter(ts, now);
    let stamp = -1;
    if (borrowed && this.native) {
      // The native receive buffer is rewritten next tick; the jitter buffer keeps packets longer.
      const arena = this.native.io.arena;
      data = arena.copy(data.subarray(offset));
      stamp = arena.lastStamp;
      offset = 0;
    }
    this.jitter.push(update.extended, { pt, data, offset, stamp });
  }

  private reportDtmf(reports: readonly DtmfReport[], source: 'rfc4733' | 'inband'): void {
    for (const r of reports) {
      this.counters.dtmfIn++;
      this.emit('dtmf', {
        endpointId: this.id,
        digit: r.digit,
        durationMs: r.durationMs,
        source,
        endLost: r.endLost,
      });
    }
  }

  private onRtcp(msg: Buffer, rinfo: { address: string; port: number }): void {
    if (this.closed) return;
    if (this.remote && this.latched && rinfo.address !== this.remote.address) {
      this.counters.foreign++;
      return;
    }
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(msg);
    } catch {
      this.counters.malformed++;
      return;
    }
    this.counters.rtcpIn++;
    const nowMs = Date.now();
    for (const p of packets) {
      if (p.type === 'sr') this.lastSr = { middle: ntpMiddle(p.ntpSeconds, p.ntpFraction), at: nowMs };
      if (p.type === 'sr' || p.type === 'rr') {
        const about = p.reports.find((b) => b.ssrc === this.ssrc);
        if (about) {
          const report: NonNullable<EndpointStats['remoteReport']> = {
            fractionLost: about.fractionLost / 256,
            cumulativeLost: about.cumulativeLost,
            jitterMs: (about.jitter * 1000) / RATE,
          };
          if (about.lastSr !== 0) {
            // §6.4.1: round trip = arrival − LSR − DLSR, all in 1/65536 s of the NTP middle word.
            const ntp = ntpFromUnixMs(nowMs);
            const arrival = ntpMiddle(ntp.seconds, ntp.fraction);
            const rtt = (arrival - about.lastSr - about.delaySinceLastSr) >>> 0;
            if (rtt < 0x80000000) report.rttMs = Math.round((rtt / 65536) * 1000);
          }
          this.remoteReport = report;
        }
      }
      if (p.type === 'bye' && this.sourceSsrc !== undefined && p.ssrcs.includes(this.sourceSsrc)) {
        const bye: MediaEvents['rtcp-bye'] = { endpointId: this.id };
        if (p.reason !== undefined) bye.reason = p.reason;
        this.emit('rtcp-bye', bye);
      }
    }
  }

  /** Tick, phase 1: this tick's received frame into `inbound`, DTMF detection, timeouts. */
  pull(nowMs: number): void {
    this.outboundSet = false;
    this.inboundValue = null;
    this.pendingPayload = undefined;
    if (this.closed) return;
    this.reportDtmf(this.dtmfReceiver.tick(nowMs), 'rfc4733');
    if (this.mediaTimeoutMs > 0 && !this.timeoutReported && this.counters.lastPacketAt > 0) {
      const silentFor = Date.now() - this.counters.lastPacketAt;
      if (silentFor >= this.mediaTimeoutMs) {
        this.timeoutReported = true;
        this.emit('media-timeout', { endpointId: this.id, silentForMs: silentFor });
      }
    }
    const receiving = this.direction === 'sendrecv' || this.direction === 'recvonly';
    while (this.fifoLength < FRAME_SAMPLES) {
      const packet = this.jitter.pop();
      if (!packet) break;
      if (packet.stamp >= 0 && !this.native?.io.arena.intact(packet.stamp)) {
        this.staleDiscarded++; // held for more than a lap of the arena: overwritten, and stale anyway
        continue;
      }
      const size = packet.data.length - packet.offset;
      if (this.fifoLength === 0 && size === FRAME_SAMPLES && (packet.pt === 0 || packet.pt === 8)) {
        // The usual case, one 20 ms packet for one tick: decoded later, only if read.
        if (!receiving) return;
        this.pendingLaw = packet.pt === 0 ? 'pcmu' : 'pcma';
        this.pendingPayload = packet.data;
        this.pendingOffset = packet.offset;
        if (this.goertzel) this.reportDtmf(this.goertzel.push(this.inbound!), 'inband');
        return;
      }
      const law: G711Law | undefined = packet.pt === 0 ? 'pcmu' : packet.pt === 8 ? 'pcma' : undefined;
      const bytes = packet.data.subarray(
        packet.offset,
        packet.offset + Math.min(size, this.fifo.length - this.fifoLength),
      );
      if (law) decodeG711(law, bytes, this.fifo.subarray(this.fifoLength, this.fifoLength + bytes.length));
      else if (packet.pt === PT_CN || packet.pt === this.payloadType) {
        // comfort noise, or a dynamic payload type we cannot decode: silence of the same length
        this.fifo.fill(
          0,
          this.fifoLength,
          this.fifoLength + (packet.pt === PT_CN ? FRAME_SAMPLES : bytes.length),
        );
      } else continue;
      this.fifoLength += packet.pt === PT_CN ? FRAME_SAMPLES : bytes.length;
    }
    if (this.fifoLength < FRAME_SAMPLES) {
      // Nothing (or not enough) to play: the partial frame waits for the next tick.
      return;
    }
    this.inboundFrame.set(this.fifo.subarray(0, FRAME_SAMPLES));
    this.fifo.copyWithin(0, FRAME_SAMPLES, this.fifoLength);
    this.fifoLength -= FRAME_SAMPLES;
    if (!receiving) return;
    this.inboundValue = this.inboundFrame;
    if (this.goertzel) this.reportDtmf(this.goertzel.push(this.inboundFrame), 'inband');
  }

  /** Queues digits to send; resolves when the last one has been sent. */
  sendDtmf(
    digits: readonly DtmfDigit[],
    mode: 'auto' | 'rfc4733' | 'inband',
    durationMs = 100,
  ): Promise<void> {
    const useEvents = mode === 'rfc4733' || (mode === 'auto' && this.telephoneEventPt !== undefined);
    if (useEvents && this.telephoneEventPt === undefined) {
      return Promise.reject(
        new MediaError(
          'MEDIA_BAD_STATE',
          'RFC 4733 DTMF asked for, but no telephone-event payload type was negotiated',
        ),
      );
    }
    if (digits.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (useEvents) {
        this.dtmfSender.enqueue(digits);
        this.dtmfWaiters.push({ kind: 'events', resolve, reject });
      } else {
        const frames = Math.max(2, Math.round(durationMs / 20));
        for (const digit of digits) this.inbandQueue.push({ digit, left: frames, gap: 3 });
        this.dtmfWaiters.push({ kind: 'inband', resolve, reject });
      }
    });
  }

  /**
   * Tick, phase 3: sends this tick's frame (what mixes and players put in `outbound`, or silence),
   * unless a DTMF event takes its place, and advances the RTP clock by one frame (plus any
   * skipped ticks, so the timestamp keeps pace with real time, RFC 3550 §5.1).
   */
  push(skippedTicks: number): void {
    if (this.closed) return;
    if (skippedTicks > 0) {
      this.timestamp = (this.timestamp + skippedTicks * FRAME_SAMPLES) >>> 0;
      this.marker = true;
    }
    const sending =
      this.remote !== undefined && (this.direction === 'sendrecv' || this.direction === 'sendonly');
    const event = this.telephoneEventPt !== undefined ? this.dtmfSender.next(this.timestamp) : undefined;
    if (this.inbandQueue.length > 0 && !event) this.inbandFrame();
    if (sending && this.remote) {
      let packet: Buffer;
      if (event && this.telephoneEventPt !== undefined) {
        packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + event.payload.length);
        writeRtpHeader(packet, 0, {
          marker: event.marker,
          payloadType: this.telephoneEventPt,
          sequenceNumber: this.seq,
          timestamp: event.timestamp,
          ssrc: this.ssrc,
        });
        packet.set(event.payload, RTP_HEADER_SIZE);
        this.counters.dtmfOut += event.marker ? 1 : 0;
      } else {
        if (!this.audioPacket || !this.audioPayload) {
          this.audioPacket = Buffer.allocUnsafe(RTP_HEADER_SIZE + FRAME_SAMPLES);
          this.audioPayload = this.audioPacket.subarray(RTP_HEADER_SIZE);
        }
        packet = this.audioPacket;
        writeRtpHeader(packet, 0, {
          marker: this.marker,
          payloadType: this.payloadType,
          sequenceNumber: this.seq,
          timestamp: this.timestamp,
          ssrc: this.ssrc,
        });
        if (!this.outboundSet) this.outbound.fill(0);
        encodeG711(this.law, this.outbound, this.audioPayload);
        this.marker = false;
      }
      if (this.native) this.sendNative(this.native, packet, this.remote);
      else this.sendDgram(this.rtp!, packet, this.remote);
      this.seq = (this.seq + 1) & 0xffff;
      this.sentPackets++;
      this.sentOctets += packet.length - RTP_HEADER_SIZE;
      this.counters.packetsOut++;
      this.counters.bytesOut += packet.length;
    }
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    this.settleDtmfWaiters();
    if (--this.rtcpCountdown <= 0) {
      this.rtcpCountdown = Math.max(1, Math.round(this.rtcpIntervalTicks * (0.5 + Math.random())));
      this.sendRtcp(false);
    }
  }

  /** Queued in the worker's send batch, which copies it: the audio packet is reused at once. */
  private sendNative(native: NativeRtp, packet: Buffer, remote: Required<RemoteAddress>): void {
    if (this.remoteIp4 === undefined) {
      // The native path is IPv4 only (ADR 016): a peer given by name or IPv6 cannot be reached.
      this.counters.socketErrors++;
      return;
    }
    native.io.queue(native.handle, this.remoteIp4, remote.port, packet, this.onSendError);
  }

  private readonly onSendError = (): void => {
    this.counters.socketErrors++;
  };

  private sendDgram(rtp: dgram.Socket, packet: Buffer, remote: Required<RemoteAddress>): void {
    if (this.connectedTo !== undefined) {
      rtp.send(packet);
      if (packet === this.audioPacket && rtp.getSendQueueCount() > 0) this.audioPacket = undefined;
    } else {
      // Sent once the address is resolved (a later turn of the loop): the buffer is the send's.
      rtp.send(packet, remote.port, remote.address);
      if (packet === this.audioPacket) this.audioPacket = undefined;
    }
  }

  private inbandFrame(): void {
    const head = this.inbandQueue[0]!;
    if (head.left > 0) {
      head.tone ??= dtmfTone(head.digit);
      head.tone.fill(this.outbound);
      this.outboundSet = true;
      head.left--;
      if (head.left === 0) this.counters.dtmfOut++;
    } else {
      this.outbound.fill(0);
      this.outboundSet = true;
      head.gap--;
      if (head.gap <= 0) this.inbandQueue.shift();
    }
  }

  private settleDtmfWaiters(): void {
    if (this.dtmfWaiters.length === 0) return;
    const eventsPending = this.dtmfSender.busy;
    const inbandPending = this.inbandQueue.length > 0;
    this.dtmfWaiters = this.dtmfWaiters.filter((w) => {
      const done = w.kind === 'inband' ? !inbandPending : !eventsPending;
      if (done) w.resolve();
      return !done;
    });
  }

  /** Sends a compound report; returns false when there is no one to send to. `done` runs once it left. */
  private sendRtcp(bye: boolean, reason?: string, done?: () => void): boolean {
    if (!this.remote || this.direction === 'inactive') return false;
    const packets: RtcpPacket[] = [];
    const reports = [];
    if (this.sourceSsrc !== undefined && this.stats.received > 0) {
      let lsr = 0;
      let dlsr = 0;
      if (this.lastSr) {
        lsr = this.lastSr.middle;
        dlsr = Math.round(((Date.now() - this.lastSr.at) / 1000) * 65536);
      }
      reports.push(this.stats.reportBlock(lsr, dlsr));
    }
    if (this.sentPackets > 0) {
      // §6.4.1: SR when we sent since the last report; the RTP timestamp matches the NTP time.
      const ntp = ntpFromUnixMs(Date.now());
      packets.push({
        type: 'sr',
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: this.timestamp,
        packetCount: this.sentPackets >>> 0,
        octetCount: this.sentOctets >>> 0,
        reports,
      });
    } else {
      packets.push({ type: 'rr', ssrc: this.ssrc, reports });
    }
    // §6.1: every compound packet carries SDES CNAME.
    packets.push({ type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: 1, text: this.cname }] }] });
    if (bye) {
      const packet: RtcpPacket = { type: 'bye', ssrcs: [this.ssrc] };
      if (reason) packet.reason = reason;
      packets.push(packet);
    }
    this.rtcp.send(serializeRtcp(packets), this.remote.rtcpPort, this.remote.address, done && (() => done()));
    this.counters.rtcpOut++;
    return true;
  }

  getStats(): EndpointStats {
    const jb = this.jitter.counters;
    return {
      ...this.counters,
      lost: Math.max(0, this.stats.lost),
      late: jb.late,
      duplicates: jb.duplicates,
      concealed: jb.lost,
      discarded: jb.discarded + this.staleDiscarded,
      jitterMs: Math.round(this.stats.jitterMs * 100) / 100,
      remoteReport: this.remoteReport,
    };
  }

  get hasRemote(): boolean {
    return this.remote !== undefined;
  }

  /** Sends RTCP BYE (§6.3.7) and releases the ports (the RTCP one once the BYE has left). */
  close(reason = 'hangup'): EndpointStats {
    if (this.closed) return this.getStats();
    this.closed = true;
    const closeRtcp = () => {
      try {
        this.rtcp.close();
      } catch {
        // already closed: nothing left to release
      }
    };
    let sent = false;
    try {
      sent = this.sendRtcp(true, reason, closeRtcp);
    } catch {
      sent = false; // the socket is unusable; releasing the port matters more than the BYE
    }
    if (!sent) closeRtcp();
    const stats = this.getStats();
    for (const w of this.dtmfWaiters)
      w.reject(new MediaError('MEDIA_CLOSED', `endpoint ${this.id} closed before its DTMF was sent`));
    this.dtmfWaiters = [];
    this.closeRtp();
    return stats;
  }
}
