import { describe, expect, it } from 'vitest';
import { MediaError } from './errors';
import { ntpFromUnixMs, ntpMiddle, parseRtcp, type RtcpPacket, serializeRtcp } from './rtcp';

const block = {
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: -3,
  highestSeq: 0x0001fffe,
  jitter: 40,
  lastSr: 0xaabbccdd,
  delaySinceLastSr: 65536,
};

describe('RTCP compound packets (RFC 3550 §6.4–6.6)', () => {
  it('round-trips SR + SDES CNAME + BYE with a reason', () => {
    const packets: RtcpPacket[] = [
      {
        type: 'sr',
        ssrc: 0xcafebabe,
        ntpSeconds: 0xe8000000,
        ntpFraction: 0x80000000,
        rtpTimestamp: 160_000,
        packetCount: 1000,
        octetCount: 160_000,
        reports: [block],
      },
      { type: 'sdes', chunks: [{ ssrc: 0xcafebabe, items: [{ type: 1, text: 'teller@127.0.0.1' }] }] },
      { type: 'bye', ssrcs: [0xcafebabe], reason: 'call ended' },
    ];
    const bytes = serializeRtcp(packets);
    expect(bytes.length % 4).toBe(0);
    expect(bytes[1]).toBe(200);
    expect(parseRtcp(bytes)).toEqual(packets);
  });

  it('parses an RR with no report blocks and keeps unknown packet types', () => {
    const bytes = serializeRtcp([
      { type: 'rr', ssrc: 7, reports: [] },
      { type: 'other', packetType: 206, count: 1, body: Uint8Array.from([0, 0, 0, 7, 0, 0, 0, 9]) },
    ]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x80, 201, 0, 1, 0, 0, 0, 7]);
    const parsed = parseRtcp(bytes);
    expect(parsed[0]).toEqual({ type: 'rr', ssrc: 7, reports: [] });
    expect(parsed[1]).toMatchObject({ type: 'other', packetType: 206, count: 1 });
  });

  it('reads the 24-bit cumulative loss as signed and the fraction as 1/256', () => {
    const [rr] = parseRtcp(serializeRtcp([{ type: 'rr', ssrc: 1, reports: [block] }]));
    expect(rr).toMatchObject({ reports: [{ cumulativeLost: -3, fractionLost: 25 }] });
  });

  it('parses a BYE without a reason and one with several sources', () => {
    const bytes = Uint8Array.from([0x82, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(parseRtcp(bytes)).toEqual([{ type: 'bye', ssrcs: [1, 2] }]);
  });

  it.each([
    ['a length past the datagram', [0x80, 201, 0, 5, 0, 0, 0, 1]],
    ['version 1', [0x40, 201, 0, 1, 0, 0, 0, 1]],
    ['a report block past its packet', [0x81, 201, 0, 1, 0, 0, 0, 1]],
    ['a truncated header', [0x80, 201, 0]],
    ['an SDES item past its packet', [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 65, 65]],
  ])('refuses %s', (_name, bytes) => {
    expect(() => parseRtcp(Uint8Array.from(bytes))).toThrow(MediaError);
  });

  it('converts Unix time to NTP and takes the middle 32 bits for LSR', () => {
    const ntp = ntpFromUnixMs(1_500);
    expect(ntp.seconds).toBe(2_208_988_801);
    expect(ntp.fraction).toBe(0x80000000);
    expect(ntpMiddle(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
  });
});
