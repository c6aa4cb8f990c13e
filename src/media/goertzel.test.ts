import { describe, expect, it } from 'vitest';
import { DTMF_DIGITS, type DtmfDigit } from './dtmf-event';
import { decodeG711, encodeG711 } from './g711';
import { classifyBlock, GOERTZEL_BLOCK, GoertzelDtmfDetector, goertzelPower } from './goertzel';
import { dtmfFrequencies, dtmfTone, ToneGenerator } from './tone';

/** A deterministic noise source (xorshift), so that a failure can be replayed. */
function noise(count: number, amplitude: number, seed = 12345): Int16Array {
  let x = seed;
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = Math.round(((x >>> 0) / 0xffffffff - 0.5) * 2 * amplitude);
  }
  return out;
}

function keyed(digits: string, toneMs = 100, gapMs = 100, levelDbm0 = -7): Int16Array {
  const parts: Int16Array[] = [];
  for (const d of digits) {
    parts.push(dtmfTone(d as DtmfDigit, levelDbm0).generate(toneMs * 8));
    parts.push(new Int16Array(gapMs * 8));
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function detect(samples: Int16Array, frame = 160): string {
  const detector = new GoertzelDtmfDetector();
  let out = '';
  for (let i = 0; i < samples.length; i += frame) {
    for (const r of detector.push(samples.subarray(i, i + frame))) out += r.digit;
  }
  return out;
}

function twoTones(low: number, high: number, lowDbm0: number, highDbm0: number, count: number): Int16Array {
  const a = new ToneGenerator({ frequencies: [low], levelDbm0: lowDbm0 }).generate(count);
  const b = new ToneGenerator({ frequencies: [high], levelDbm0: highDbm0 }).generate(count);
  return a.map((v, i) => v + b[i]!);
}

describe('Goertzel DTMF detection', () => {
  it('finds the power of a tone in its own bin, not in a neighbour', () => {
    const tone = new ToneGenerator({ frequencies: [770] }).generate(GOERTZEL_BLOCK);
    expect(goertzelPower(tone, 770)).toBeGreaterThan(100 * goertzelPower(tone, 852));
  });

  it('recognises each of the 16 keys in one 205-sample block', () => {
    for (const digit of DTMF_DIGITS) {
      expect(classifyBlock(dtmfTone(digit as DtmfDigit).generate(GOERTZEL_BLOCK))).toBe(digit);
    }
  });

  it('reports a keyed sequence once per press, in 20 ms frames as from RTP', () => {
    expect(detect(keyed('0123456789*#ABCD'))).toBe('0123456789*#ABCD');
  });

  it('reports the same key pressed twice as two presses', () => {
    expect(detect(keyed('55'))).toBe('55');
  });

  it('still detects after a round trip through µ-law and A-law', () => {
    for (const law of ['pcmu', 'pcma'] as const) {
      const samples = decodeG711(law, encodeG711(law, keyed('159#', 80, 80, -20)));
      expect(detect(samples)).toBe('159#');
    }
  });

  it('detects keys under moderate noise (about 20 dB signal to noise)', () => {
    const clean = keyed('2468');
    const hiss = noise(clean.length, 300);
    expect(detect(clean.map((v, i) => v + hiss[i]!))).toBe('2468');
  });

  it('reports nothing for white noise, silence, a single tone, or dial tone', () => {
    expect(detect(noise(8000, 8000))).toBe('');
    expect(detect(new Int16Array(8000))).toBe('');
    expect(detect(new ToneGenerator({ frequencies: [1000], levelDbm0: -3 }).generate(8000))).toBe('');
    expect(detect(new ToneGenerator({ frequencies: [350, 440], levelDbm0: -10 }).generate(8000))).toBe('');
  });

  it('accepts twist within limits and refuses it beyond (8 dB low-group, 4 dB high-group excess)', () => {
    const [low, high] = dtmfFrequencies('5');
    const block = (l: number, h: number) => classifyBlock(twoTones(low, high, l, h, GOERTZEL_BLOCK));
    expect(block(-10, -16)).toBe('5'); // low group 6 dB louder
    expect(block(-10, -20)).toBeUndefined(); // 10 dB
    expect(block(-13, -10)).toBe('5'); // high group 3 dB louder
    expect(block(-16, -10)).toBeUndefined(); // 6 dB
  });

  it('refuses a burst shorter than two blocks (under 40 ms)', () => {
    expect(detect(keyed('7', 30, 100))).toBe('');
  });

  it('refuses a tone pair buried in louder broadband noise (purity check)', () => {
    const tones = keyed('3', 200, 0, -25);
    const hiss = noise(tones.length, 6000, 99);
    expect(detect(tones.map((v, i) => v + hiss[i]!))).toBe('');
  });
});
