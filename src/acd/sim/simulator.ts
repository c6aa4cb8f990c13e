import { erlangA, erlangC, erlangCServiceLevel } from '../../analytics/index';
import { VirtualClock } from '../../core/index';
import { AcdEngine } from '../engine';
import { AcdError } from '../errors';
import type { AcdEvents } from '../events';
import type { Channel, CustomerTier } from '../types';
import { Random } from './random';
import { parseScenario, type Scenario, type ScenarioQueue } from './scenario';

export interface AcdSimulationQueueResult {
  id: string;
  channel: Channel;
  offered: number;
  answered: number;
  abandoned: number;
  maxWaitExpired: number;
  callbacksAccepted: number;
  serviceLevelTarget: { percent: number; withinSeconds: number };
  /** Fraction answered within the target (0..1). */
  serviceLevel: number | null;
  asaSeconds: number | null;
  abandonRate: number | null;
  occupancy: number | null;
  ahtSeconds: number | null;
  ewt: { samples: number; meanAbsoluteErrorSeconds: number | null; meanErrorSeconds: number | null };
  /** Queueing theory for the same figures, when the scenario is a textbook queue. */
  theory?: {
    model: 'erlang-c' | 'erlang-a';
    agents: number;
    erlangs: number;
    probabilityOfWait: number;
    serviceLevel?: number;
    asaSeconds?: number;
    abandonRate?: number;
  };
}

export interface AcdSimulationResult {
  scenario: string;
  seed: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Domain events the engine published during the run. */
  events: number;
  queues: AcdSimulationQueueResult[];
}

type AnyEvent = { [K in keyof AcdEvents]: { type: K; payload: AcdEvents[K] } }[keyof AcdEvents];

const ms = (seconds: number) => seconds * 1000;

function drawHandleSeconds(rng: Random, queue: ScenarioQueue): number {
  const h = queue.handleTime;
  switch (h.distribution) {
    case 'exponential':
      return rng.exponential(h.meanSeconds);
    case 'lognormal':
      return rng.logNormal(h.meanSeconds, h.sdSeconds);
    case 'constant':
      return h.seconds;
  }
}

/**
 * Runs the real ACD engine on virtual time for a scenario and a seed: Poisson arrivals
 * (piecewise-constant rates), handle times drawn per call, exponential patience, agents who log
 * in for their shifts, take their breaks and accept every offer after `acceptSeconds`. The
 * result is the same for the same scenario and seed, to the last digit.
 */
