import { describe, expect, it } from 'vitest';
import { DtmfEventReceiver } from './dtmf-event';
import { MediaError } from './errors';
import { parseRtcp, serializeRtcp } from './rtcp';
import { parseRtp, serializeRtp } from './rtp';
import { decodeWav, encodeWav } from './wav';

/** Seeded xorshift, so that a failing input can be reproduced from the seed in the test name. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(valid: Uint8Array, random: () => number): Uint8Array {
  const bytes = Uint8Array.from(valid);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * bytes.length);
    switch (Math.floor(random() * 3)) {
      case 0:
        bytes[at] = Math.floor(random() * 256);
        break;
      case 1:
        bytes[at]! ^= 1 << Math.floor(random() * 8);
        break;
      default:
        return bytes.subarray(0, at);
    }
  }
  return bytes;
}

/** Runs `parse` on the input: it may succeed or throw a MediaError, nothing else. */
function onlyMediaErrors(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    return error instanceof MediaError;
  }
}

describe('parsers fed mutated and random input (seed 2024)', () => {
  const random = rng(2024);
  const rtp = serializeRtp({
    marker: true,
    payloadType: 0,
    sequenceNumber: 1,
    timestamp: 2,
    ssrc: 3,
    csrcs: [4],
    extension: { profile: 0xbede, data: new Uint8Array(4) },
    payload: new Uint8Array(20),
    paddingLength: 4,
  });
  const rtcp = serializeRtcp([
    {
      type: 'sr',
      ssrc: 1,
      ntpSeconds: 2,
      ntpFraction: 3,
      rtpTimestamp: 4,
      packetCount: 5,
      octetCount: 6,
      reports: [],
    },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'x@y' }] }] },
    { type: 'bye', ssrcs: [1], reason: 'bye' },
  ]);
  const wav = encodeWav({ sampleRate: 8000, channels: 2, samples: new Int16Array(64) });

  it('RTP, RTCP, telephone-event and WAV parsers throw nothing but MediaError over 30,000 inputs', () => {
    const rx = new DtmfEventReceiver();
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const noise = Uint8Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256));
      const r = mutate(rtp, random);
      const c = mutate(rtcp, random);
      const w = mutate(wav, random);
      if (!onlyMediaErrors(() => parseRtp(r)) || !onlyMediaErrors(() => parseRtp(noise))) bad++;
      if (!onlyMediaErrors(() => parseRtcp(c)) || !onlyMediaErrors(() => parseRtcp(noise))) bad++;
      if (!onlyMediaErrors(() => decodeWav(w))) bad++;
      if (!onlyMediaErrors(() => rx.receive(i & 0xffff, i * 7, noise.subarray(0, 8), i))) bad++;
    }
    expect(bad).toBe(0);
  });
});
