import type { DtmfDigit } from './dtmf-event';

/**
 * Tone generation for call progress (ringback, busy), in-band DTMF and tests: sums of
 * sinusoids at a level in dBm0 with an optional on/off cadence, continuous in phase
 * across frames so that a tone spread over many 20 ms frames has no clicks.
 */

/** A full-scale 16-bit sine is +3.17 dBm0 in µ-law (G.711 Table 5); A-law's +3.14 is close enough for tones. */
const FULL_SCALE_DBM0 = 3.17;

export function amplitudeOfDbm0(levelDbm0: number): number {
  return 32767 * 10 ** ((levelDbm0 - FULL_SCALE_DBM0) / 20);
}

const DTMF_FREQUENCIES: Record<DtmfDigit, readonly [number, number]> = {
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  A: [697, 1633],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  B: [770, 1633],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  C: [852, 1633],
  '*': [941, 1209],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
};

export function dtmfFrequencies(digit: DtmfDigit): readonly [number, number] {
  return DTMF_FREQUENCIES[digit];
}

export interface ToneSpec {
  frequencies: readonly number[];
  /** Level of each frequency in dBm0 (default −10). */
  levelDbm0?: number;
  /** On/off cadence in ms; absent means continuous. */
  onMs?: number;
  offMs?: number;
  sampleRate?: number;
}

/** Well-known call-progress tones (ITU-T E.180 / North American values). */
export const tones = {
  ringbackUs: { frequencies: [440, 480], levelDbm0: -19, onMs: 2000, offMs: 4000 },
  ringbackEu: { frequencies: [425], levelDbm0: -19, onMs: 1000, offMs: 4000 },
  busy: { frequencies: [480, 620], levelDbm0: -24, onMs: 500, offMs: 500 },
  dial: { frequencies: [350, 440], levelDbm0: -13 },
} satisfies Record<string, ToneSpec>;

export class ToneGenerator {
  private readonly steps: number[];
  private readonly phases: number[];
  private readonly amplitude: number;
  private readonly period: number;
  private readonly onSamples: number;
  private position = 0;

  constructor(spec: ToneSpec) {
    const rate = spec.sampleRate ?? 8000;
    this.steps = spec.frequencies.map((f) => (2 * Math.PI * f) / rate);
    this.phases = spec.frequencies.map(() => 0);
    this.amplitude = amplitudeOfDbm0(spec.levelDbm0 ?? -10);
    this.onSamples =
      spec.onMs === undefined ? Number.POSITIVE_INFINITY : Math.round((spec.onMs * rate) / 1000);
    this.period =
      spec.onMs === undefined
        ? Number.POSITIVE_INFINITY
        : this.onSamples + Math.round(((spec.offMs ?? 0) * rate) / 1000);
  }

  /** Fills `out` with the next samples of the tone (summed with saturation) and returns it. */
  fill(out: Int16Array): Int16Array {
    for (let i = 0; i < out.length; i++) {
      const inCycle = this.period === Number.POSITIVE_INFINITY ? 0 : this.position % this.period;
      let v = 0;
      if (inCycle < this.onSamples) {
        for (let k = 0; k < this.steps.length; k++) v += Math.sin(this.phases[k]!);
      }
      for (let k = 0; k < this.steps.length; k++) {
        let p = this.phases[k]! + this.steps[k]!;
        if (p > 2 * Math.PI) p -= 2 * Math.PI;
        this.phases[k] = p;
      }
      this.position++;
      const s = Math.round(v * this.amplitude);
      out[i] = Math.min(32767, Math.max(-32768, s));
    }
    return out;
  }

  /** `count` samples of the tone in a new array. */
  generate(count: number): Int16Array {
    return this.fill(new Int16Array(count));
  }
}

/** The generator for a DTMF key: each frequency at −7 dBm0 by default (ITU-T Q.23 sending level range). */
export function dtmfTone(digit: DtmfDigit, levelDbm0 = -7, sampleRate = 8000): ToneGenerator {
  return new ToneGenerator({ frequencies: dtmfFrequencies(digit), levelDbm0, sampleRate });
}
