import { type MediaDescription, parse, type SessionDescription, write } from 'sdp-transform';
import { WebRtcError } from './errors';

/**
 * The SDP side of the gateway. A browser's offer is checked and narrowed before werift sees it:
 * werift negotiates codecs by name and cannot decline an m= section, so the offer it is given
 * holds only the audio section we accept, with one G.711 codec and telephone-event/8000
 * (JSEP/RFC 8829 offers also carry opus, telephone-event/48000, video, data). Its answer is
 * then widened again: every section we did not take comes back with port 0 (RFC 3264 §6), in
 * the browser's order, so the browser reads a complete answer to what it offered.
 */

export type G711 = 'PCMU' | 'PCMA';
export const webRtcDirections = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type WebRtcDirection = (typeof webRtcDirections)[number];

/** RFC 3551 §6 static payload types. */
export const staticPayloadTypes: Record<G711, number> = { PCMU: 0, PCMA: 8 };

/** RFC 4733 events we relay: the 16 DTMF events (§3.2). */
export const DEFAULT_EVENTS = '0-15';

/** What both sides of a gateway leg carry, as the call layer configures a media endpoint with it. */
export interface NegotiatedMedia {
  codec: { name: G711; payloadType: number };
  /** RFC 4733 telephone-event at 8 kHz, when both sides take it. */
  telephoneEvent?: { payloadType: number; events: string };
  /** The browser's direction (from its offer or answer): `sendonly` or `inactive` is the browser holding the call. */
  browserDirection: WebRtcDirection;
}

/** One m= section of the browser's description, enough to write it back declined. */
interface SectionShape {
  type: string;
  protocol: string;
  payloads: string;
  mid?: string;
}

export interface PreparedOffer {
  /** The offer as werift is given it: the accepted audio section alone, narrowed to our formats. */
  weriftSdp: string;
  sections: SectionShape[];
  acceptedIndex: number;
  media: NegotiatedMedia;
}

function invalid(reason: string, cause?: unknown): WebRtcError {
  return new WebRtcError('WEBRTC_SDP_INVALID', `invalid WebRTC SDP: ${reason}`, { cause });
}

function notAcceptable(reason: string, cause?: unknown): WebRtcError {
  return new WebRtcError('WEBRTC_SDP_NOT_ACCEPTABLE', `WebRTC SDP not acceptable: ${reason}`, { cause });
}

/** `UDP/TLS/RTP/SAVPF` (RFC 5764 §8), its TCP and non-feedback variants. */
const dtlsSrtpProtocol = /^(?:UDP|TCP)\/TLS\/RTP\/SAVPF?$/i;

/**
 * Whether a description asks for DTLS-SRTP media, i.e. comes from (or goes to) a browser: an m=
 * line with a `…/TLS/RTP/SAVP(F)` protocol (RFC 5764 §8, JSEP's `UDP/TLS/RTP/SAVPF`). Never
 * throws; anything unreadable is simply not WebRTC. The call layer uses it to pick the gateway
 * instead of a plain RTP answer.
 */
export function isWebRtcSdp(sdp: string): boolean {
  for (const line of sdp.split(/\r?\n/)) {
    const match = /^m=\S+ \d+(?:\/\d+)? (\S+)/.exec(line);
    if (match && dtlsSrtpProtocol.test(match[1]!)) return true;
  }
  return false;
}

function parseDescription(text: string): SessionDescription {
  if (typeof text !== 'string' || text.trim().length === 0) throw invalid('empty description');
  let session: Partial<SessionDescription>;
  try {
    session = parse(text) as Partial<SessionDescription>;
  } catch (error) {
    throw invalid('unparsable', error);
  }
  if (session.version !== 0) throw invalid('no v=0 line');
  if (!Array.isArray(session.media) || session.media.length === 0) throw invalid('no m= line');
  return session as SessionDescription;
}

function payloadList(media: MediaDescription): number[] {
  return String(media.payloads ?? '')
    .split(' ')
    .filter((p) => p.length > 0)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p >= 0 && p <= 127);
}

function directionOf(media: MediaDescription, session: SessionDescription): WebRtcDirection {
  return media.direction ?? session.direction ?? 'sendrecv';
}

/** The upper-case name of a payload type at 8 kHz mono (what G.711 and RFC 4733 need), if any. */
function formatName(media: MediaDescription, pt: number): string | undefined {
  const map = media.rtp?.find((r) => r.payload === pt);
  if (map) return map.rate === 8000 && (map.encoding ?? 1) === 1 ? map.codec.toUpperCase() : undefined;
  if (pt === 0) return 'PCMU'; // static types need no rtpmap (RFC 3551 §6)
  if (pt === 8) return 'PCMA';
  return undefined;
}

