import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeG711, decodeSample, encodeG711, encodeSample, type G711Law, silenceByte } from './g711';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/media');

/** Every 16-bit input (as unsigned index) encoded by `sox -D` (see test/fixtures/media/README.md). */
function soxEncoded(law: G711Law): Uint8Array {
  const name = law === 'pcmu' ? 'sox-encode-s16-all.ulaw.gz' : 'sox-encode-s16-all.alaw.gz';
  return gunzipSync(readFileSync(path.join(fixtures, name)));
}

function soxDecoded(law: G711Law): Int16Array {
  const name = law === 'pcmu' ? 'sox-decode-ulaw-all.s16le' : 'sox-decode-alaw-all.s16le';
  const bytes = readFileSync(path.join(fixtures, name));
  return Int16Array.from({ length: 256 }, (_, i) => bytes.readInt16LE(i * 2));
}

describe('G.711', () => {
  for (const law of ['pcmu', 'pcma'] as const) {
    it(`${law}: encodes all 65,536 16-bit samples exactly as sox does`, () => {
      const expected = soxEncoded(law);
      expect(expected.length).toBe(65536);
      const all = Int16Array.from({ length: 65536 }, (_, i) => (i >= 32768 ? i - 65536 : i));
      const ours = encodeG711(law, all);
      let mismatches = 0;
      for (let i = 0; i < 65536; i++) if (ours[i] !== expected[i]) mismatches++;
      expect(mismatches).toBe(0);
    });

    it(`${law}: decodes all 256 codes exactly as sox does`, () => {
      expect(
        Array.from(
          decodeG711(
            law,
            Uint8Array.from({ length: 256 }, (_, i) => i),
          ),
        ),
      ).toEqual(Array.from(soxDecoded(law)));
    });

    it(`${law}: decoding then encoding any code gives the code back (except negative zero)`, () => {
      for (let code = 0; code < 256; code++) {
        const again = encodeSample(law, decodeSample(law, code));
        // µ-law 0x7F (−0) decodes to 0, which encodes as 0xFF (+0); A-law has no such pair.
        if (law === 'pcmu' && code === 0x7f) expect(again).toBe(0xff);
        else expect(again).toBe(code);
      }
    });
  }

  it('matches the values printed in ITU-T G.711 Tables 1 and 2', () => {
    // µ-law: 0xFF and 0x7F are the two zeros, 0x80/0x00 the extremes (±8031 in 14-bit units ×4).
    expect(decodeSample('pcmu', 0xff)).toBe(0);
    expect(decodeSample('pcmu', 0x80)).toBe(32124);
    expect(decodeSample('pcmu', 0x00)).toBe(-32124);
    // A-law: even bits inverted, 0xD5 is the first positive step (+1 in 13-bit units, ×8 = 8).
    expect(decodeSample('pcma', 0xd5)).toBe(8);
    expect(decodeSample('pcma', 0x55)).toBe(-8);
    expect(decodeSample('pcma', 0xaa)).toBe(32256);
    expect(decodeSample('pcma', 0x2a)).toBe(-32256);
    expect(silenceByte('pcmu')).toBe(encodeSample('pcmu', 0));
    expect(silenceByte('pcma')).toBe(encodeSample('pcma', 0));
  });

  it('encodes and decodes into caller-provided buffers without allocating', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 32767, -32768]);
    const bytes = new Uint8Array(5);
    expect(encodeG711('pcma', pcm, bytes)).toBe(bytes);
    const back = new Int16Array(5);
    expect(decodeG711('pcma', bytes, back)).toBe(back);
    expect(Math.abs(back[1]! - 1000)).toBeLessThan(40);
    expect(back[3]).toBe(32256);
  });

  it('decodes a payload from an offset inside its datagram, as it decodes the payload alone', () => {
    const payload = encodeG711(
      'pcmu',
      Int16Array.from({ length: 160 }, (_, i) => i * 200 - 16000),
    );
    const datagram = new Uint8Array(12 + 160);
    datagram.fill(0xff, 0, 12);
    datagram.set(payload, 12);
    const inPlace = decodeG711('pcmu', datagram, new Int16Array(160), 12);
    expect(Array.from(inPlace)).toEqual(Array.from(decodeG711('pcmu', payload)));
    expect(decodeG711('pcmu', datagram, undefined, 12)).toHaveLength(160);
  });
});