export function runAcdSimulation(input: Scenario | unknown, seed: number): AcdSimulationResult {
  if (!Number.isInteger(seed))
    throw new AcdError('ACD_INVALID_SCENARIO', `the seed must be a whole number, got ${seed}`);
  const scenario = parseScenario(input);
  const rng = new Random(seed);
  const clock = new VirtualClock(0);
  const end = ms(scenario.durationSeconds);
  const callbacks = new Set<string>();
  const queueOf = new Map<string, ScenarioQueue>();
  let events = 0;

  const later = (delayMs: number, run: () => void) => clock.setTimeout(run, Math.max(0, delayMs));

  const engine: AcdEngine = new AcdEngine({
    clock,
    publish: (type, payload) => {
      events++;
      const event = { type, payload } as AnyEvent;
      switch (event.type) {
        case 'acd.interaction.offered': {
          const { interactionId, agentId } = event.payload;
          later(ms(scenario.acceptSeconds), () => {
            if (!engine.hasInteraction(interactionId)) return;
            const now = engine.interactionState(interactionId);
            if (now.state !== 'offered' || now.agentId !== agentId) return;
            engine.accept(agentId, interactionId);
            const queue = queueOf.get(interactionId)!;
            later(ms(drawHandleSeconds(rng, queue)), () => engine.release(agentId, interactionId));
          });
          break;
        }
        case 'acd.interaction.callback-offer': {
          const { interactionId } = event.payload;
          const queue = queueOf.get(interactionId)!;
          if (rng.uniform() < queue.callbackAcceptance) {
            later(0, () => {
              if (
                !engine.hasInteraction(interactionId) ||
                engine.interactionState(interactionId).state !== 'waiting'
              )
                return;
              callbacks.add(interactionId);
              engine.acceptCallback(interactionId);
            });
          }
          break;
        }
        case 'acd.agent.state-changed': {
          const { agentId, to } = event.payload;
          if (to.kind === 'not-ready' && to.reason === 'end-of-shift') later(0, () => engine.logout(agentId));
          // A simulated agent who let an offer ring out is back at once; the contact already went on.
          if (to.kind === 'not-ready' && to.reason === 'no-answer') later(0, () => engine.setReady(agentId));
          break;
        }
        case 'acd.interaction.completed':
        case 'acd.interaction.abandoned':
        case 'acd.interaction.max-wait':
        case 'acd.interaction.canceled':
          queueOf.delete(event.payload.interactionId);
          callbacks.delete(event.payload.interactionId);
          break;
        default:
          break;
      }
    },
  });

  for (const queue of scenario.queues) {
    engine.defineQueue({
      id: queue.id,
      channel: queue.channel,
      skills: queue.skills,
      serviceLevel: { percent: queue.serviceLevel.percent, withinMs: ms(queue.serviceLevel.withinSeconds) },
      priority: queue.priority,
      priorityAgingPerMinute: queue.priorityAgingPerMinute,
      ...(queue.tierBonus ? { tierBonus: queue.tierBonus } : {}),
      ...(queue.maxWaitSeconds !== undefined ? { maxWaitMs: Math.round(ms(queue.maxWaitSeconds)) } : {}),
      overflow: queue.overflow.map((step) => ({
        afterMs: Math.round(ms(step.afterSeconds)),
        ...(step.minProficiency !== undefined ? { minProficiency: step.minProficiency } : {}),
        addQueues: step.addQueues,
      })),
      ...(queue.callbackOfferSeconds !== undefined
        ? { callbackOfferMs: Math.round(ms(queue.callbackOfferSeconds)) }
        : {}),
      ...(queue.announceEverySeconds !== undefined
        ? { announceEveryMs: Math.round(ms(queue.announceEverySeconds)) }
        : {}),
      wrapUpMs: Math.round(ms(queue.wrapUpSeconds)),
      ringNoAnswerMs: Math.round(ms(queue.ringNoAnswerSeconds)),
      strategy: queue.strategy,
      lastAgentWithinMs: Math.round(ms(queue.lastAgentWithinSeconds)),
      expectedHandleMs: Math.round(ms(meanHandleSeconds(queue))),
    });
  }

  // Agents and their shifts.
  for (const group of scenario.agents) {
    const width = String(group.count).length;
    for (let i = 1; i <= group.count; i++) {
      const agentId = `${group.idPrefix}${String(i).padStart(width, '0')}`;
      engine.addAgent({
        id: agentId,
        ...(group.team !== undefined ? { team: group.team } : {}),
        skills: group.skills,
        capacity: group.capacity,
      });
      const shifts = group.shifts ?? [{ startSecond: 0, endSecond: scenario.durationSeconds, breaks: [] }];
      for (const shift of shifts) {
        later(ms(shift.startSecond), () => engine.login(agentId, { ready: true }));
        for (const pause of shift.breaks) {
          later(ms(pause.startSecond), () => engine.setNotReady(agentId, pause.reason));
          later(ms(pause.startSecond + pause.durationSeconds), () => engine.setReady(agentId));
        }
        if (shift.endSecond < scenario.durationSeconds) {
          later(ms(shift.endSecond), () => engine.setNotReady(agentId, 'end-of-shift'));
        }
      }
    }
  }

  // Poisson arrivals per queue, piecewise-constant rates (memoryless, so a new step just restarts the draw).
  for (const queue of scenario.queues) {
    const steps =
      'perHour' in queue.arrivals
        ? [{ fromSecond: 0, perHour: queue.arrivals.perHour }]
        : queue.arrivals.profile;
    let counter = 0;
    const scheduleFrom = (fromSeconds: number): void => {
      let t = fromSeconds;
      for (;;) {
        let index = 0;
        while (index + 1 < steps.length && steps[index + 1]!.fromSecond <= t) index++;
        const stepEnd = steps[index + 1]?.fromSecond ?? Number.POSITIVE_INFINITY;
        const perSecond = steps[index]!.perHour / 3600;
        if (perSecond > 0) {
          const next = t + rng.exponential(1 / perSecond);
          if (next < stepEnd) {
            if (next < scenario.durationSeconds) later(ms(next) - clock.now(), () => arrive(next));
            return;
          }
        }
        if (stepEnd === Number.POSITIVE_INFINITY || stepEnd >= scenario.durationSeconds) return;
        t = stepEnd;
      }
    };
    const arrive = (atSeconds: number): void => {
      const interactionId = `${queue.id}-${++counter}`;
      const tier: CustomerTier = queue.tiers ? rng.weighted<CustomerTier>(queue.tiers) : 'mass';
      const returning = queue.returningCustomers;
      const customerId =
        returning && rng.uniform() < returning.share
          ? `customer-${rng.int(returning.population) + 1}`
          : undefined;
      const patienceSeconds = queue.patience ? rng.exponential(queue.patience.meanSeconds) : null;
      queueOf.set(interactionId, queue);
      const result = engine.enqueue({
        interactionId,
        queueId: queue.id,
        tier,
        ...(customerId !== undefined ? { customerId } : {}),
      });
      const mayWait = result.outcome === 'queued' || scenario.acceptSeconds > 0;
      if (patienceSeconds !== null && mayWait) {
        later(ms(patienceSeconds), () => {
          if (!engine.hasInteraction(interactionId) || callbacks.has(interactionId)) return;
          const state = engine.interactionState(interactionId).state;
          if (state === 'waiting' || state === 'offered') engine.abandon(interactionId);
        });
      }
      scheduleFrom(atSeconds);
    };
    scheduleFrom(0);
  }

  if (scenario.warmupSeconds > 0) later(ms(scenario.warmupSeconds), () => engine.resetStatistics());
  clock.advanceTo(end);

  const queues = scenario.queues.map((queue) => {
    const stats = engine.queueStatistics(queue.id);
    const result: AcdSimulationQueueResult = {
      id: queue.id,
      channel: queue.channel,
      offered: stats.offered,
      answered: stats.answered,
      abandoned: stats.abandoned,
      maxWaitExpired: stats.maxWaitExpired,
      callbacksAccepted: stats.callbacksAccepted,
      serviceLevelTarget: { ...queue.serviceLevel },
      serviceLevel: stats.serviceLevel,
      asaSeconds: stats.asaMs === null ? null : stats.asaMs / 1000,
      abandonRate: stats.abandonRate,
      occupancy: stats.occupancy,
      ahtSeconds: stats.ahtMs === null ? null : stats.ahtMs / 1000,
      ewt: {
        samples: stats.ewt.samples,
        meanAbsoluteErrorSeconds:
          stats.ewt.meanAbsoluteErrorMs === null ? null : stats.ewt.meanAbsoluteErrorMs / 1000,
        meanErrorSeconds: stats.ewt.meanErrorMs === null ? null : stats.ewt.meanErrorMs / 1000,
      },
    };
    const theory = theoryFor(scenario, queue);
    if (theory) result.theory = theory;
    return result;
  });
  engine.close();
  return {
    scenario: scenario.name,
    seed,
    durationSeconds: scenario.durationSeconds,
    warmupSeconds: scenario.warmupSeconds,
    events,
    queues,
  };
}

