import { describe, expect, it } from 'vitest';
import {
  agentsForServiceLevel,
  erlangA,
  erlangB,
  erlangC,
  erlangCProbabilityOfWait,
  erlangCServiceLevel,
} from './erlang';

/**
 * An independent check: the M/M/N+M birth–death chain solved directly (states 0..limit,
 * normalised), not through the closed forms under test.
 */
function birthDeath(agents: number, lambda: number, mu: number, theta: number, limit = 4000) {
  const weights = [1];
  for (let n = 1; n <= limit; n++) {
    const death = Math.min(n, agents) * mu + Math.max(0, n - agents) * theta;
    weights.push((weights[n - 1]! * lambda) / death);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  let wait = 0;
  let abandonFlow = 0;
  for (let n = agents; n <= limit; n++) {
    const p = weights[n]! / total;
    wait += p;
    abandonFlow += p * (n - agents) * theta;
  }
  return { probabilityOfWait: wait, probabilityOfAbandon: abandonFlow / lambda };
}

describe('Erlang B and C', () => {
  it('gives the textbook blocking for small systems', () => {
    // B(1, a) = a / (1 + a); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2.
    expect(erlangB(1, 3)).toBeCloseTo(0.75, 12);
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 12);
    expect(erlangB(0, 5)).toBe(1);
  });

  it('pins the issue figures: 10 Erlangs, AHT 180 s, 20 s target, 12/13/14 agents', () => {
    const expected = [
      { agents: 12, wait: 0.449, sl: 0.64 },
      { agents: 13, wait: 0.285, sl: 0.796 },
      { agents: 14, wait: 0.174, sl: 0.888 },
    ];
    for (const { agents, wait, sl } of expected) {
      const c = erlangC({ erlangs: 10, ahtSeconds: 180, agents });
      expect(c.probabilityOfWait).toBeCloseTo(wait, 3);
      expect(erlangCServiceLevel({ erlangs: 10, ahtSeconds: 180, agents, targetSeconds: 20 })).toBeCloseTo(
        sl,
        3,
      );
      expect(c.asaSeconds).toBeCloseTo((c.probabilityOfWait * 180) / (agents - 10), 9);
    }
    expect(erlangC({ erlangs: 10, ahtSeconds: 180, agents: 12 }).asaSeconds).toBeCloseTo(40.44, 2);
  });

  it('stays finite and monotone for large centers where aⁿ/n! would overflow', () => {
    const big = erlangCProbabilityOfWait(1200, 1150);
    expect(big).toBeGreaterThan(0);
    expect(big).toBeLessThan(1);
    expect(erlangCProbabilityOfWait(1210, 1150)).toBeLessThan(big);
  });

  it('treats an overloaded queue as always waiting with unbounded ASA', () => {
    const c = erlangC({ erlangs: 12, ahtSeconds: 180, agents: 12 });
    expect(c.probabilityOfWait).toBe(1);
    expect(c.asaSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(erlangCServiceLevel({ erlangs: 12, ahtSeconds: 180, agents: 10, targetSeconds: 20 })).toBe(0);
  });

  it('staffs the fewest agents that meet the target', () => {
    expect(
      agentsForServiceLevel({ erlangs: 10, ahtSeconds: 180, targetSeconds: 20, serviceLevel: 0.8 }),
    ).toBe(14);
    expect(
      agentsForServiceLevel({ erlangs: 10, ahtSeconds: 180, targetSeconds: 20, serviceLevel: 0.79 }),
    ).toBe(13);
    expect(
      agentsForServiceLevel({
        erlangs: 10,
        ahtSeconds: 180,
        targetSeconds: 20,
        serviceLevel: 0.5,
        maxAsaSeconds: 10,
      }),
    ).toBe(14);
  });

  it('refuses nonsense input', () => {
    expect(() => erlangC({ erlangs: -1, ahtSeconds: 180, agents: 3 })).toThrow(RangeError);
    expect(() => erlangC({ erlangs: 1, ahtSeconds: 0, agents: 3 })).toThrow(RangeError);
    expect(() => erlangC({ erlangs: 1, ahtSeconds: 180, agents: 2.5 })).toThrow(RangeError);
  });
});

describe('Erlang A', () => {
  it('pins the issue figures: 12 agents, patience 60/180/600 s → abandon 7.6/5.3/3.0 %', () => {
    const expected = [
      { patienceSeconds: 60, abandon: 0.076 },
      { patienceSeconds: 180, abandon: 0.053 },
      { patienceSeconds: 600, abandon: 0.03 },
    ];
    for (const { patienceSeconds, abandon } of expected) {
      const a = erlangA({ erlangs: 10, ahtSeconds: 180, agents: 12, patienceSeconds });
      expect(a.probabilityOfAbandon).toBeCloseTo(abandon, 3);
    }
  });

  it('agrees with the birth–death chain solved directly', () => {
    const cases = [
      { agents: 12, erlangs: 10, aht: 180, patience: 60 },
      { agents: 3, erlangs: 4.5, aht: 240, patience: 90 },
      { agents: 50, erlangs: 48, aht: 300, patience: 1000 },
      { agents: 1, erlangs: 0.3, aht: 60, patience: 5 },
    ];
    for (const c of cases) {
      const a = erlangA({
        erlangs: c.erlangs,
        ahtSeconds: c.aht,
        agents: c.agents,
        patienceSeconds: c.patience,
      });
      const ref = birthDeath(c.agents, c.erlangs / c.aht, 1 / c.aht, 1 / c.patience);
      expect(a.probabilityOfWait).toBeCloseTo(ref.probabilityOfWait, 9);
      expect(a.probabilityOfAbandon).toBeCloseTo(ref.probabilityOfAbandon, 9);
    }
  });

  it('tends to Erlang C as patience grows, without cancellation', () => {
    const c = erlangC({ erlangs: 10, ahtSeconds: 180, agents: 12 });
    const a = erlangA({ erlangs: 10, ahtSeconds: 180, agents: 12, patienceSeconds: 1e9 });
    expect(a.probabilityOfWait).toBeCloseTo(c.probabilityOfWait, 5);
    expect(a.probabilityOfAbandon).toBeGreaterThan(0);
    expect(a.probabilityOfAbandon).toBeLessThan(1e-6);
    // Little: the mean wait of everyone approaches Erlang C's ASA.
    expect(a.averageWaitSeconds).toBeCloseTo(c.asaSeconds, 2);
  });

  it('handles overload: every caller waits and the excess abandons', () => {
    // 20 Erlangs on 10 agents: in the long run the agents serve 10, so about half abandon.
    const a = erlangA({ erlangs: 20, ahtSeconds: 180, agents: 10, patienceSeconds: 1e6 });
    expect(a.probabilityOfWait).toBeCloseTo(1, 9);
    expect(a.probabilityOfAbandon).toBeCloseTo(0.5, 3);
    expect(Number.isFinite(a.averageWaitSeconds)).toBe(true);
    expect(a.occupancy).toBeCloseTo(1, 3);
  });

  it('abandons less as patience grows', () => {
    const rates = [30, 60, 180, 600, 3600].map(
      (patienceSeconds) =>
        erlangA({ erlangs: 10, ahtSeconds: 180, agents: 12, patienceSeconds }).probabilityOfAbandon,
    );
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
  });
});
