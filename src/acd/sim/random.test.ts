import { describe, expect, it } from 'vitest';
import { Random } from './random';

describe('Random', () => {
  it('repeats its stream for a seed and differs between neighbouring seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(first);
  });

  it('draws uniforms strictly inside (0, 1) with the right mean and spread', () => {
    const r = new Random(1);
    let sum = 0;
    let sumSq = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u > 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('gives exponential and log-normal draws with the asked mean and deviation', () => {
    const r = new Random(7);
    const n = 200_000;
    const exp = Array.from({ length: n }, () => r.exponential(180));
    const mean = exp.reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(mean - 180) / 180).toBeLessThan(0.01);
    const logn = Array.from({ length: n }, () => r.logNormal(180, 120));
    const lm = logn.reduce((s, x) => s + x, 0) / n;
    const lsd = Math.sqrt(logn.reduce((s, x) => s + (x - lm) ** 2, 0) / n);
    expect(Math.abs(lm - 180) / 180).toBeLessThan(0.01);
    expect(Math.abs(lsd - 120) / 120).toBeLessThan(0.03);
  });

  it('picks by weight', () => {
    const r = new Random(3);
    const counts = { private: 0, affluent: 0, mass: 0 };
    for (let i = 0; i < 100_000; i++) counts[r.weighted({ private: 1, affluent: 2, mass: 7 })]++;
    expect(counts.private / 100_000).toBeCloseTo(0.1, 2);
    expect(counts.mass / 100_000).toBeCloseTo(0.7, 2);
  });
});
