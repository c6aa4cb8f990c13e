import type { Brand } from '../core/index';
import type { DtmfDigit } from './dtmf-event';
import type { G711Law } from './g711';
import type { MixRole } from './mix';
import type { ToneSpec } from './tone';

/**
 * The control channel between the engine (main thread) and its media workers: requests keyed
 * by id with typed parameters and results, and events pushed back. Everything here crosses a
 * thread boundary by structured clone, so it is plain data.
 */

export type EndpointId = Brand<string, 'MediaEndpointId'>;
export type MixId = Brand<string, 'MediaMixId'>;
export type PlaybackId = Brand<string, 'MediaPlaybackId'>;
export type RecordingId = Brand<string, 'MediaRecordingId'>;

/** RFC 3264 direction of the media stream, from our side. */
export const mediaDirections = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type MediaDirection = (typeof mediaDirections)[number];

export interface RemoteAddress {
  /** IP address of the peer (from the SDP `c=` line). */
  address: string;
  /** RTP port of the peer (from the SDP `m=` line). */
  port: number;
  /** RTCP port; RFC 3605 `a=rtcp:` when given, else port + 1 (RFC 3550 §11). */
  rtcpPort?: number;
}

/**
 * What the call layer learnt from the SDP offer/answer; every field can change on a re-INVITE.
 * An update changes only the fields present, except that giving `codec` (a complete new
 * negotiation) also sets `telephoneEventPt` as given, so leaving it out turns RFC 4733 off.
 */
export interface StreamSettings {
  /** The negotiated G.711 law, default `pcmu`. */
  codec?: G711Law;
  /** Payload type of the codec; default 0 for PCMU, 8 for PCMA (RFC 3551 static types). */
  payloadType?: number;
  /** Dynamic payload type of telephone-event (RFC 4733), e.g. 101; absent when not negotiated. */
  telephoneEventPt?: number;
  /** Run the Goertzel detector on received audio; default: when no telephone-event was negotiated. */
  inbandDtmf?: boolean;
  /** Our direction, as in our SDP (RFC 3264 §6.1): `sendonly`/`inactive` stop what we receive from playing, `recvonly`/`inactive` stop our sending. */
  direction?: MediaDirection;
  remote?: RemoteAddress;
  /**
   * Symmetric RTP (RFC 4961): send to where the peer's packets come from, learnt from its first
   * packet and then locked, which gets media through NATs. Default true.
   */
  symmetric?: boolean;
  /** Emit `media-timeout` after this long without a packet (0: never). Default 0. */
  mediaTimeoutMs?: number;
  /** Jitter buffer target in 20 ms packets, default 2. */
  jitterPackets?: number;
  /** Mean interval between RTCP reports, ms; default 5000 (RFC 3550 §6.2 minimum), randomised ×[0.5, 1.5]. */
  rtcpIntervalMs?: number;
  /** CNAME for RTCP SDES; default `teller@<bind address>`. */
  cname?: string;
}

export interface EndpointStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** RFC 3550 §A.3 cumulative loss of the received stream. */
  lost: number;
  /** Packets that came after their playout slot (more than the jitter buffer's depth late). */
  late: number;
  duplicates: number;
  /** 20 ms slots played as silence because their packet was lost. */
  concealed: number;
  /** Packets dropped by the jitter buffer to bound delay. */
  discarded: number;
  /** RFC 3550 §A.8 interarrival jitter, milliseconds. */
  jitterMs: number;
  /** Datagrams that were not valid RTP. */
  malformed: number;
  /** Packets from an address other than the (latched) peer, dropped. */
  foreign: number;
  dtmfIn: number;
  dtmfOut: number;
  rtcpIn: number;
  rtcpOut: number;
  /** Asynchronous socket errors, such as ICMP port unreachable after the peer went away. */
  socketErrors: number;
  /** What the peer reports about our stream in its RTCP receiver reports, if any arrived. */
  remoteReport: { fractionLost: number; cumulativeLost: number; jitterMs: number; rttMs?: number } | null;
  /** Unix ms of the last packet received, 0 when none. */
  lastPacketAt: number;
}

export type PlayItem =
  | { file: string }
  | { tone: ToneSpec; durationMs: number }
  | { digits: string; toneMs?: number; gapMs?: number }
  | { silenceMs: number };

export interface MixMemberSpec {
  endpointId: EndpointId;
  role: MixRole;
  /** For `whisper`: the endpoint that hears this member. */
  target?: EndpointId;
}

export interface RecordingInfo {
  recordingId: RecordingId;
  endpointId: EndpointId;
  path: string;
  /** Length of the file's audio, pauses included when they are written as silence. */
  durationMs: number;
  bytes: number;
}

/**
 * How a media worker thread is scheduled (ADR 017). `realtime`: SCHED_RR, so its tick runs when
 * due instead of waiting behind other processes; `normal`: the kernel's default policy.
 */
export type WorkerScheduling = 'realtime' | 'normal';

/** What a worker starts with; the engine's options, per worker. */
export interface WorkerOptions {
  index: number;
  tickMs?: number;
  /** Where in the tick period this worker's ticks fall, ms (the engine spreads its workers over it). */
  tickPhaseMs?: number;
  debug?: boolean;
  mediaIo?: 'dgram' | 'native';
  /** SCHED_RR priority (1–99) for the worker thread, 0 for normal scheduling (ADR 017). */
  realtimePriority?: number;
}

