/**
 * RTP captures for SIPp's `play_pcap_audio`: G.711 tones and RFC 4733 keys as one RTP stream, in a
 * libpcap file (Ethernet / IPv4 / UDP). SIPp replays the UDP payloads as they are (only the ports
 * and addresses change), at the capture's timing, so what is written here is exactly what the
 * server receives: one SSRC, one rising sequence number, timestamps that agree with the clock.
 *
 * Debian's own captures (`/usr/share/sip-tester/dtmf_2833_*.pcap`) are one recording cut per key,
 * numbered in the order 1…9, 0, *, #; keyed in another order, their sequence numbers run backwards
 * and a correct receiver drops them as old. These are written per test instead.
 */

/** RTP clock of G.711 and of telephone-event at 8 kHz (RFC 3551 §4.5.14, RFC 4733 §2.3.1). */
const RATE = 8000;
const FRAME_MS = 20;
const FRAME_SAMPLES = (RATE * FRAME_MS) / 1000;

/** One RTP packet and when it leaves, in ms from the start of the capture. */
interface RtpPacket {
  atMs: number;
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

type Law = 'pcma' | 'pcmu';

/** One part of a caller's stream: a tone (or silence, frequency 0) or a run of keys. */
export type StreamPart =
  | { kind: 'tone'; frequency: number; durationMs: number; amplitude?: number }
  | {
      kind: 'keys';
      digits: string;
      /** How long each key is held (RFC 4733 event duration), default 160 ms. */
      keyMs?: number;
      /** Silence between keys, default 240 ms. */
      gapMs?: number;
    };

interface StreamOptions {
  law?: Law;
  /** Payload type of telephone-event as negotiated in SDP, default 101. */
  eventPayloadType?: number;
  ssrc?: number;
  firstSequence?: number;
  firstTimestamp?: number;
  /** RFC 4733 §2.3.4 volume of the keys in -dBm0, default 10. */
  volume?: number;
}

/** RFC 4733 §3.2 event codes: 0–9, * = 10, # = 11, A–D = 12–15. */
function eventCode(digit: string): number {
  const code = '0123456789*#ABCD'.indexOf(digit.toUpperCase());
  if (code < 0 || digit.length !== 1) throw new Error(`not a DTMF key: ${JSON.stringify(digit)}`);
  return code;
}

/** ITU-T G.711 A-law of one 16-bit linear sample. */
function alaw(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let segment = 0;
  while (segment < 8 && pcm > (0x20 << segment) - 1) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (pcm >> 1) & 0x0f : (pcm >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

/** ITU-T G.711 µ-law of one 16-bit linear sample. */
function ulaw(sample: number): number {
  let pcm = sample >> 2;
  let mask = 0xff;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  }
  pcm = Math.min(pcm, 8159) + 0x21;
  let segment = 0;
  while (segment < 8 && pcm > (0x40 << segment) - 1) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  return ((segment << 4) | ((pcm >> (segment + 1)) & 0x0f)) ^ mask;
}

/**
 * The packets of one caller's stream, parts back to back: 20 ms audio frames for tones, and for
 * each key a train of RFC 4733 event packets every 20 ms — the marker on the first (§2.5.1.3), the
 * timestamp of the key's start on all of them, a growing duration, and the end packet sent three
 * times (§2.5.1.4). Every packet takes the next sequence number; timestamps follow the 8 kHz clock
 * across the whole stream, so tones and keys never run backwards.
 */
export function rtpStream(parts: StreamPart[], options: StreamOptions = {}): RtpPacket[] {
  const law = options.law ?? 'pcma';
  const audioPt = law === 'pcma' ? 8 : 0;
  const eventPt = options.eventPayloadType ?? 101;
  const ssrc = options.ssrc ?? 0x5eed1234;
  const volume = options.volume ?? 10;
  const encode = law === 'pcma' ? alaw : ulaw;
  let sequence = options.firstSequence ?? 1000;
  const firstTimestamp = options.firstTimestamp ?? 160_000;
  let atMs = 0;
  let phase = 0;
  let talkspurt = true;
  const packets: RtpPacket[] = [];
  const push = (payloadType: number, marker: boolean, timestamp: number, payload: Buffer, at: number) => {
    packets.push({
      atMs: at,
      payloadType,
      marker,
      sequenceNumber: sequence & 0xffff,
      timestamp: timestamp >>> 0,
      ssrc,
      payload,
    });
    sequence++;
  };
  const timestampAt = (ms: number) => firstTimestamp + (ms * RATE) / 1000;
  for (const part of parts) {
    if (part.kind === 'tone') {
      const amplitude = part.amplitude ?? 8000;
      for (let t = 0; t < part.durationMs; t += FRAME_MS) {
        const payload = Buffer.alloc(FRAME_SAMPLES);
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          const value = Math.round(amplitude * Math.sin(phase));
          payload[i] = encode(value);
          phase += (2 * Math.PI * part.frequency) / RATE;
        }
        // RFC 3551 §4.1: the marker on the first packet of a talkspurt.
        push(audioPt, talkspurt, timestampAt(atMs), payload, atMs);
        talkspurt = false;
        atMs += FRAME_MS;
      }
      continue;
    }
    const keyMs = part.keyMs ?? 160;
    const gapMs = part.gapMs ?? 240;
    for (const digit of part.digits) {
      const code = eventCode(digit);
      const start = timestampAt(atMs);
      const event = (durationMs: number, end: boolean) => {
        const payload = Buffer.alloc(4);
        payload[0] = code;
        payload[1] = (end ? 0x80 : 0) | (volume & 0x3f);
        payload.writeUInt16BE((durationMs * RATE) / 1000, 2);
        return payload;
      };
      for (let d = FRAME_MS; d < keyMs; d += FRAME_MS) {
        push(eventPt, d === FRAME_MS, start, event(d, false), atMs + d - FRAME_MS);
      }
      for (let r = 0; r < 3; r++)
        push(eventPt, false, start, event(keyMs, true), atMs + keyMs - FRAME_MS + r * 5);
      atMs += keyMs + gapMs;
      talkspurt = true;
    }
  }
  return packets;
}

/** The RTP header (RFC 3550 §5.1: version 2, no padding, extension or CSRCs) and payload. */
function serializeRtp(packet: RtpPacket): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  header.writeUInt16BE(packet.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(packet.timestamp >>> 0, 4);
  header.writeUInt32BE(packet.ssrc >>> 0, 8);
  return Buffer.concat([header, packet.payload]);
}

function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface CaptureOptions {
  /** Addresses and ports written in the capture; SIPp replaces them with the call's media ones. */
  sourcePort?: number;
  destinationPort?: number;
}

/**
 * A libpcap file (format 2.4, link type 1 = Ethernet) of the packets as UDP datagrams from
 * 10.0.0.1 to 10.0.0.2. SIPp takes the lowest destination port in the capture as its base and
 * maps it to the remote media port, so all packets go to one port here.
 */
export function writePcap(packets: RtpPacket[], options: CaptureOptions = {}): Buffer {
  const sourcePort = options.sourcePort ?? 40000;
  const destinationPort = options.destinationPort ?? 40002;
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeInt32LE(0, 8);
  global.writeUInt32LE(0, 12);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20);
  const records: Buffer[] = [global];
  const epochSeconds = 1_700_000_000;
  packets.forEach((packet, index) => {
    const rtp = serializeRtp(packet);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(sourcePort, 0);
    udp.writeUInt16BE(destinationPort, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    // A zero UDP checksum means "none" over IPv4 (RFC 768); SIPp computes its own on sending.
    udp.writeUInt16BE(0, 6);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip.writeUInt16BE(index & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([10, 0, 0, 1]).copy(ip, 12);
    Buffer.from([10, 0, 0, 2]).copy(ip, 16);
    ip.writeUInt16BE(ipv4Checksum(ip), 10);
    const ethernet = Buffer.from([...[0x02, 0, 0, 0, 0, 0x02], ...[0x02, 0, 0, 0, 0, 0x01], ...[0x08, 0x00]]);
    const frame = Buffer.concat([ethernet, ip, udp, rtp]);
    const record = Buffer.alloc(16);
    const micros = Math.round(packet.atMs * 1000);
    record.writeUInt32LE(epochSeconds + Math.floor(micros / 1_000_000), 0);
    record.writeUInt32LE(micros % 1_000_000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    records.push(record, frame);
  });
  return Buffer.concat(records);
}
