import { MediaError } from './errors';

/**
 * RTCP (RFC 3550 §6.4–6.6): sender and receiver reports, SDES (CNAME only matters to us)
 * and BYE, parsed from and written into compound packets. Other packet types (APP, RTPFB,
 * XR …) are kept as raw bytes so that nothing a peer sends is an error.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** One reception report block (§6.4.1), 24 bytes on the wire. */
export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256 (§6.4.1 "fraction lost"). */
  fractionLost: number;
  /** Cumulative packets lost; signed 24-bit because duplicates can make it negative. */
  cumulativeLost: number;
  highestSeq: number;
  /** Interarrival jitter in timestamp units (§6.4.1, §A.8). */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (LSR). */
  lastSr: number;
  /** Delay since that SR in 1/65536 s (DLSR). */
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface SdesChunk {
  ssrc: number;
  /** Items by type number (1 = CNAME, 2 = NAME …, §6.5). */
  items: { type: number; text: string }[];
}

export interface Sdes {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Bye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

export interface OtherRtcp {
  type: 'other';
  packetType: number;
  count: number;
  body: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | Sdes | Bye | OtherRtcp;

const text = new TextDecoder();
const utf8 = new TextEncoder();

function readBlocks(view: DataView, offset: number, count: number, end: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + i * 24;
    if (at + 24 > end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP report block runs past its packet');
    const lostWord = view.getUint32(at + 4);
    blocks.push({
      ssrc: view.getUint32(at),
      fractionLost: lostWord >>> 24,
      cumulativeLost: ((lostWord & 0xffffff) << 8) >> 8,
      highestSeq: view.getUint32(at + 8),
      jitter: view.getUint32(at + 12),
      lastSr: view.getUint32(at + 16),
      delaySinceLastSr: view.getUint32(at + 20),
    });
  }
  return blocks;
}

/**
 * Parses a compound RTCP packet. §6.1 validity checks applied: version 2, lengths that add up
 * to the datagram, padding only on the last packet.
 */
export function parseRtcp(datagram: Uint8Array): RtcpPacket[] {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const packets: RtcpPacket[] = [];
  let offset = 0;
  if (datagram.length < 4) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP packet shorter than its header');
  while (offset < datagram.length) {
    if (offset + 4 > datagram.length) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP header truncated');
    const b0 = datagram[offset]!;
    if (b0 >> 6 !== 2) throw new MediaError('MEDIA_BAD_PACKET', `RTCP version ${b0 >> 6}, expected 2`);
    const count = b0 & 0x1f;
    const packetType = datagram[offset + 1]!;
    const length = (view.getUint16(offset + 2) + 1) * 4;
    let end = offset + length;
    if (end > datagram.length) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP length runs past the datagram');
    if (b0 & 0x20) {
      if (end !== datagram.length)
        throw new MediaError('MEDIA_BAD_PACKET', 'RTCP padding before the last packet');
      const pad = datagram[end - 1]!;
      if (pad === 0 || pad > length - 4) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP padding impossible');
      end -= pad;
    }
    const body = offset + 4;
    switch (packetType) {
      case RTCP_SR: {
        if (body + 24 > end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP SR truncated');
        packets.push({
          type: 'sr',
          ssrc: view.getUint32(body),
          ntpSeconds: view.getUint32(body + 4),
          ntpFraction: view.getUint32(body + 8),
          rtpTimestamp: view.getUint32(body + 12),
          packetCount: view.getUint32(body + 16),
          octetCount: view.getUint32(body + 20),
          reports: readBlocks(view, body + 24, count, end),
        });
        break;
      }
      case RTCP_RR: {
        if (body + 4 > end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP RR truncated');
        packets.push({
          type: 'rr',
          ssrc: view.getUint32(body),
          reports: readBlocks(view, body + 4, count, end),
        });
        break;
      }
      case RTCP_SDES: {
        const chunks: SdesChunk[] = [];
        let at = body;
        for (let i = 0; i < count; i++) {
          if (at + 4 > end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP SDES chunk truncated');
          const chunk: SdesChunk = { ssrc: view.getUint32(at), items: [] };
          at += 4;
          for (;;) {
            if (at >= end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP SDES items run past the packet');
            const itemType = datagram[at]!;
            if (itemType === 0) break;
            const len = datagram[at + 1];
            if (len === undefined || at + 2 + len > end) {
              throw new MediaError('MEDIA_BAD_PACKET', 'RTCP SDES item runs past the packet');
            }
            chunk.items.push({ type: itemType, text: text.decode(datagram.subarray(at + 2, at + 2 + len)) });
            at += 2 + len;
          }
          // §6.5: the list ends with a null octet and is padded to the next 32-bit boundary.
          at = (at + 4) & ~3;
          chunks.push(chunk);
        }
        packets.push({ type: 'sdes', chunks });
        break;
      }
      case RTCP_BYE: {
        const ssrcs: number[] = [];
        if (body + count * 4 > end) throw new MediaError('MEDIA_BAD_PACKET', 'RTCP BYE truncated');
        for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(body + i * 4));
        const bye: Bye = { type: 'bye', ssrcs };
        const at = body + count * 4;
        if (at < end) {
          const len = datagram[at]!;
          if (at + 1 + len > end)
            throw new MediaError('MEDIA_BAD_PACKET', 'RTCP BYE reason runs past the packet');
          bye.reason = text.decode(datagram.subarray(at + 1, at + 1 + len));
        }
        packets.push(bye);
        break;
      }
      default:
        packets.push({ type: 'other', packetType, count, body: datagram.slice(body, end) });
    }
    offset += length;
  }
  return packets;
}

function header(out: DataView, offset: number, count: number, packetType: number, bytes: number): void {
  out.setUint8(offset, 0x80 | count);
  out.setUint8(offset + 1, packetType);
  out.setUint16(offset + 2, bytes / 4 - 1);
}

function writeBlocks(out: DataView, offset: number, blocks: readonly ReportBlock[]): void {
  blocks.forEach((b, i) => {
    const at = offset + i * 24;
    out.setUint32(at, b.ssrc >>> 0);
    out.setUint32(at + 4, (((b.fractionLost & 0xff) << 24) | (b.cumulativeLost & 0xffffff)) >>> 0);
    out.setUint32(at + 8, b.highestSeq >>> 0);
    out.setUint32(at + 12, b.jitter >>> 0);
    out.setUint32(at + 16, b.lastSr >>> 0);
    out.setUint32(at + 20, b.delaySinceLastSr >>> 0);
  });
}

function sizeOf(packet: RtcpPacket): number {
  switch (packet.type) {
    case 'sr':
      return 28 + packet.reports.length * 24;
    case 'rr':
      return 8 + packet.reports.length * 24;
    case 'sdes':
      return (
        4 +
        packet.chunks.reduce((sum, c) => {
          const items = c.items.reduce((s, item) => s + 2 + utf8.encode(item.text).length, 0);
          return sum + ((4 + items + 4) & ~3);
        }, 0)
      );
    case 'bye': {
      const reason = packet.reason === undefined ? 0 : 1 + utf8.encode(packet.reason).length;
      return 4 + packet.ssrcs.length * 4 + ((reason + 3) & ~3);
    }
    case 'other':
      return 4 + ((packet.body.length + 3) & ~3);
  }
}

/** Writes packets as one compound RTCP datagram (§6.1: the caller puts an SR or RR first). */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const total = packets.reduce((sum, p) => sum + sizeOf(p), 0);
  const bytes = new Uint8Array(total);
  const out = new DataView(bytes.buffer);
  let offset = 0;
  for (const packet of packets) {
    const size = sizeOf(packet);
    switch (packet.type) {
      case 'sr':
        if (packet.reports.length > 31) throw new MediaError('MEDIA_BAD_PACKET', 'at most 31 report blocks');
        header(out, offset, packet.reports.length, RTCP_SR, size);
        out.setUint32(offset + 4, packet.ssrc >>> 0);
        out.setUint32(offset + 8, packet.ntpSeconds >>> 0);
        out.setUint32(offset + 12, packet.ntpFraction >>> 0);
        out.setUint32(offset + 16, packet.rtpTimestamp >>> 0);
        out.setUint32(offset + 20, packet.packetCount >>> 0);
        out.setUint32(offset + 24, packet.octetCount >>> 0);
        writeBlocks(out, offset + 28, packet.reports);
        break;
      case 'rr':
        if (packet.reports.length > 31) throw new MediaError('MEDIA_BAD_PACKET', 'at most 31 report blocks');
        header(out, offset, packet.reports.length, RTCP_RR, size);
        out.setUint32(offset + 4, packet.ssrc >>> 0);
        writeBlocks(out, offset + 8, packet.reports);
        break;
      case 'sdes': {
        header(out, offset, packet.chunks.length, RTCP_SDES, size);
        let at = offset + 4;
        for (const chunk of packet.chunks) {
          const start = at;
          out.setUint32(at, chunk.ssrc >>> 0);
          at += 4;
          for (const item of chunk.items) {
            const value = utf8.encode(item.text);
            if (value.length > 255)
              throw new MediaError('MEDIA_BAD_PACKET', 'SDES item longer than 255 bytes');
            bytes[at] = item.type;
            bytes[at + 1] = value.length;
            bytes.set(value, at + 2);
            at += 2 + value.length;
          }
          at = start + ((at - start + 4) & ~3); // null terminator and padding stay zero
        }
        break;
      }
      case 'bye': {
        header(out, offset, packet.ssrcs.length, RTCP_BYE, size);
        packet.ssrcs.forEach((ssrc, i) => {
          out.setUint32(offset + 4 + i * 4, ssrc >>> 0);
        });
        if (packet.reason !== undefined) {
          const reason = utf8.encode(packet.reason);
          if (reason.length > 255)
            throw new MediaError('MEDIA_BAD_PACKET', 'BYE reason longer than 255 bytes');
          const at = offset + 4 + packet.ssrcs.length * 4;
          bytes[at] = reason.length;
          bytes.set(reason, at + 1);
        }
        break;
      }
      case 'other':
        header(out, offset, packet.count, packet.packetType, size);
        bytes.set(packet.body, offset + 4);
        break;
    }
    offset += size;
  }
  return bytes;
}

/** Seconds between 1900 (NTP epoch) and 1970 (Unix epoch). */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** An NTP timestamp (§4) for a Unix time in milliseconds. */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: (seconds + NTP_UNIX_OFFSET) >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp, as carried in LSR (§6.4.1). */
export function ntpMiddle(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