export interface WorkerStats {
  index: number;
  /** The RTP I/O the worker's endpoints use (ADR 016). */
  mediaIo: 'dgram' | 'native';
  /** The worker thread's scheduling (ADR 017): `realtime` = SCHED_RR at the configured priority. */
  scheduling: WorkerScheduling;
  endpoints: number;
  mixes: number;
  recordings: number;
  ticks: number;
  /** Ticks skipped to catch up after the worker fell more than three tick periods behind (no packet sent for them). */
  skippedTicks: number;
  /** Ticks that started two periods (40 ms) or more after their deadline: their packets left that late. */
  lateTicks: number;
  /** The largest lateness of a tick start, ms. */
  maxTickLateMs: number;
  /** Mean time spent inside a tick, ms. */
  meanTickWorkMs: number;
  /** The longest tick so far, ms. */
  maxTickWorkMs: number;
  /** Event-loop utilisation of the worker since the previous call (0–1). */
  utilization: number;
  /** CPU time the worker thread has used so far (user + system), ms; null where the OS does not tell (Linux only). */
  cpuMs: number | null;
}

export interface WorkerMethods {
  'endpoint.create': {
    params: { id: EndpointId; port: number; bindAddress: string; settings: StreamSettings };
    result: { port: number; rtcpPort: number };
  };
  /** Moves an idle endpoint off this worker: closes its sockets without BYE and returns its state. */
  'endpoint.detach': { params: { id: EndpointId }; result: { snapshot: EndpointSnapshotData } };
  /** Re-opens a detached endpoint here, on the same ports, carrying on its RTP stream. */
  'endpoint.attach': {
    params: { id: EndpointId; port: number; bindAddress: string; snapshot: EndpointSnapshotData };
    result: { port: number; rtcpPort: number };
  };
  'endpoint.update': { params: { id: EndpointId; settings: StreamSettings }; result: null };
  'endpoint.close': { params: { id: EndpointId }; result: EndpointStats };
  'endpoint.stats': { params: { id: EndpointId }; result: EndpointStats };
  play: {
    params: { endpointId: EndpointId; playbackId: PlaybackId; items: PlayItem[]; loop: boolean };
    result: null;
  };
  'play.stop': { params: { endpointId: EndpointId }; result: null };
  echo: { params: { endpointId: EndpointId; on: boolean }; result: null };
  'record.start': {
    params: { recordingId: RecordingId; endpointId: EndpointId; path: string; pauseMode: 'silence' | 'skip' };
    result: null;
  };
  'record.pause': { params: { recordingId: RecordingId }; result: null };
  'record.resume': { params: { recordingId: RecordingId }; result: null };
  'record.stop': { params: { recordingId: RecordingId }; result: RecordingInfo };
  'mix.create': { params: { mixId: MixId; members: MixMemberSpec[] }; result: null };
  'mix.update': {
    params: { mixId: MixId; add?: MixMemberSpec[]; remove?: EndpointId[]; set?: MixMemberSpec[] };
    result: null;
  };
  'mix.destroy': { params: { mixId: MixId }; result: null };
  'dtmf.send': {
    params: {
      endpointId: EndpointId;
      digits: DtmfDigit[];
      mode: 'auto' | 'rfc4733' | 'inband';
      durationMs?: number;
    };
    result: null;
  };
  'worker.stats': { params: Record<string, never>; result: WorkerStats };
  /** Only honoured with `debug: true`: every tick then burns `tickMs` of CPU (0 stops it). */
  'debug.load': { params: { tickMs: number }; result: null };
  /** Only honoured when the engine was started with `debug: true`: throws outside any handler. */
  'debug.crash': { params: Record<string, never>; result: null };
}

export type WorkerMethod = keyof WorkerMethods;

/** An endpoint's state in transit between workers (see RtpEndpoint.snapshot). */
export interface EndpointSnapshotData {
  settings: StreamSettings;
  latched: boolean;
  ssrc: number;
  seq: number;
  timestamp: number;
  sentPackets: number;
  sentOctets: number;
  counters: Record<string, number>;
}

export interface MediaEvents {
  dtmf: {
    endpointId: EndpointId;
    digit: DtmfDigit;
    durationMs: number;
    source: 'rfc4733' | 'inband';
    /** True when the key's end was inferred (end packets lost). */
    endLost: boolean;
  };
  'playback-finished': {
    endpointId: EndpointId;
    playbackId: PlaybackId;
    reason: 'completed' | 'stopped' | 'replaced' | 'closed';
  };
  'recording-stopped': RecordingInfo & { reason: 'stopped' | 'closed' | 'error'; error?: string };
  'media-timeout': { endpointId: EndpointId; silentForMs: number };
  'rtcp-bye': { endpointId: EndpointId; reason?: string };
  'remote-latched': { endpointId: EndpointId; address: string; port: number };
  /**
   * Engine-level: a worker died; these endpoints (and their mixes) are gone. Their recordings
   * stop where they were: the files hold everything up to the last once-a-second flush.
   */
  'worker-died': { worker: number; endpointIds: EndpointId[]; recordingIds: RecordingId[]; error: string };
  /**
   * Worker-level: the worker's scheduling changed after it started — a realtime worker that used
   * more than 90 % of a core over a second went back to normal scheduling, so that it cannot starve the SIP signalling and the rest of the host (ADR 017).
   */
  scheduling: { worker: number; scheduling: WorkerScheduling; reason: string };
}

export type MediaEventName = keyof MediaEvents;

export type ToWorker = { id: number; method: WorkerMethod; data: unknown };
export type FromWorker =
  | { id: number; ok: true; data: unknown }
  | { id: number; ok: false; error: { code: string; message: string } }
  | { event: MediaEventName; data: unknown }
  | {
      ready: true;
      scheduling: WorkerScheduling;
      /** Why a realtime priority that was asked for was not granted (EPERM…). */
      schedulingError?: string;
    };
