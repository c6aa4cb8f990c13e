/**
 * SDP offer/answer for G.711 telephony (RFC 3264 on RFC 4566), parsed and written with
 * sdp-transform: from an offer, pick PCMU or PCMA and telephone-event (RFC 4733), answer with our
 * RTP address and port, and say whether the offer puts us on hold. Nothing acceptable is a
 * SipError with status 488 (RFC 3261 §13.3.1.3, "Not Acceptable Here").
 *
 * Teller terminates plain RTP/AVP here; browsers' DTLS-SRTP offers belong to the webrtc module,
 * so a UDP/TLS/RTP/SAVPF or RTP/SAVP stream is declined like any stream we cannot take.
 */
import {
  type MediaDescription,
  parse as parseSdpText,
  type SessionDescription,
  write as writeSdp,
} from 'sdp-transform';
import { SipError } from './errors';

export const directions = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type Direction = (typeof directions)[number];

export type G711 = 'PCMU' | 'PCMA';

/** Static payload types of RFC 3551 §6 for the codecs we speak. */
const staticPayloads: Record<G711, number> = { PCMU: 0, PCMA: 8 };

/** The DTMF events we send and receive: digits, * and #, A-D (RFC 4733 §3.2, events 0-15). */
const SUPPORTED_EVENTS = '0-15';

export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6) and port. */
  readonly address: string;
  readonly port: number;
  /** Codecs we take, most wanted first. Default PCMU then PCMA. */
  readonly codecs?: readonly G711[];
  /** Offer/accept RFC 4733 telephone-event. Default true. */
  readonly telephoneEvent?: boolean;
  /** Our intent: sendonly or inactive while we hold the call. Default sendrecv. */
  readonly direction?: Direction;
  /** Milliseconds of audio per packet. Default 20. */
  readonly ptime?: number;
}

export interface NegotiatedAudio {
  readonly codec: { readonly name: G711; readonly payloadType: number };
  readonly telephoneEvent?: { readonly payloadType: number };
  /** Where to send RTP; address 0.0.0.0 (RFC 2543 hold) means send nothing. */
  readonly remote: { readonly address: string; readonly port: number; readonly rtcpPort?: number };
  /** What we do: sendrecv, sendonly (send only), recvonly, inactive. */
  readonly direction: Direction;
  /** True when the other side's SDP holds the call: sendonly, inactive, or c=0.0.0.0. */
  readonly remoteHold: boolean;
  readonly ptime: number;
  /** Index of the m= line carrying this audio. */
  readonly mediaIndex: number;
}

function invalid(reason: string): SipError {
  return new SipError('SIP_SDP_INVALID', 400, 'Malformed SDP', { message: `Malformed SDP: ${reason}` });
}

function notAcceptable(reason: string): SipError {
  return new SipError('SIP_SDP_NOT_ACCEPTABLE', 488, 'Not Acceptable Here', {
    message: `SDP not acceptable: ${reason}`,
  });
}

/** Parses and checks the lines offer/answer relies on (v=, o=, c= for every used stream, m= ports). */
export function parseSdp(text: string): SessionDescription {
  const session = parseSdpText(text) as Partial<SessionDescription>;
  if (session.version !== 0) throw invalid('no v=0');
  if (!session.origin || session.origin.address === undefined) throw invalid('no o= line');
  if (!Array.isArray(session.media) || session.media.length === 0) throw invalid('no m= line');
  for (const media of session.media) {
    if (!Number.isInteger(media.port) || media.port < 0 || media.port > 65535) throw invalid('bad m= port');
    if (media.port !== 0 && !(media.connection ?? session.connection)?.ip)
      throw invalid('a stream without c= line');
  }
  return session as SessionDescription;
}

function payloadList(media: MediaDescription): number[] {
  return String(media.payloads ?? '')
    .split(' ')
    .filter((p) => p.length > 0)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p >= 0 && p <= 127);
}

function directionOf(media: MediaDescription, session: SessionDescription): Direction {
  return media.direction ?? session.direction ?? 'sendrecv';
}

/** The direction an answer takes, given the offer's and ours (RFC 3264 §6.1). */
function answerDirection(offered: Direction, ours: Direction): Direction {
  const weSend =
    (ours === 'sendrecv' || ours === 'sendonly') && (offered === 'sendrecv' || offered === 'recvonly');
  const weReceive =
    (ours === 'sendrecv' || ours === 'recvonly') && (offered === 'sendrecv' || offered === 'sendonly');
  if (weSend && weReceive) return 'sendrecv';
  if (weSend) return 'sendonly';
  if (weReceive) return 'recvonly';
  return 'inactive';
}

