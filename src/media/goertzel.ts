import type { DtmfDigit, DtmfReport } from './dtmf-event';

/**
 * In-band DTMF detection with the Goertzel algorithm, for peers that send keys as tones
 * instead of RFC 4733 events. Each block of 205 samples (25.6 ms at 8 kHz, the classic
 * choice that puts the eight DTMF frequencies near bin centres) is tested for:
 *  - energy: the block is not near-silence;
 *  - one clear peak in each group (the strongest row beats the others by 8 dB, same for columns);
 *  - twist: the low group may be up to 8 dB stronger than the high group ("normal" twist) and
 *    the high group up to 4 dB stronger ("reverse" twist), ITU-T Q.24 ranges as used in practice;
 *  - purity: the two tones carry most of the block's energy, which rejects speech, music and noise.
 * A key counts when two consecutive blocks agree (≥ 40 ms, Q.24's minimum) and ends after two
 * blocks without it, so one press is reported once.
 */

const ROWS = [697, 770, 852, 941] as const;
const COLS = [1209, 1336, 1477, 1633] as const;
const KEYS = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'] as const;

export const GOERTZEL_BLOCK = 205;

const NORMAL_TWIST = 10 ** (8 / 10);
const REVERSE_TWIST = 10 ** (4 / 10);
const RELATIVE_PEAK = 10 ** (8 / 10);
/** Share of the block's energy that must lie in the two tones. */
const PURITY = 0.6;
/** Mean square of the block below which it is treated as silence (about −45 dBm0 per tone). */
const MIN_MEAN_SQUARE = 400;

export interface GoertzelOptions {
  sampleRate?: number;
}

/** Power of `frequency` in `samples[start..start+n)` (the Goertzel recurrence, generalised to any frequency). */
export function goertzelPower(
  samples: ArrayLike<number>,
  frequency: number,
  sampleRate = 8000,
  start = 0,
  n?: number,
): number {
  const count = n ?? samples.length - start;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < count; i++) {
    const s0 = samples[start + i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

const FREQUENCIES = [...ROWS, ...COLS];
const coefficients = new Map<number, Float64Array>();
const powers = new Float64Array(8);

function coefficientsFor(sampleRate: number): Float64Array {
  let c = coefficients.get(sampleRate);
  if (!c) {
    c = Float64Array.from(FREQUENCIES, (f) => 2 * Math.cos((2 * Math.PI * f) / sampleRate));
    coefficients.set(sampleRate, c);
  }
  return c;
}

/** The key of one block, or undefined when it holds no valid DTMF pair. Allocates nothing: it runs on every received frame of a stream without RFC 4733. */
export function classifyBlock(block: ArrayLike<number>, sampleRate = 8000): DtmfDigit | undefined {
  const n = block.length;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) sumSquares += block[i]! * block[i]!;
  if (sumSquares / n < MIN_MEAN_SQUARE) return undefined;
  const coeff = coefficientsFor(sampleRate);
  for (let k = 0; k < 8; k++) {
    const c = coeff[k]!;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const s0 = block[i]! + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    powers[k] = s1 * s1 + s2 * s2 - c * s1 * s2;
  }
  let r = 0;
  let c = 4;
  for (let i = 1; i < 4; i++) {
    if (powers[i]! > powers[r]!) r = i;
    if (powers[4 + i]! > powers[c]!) c = 4 + i;
  }
  const rowPeak = powers[r]!;
  const colPeak = powers[c]!;
  if (rowPeak > colPeak * NORMAL_TWIST || colPeak > rowPeak * REVERSE_TWIST) return undefined;
  for (let i = 0; i < 4; i++) {
    if (i !== r && powers[i]! * RELATIVE_PEAK > rowPeak) return undefined;
    if (4 + i !== c && powers[4 + i]! * RELATIVE_PEAK > colPeak) return undefined;
  }
  // A sinusoid of amplitude A has power (A·n/2)² in its bin and energy A²·n/2 in the block,
  // so 2/n · power is the tone's share of the block energy.
  if (((rowPeak + colPeak) * 2) / n < PURITY * sumSquares) return undefined;
  return KEYS[r * 4 + (c - 4)];
}

/**
 * Streaming detector: feed it decoded audio of any frame size, it reports each key once, when
 * the key is released, with its duration.
 */
export class GoertzelDtmfDetector {
  private readonly block = new Float64Array(GOERTZEL_BLOCK);
  private filled = 0;
  private candidate: DtmfDigit | undefined;
  private candidateBlocks = 0;
  private current: DtmfDigit | undefined;
  private currentBlocks = 0;
  private missBlocks = 0;
  private readonly sampleRate: number;

  constructor(options: GoertzelOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
  }

  push(samples: ArrayLike<number>): DtmfReport[] {
    const reports: DtmfReport[] = [];
    for (let i = 0; i < samples.length; i++) {
      this.block[this.filled++] = samples[i]!;
      if (this.filled === GOERTZEL_BLOCK) {
        this.filled = 0;
        this.onBlock(classifyBlock(this.block, this.sampleRate), reports);
      }
    }
    return reports;
  }

  private onBlock(digit: DtmfDigit | undefined, reports: DtmfReport[]): void {
    if (this.current !== undefined) {
      if (digit === this.current) {
        this.currentBlocks++;
        this.missBlocks = 0;
        return;
      }
      // Two blocks without the key end it; one may be a drop-out in a long press.
      this.missBlocks++;
      if (this.missBlocks < 2 && digit === undefined) return;
      reports.push({
        digit: this.current,
        durationMs: Math.round((this.currentBlocks * GOERTZEL_BLOCK * 1000) / this.sampleRate),
        endLost: false,
      });
      this.current = undefined;
      this.missBlocks = 0;
    }
    if (digit === undefined) {
      this.candidate = undefined;
      this.candidateBlocks = 0;
      return;
    }
    if (digit === this.candidate) this.candidateBlocks++;
    else {
      this.candidate = digit;
      this.candidateBlocks = 1;
    }
    if (this.candidateBlocks >= 2) {
      this.current = digit;
      this.currentBlocks = this.candidateBlocks;
      this.candidate = undefined;
      this.candidateBlocks = 0;
    }
  }
}