/** The formats of one audio section we can relay untouched: our first G.711 it lists, and telephone-event/8000. */
function pickFormats(
  media: MediaDescription,
  codecs: readonly G711[],
): { codec: { name: G711; payloadType: number }; telephoneEvent?: { payloadType: number; events: string } } {
  const payloads = payloadList(media);
  const nameOf = (pt: number) => formatName(media, pt);
  let codec: { name: G711; payloadType: number } | undefined;
  for (const name of codecs) {
    const pt = payloads.find((p) => nameOf(p) === name);
    if (pt !== undefined) {
      codec = { name, payloadType: pt };
      break;
    }
  }
  if (!codec) {
    const offered = payloads
      .map((p) => media.rtp?.find((r) => r.payload === p)?.codec ?? String(p))
      .join(', ');
    throw notAcceptable(
      `no ${codecs.join(' or ')} in the audio formats (${offered}); Teller does not transcode`,
    );
  }
  const te = payloads.find((p) => nameOf(p) === 'TELEPHONE-EVENT');
  if (te === undefined) return { codec };
  const events = (media.fmtp ?? []).find((f) => f.payload === te)?.config ?? DEFAULT_EVENTS;
  return { codec, telephoneEvent: { payloadType: te, events } };
}

/** Checks the DTLS-SRTP essentials of one section: ICE credentials, a fingerprint, rtcp-mux. */
function checkTransport(media: MediaDescription, session: SessionDescription): void {
  if (!(media.iceUfrag ?? session.iceUfrag) || !(media.icePwd ?? session.icePwd))
    throw invalid('the audio section has no a=ice-ufrag/a=ice-pwd (RFC 8839 §5.4)');
  if (!(media.fingerprint ?? session.fingerprint))
    throw invalid('the audio section has no a=fingerprint (RFC 8122 §5), so DTLS cannot be verified');
  // werift multiplexes RTP and RTCP on one ICE component only ("rtcpMuxPolicy: require").
  if (media.rtcpMux === undefined) throw notAcceptable('no a=rtcp-mux (RFC 5761), which WebRTC requires');
}

function isAudio(media: MediaDescription): boolean {
  return media.type === 'audio' && media.port !== 0 && dtlsSrtpProtocol.test(media.protocol ?? '');
}

function shapeOf(media: MediaDescription): SectionShape {
  const shape: SectionShape = {
    type: media.type,
    protocol: media.protocol,
    payloads: String(media.payloads ?? '').split(' ')[0] || '0',
  };
  if (media.mid !== undefined) shape.mid = String(media.mid);
  return shape;
}

/**
 * Checks a browser's offer and narrows it for werift (see the file comment). Throws
 * WEBRTC_SDP_INVALID for unreadable SDP or missing ICE/DTLS parameters, and
 * WEBRTC_SDP_NOT_ACCEPTABLE when there is no DTLS-SRTP audio with PCMU or PCMA.
 */
export function prepareOffer(text: string, codecs: readonly G711[]): PreparedOffer {
  const session = parseDescription(text);
  const acceptedIndex = session.media.findIndex(isAudio);
  if (acceptedIndex < 0) {
    const protocols = session.media.map((m) => `${m.type} ${m.protocol}`).join(', ');
    throw notAcceptable(`no DTLS-SRTP (UDP/TLS/RTP/SAVPF) audio stream, only: ${protocols}`);
  }
  const audio = session.media[acceptedIndex]!;
  checkTransport(audio, session);
  const { codec, telephoneEvent } = pickFormats(audio, codecs);
  const keep = new Set([codec.payloadType, ...(telephoneEvent ? [telephoneEvent.payloadType] : [])]);
  const narrowed: MediaDescription = {
    ...audio,
    payloads: [...keep].join(' '),
    rtp: (audio.rtp ?? []).filter((r) => keep.has(r.payload)),
    fmtp: (audio.fmtp ?? []).filter((f) => keep.has(f.payload)),
  };
  if (audio.rtcpFb)
    narrowed.rtcpFb = audio.rtcpFb.filter((f) => f.payload === '*' || keep.has(Number(f.payload)));
  // Static payload types may come without an rtpmap; werift reads codecs from rtpmap lines only.
  if (!narrowed.rtp.some((r) => r.payload === codec.payloadType))
    narrowed.rtp.unshift({ payload: codec.payloadType, codec: codec.name, rate: 8000 });
  const mid = audio.mid === undefined ? undefined : String(audio.mid);
  const groups = (session.groups ?? [])
    .filter((g) => g.type === 'BUNDLE' && mid !== undefined && String(g.mids).split(' ').includes(mid))
    .map((g) => ({ type: g.type, mids: mid! }));
  const forWerift: SessionDescription = { ...session, groups, media: [narrowed] };
  if (groups.length === 0) delete forWerift.groups;
  const media: NegotiatedMedia = { codec, browserDirection: directionOf(audio, session) };
  if (telephoneEvent) media.telephoneEvent = telephoneEvent;
  return {
    weriftSdp: write(forWerift),
    sections: session.media.map(shapeOf),
    acceptedIndex,
    media,
  };
}

