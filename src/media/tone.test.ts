import { describe, expect, it } from 'vitest';
import { amplitudeOfDbm0, ToneGenerator, tones } from './tone';

describe('tone generator', () => {
  it('produces a sine of the asked level: −3.17 dBm0 lower than full scale', () => {
    expect(amplitudeOfDbm0(3.17)).toBeCloseTo(32767, 0);
    const s = new ToneGenerator({ frequencies: [1000], levelDbm0: 0 }).generate(8000);
    const peak = Math.max(...s);
    expect(peak).toBeGreaterThan(0.98 * amplitudeOfDbm0(0));
    expect(peak).toBeLessThanOrEqual(Math.ceil(amplitudeOfDbm0(0)));
  });

  it('is continuous across frames: two frames equal one long run', () => {
    const a = new ToneGenerator({ frequencies: [440, 480] });
    const b = new ToneGenerator({ frequencies: [440, 480] });
    const joined = new Int16Array(320);
    joined.set(a.generate(160), 0);
    joined.set(a.generate(160), 160);
    expect(Array.from(joined)).toEqual(Array.from(b.generate(320)));
  });

  it('follows an on/off cadence', () => {
    const busy = new ToneGenerator(tones.busy).generate(8000);
    const on = busy.subarray(0, 4000);
    const off = busy.subarray(4000, 8000);
    expect(on.some((v) => v !== 0)).toBe(true);
    expect(off.every((v) => v === 0)).toBe(true);
  });

  it('saturates instead of wrapping when summed tones exceed full scale', () => {
    const s = new ToneGenerator({ frequencies: [500, 500], levelDbm0: 3 }).generate(400);
    expect(Math.max(...s)).toBe(32767);
    expect(Math.min(...s)).toBe(-32768);
  });
});
