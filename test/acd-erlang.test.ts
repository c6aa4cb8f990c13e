import { describe, expect, it } from 'vitest';
import { type AcdSimulationQueueResult, runAcdSimulation, type ScenarioInput } from '../src/acd/index';
import { erlangA, erlangC, erlangCServiceLevel } from '../src/analytics/index';

/**
 * The real engine on virtual time, averaged over seeds, against queueing theory: 10 Erlangs
 * offered (200 calls an hour, exponential handle time of 180 s), a 20 s target.
 *
 * Run lengths are chosen from the spread measured between seeds (per 200 simulated hours the
 * service level varies by about 1.3 points and ASA by 8 % / 12 % / 13 % for 12 / 13 / 14
 * agents): the totals below put each tolerance at 3 to 4 standard errors. The runs are
 * deterministic, so the outcome does not change from run to run; it changes when the engine does.
 */

const ahtSeconds = 180;
const erlangs = 10;

function scenario(agents: number, hours: number, patienceSeconds?: number): ScenarioInput {
  return {
    name: `${erlangs} Erlangs on ${agents} agents`,
    durationSeconds: (hours + 1) * 3600,
    warmupSeconds: 3600,
    queues: [
      {
        id: 'q',
        channel: 'voice',
        serviceLevel: { percent: 80, withinSeconds: 20 },
        arrivals: { perHour: (erlangs / ahtSeconds) * 3600 },
        handleTime: { distribution: 'exponential', meanSeconds: ahtSeconds },
        ...(patienceSeconds !== undefined ? { patience: { meanSeconds: patienceSeconds } } : {}),
      },
    ],
    agents: [{ count: agents }],
  };
}

function averaged(agents: number, hours: number, seeds: number, patienceSeconds?: number) {
  const runs: AcdSimulationQueueResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    runs.push(runAcdSimulation(scenario(agents, hours, patienceSeconds), seed).queues[0]!);
  }
  const mean = (pick: (q: AcdSimulationQueueResult) => number | null) =>
    runs.reduce((sum, q) => sum + (pick(q) ?? Number.NaN), 0) / runs.length;
  return {
    serviceLevel: mean((q) => q.serviceLevel),
    asaSeconds: mean((q) => q.asaSeconds),
    abandonRate: mean((q) => q.abandonRate),
    offered: runs.reduce((sum, q) => sum + q.offered, 0),
    theory: runs[0]!.theory,
  };
}

describe('ACD simulation agrees with Erlang C', () => {
  it.each([
    { agents: 12, wait: 0.449, sl: 0.64, seeds: 8, hours: 250 },
    { agents: 13, wait: 0.285, sl: 0.796, seeds: 12, hours: 250 },
    { agents: 14, wait: 0.174, sl: 0.888, seeds: 12, hours: 250 },
  ])(
    '$agents agents: service level within 1.5 points, ASA within 10 %',
    ({ agents, wait, sl, seeds, hours }) => {
      const theory = erlangC({ erlangs, ahtSeconds, agents });
      const theorySl = erlangCServiceLevel({ erlangs, ahtSeconds, agents, targetSeconds: 20 });
      expect(theory.probabilityOfWait).toBeCloseTo(wait, 3);
      expect(theorySl).toBeCloseTo(sl, 3);

      const sim = averaged(agents, hours, seeds);
      // About 200 calls an hour were really offered.
      expect(Math.abs(sim.offered / (seeds * hours) - 200)).toBeLessThan(5);
      expect(
        Math.abs(sim.serviceLevel - theorySl) * 100,
        `SL ${sim.serviceLevel} vs ${theorySl}`,
      ).toBeLessThan(1.5);
      expect(
        Math.abs(sim.asaSeconds / theory.asaSeconds - 1),
        `ASA ${sim.asaSeconds} vs ${theory.asaSeconds}`,
      ).toBeLessThan(0.1);
      expect(sim.abandonRate).toBe(0);
      // The simulator's own theory line is the same figure.
      expect(sim.theory).toMatchObject({ model: 'erlang-c', agents });
      expect(sim.theory?.serviceLevel).toBeCloseTo(theorySl, 9);
    },
  );
});

describe('ACD simulation agrees with Erlang A', () => {
  it.each([
    { patienceSeconds: 60, abandon: 0.076 },
    { patienceSeconds: 180, abandon: 0.053 },
    { patienceSeconds: 600, abandon: 0.03 },
  ])(
    '12 agents, patience $patienceSeconds s: abandon rate within 1 point',
    ({ patienceSeconds, abandon }) => {
      const theory = erlangA({ erlangs, ahtSeconds, agents: 12, patienceSeconds });
      expect(theory.probabilityOfAbandon).toBeCloseTo(abandon, 3);
      const sim = averaged(12, 150, 4, patienceSeconds);
      expect(
        Math.abs(sim.abandonRate - theory.probabilityOfAbandon) * 100,
        `abandon ${sim.abandonRate} vs ${theory.probabilityOfAbandon}`,
      ).toBeLessThan(1);
      expect(sim.theory?.abandonRate).toBeCloseTo(theory.probabilityOfAbandon, 9);
    },
  );
});