function meanHandleSeconds(queue: ScenarioQueue): number {
  const h = queue.handleTime;
  return h.distribution === 'constant' ? h.seconds : h.meanSeconds;
}

/**
 * Erlang C or A for a textbook queue: one queue, a constant Poisson rate, exponential handle
 * times, no wrap-up, no ring time, no overflow or maximum wait, and every agent on it for the
 * whole run with capacity one. Anything else has no closed form to compare with.
 */
function theoryFor(scenario: Scenario, queue: ScenarioQueue): AcdSimulationQueueResult['theory'] | undefined {
  if (scenario.queues.length !== 1 || !('perHour' in queue.arrivals)) return undefined;
  if (
    queue.handleTime.distribution !== 'exponential' ||
    queue.wrapUpSeconds > 0 ||
    scenario.acceptSeconds > 0
  ) {
    return undefined;
  }
  if (queue.overflow.length > 0 || queue.maxWaitSeconds !== undefined || queue.callbackAcceptance > 0)
    return undefined;
  let agents = 0;
  for (const group of scenario.agents) {
    if (group.shifts !== undefined || (group.capacity[queue.channel] ?? 0) !== 1) return undefined;
    const qualifies = queue.skills.every((s) => (group.skills[s.skill] ?? 0) >= s.minProficiency);
    if (!qualifies) return undefined;
    agents += group.count;
  }
  const aht = queue.handleTime.meanSeconds;
  const erlangs = (queue.arrivals.perHour / 3600) * aht;
  if (queue.patience) {
    const a = erlangA({ erlangs, ahtSeconds: aht, agents, patienceSeconds: queue.patience.meanSeconds });
    return {
      model: 'erlang-a',
      agents,
      erlangs,
      probabilityOfWait: a.probabilityOfWait,
      abandonRate: a.probabilityOfAbandon,
    };
  }
  if (erlangs >= agents) return undefined;
  const c = erlangC({ erlangs, ahtSeconds: aht, agents });
  return {
    model: 'erlang-c',
    agents,
    erlangs,
    probabilityOfWait: c.probabilityOfWait,
    serviceLevel: erlangCServiceLevel({
      erlangs,
      ahtSeconds: aht,
      agents,
      targetSeconds: queue.serviceLevel.withinSeconds,
    }),
    asaSeconds: c.asaSeconds,
    abandonRate: 0,
  };
}

