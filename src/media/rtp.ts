import { MediaError } from './errors';

/**
 * RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1).
 * Parsing never copies: the payload is a view on the datagram, valid until the socket
 * reuses it, so a receiver that keeps a payload copies it (the jitter buffer does).
 */
export interface RtpPacket {
  /** RFC 3550 §5.1 "M": for audio, the first packet after silence; for RFC 4733 the start of an event. */
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** The header extension of §5.3.1, when X is set. */
  extension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
  /** Bytes of padding removed (§5.1 "P"); kept so that a packet round-trips. */
  paddingLength: number;
}

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;

/**
 * RFC 5761 §4: an RTP/RTCP demultiplexer looks at the second byte; payload types 64–95 with the
 * marker folded in (192–223) are RTCP. Used when RTCP shares the RTP port (rtcp-mux).
 */
export function looksLikeRtcp(datagram: Uint8Array): boolean {
  const second = datagram[1];
  return second !== undefined && second >= 192 && second <= 223;
}

export function parseRtp(datagram: Uint8Array): RtpPacket {
  if (datagram.length < RTP_HEADER_SIZE) {
    throw new MediaError(
      'MEDIA_BAD_PACKET',
      `RTP packet of ${datagram.length} bytes is shorter than its header`,
    );
  }
  const b0 = datagram[0]!;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw new MediaError('MEDIA_BAD_PACKET', `RTP version ${version}, expected 2`);
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_SIZE + csrcCount * 4;
  if (offset > datagram.length)
    throw new MediaError('MEDIA_BAD_PACKET', 'RTP CSRC list runs past the packet');
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(view.getUint32(RTP_HEADER_SIZE + i * 4));
  let extension: RtpPacket['extension'];
  if (b0 & 0x10) {
    if (offset + 4 > datagram.length)
      throw new MediaError('MEDIA_BAD_PACKET', 'RTP extension header truncated');
    const profile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    const end = offset + 4 + words * 4;
    if (end > datagram.length) throw new MediaError('MEDIA_BAD_PACKET', 'RTP extension runs past the packet');
    extension = { profile, data: datagram.subarray(offset + 4, end) };
    offset = end;
  }
  let end = datagram.length;
  let paddingLength = 0;
  if (b0 & 0x20) {
    // §5.1: "The last octet of the padding contains a count of how many padding octets should be ignored, including itself."
    paddingLength = datagram[datagram.length - 1]!;
    if (paddingLength === 0 || end - paddingLength < offset) {
      throw new MediaError('MEDIA_BAD_PACKET', `RTP padding of ${paddingLength} bytes is impossible`);
    }
    end -= paddingLength;
  }
  const packet: RtpPacket = {
    marker: (datagram[1]! & 0x80) !== 0,
    payloadType: datagram[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    payload: datagram.subarray(offset, end),
    paddingLength,
  };
  if (extension) packet.extension = extension;
  return packet;
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/**
 * Writes a 12-byte header without CSRCs or extension into `out` at `offset`: the send path
 * reuses one buffer per stream and only rewrites these bytes and the payload.
 */
export function writeRtpHeader(out: Uint8Array, offset: number, h: RtpHeaderFields): void {
  out[offset] = RTP_VERSION << 6;
  out[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out[offset + 2] = (h.sequenceNumber >>> 8) & 0xff;
  out[offset + 3] = h.sequenceNumber & 0xff;
  out[offset + 4] = (h.timestamp >>> 24) & 0xff;
  out[offset + 5] = (h.timestamp >>> 16) & 0xff;
  out[offset + 6] = (h.timestamp >>> 8) & 0xff;
  out[offset + 7] = h.timestamp & 0xff;
  out[offset + 8] = (h.ssrc >>> 24) & 0xff;
  out[offset + 9] = (h.ssrc >>> 16) & 0xff;
  out[offset + 10] = (h.ssrc >>> 8) & 0xff;
  out[offset + 11] = h.ssrc & 0xff;
}

export function serializeRtp(
  packet: Omit<RtpPacket, 'paddingLength'> & { paddingLength?: number },
): Uint8Array {
  if (packet.csrcs.length > 15) throw new MediaError('MEDIA_BAD_PACKET', 'RTP allows at most 15 CSRCs');
  const ext = packet.extension;
  if (ext && ext.data.length % 4 !== 0) {
    throw new MediaError('MEDIA_BAD_PACKET', 'RTP extension data must be a whole number of 32-bit words');
  }
  const padding = packet.paddingLength ?? 0;
  if (padding < 0 || padding > 255)
    throw new MediaError('MEDIA_BAD_PACKET', `RTP padding ${padding} out of range`);
  const size =
    RTP_HEADER_SIZE +
    packet.csrcs.length * 4 +
    (ext ? 4 + ext.data.length : 0) +
    packet.payload.length +
    padding;
  const out = new Uint8Array(size);
  writeRtpHeader(out, 0, packet);
  out[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | packet.csrcs.length;
  const view = new DataView(out.buffer);
  let offset = RTP_HEADER_SIZE;
  for (const csrc of packet.csrcs) {
    view.setUint32(offset, csrc >>> 0);
    offset += 4;
  }
  if (ext) {
    view.setUint16(offset, ext.profile);
    view.setUint16(offset + 2, ext.data.length / 4);
    out.set(ext.data, offset + 4);
    offset += 4 + ext.data.length;
  }
  out.set(packet.payload, offset);
  offset += packet.payload.length;
  if (padding > 0) out[size - 1] = padding;
  return out;
}

/** The signed distance from `b` to `a` in 16-bit sequence space (RFC 3550 §A.1 arithmetic). */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** The 32-bit extended sequence number of `seq` that lies nearest to `reference` (an extended number). */
export function extendSeq(seq: number, reference: number): number {
  return reference + seqDelta(seq, reference & 0xffff);
}

/** The signed distance from `b` to `a` in 32-bit timestamp space. */
export function timestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}