/**
 * Puts the sections werift never saw back into its answer, declined (port 0, RFC 3264 §6; with
 * their a=mid as JSEP §5.3.1 asks), so the answer has the offer's m= lines in the offer's order.
 */
export function completeAnswer(weriftAnswer: string, prepared: PreparedOffer): string {
  if (prepared.sections.length === 1) return weriftAnswer;
  const text = weriftAnswer.replace(/\r?\n/g, '\r\n');
  const parts = text.split(/\r\n(?=m=)/);
  const head = parts[0]!;
  const accepted = parts.slice(1).join('\r\n').replace(/\r\n$/, '');
  const sections = prepared.sections.map((shape, index) => {
    if (index === prepared.acceptedIndex) return accepted;
    const lines = [`m=${shape.type} 0 ${shape.protocol} ${shape.payloads}`, 'c=IN IP4 0.0.0.0'];
    if (shape.mid !== undefined) lines.push(`a=mid:${shape.mid}`);
    return lines.join('\r\n');
  });
  return `${[head, ...sections].join('\r\n')}\r\n`;
}

/**
 * Checks a browser's answer to our offer: a DTLS-SRTP audio section, not declined, with ICE
 * credentials, a fingerprint and one of the codecs we offered. Returns what it selects.
 */
export function readBrowserAnswer(text: string, offered: readonly G711[]): NegotiatedMedia {
  const session = parseDescription(text);
  const audio = session.media.find((m) => m.type === 'audio' && dtlsSrtpProtocol.test(m.protocol ?? ''));
  if (!audio) throw notAcceptable('the answer has no DTLS-SRTP audio stream');
  if (audio.port === 0) throw notAcceptable('the browser declined the audio stream (port 0)');
  checkTransport(audio, session);
  // The answer lists the formats it takes in its order of preference; the first is what it sends.
  const inAnswerOrder = payloadList(audio)
    .map((pt) => formatName(audio, pt))
    .filter((name): name is G711 => (name === 'PCMU' || name === 'PCMA') && offered.includes(name));
  const { codec, telephoneEvent } = pickFormats(audio, inAnswerOrder.length > 0 ? inAnswerOrder : offered);
  const media: NegotiatedMedia = { codec, browserDirection: directionOf(audio, session) };
  if (telephoneEvent) media.telephoneEvent = telephoneEvent;
  return media;
}

export interface PlainSide {
  address: string;
  port: number;
  rtcpPort: number;
}

/**
 * The gateway's plain side written as the RTP/AVP description a SIP phone would send (RFC 3264):
 * the relay's address and ports, the browser's codec and telephone-event with their payload
 * types, and the browser's direction, so the call layer can run its usual offer/answer code
 * (hold detection included) against it. The o= version rises whenever the body changes.
 */
export function writePlainDescription(
  plain: PlainSide,
  media: NegotiatedMedia,
  origin: { sessionId: string; version: number },
): string {
  const ipVer = plain.address.includes(':') ? 6 : 4;
  const rtp: MediaDescription['rtp'] = [
    { payload: media.codec.payloadType, codec: media.codec.name, rate: 8000 },
  ];
  const fmtp: MediaDescription['fmtp'] = [];
  const payloads = [media.codec.payloadType];
  if (media.telephoneEvent) {
    rtp.push({ payload: media.telephoneEvent.payloadType, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: media.telephoneEvent.payloadType, config: media.telephoneEvent.events });
    payloads.push(media.telephoneEvent.payloadType);
  }
  return write({
    version: 0,
    origin: {
      username: 'teller-webrtc',
      sessionId: origin.sessionId,
      sessionVersion: origin.version,
      netType: 'IN',
      ipVer,
      address: plain.address,
    },
    name: 'Teller WebRTC gateway',
    connection: { version: ipVer, ip: plain.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: plain.port,
        protocol: 'RTP/AVP',
        payloads: payloads.join(' '),
        rtp,
        fmtp,
        rtcp: { port: plain.rtcpPort, netType: 'IN', ipVer, address: plain.address },
        ptime: 20,
        direction: media.browserDirection,
      },
    ],
  });
}
