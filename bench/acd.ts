/**
 * ACD routing benchmark: 10,000 agents, 200 skills (one queue per skill, some with priority
 * aging, a quarter with an overflow step), 50,000 interactions waiting. In the steady state
 * every agent is busy; each step one agent finishes (a decision: the best waiting interaction
 * across that agent's queues, by priority with aging and tier bonus, then age) and one contact
 * arrives (a decision: a free eligible agent, or its place in the queue with position and
 * estimated wait). Each routing call is timed on its own.
 *
 * The baseline, in the same run, is a naive router that scans every waiting interaction (or
 * every agent) per decision, started from the engine's own state (via `snapshot()`) and fed the
 * same sequence; the decisions of both are compared one by one. A second, smaller figure times
 * arrivals when all 10,000 agents are free and nothing waits (the agent side of the index).
 *
 *   npm run bench -- acd [--steps 25000] [--baseline-steps 1000] [--seed 1]
 */
import os from 'node:os';
import { AcdEngine, type CustomerTier, type QueueConfigInput, Random } from '../src/acd/index';
import { VirtualClock } from '../src/core/index';

const AGENTS = 10_000;
const SKILLS = 200;
const WAITING = 50_000;
const SKILLS_PER_AGENT = 6;
const TIER_BONUS: Record<CustomerTier, number> = { private: 10, affluent: 5, mass: 0 };
const OVERFLOW_AFTER_MS = 30_000;