function isHoldAddress(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

/** Finds PCMU/PCMA and telephone-event in one audio stream, in our order of preference. */
function pickFormats(
  media: MediaDescription,
  codecs: readonly G711[],
): { codec: { name: G711; payloadType: number }; telephoneEvent?: number } | undefined {
  const payloads = payloadList(media);
  const rtpmap = new Map((media.rtp ?? []).map((r) => [r.payload, r]));
  const nameOf = (pt: number): string | undefined => {
    const map = rtpmap.get(pt);
    if (map) return map.rate === 8000 && (map.encoding ?? 1) === 1 ? map.codec.toUpperCase() : undefined;
    // Static payload types need no rtpmap (RFC 3551 §6).
    if (pt === 0) return 'PCMU';
    if (pt === 8) return 'PCMA';
    return undefined;
  };
  let codec: { name: G711; payloadType: number } | undefined;
  for (const name of codecs) {
    const pt = payloads.find((p) => nameOf(p) === name);
    if (pt !== undefined) {
      codec = { name, payloadType: pt };
      break;
    }
  }
  if (!codec) return undefined;
  const telephoneEvent = payloads.find((p) => nameOf(p) === 'TELEPHONE-EVENT');
  return telephoneEvent === undefined ? { codec } : { codec, telephoneEvent };
}

/** Keeps our o= line across offers and answers: same id, version up by one when the SDP changes (RFC 3264 §8). */
export class SdpOrigin {
  readonly sessionId: string;
  private version: number;
  private lastBody: string | undefined;

  constructor(sessionId?: string, startVersion?: number) {
    // NTP-like seconds keep ids and versions in the range phones expect (RFC 4566 §5.2 suggests NTP).
    const seed = Math.floor(Date.now() / 1000) + 2_208_988_800;
    this.sessionId = sessionId ?? String(seed);
    this.version = startVersion ?? seed;
  }

  /** The o= values to write for a description whose other lines are `body`. */
  next(body: string): { sessionId: string; sessionVersion: number } {
    if (this.lastBody !== undefined && this.lastBody !== body) this.version++;
    this.lastBody = body;
    return { sessionId: this.sessionId, sessionVersion: this.version };
  }
}

function writeDescription(origin: SdpOrigin, address: string, media: MediaDescription[]): string {
  const ipVer = address.includes(':') ? 6 : 4;
  const draft = (sessionId: string, sessionVersion: number): SessionDescription => ({
    version: 0,
    origin: { username: 'teller', sessionId, sessionVersion, netType: 'IN', ipVer, address },
    name: 'Teller',
    connection: { version: ipVer, ip: address },
    timing: { start: 0, stop: 0 },
    media,
  });
  const body = writeSdp(draft('0', 0)).replace(/^o=.*$/m, '');
  const { sessionId, sessionVersion } = origin.next(body);
  return writeSdp(draft(sessionId, sessionVersion));
}

function audioMedia(
  local: LocalMedia,
  codec: { name: G711; payloadType: number },
  telephoneEvent: number | undefined,
  direction: Direction,
  ptime: number,
): MediaDescription {
  const rtp: MediaDescription['rtp'] = [{ payload: codec.payloadType, codec: codec.name, rate: 8000 }];
  const fmtp: MediaDescription['fmtp'] = [];
  let payloads = String(codec.payloadType);
  if (telephoneEvent !== undefined) {
    rtp.push({ payload: telephoneEvent, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: telephoneEvent, config: SUPPORTED_EVENTS });
    payloads += ` ${telephoneEvent}`;
  }
  return { type: 'audio', port: local.port, protocol: 'RTP/AVP', payloads, rtp, fmtp, ptime, direction };
}

/**
 * Answers an offer (RFC 3264 §6): the same m= lines in the same order; the first audio stream we
 * can take is accepted with one codec (the first of ours the offer lists) and telephone-event if
 * offered; every other stream is declined with port 0. Throws a 488 SipError when no audio
 * stream is acceptable, a 400 when the SDP is malformed.
 */
export function answerOffer(
  offerText: string,
  local: LocalMedia,
  origin: SdpOrigin = new SdpOrigin(),
): { sdp: string; audio: NegotiatedAudio } {
  const offer = parseSdp(offerText);
  const codecs = local.codecs ?? ['PCMU', 'PCMA'];
  let chosen: NegotiatedAudio | undefined;
  const media: MediaDescription[] = offer.media.map((m, index) => {
    const decline = (): MediaDescription => ({
      type: m.type,
      port: 0,
      protocol: m.protocol,
      payloads: String(payloadList(m)[0] ?? 0),
      rtp: [],
      fmtp: [],
    });
    if (chosen || m.type !== 'audio' || m.port === 0 || m.protocol.toUpperCase() !== 'RTP/AVP')
      return decline();
    const formats = pickFormats(m, codecs);
    if (!formats) return decline();
    const offered = directionOf(m, offer);
    const direction = answerDirection(offered, local.direction ?? 'sendrecv');
    const ip = (m.connection ?? offer.connection)!.ip;
    const ptime = m.ptime ?? 20;
    const telephoneEvent = local.telephoneEvent === false ? undefined : formats.telephoneEvent;
    chosen = {
      codec: formats.codec,
      ...(telephoneEvent !== undefined ? { telephoneEvent: { payloadType: telephoneEvent } } : {}),
      remote: { address: ip, port: m.port, ...(m.rtcp ? { rtcpPort: m.rtcp.port } : {}) },
      direction,
      remoteHold: offered === 'sendonly' || offered === 'inactive' || isHoldAddress(ip),
      ptime,
      mediaIndex: index,
    };
    return audioMedia(local, formats.codec, telephoneEvent, direction, local.ptime ?? ptime);
  });
  if (!chosen) throw notAcceptable('no RTP/AVP audio stream with PCMU or PCMA');
  return { sdp: writeDescription(origin, local.address, media), audio: chosen };
}

/** An offer of one audio stream: our codecs (static payload types) and telephone-event on 101. */
export function createOffer(local: LocalMedia, origin: SdpOrigin = new SdpOrigin()): string {
  const codecs = local.codecs ?? ['PCMU', 'PCMA'];
  const rtp: MediaDescription['rtp'] = codecs.map((name) => ({
    payload: staticPayloads[name],
    codec: name,
    rate: 8000,
  }));
  const fmtp: MediaDescription['fmtp'] = [];
  const payloads = codecs.map((name) => staticPayloads[name]);
  if (local.telephoneEvent !== false) {
    rtp.push({ payload: 101, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: 101, config: SUPPORTED_EVENTS });
    payloads.push(101);
  }
  const media: MediaDescription = {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: payloads.join(' '),
    rtp,
    fmtp,
    ptime: local.ptime ?? 20,
    direction: local.direction ?? 'sendrecv',
  };
  return writeDescription(origin, local.address, [media]);
}

/**
 * Reads the answer to an offer we made (RFC 3264 §7): the first accepted audio stream, its codec
 * (which must be one we offered) and telephone-event. A 488 SipError when the answer accepts
 * nothing we can use.
 */
export function readAnswer(answerText: string, local: LocalMedia): NegotiatedAudio {
  const answer = parseSdp(answerText);
  const codecs = local.codecs ?? ['PCMU', 'PCMA'];
  for (const [index, m] of answer.media.entries()) {
    if (m.type !== 'audio' || m.port === 0 || m.protocol.toUpperCase() !== 'RTP/AVP') continue;
    const formats = pickFormats(m, codecs);
    if (!formats) continue;
    const remoteDirection = directionOf(m, answer);
    const ip = (m.connection ?? answer.connection)!.ip;
    // Our direction is what we offered, narrowed by theirs (RFC 3264 §6.1, seen from the offerer).
    const direction = answerDirection(remoteDirection, local.direction ?? 'sendrecv');
    const telephoneEvent = local.telephoneEvent === false ? undefined : formats.telephoneEvent;
    return {
      codec: formats.codec,
      ...(telephoneEvent !== undefined ? { telephoneEvent: { payloadType: telephoneEvent } } : {}),
      remote: { address: ip, port: m.port, ...(m.rtcp ? { rtcpPort: m.rtcp.port } : {}) },
      direction,
      remoteHold: remoteDirection === 'sendonly' || remoteDirection === 'inactive' || isHoldAddress(ip),
      ptime: m.ptime ?? local.ptime ?? 20,
      mediaIndex: index,
    };
  }
  throw notAcceptable('the answer accepts no audio stream we offered');
}

/**
 * Whether a description puts the call on hold (RFC 3264 §8.4 sendonly/inactive, or the RFC 2543
 * c=0.0.0.0 that older phones still send), judged on its first active audio stream.
 */
export function isHoldOffer(text: string): boolean {
  const session = parseSdp(text);
  const audio = session.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) return false;
  const direction = directionOf(audio, session);
  const ip = (audio.connection ?? session.connection)?.ip ?? '';
  return direction === 'sendonly' || direction === 'inactive' || isHoldAddress(ip);
}
