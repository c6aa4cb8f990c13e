import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runAcdSimulation, type ScenarioInput, simulateAcdCommand } from '../src/acd/index';

const examplesDir = join(import.meta.dirname, '..', 'examples', 'acd');

function small(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'small',
    durationSeconds: 4 * 3600,
    warmupSeconds: 0,
    queues: [
      {
        id: 'q',
        arrivals: { perHour: 100 },
        handleTime: { distribution: 'lognormal', meanSeconds: 200, sdSeconds: 100 },
        patience: { meanSeconds: 120 },
      },
    ],
    agents: [{ count: 6 }],
    ...overrides,
  };
}

describe('ACD simulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = runAcdSimulation(small(), 7);
    const b = runAcdSimulation(small(), 7);
    const c = runAcdSimulation(small(), 8);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.queues[0]!.offered).not.toBe(c.queues[0]!.offered);
    expect(a.events).toBeGreaterThan(1000);
  });

  it('follows a rate profile: nothing arrives while the rate is zero', () => {
    const result = runAcdSimulation(
      small({
        queues: [
          {
            id: 'q',
            arrivals: {
              profile: [
                { fromSecond: 0, perHour: 0 },
                { fromSecond: 7200, perHour: 300 },
              ],
            },
            handleTime: { distribution: 'constant', seconds: 60 },
          },
        ],
        warmupSeconds: 7199,
      }),
      3,
    );
    // 2 h at 300/h: about 600, and none before the warm-up ended.
    expect(result.queues[0]!.offered).toBeGreaterThan(500);
    expect(result.queues[0]!.offered).toBeLessThan(700);
  });

  it('keeps agents to their shifts: with nobody on before the shift, early callers abandon', () => {
    const result = runAcdSimulation(
      small({
        durationSeconds: 2 * 3600,
        agents: [{ count: 6, shifts: [{ startSecond: 3600, endSecond: 7200, breaks: [] }] }],
      }),
      5,
    );
    const q = result.queues[0]!;
    // The first hour's ~100 callers all hang up (mean patience 2 min), the second hour is served.
    expect(q.abandoned).toBeGreaterThan(80);
    expect(q.answered).toBeGreaterThan(80);
    expect(q.occupancy).not.toBeNull();
  });

  it('sends agents on their breaks: a break over the whole run serves nobody', () => {
    const result = runAcdSimulation(
      small({
        durationSeconds: 3000,
        agents: [
          {
            count: 6,
            shifts: [
              {
                startSecond: 0,
                endSecond: 7200,
                breaks: [{ startSecond: 0, durationSeconds: 3600, reason: 'training' }],
              },
            ],
          },
        ],
      }),
      5,
    );
    expect(result.queues[0]!.answered).toBe(0);
    expect(result.queues[0]!.abandoned).toBeGreaterThan(50);
  });

  it('runs every example scenario', () => {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const scenario = parseScenario(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
      // Long theory checks are cut short here; the full runs are for people.
      const cut = { ...scenario, durationSeconds: Math.min(scenario.durationSeconds, 12 * 3600) };
      cut.warmupSeconds = Math.min(cut.warmupSeconds, cut.durationSeconds / 4);
      const result = runAcdSimulation(cut, 1);
      expect(result.queues.length, file).toBe(scenario.queues.length);
      for (const queue of result.queues) expect(queue.offered, `${file} ${queue.id}`).toBeGreaterThan(0);
    }
  });
});

describe('simulateAcdCommand', () => {
  it('prints a table with the theory line, or JSON', async () => {
    const scenarioPath = join(examplesDir, 'erlang-a-patience-180.json');
    const readText = async () => {
      const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8')) as ScenarioInput;
      return JSON.stringify({ ...scenario, durationSeconds: 10 * 3600 });
    };
    const table = await simulateAcdCommand({ scenarioPath, seed: 1, format: 'table', readText });
    expect(table).toMatch(
      /^queue\s+offered\s+answered\s+abandoned\s+SL\s+target\s+ASA\s+abandon\s+occupancy/m,
    );
    expect(table).toMatch(/^retail\s+\d+\s+\d+\s+\d+\s+\d+\.\d %/m);
    expect(table).toContain(
      'retail: Erlang A with 12 agents and 10.00 Erlangs: P(wait) 0.303, abandon 5.3 %',
    );
    const json = JSON.parse(await simulateAcdCommand({ scenarioPath, seed: 1, format: 'json', readText }));
    expect(json).toMatchObject({
      seed: 1,
      queues: [{ id: 'retail', theory: { model: 'erlang-a', agents: 12 } }],
    });
    expect(json.queues[0].abandonRate).toBeGreaterThan(0);
  });

  it('names the file and the fields at fault', async () => {
    await expect(
      simulateAcdCommand({ scenarioPath: '/nonexistent/x.json', seed: 1, format: 'table' }),
    ).rejects.toMatchObject({
      code: 'ACD_INVALID_SCENARIO',
      message: expect.stringContaining('/nonexistent/x.json'),
    });
    const bad = {
      ...small(),
      queues: [{ id: 'q', arrivals: { perHour: 10 }, handleTime: { distribution: 'gamma' } }],
    };
    await expect(
      simulateAcdCommand({
        scenarioPath: 'bad.json',
        seed: 1,
        format: 'json',
        readText: async () => JSON.stringify(bad),
      }),
    ).rejects.toMatchObject({
      code: 'ACD_INVALID_SCENARIO',
      message: expect.stringContaining('queues.0.handleTime'),
    });
    await expect(
      simulateAcdCommand({ scenarioPath: 'x.json', seed: 1, format: 'json', readText: async () => '{ nope' }),
    ).rejects.toMatchObject({ code: 'ACD_INVALID_SCENARIO', message: expect.stringContaining('not JSON') });
  });
});
