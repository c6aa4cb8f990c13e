import { describe, expect, it } from 'vitest';
import { MediaError } from './errors';
import { extendSeq, looksLikeRtcp, parseRtp, seqDelta, serializeRtp, writeRtpHeader } from './rtp';

// A PCMU packet as a softphone sends it: V=2, M=1, PT=0, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304.
const wire = Uint8Array.from([
  0x80, 0x80, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0x7f,
]);

describe('RTP packets (RFC 3550 §5.1)', () => {
  it('parses the fixed header and payload', () => {
    const p = parseRtp(wire);
    expect(p).toMatchObject({
      marker: true,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      csrcs: [],
      paddingLength: 0,
    });
    expect(Array.from(p.payload)).toEqual([0xff, 0xfe, 0x7f]);
    expect(p.extension).toBeUndefined();
  });

  it('round-trips CSRCs, a header extension and padding', () => {
    const original = {
      marker: false,
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 4294967295,
      ssrc: 0xffffffff,
      csrcs: [1, 0xfffffffe],
      extension: { profile: 0xbede, data: Uint8Array.from([0x10, 0xaa, 0, 0]) },
      payload: Uint8Array.from([1, 2, 3]),
      paddingLength: 5,
    };
    const bytes = serializeRtp(original);
    expect(bytes[0]).toBe(0x80 | 0x20 | 0x10 | 2);
    expect(bytes.length).toBe(12 + 8 + 8 + 3 + 5);
    const back = parseRtp(bytes);
    expect(back.csrcs).toEqual(original.csrcs);
    expect(back.extension?.profile).toBe(0xbede);
    expect(Array.from(back.extension?.data ?? [])).toEqual([0x10, 0xaa, 0, 0]);
    expect(Array.from(back.payload)).toEqual([1, 2, 3]);
    expect(back.paddingLength).toBe(5);
    expect(back.sequenceNumber).toBe(65535);
    expect(back.timestamp).toBe(4294967295);
  });

  it('writes the same 12 bytes through the allocation-free header writer', () => {
    const out = new Uint8Array(15);
    writeRtpHeader(out, 0, {
      marker: true,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
    });
    out.set([0xff, 0xfe, 0x7f], 12);
    expect(Array.from(out)).toEqual(Array.from(wire));
  });

  it.each([
    ['too short', wire.subarray(0, 11)],
    ['version 1', Uint8Array.from([0x40, ...wire.subarray(1)])],
    ['CSRC count past the end', Uint8Array.from([0x8f, ...wire.subarray(1)])],
    ['extension past the end', Uint8Array.from([0x90, ...wire.subarray(1, 12), 0xbe, 0xde, 0x00, 0x09])],
    ['padding count of zero', Uint8Array.from([0xa0, ...wire.subarray(1, 14), 0])],
    ['padding longer than the payload', Uint8Array.from([0xa0, ...wire.subarray(1, 14), 200])],
  ])('refuses a packet with %s', (_name, bytes) => {
    expect(() => parseRtp(bytes)).toThrow(MediaError);
  });

  it('tells RTCP from RTP on a shared port (RFC 5761 §4)', () => {
    expect(looksLikeRtcp(Uint8Array.from([0x80, 200]))).toBe(true);
    expect(looksLikeRtcp(Uint8Array.from([0x81, 203]))).toBe(true);
    expect(looksLikeRtcp(wire)).toBe(false);
    expect(looksLikeRtcp(Uint8Array.from([0x80, 101]))).toBe(false);
  });
});

describe('sequence arithmetic', () => {
  it('measures distances across the 16-bit wrap', () => {
    expect(seqDelta(0, 65535)).toBe(1);
    expect(seqDelta(65535, 0)).toBe(-1);
    expect(seqDelta(10, 5)).toBe(5);
  });

  it('extends a sequence number to the nearest 32-bit value', () => {
    expect(extendSeq(2, 65534)).toBe(65538);
    expect(extendSeq(65534, 65538)).toBe(65534);
    expect(extendSeq(100, 131072 + 90)).toBe(131072 + 100);
  });
});
