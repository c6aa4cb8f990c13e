/**
 * G.711 (ITU-T G.711, 1988) µ-law and A-law companding, bit-exact with the reference
 * implementation distributed by Sun and used by sox (g711.c): µ-law from the 16-bit sample
 * rounded to 14 bits, A-law from it rounded to 13 bits, exactly as sox feeds that code.
 *
 * Both directions are table lookups: 64 KiB per law for encoding (indexed by the 16-bit
 * sample as unsigned), 256 entries for decoding. At 1,200 calls and 50 frames a second a
 * lookup per sample is the only cost that fits.
 */

const BIAS = 0x84; // µ-law bias added before the segment search (G.711 §3.2, "33" in 14-bit units ×4)
const CLIP = 8159;
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

/** µ-law byte of a 14-bit linear sample (sox `sox_14linear2ulaw`). */
function linear14ToUlaw(sample14: number): number {
  let pcm = sample14;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > CLIP) pcm = CLIP;
  pcm += BIAS >> 2;
  const seg = segment(pcm, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0xf)) ^ mask;
}

/** A-law byte of a 13-bit linear sample (sox `sox_13linear2alaw`). */
function linear13ToAlaw(sample13: number): number {
  let pcm = sample13;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set, even bits inverted (G.711 Table 1a)
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0xf : (pcm >> seg) & 0xf;
  return aval ^ mask;
}

function ulawToLinear16(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0xf) << 3) + BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? BIAS - t : t - BIAS;
}

function alawToLinear16(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0xf) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 65536; i++) {
  const sample = i >= 32768 ? i - 65536 : i;
  // sox rounds the 16-bit sample to the nearest 14 (13) bit value, clipping at the top, before
  // companding (SOX_SAMPLE_TO_SIGNED); truncation would bias quiet signals by half a step.
  ULAW_ENCODE[i] = linear14ToUlaw(Math.min(8191, (sample + 2) >> 2));
  ALAW_ENCODE[i] = linear13ToAlaw(Math.min(4095, (sample + 4) >> 3));
}
for (let i = 0; i < 256; i++) {
  ULAW_DECODE[i] = ulawToLinear16(i);
  ALAW_DECODE[i] = alawToLinear16(i);
}

export const g711Laws = ['pcmu', 'pcma'] as const;
/** `pcmu` is µ-law (RTP payload type 0), `pcma` A-law (payload type 8), RFC 3551 §4.5.14. */
export type G711Law = (typeof g711Laws)[number];

/** The byte that stands for silence (linear 0): µ-law 0xFF, A-law 0xD5. */
export function silenceByte(law: G711Law): number {
  return law === 'pcmu' ? 0xff : 0xd5;
}

export function encodeSample(law: G711Law, sample: number): number {
  return (law === 'pcmu' ? ULAW_ENCODE : ALAW_ENCODE)[sample & 0xffff]!;
}

export function decodeSample(law: G711Law, byte: number): number {
  return (law === 'pcmu' ? ULAW_DECODE : ALAW_DECODE)[byte & 0xff]!;
}

/** Encodes 16-bit linear PCM into `out` (allocated when absent); returns the bytes written. */
export function encodeG711(law: G711Law, pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const table = law === 'pcmu' ? ULAW_ENCODE : ALAW_ENCODE;
  const target = out ?? new Uint8Array(pcm.length);
  const n = Math.min(pcm.length, target.length);
  for (let i = 0; i < n; i++) target[i] = table[pcm[i]! & 0xffff]!;
  return n === target.length ? target : target.subarray(0, n);
}

/**
 * Decodes G.711 bytes, from `from` on (a payload still inside its datagram), into 16-bit linear
 * PCM in `out` (allocated when absent).
 */
export function decodeG711(law: G711Law, bytes: Uint8Array, out?: Int16Array, from = 0): Int16Array {
  const table = law === 'pcmu' ? ULAW_DECODE : ALAW_DECODE;
  const target = out ?? new Int16Array(bytes.length - from);
  const n = Math.min(bytes.length - from, target.length);
  for (let i = 0; i < n; i++) target[i] = table[bytes[from + i]!]!;
  return n === target.length ? target : target.subarray(0, n);
}