const percent = (value: number | null | undefined) => (value == null ? '—' : `${(value * 100).toFixed(1)} %`);
const secondsText = (value: number | null | undefined) => (value == null ? '—' : `${value.toFixed(1)} s`);

/** The result as a plain-text table (with theory lines where there is one) or as JSON. */
export function formatAcdSimulation(result: AcdSimulationResult, format: 'table' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;
  const header = [
    'queue',
    'offered',
    'answered',
    'abandoned',
    'SL',
    'target',
    'ASA',
    'abandon',
    'occupancy',
    'AHT',
    'EWT error',
  ];
  const rows = result.queues.map((q) => [
    q.id,
    String(q.offered),
    String(q.answered),
    String(q.abandoned),
    percent(q.serviceLevel),
    `${q.serviceLevelTarget.percent} % in ${q.serviceLevelTarget.withinSeconds} s`,
    secondsText(q.asaSeconds),
    percent(q.abandonRate),
    percent(q.occupancy),
    secondsText(q.ahtSeconds),
    secondsText(q.ewt.meanAbsoluteErrorSeconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const lines = [
    `${result.scenario} — seed ${result.seed}, ${hours(result.durationSeconds - result.warmupSeconds)} measured after ${hours(result.warmupSeconds)} warm-up`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  const theories = result.queues.filter((q) => q.theory);
  if (theories.length > 0) lines.push('');
  for (const q of theories) {
    const t = q.theory!;
    const figures =
      t.model === 'erlang-c'
        ? `P(wait) ${t.probabilityOfWait.toFixed(3)}, SL ${percent(t.serviceLevel)}, ASA ${secondsText(t.asaSeconds)}`
        : `P(wait) ${t.probabilityOfWait.toFixed(3)}, abandon ${percent(t.abandonRate)}`;
    lines.push(
      `${q.id}: ${t.model === 'erlang-c' ? 'Erlang C' : 'Erlang A'} with ${t.agents} agents and ${t.erlangs.toFixed(2)} Erlangs: ${figures}`,
    );
  }
  lines.push(
    `EWT error: mean absolute difference between the wait estimated on arrival and the wait that followed.`,
  );
  return `${lines.join('\n')}\n`;
}