interface BenchQueue {
  id: string;
  skill: string;
  minProficiency: number;
  priority: number;
  agingPerMinute: number;
  overflow: boolean;
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} wants a positive number`);
  return value;
}

function percentiles(samplesUs: number[]) {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const total = samplesUs.reduce((a, b) => a + b, 0);
  return {
    decisions: samplesUs.length,
    decisionsPerSecond: Math.round(samplesUs.length / (total / 1e6)),
    meanUs: round(total / samplesUs.length),
    p50Us: round(at(0.5)),
    p99Us: round(at(0.99)),
    p999Us: round(at(0.999)),
    maxUs: round(sorted[sorted.length - 1] ?? 0),
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const nowUs = () => Number(process.hrtime.bigint()) / 1000;

function makeWorld(seed: number) {
  const rng = new Random(seed);
  const queues: BenchQueue[] = Array.from({ length: SKILLS }, (_, i) => ({
    id: `q${i}`,
    skill: `s${i}`,
    minProficiency: 1 + rng.int(3),
    priority: rng.int(4),
    agingPerMinute: i % 3 === 0 ? 1 : 0,
    overflow: i % 4 === 0,
  }));
  const agents = Array.from({ length: AGENTS }, (_, i) => {
    const skills: Record<string, number> = {};
    while (Object.keys(skills).length < SKILLS_PER_AGENT) skills[`s${rng.int(SKILLS)}`] = 1 + rng.int(5);
    return { id: `a${i}`, skills };
  });
  return { queues, agents };
}

function queueConfig(q: BenchQueue): QueueConfigInput {
  return {
    id: q.id,
    channel: 'voice',
    skills: [{ skill: q.skill, minProficiency: q.minProficiency }],
    priority: q.priority,
    priorityAgingPerMinute: q.agingPerMinute,
    tierBonus: TIER_BONUS,
    overflow: q.overflow ? [{ afterMs: OVERFLOW_AFTER_MS, minProficiency: 1 }] : [],
    ringNoAnswerMs: 0,
    wrapUpMs: 0,
  };
}

const tierOf = (rng: Random) => rng.weighted<CustomerTier>({ private: 1, affluent: 3, mass: 16 });

/** The naive router: the same rules, a full scan per decision. */
class NaiveRouter {
  readonly waiting: { id: string; queue: BenchQueue; key: number; enqueuedAt: number; order: number }[] = [];
  readonly agents: {
    id: string;
    skills: Map<string, number>;
    busy: boolean;
    availableSince: number;
    seq: number;
  }[];
  private readonly agentsById = new Map<string, NaiveRouter['agents'][number]>();

  constructor(world: ReturnType<typeof makeWorld>) {
    this.agents = world.agents.map((a, seq) => ({
      id: a.id,
      skills: new Map(Object.entries(a.skills)),
      busy: false,
      availableSince: 0,
      seq,
    }));
    for (const a of this.agents) this.agentsById.set(a.id, a);
  }

  agent(id: string) {
    return this.agentsById.get(id)!;
  }

  private minProficiency(q: BenchQueue, enqueuedAt: number, now: number): number {
    return q.overflow && now - enqueuedAt >= OVERFLOW_AFTER_MS ? 1 : q.minProficiency;
  }

  /** An agent frees up: scan all waiting interactions for the best it may take. */
  agentFrees(agentId: string, now: number): string | null {
    const agent = this.agent(agentId);
    agent.busy = false;
    agent.availableSince = now;
    let best = -1;
    let bestEffective = 0;
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const q = w.queue;
      if ((agent.skills.get(q.skill) ?? 0) < this.minProficiency(q, w.enqueuedAt, now)) continue;
      const effective = w.key + (q.agingPerMinute / 60_000) * now;
      const b = this.waiting[best];
      if (
        b === undefined ||
        effective > bestEffective ||
        (effective === bestEffective &&
          (w.enqueuedAt < b.enqueuedAt || (w.enqueuedAt === b.enqueuedAt && w.order < b.order)))
      ) {
        best = i;
        bestEffective = effective;
      }
    }
    if (best < 0) return null;
    const chosen = this.waiting[best]!;
    this.waiting[best] = this.waiting[this.waiting.length - 1]!;
    this.waiting.pop();
    agent.busy = true;
    return chosen.id;
  }

  /** A contact arrives: scan all agents for the longest idle free one who qualifies. */
  arrive(id: string, q: BenchQueue, key: number, now: number, order: number): string | null {
    let best: NaiveRouter['agents'][number] | null = null;
    for (const a of this.agents) {
      if (a.busy || (a.skills.get(q.skill) ?? 0) < q.minProficiency) continue;
      if (best === null || a.availableSince < best.availableSince) best = a;
    }
    if (best) {
      best.busy = true;
      return best.id;
    }
    this.waiting.push({ id, queue: q, key, enqueuedAt: now, order });
    return null;
  }
}

/** What the steady-state driver needs from a router; the engine and the naive one both provide it. */
interface Router {
  /** Time moves on (the engine fires due overflow steps here, outside the timed calls). */
  tick(now: number): void;
  /** The agent finished its interaction: returns the interaction it was offered next, if any. */
  free(agentId: string, now: number): string | null;
  /** A contact arrives: returns the agent it was offered to, or null when it queued. */
  arrive(
    interactionId: string,
    queue: BenchQueue,
    tier: CustomerTier,
    now: number,
    order: number,
  ): string | null;
  /** The agent accepts its offer (outside the timed part). */
  accept(agentId: string): void;
}

/**
 * One agent frees up and one contact arrives per step, in batches; only the two routing calls
 * are timed (each on its own, wall clock) and each batch's process CPU time is taken, so a busy
 * machine's preemptions show in the latency tail but not in the CPU figure. Accepting offers is
 * done between batches. Both routers see the same sequence as long as they decide the same.
 */
function drive(
  router: Router,
  start: { busy: string[]; now: number; order: number },
  steps: number,
  seed: number,
) {
  const rng = new Random(seed);
  const batch = 250;
  let connected = [...start.busy];
  let pending: string[] = [];
  let now = start.now;
  let order = start.order;
  const frees: number[] = [];
  const arrivals: number[] = [];
  const chosen: (string | null)[] = [];
  let cpuMicros = 0;
  for (let done = 0; done < steps; ) {
    const cpu0 = process.cpuUsage();
    const end = Math.min(steps, done + batch);
    for (; done < end; done++) {
      now += 1 + rng.int(4);
      router.tick(now);
      const pick = rng.int(connected.length);
      const agentId = connected[pick]!;
      connected[pick] = connected[connected.length - 1]!;
      connected.pop();
      let t0 = nowUs();
      const next = router.free(agentId, now);
      frees.push(nowUs() - t0);
      chosen.push(next);
      if (next !== null) pending.push(agentId);
      const q = WORLD_QUEUES[rng.int(SKILLS)]!;
      const tier = tierOf(rng);
      t0 = nowUs();
      const agent = router.arrive(`s${order}`, q, tier, now, order);
      arrivals.push(nowUs() - t0);
      order++;
      if (agent !== null) pending.push(agent);
    }
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    for (const agentId of pending) router.accept(agentId);
    connected = connected.concat(pending);
    pending = [];
  }
  return { frees, arrivals, chosen, cpuSeconds: cpuMicros / 1e6, now };
}

let WORLD_QUEUES: BenchQueue[] = [];

export default async function acdBench(args: string[]): Promise<unknown> {
  const steps = option(args, 'steps', 25_000);
  const baselineSteps = option(args, 'baseline-steps', 1000);
  const seed = option(args, 'seed', 1);
  const world = makeWorld(seed);
  WORLD_QUEUES = world.queues;
  const queuesById = new Map(world.queues.map((q) => [q.id, q] as const));
  const loadBefore = os.loadavg()[0]!;

  // ── the engine, filled to 50,000 waiting with every agent busy ──
  const setupStart = performance.now();
  const clock = new VirtualClock(0);
  let events = 0;
  const engine = new AcdEngine({
    clock,
    publish: () => {
      events++;
    },
  });
  for (const q of world.queues) engine.defineQueue(queueConfig(q));
  for (const a of world.agents) {
    engine.addAgent({ id: a.id, skills: a.skills, capacity: { voice: 1 } });
    engine.login(a.id, { ready: true });
  }
  const busy: string[] = [];
  const fill = new Random(seed + 1000);
  let nextOrder = 1;
  let waiting = 0;
  while (waiting < WAITING) {
    clock.advance(2);
    const q = world.queues[fill.int(SKILLS)]!;
    const id = `s${nextOrder++}`;
    const result = engine.enqueue({ interactionId: id, queueId: q.id, tier: tierOf(fill) });
    if (result.outcome === 'offered') {
      engine.accept(result.agentId, id);
      busy.push(result.agentId);
    } else {
      waiting++;
    }
  }
  const setupSeconds = (performance.now() - setupStart) / 1000;
  process.stderr.write(
    `acd bench: ${AGENTS} agents, ${SKILLS} skills, ${waiting} waiting, ${busy.length} busy (setup ${setupSeconds.toFixed(1)} s)\n`,
  );
  const start = { busy, now: clock.now(), order: nextOrder };

  // ── the naive router, started from the engine's own state ──
  const naive = new NaiveRouter(world);
  for (const record of engine.snapshot().interactions) {
    if (record.state !== 'waiting') continue;
    const q = queuesById.get(record.queueId)!;
    const base = q.priority + record.priorityBoost + TIER_BONUS[record.tier];
    naive.waiting.push({
      id: record.interactionId,
      queue: q,
      key: base - (q.agingPerMinute / 60_000) * record.enqueuedAt,
      enqueuedAt: record.enqueuedAt,
      order: record.order,
    });
  }
  for (const agentId of busy) naive.agent(agentId).busy = true;
  const naiveRouter: Router = {
    tick: () => undefined,
    free: (agentId, now) => naive.agentFrees(agentId, now),
    arrive: (id, q, tier, now, order) =>
      naive.arrive(id, q, q.priority + 0 + TIER_BONUS[tier] - (q.agingPerMinute / 60_000) * now, now, order),
    accept: () => undefined,
  };

  // ── the engine as a router: what each agent holds is kept here, outside the timed calls ──
  const holding = new Map<string, string>();
  for (const agentId of busy) {
    const state = engine.agentState(agentId).state;
    if (state.kind === 'busy') holding.set(agentId, state.interactionIds[0]!);
  }
  const offeredTo = new Map<string, string>();
  const engineRouter: Router = {
    tick: (now) => clock.advanceTo(now),
    free: (agentId) => {
      const state = engine.release(agentId, holding.get(agentId)!);
      if (state.kind !== 'reserved') return null;
      offeredTo.set(agentId, state.interactionId);
      return state.interactionId;
    },
    arrive: (id, q, tier) => {
      const result = engine.enqueue({ interactionId: id, queueId: q.id, tier });
      if (result.outcome !== 'offered') return null;
      offeredTo.set(result.agentId, id);
      return result.agentId;
    },
    accept: (agentId) => {
      const interactionId = offeredTo.get(agentId)!;
      engine.accept(agentId, interactionId);
      holding.set(agentId, interactionId);
    },
  };

  // The naive run goes first: it starts from the state the engine is in now.
  process.stderr.write(`acd bench: naive full-scan router, ${baselineSteps} steps…\n`);
  const baseline = drive(naiveRouter, start, baselineSteps, seed + 2000);
  process.stderr.write(`acd bench: engine, ${steps} steps…\n`);
  const heapBefore = process.memoryUsage().heapUsed;
  const measured = drive(engineRouter, start, steps, seed + 2000);
  const heapAfter = process.memoryUsage().heapUsed;

  let identical = 0;
  const compared = Math.min(baselineSteps, measured.chosen.length);
  for (let i = 0; i < compared; i++) if (baseline.chosen[i] === measured.chosen[i]) identical++;

  const engineAll = percentiles([...measured.frees, ...measured.arrivals]);
  const naiveAll = percentiles([...baseline.frees, ...baseline.arrivals]);
  const engineCpuRate = Math.round((2 * steps) / measured.cpuSeconds);
  const naiveCpuRate = Math.round((2 * baselineSteps) / baseline.cpuSeconds);

  // ── arrivals with all 10,000 agents free and nothing waiting ──
  const free = freeAgentArrivals(world, seed, Math.min(steps, 20_000), Math.min(baselineSteps, 2000));

  return {
    setup: {
      agents: AGENTS,
      skills: SKILLS,
      queues: world.queues.length,
      skillsPerAgent: SKILLS_PER_AGENT,
      waiting: WAITING,
      busyAgents: busy.length,
      setupSeconds: round(setupSeconds),
      loadAverage: { before: round(loadBefore), after: round(os.loadavg()[0]!) },
      cpus: os.cpus().length,
    },
    engine: {
      ...engineAll,
      /** Decisions per second of this process's CPU time in the timed batches (preemption excluded). */
      decisionsPerCpuSecond: engineCpuRate,
      agentFreesUp: percentiles(measured.frees),
      arrival: percentiles(measured.arrivals),
      eventsPublished: events,
      heapMb: round(heapAfter / 1e6),
      heapGrowthMb: round((heapAfter - heapBefore) / 1e6),
    },
    naiveFullScan: {
      ...naiveAll,
      decisionsPerCpuSecond: naiveCpuRate,
      agentFreesUp: percentiles(baseline.frees),
      arrival: percentiles(baseline.arrivals),
    },
    ratio: {
      decisionsPerSecond: round(engineAll.decisionsPerSecond / naiveAll.decisionsPerSecond, 1),
      decisionsPerCpuSecond: round(engineCpuRate / naiveCpuRate, 1),
      p99: round(naiveAll.p99Us / engineAll.p99Us, 1),
    },
    sameDecisions: { compared, identical },
    arrivalWithAllAgentsFree: free,
    target: {
      decisionsPerSecond: 100_000,
      p99Ms: 1,
      metByWallClock: engineAll.decisionsPerSecond >= 100_000 && engineAll.p99Us < 1000,
      metByCpuTime: engineCpuRate >= 100_000 && engineAll.p99Us < 1000,
    },
  };
}

/** Arrivals routed to one of 10,000 free agents (and the agent freed again, untimed). */
function freeAgentArrivals(
  world: ReturnType<typeof makeWorld>,
  seed: number,
  steps: number,
  baselineSteps: number,
) {
  const clock = new VirtualClock(0);
  const engine = new AcdEngine({ clock, publish: () => undefined });
  for (const q of world.queues) engine.defineQueue(queueConfig(q));
  for (const a of world.agents) {
    engine.addAgent({ id: a.id, skills: a.skills, capacity: { voice: 1 } });
    engine.login(a.id, { ready: true });
  }
  const naive = new NaiveRouter(world);
  const rng = new Random(seed + 3000);
  const engineSamples: number[] = [];
  const naiveSamples: number[] = [];
  let identical = 0;
  for (let step = 0; step < steps; step++) {
    clock.advance(1 + rng.int(4));
    const q = world.queues[rng.int(SKILLS)]!;
    const id = `f${step}`;
    const t0 = nowUs();
    const result = engine.enqueue({ interactionId: id, queueId: q.id });
    engineSamples.push(nowUs() - t0);
    if (step < baselineSteps) {
      const n0 = nowUs();
      const agent = naive.arrive(id, q, 0, clock.now(), step);
      naiveSamples.push(nowUs() - n0);
      if (agent !== null) {
        naive.agent(agent).busy = false;
        naive.agent(agent).availableSince = clock.now();
      } else {
        naive.waiting.pop();
      }
      if (result.outcome === 'offered' && agent === result.agentId) identical++;
      if (result.outcome === 'queued' && agent === null) identical++;
    }
    if (result.outcome === 'offered') {
      engine.accept(result.agentId, id);
      engine.release(result.agentId, id);
    } else {
      engine.cancel(id, 'bench');
    }
  }
  const e = percentiles(engineSamples);
  const n = percentiles(naiveSamples);
  return {
    engine: e,
    naiveFullScan: n,
    ratio: round(e.decisionsPerSecond / n.decisionsPerSecond, 1),
    sameDecisions: { compared: Math.min(steps, baselineSteps), identical },
  };
}
