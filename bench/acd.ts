/**
 * ACD routing benchmark: 10,000 agents, 200 skills (one queue per skill, some with priority
 * aging, a quarter with an overflow step), 50,000 interactions waiting. In the steady state
 * every agent is busy; each step one agent finishes (a decision: the best waiting interaction
 * across that agent's queues, by priority with aging and tier bonus, then age) and one contact
 * arrives (a decision: a free eligible agent, or its place in the queue with position and
 * estimated wait). Each routing call is timed on its own, and the timed call is the router's
 * call and nothing else: the random draws and ids of the run are made beforehand, the driver
 * knows what each agent holds, and each run starts from a fully collected heap.
 *
 * The baseline, in the same run, is a naive router that scans every waiting interaction (or
 * every agent) per decision, started from the engine's own state (via `snapshot()`) and fed the
 * same sequence; the decisions of both are compared one by one. A second, smaller figure times
 * arrivals when all 10,000 agents are free and nothing waits (the agent side of the index).
 *
 * Memory: the heap in use after a full garbage collection, before the engine is built and once
 * it holds the scenario (the difference is what the scenario costs), and after the run; plus the
 * collections (count, time, longest pause) during the engine's run.
 *
 *   npm run bench -- acd [--steps 25000] [--baseline-steps 1000] [--seed 1]
 *                        [--profile FILE.cpuprofile] [--allocations FILE.heapprofile]
 *
 * `--profile` writes a V8 CPU profile and `--allocations` a sampling allocation profile (every
 * object, collected or not), both of the engine's timed run only, without the setup and the
 * naive router; open them in Chrome DevTools or speedscope.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
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

function textOption(args: string[], name: string): string | null {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return null;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} wants a value`);
  return value;
}

/** The collections V8 made while `run` ran: count and time, scavenges (minor) apart from the rest. */
function collectionsDuring<R>(run: () => R): { result: R; gc: Record<string, number> } {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const result = run();
  const { statistics } = profiler.stop();
  const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0, maxPauseMs: 0 };
  for (const { gcType, cost } of statistics) {
    const ms = cost / 1000;
    if (gcType === 'Scavenge' || gcType === 'MinorMarkCompact') {
      gc.minor++;
      gc.minorMs += ms;
    } else {
      gc.major++;
      gc.majorMs += ms;
    }
    gc.maxPauseMs = Math.max(gc.maxPauseMs, ms);
  }
  return {
    result,
    gc: { ...gc, minorMs: round(gc.minorMs), majorMs: round(gc.majorMs), maxPauseMs: round(gc.maxPauseMs) },
  };
}

/**
 * A full collection on demand. V8's own `gc()` (exposed at run time: `npm run bench` passes no
 * flags), not the inspector's `HeapProfiler.collectGarbage`: that one is a low-memory
 * notification, which also shrinks the young generation to 1 MB, so the next run would scavenge
 * far more often than in a process that never asked.
 */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** The heap in use once everything unreachable is collected. */
function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} wants a positive number`);
  return value;
}

function percentiles(samplesUs: ArrayLike<number>) {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    decisions: sorted.length,
    decisionsPerSecond: Math.round(sorted.length / (total / 1e6)),
    meanUs: round(total / sorted.length),
    p50Us: round(at(0.5)),
    p99Us: round(at(0.99)),
    p999Us: round(at(0.999)),
    maxUs: round(sorted[sorted.length - 1] ?? 0),
  };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const both = new Float64Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  return both;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Monotonic, sub-microsecond, and (unlike `process.hrtime.bigint()`) allocates nothing. */
const nowUs = () => performance.now() * 1000;

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

const TIER_WEIGHTS: Record<CustomerTier, number> = { private: 1, affluent: 3, mass: 16 };
const tierOf = (rng: Random) => rng.weighted<CustomerTier>(TIER_WEIGHTS);

/** `Random.int(n)` for a uniform drawn beforehand. */
const intOf = (u: number, n: number) => Math.floor(u * n);

/** `Random.weighted(TIER_WEIGHTS)` for a uniform drawn beforehand (the same arithmetic, so the same tier). */
function tierFrom(u: number): CustomerTier {
  let r = u * (TIER_WEIGHTS.private + TIER_WEIGHTS.affluent + TIER_WEIGHTS.mass);
  r -= TIER_WEIGHTS.private;
  if (r < 0) return 'private';
  r -= TIER_WEIGHTS.affluent;
  if (r < 0) return 'affluent';
  return 'mass';
}

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
  /** The agent finished `interactionId`: returns the interaction it was offered next, if any. */
  free(agentId: string, interactionId: string, now: number): string | null;
  /** A contact arrives: returns the agent it was offered to, or null when it queued. */
  arrive(
    interactionId: string,
    queue: BenchQueue,
    tier: CustomerTier,
    now: number,
    order: number,
  ): string | null;
  /** The agent accepts the interaction it was offered (outside the timed part). */
  accept(agentId: string, interactionId: string): void;
}

/**
 * One agent frees up and one contact arrives per step, in batches; only the two routing calls
 * are timed (each on its own, wall clock) and each batch's process CPU time is taken, so a busy
 * machine's preemptions show in the latency tail but not in the CPU figure. Accepting offers is
 * done between batches. Both routers see the same sequence as long as they decide the same.
 */
interface Script {
  /** Four uniforms per step: time step, which agent frees up, which queue, which tier. */
  draws: Float64Array;
  /** The arriving interactions' ids. */
  ids: string[];
}

/**
 * Every random draw and every interaction id of a run, made before it: the driver's own work and
 * garbage stay out of the timed calls and of the CPU figure (the same draws, in the same order,
 * as calling the generator step by step).
 */
function script(steps: number, firstOrder: number, seed: number): Script {
  const rng = new Random(seed);
  const draws = new Float64Array(4 * steps);
  for (let i = 0; i < draws.length; i++) draws[i] = rng.uniform();
  return { draws, ids: Array.from({ length: steps }, (_, i) => `s${firstOrder + i}`) };
}

function drive(
  router: Router,
  start: { busy: string[]; holds: string[]; now: number; order: number },
  steps: number,
  { draws, ids }: Script,
) {
  const batch = 250;
  let d = 0;
  // Who is connected to what, as two lists in step: the driver knows which interaction each agent
  // holds, as any caller of `release` does, so no lookup of its own lands in the timed calls.
  const connected = [...start.busy];
  const holds = [...start.holds];
  const pendingAgents: string[] = [];
  const pendingIxs: string[] = [];
  let now = start.now;
  let order = start.order;
  // Samples go into arrays sized up front, so the driver itself leaves as little garbage as it can
  // for the collector to trip over inside a timed call.
  const frees = new Float64Array(steps);
  const arrivals = new Float64Array(steps);
  const chosen: (string | null)[] = new Array<string | null>(steps).fill(null);
  let cpuMicros = 0;
  for (let done = 0; done < steps; ) {
    const cpu0 = process.cpuUsage();
    const end = Math.min(steps, done + batch);
    for (; done < end; done++) {
      now += 1 + intOf(draws[d++]!, 4);
      router.tick(now);
      const pick = intOf(draws[d++]!, connected.length);
      const agentId = connected[pick]!;
      const held = holds[pick]!;
      connected[pick] = connected[connected.length - 1]!;
      holds[pick] = holds[holds.length - 1]!;
      connected.pop();
      holds.pop();
      let t0 = nowUs();
      const next = router.free(agentId, held, now);
      frees[done] = nowUs() - t0;
      chosen[done] = next;
      if (next !== null) {
        pendingAgents.push(agentId);
        pendingIxs.push(next);
      }
      const q = WORLD_QUEUES[intOf(draws[d++]!, SKILLS)]!;
      const tier = tierFrom(draws[d++]!);
      const interactionId = ids[done]!;
      t0 = nowUs();
      const agent = router.arrive(interactionId, q, tier, now, order);
      arrivals[done] = nowUs() - t0;
      order++;
      if (agent !== null) {
        pendingAgents.push(agent);
        pendingIxs.push(interactionId);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    for (let i = 0; i < pendingAgents.length; i++) {
      router.accept(pendingAgents[i]!, pendingIxs[i]!);
      connected.push(pendingAgents[i]!);
      holds.push(pendingIxs[i]!);
    }
    pendingAgents.length = 0;
    pendingIxs.length = 0;
  }
  return { frees, arrivals, chosen, cpuSeconds: cpuMicros / 1e6, now };
}

/** The naive router, started from the engine's own state, driven through the same script. */
function runNaive(
  world: ReturnType<typeof makeWorld>,
  engine: AcdEngine,
  start: { busy: string[]; holds: string[]; now: number; order: number },
  steps: number,
  plan: Script,
) {
  const queuesById = new Map(world.queues.map((q) => [q.id, q] as const));
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
  for (const agentId of start.busy) naive.agent(agentId).busy = true;
  const naiveRouter: Router = {
    tick: () => undefined,
    free: (agentId, _interactionId, now) => naive.agentFrees(agentId, now),
    arrive: (id, q, tier, now, order) =>
      naive.arrive(id, q, q.priority + 0 + TIER_BONUS[tier] - (q.agingPerMinute / 60_000) * now, now, order),
    accept: () => undefined,
  };
  return drive(naiveRouter, start, steps, plan);
}

let WORLD_QUEUES: BenchQueue[] = [];

export default async function acdBench(args: string[]): Promise<unknown> {
  const steps = option(args, 'steps', 25_000);
  const baselineSteps = option(args, 'baseline-steps', 1000);
  const seed = option(args, 'seed', 1);
  const world = makeWorld(seed);
  WORLD_QUEUES = world.queues;
  const loadBefore = os.loadavg()[0]!;
  const profileFile = textOption(args, 'profile');
  const allocationFile = textOption(args, 'allocations');
  // The inspector only when a profile is asked for.
  const session = profileFile !== null || allocationFile !== null ? new Session() : null;
  session?.connect();
  const heapBeforeEngine = retainedHeap();

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
  const holds = busy.map((agentId) => {
    const state = engine.agentState(agentId).state;
    if (state.kind !== 'busy') throw new Error(`agent ${agentId} should be busy`);
    return state.interactionIds[0]!;
  });
  const start = { busy, holds, now: clock.now(), order: nextOrder };
  // Also the full collection each run starts from, so neither run pays for the garbage of the setup.
  const heapWithScenario = retainedHeap();

  // The naive run goes first: it starts from the state the engine is in now.
  process.stderr.write(`acd bench: naive full-scan router, ${baselineSteps} steps…\n`);
  const baseline = runNaive(
    world,
    engine,
    start,
    baselineSteps,
    script(baselineSteps, start.order, seed + 2000),
  );

  // ── the engine as a router: each timed call is the engine's own call and nothing else ──
  const engineRouter: Router = {
    tick: (now) => clock.advanceTo(now),
    free: (agentId, interactionId) => {
      const state = engine.release(agentId, interactionId);
      return state.kind === 'reserved' ? state.interactionId : null;
    },
    arrive: (id, q, tier) => {
      const result = engine.enqueue({ interactionId: id, queueId: q.id, tier });
      return result.outcome === 'offered' ? result.agentId : null;
    },
    accept: (agentId, interactionId) => engine.accept(agentId, interactionId),
  };

  process.stderr.write(`acd bench: engine, ${steps} steps…\n`);
  const engineScript = script(steps, start.order, seed + 2000);
  collectGarbage();
  if (session !== null && profileFile !== null) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  if (session !== null && allocationFile !== null) {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const eventsBefore = events;
  const { result: measured, gc } = collectionsDuring(() => drive(engineRouter, start, steps, engineScript));
  const runEvents = events - eventsBefore;
  if (session !== null && profileFile !== null) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    process.stderr.write(`acd bench: CPU profile of the engine run in ${profileFile}\n`);
  }
  if (session !== null && allocationFile !== null) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(allocationFile, JSON.stringify(profile));
    process.stderr.write(`acd bench: allocation profile of the engine run in ${allocationFile}\n`);
  }
  // The engine in its steady state after the run (the naive router is gone by now; the driver's
  // samples and script, about 2 MB, are still counted).
  const heapAfterRun = retainedHeap();

  let identical = 0;
  const compared = Math.min(baselineSteps, measured.chosen.length);
  for (let i = 0; i < compared; i++) if (baseline.chosen[i] === measured.chosen[i]) identical++;

  const engineAll = percentiles(concat(measured.frees, measured.arrivals));
  const naiveAll = percentiles(concat(baseline.frees, baseline.arrivals));
  const engineCpuRate = Math.round((2 * steps) / measured.cpuSeconds);
  const naiveCpuRate = Math.round((2 * baselineSteps) / baseline.cpuSeconds);

  // ── arrivals with all 10,000 agents free and nothing waiting ──
  const free = freeAgentArrivals(world, seed, Math.min(steps, 20_000), Math.min(baselineSteps, 2000));
  session?.disconnect();

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
      eventsPublished: { total: events, inTimedRun: runEvents, perStep: round(runEvents / steps) },
      /**
       * Heap in use after a full collection: before the engine existed, once it holds the
       * scenario (the difference is what 10,000 agents, 200 queues and 60,000 interactions
       * cost), and after the timed run (the steady state, with the driver's samples).
       */
      heap: {
        beforeEngineMb: round(heapBeforeEngine / 1e6),
        withScenarioMb: round(heapWithScenario / 1e6),
        scenarioMb: round((heapWithScenario - heapBeforeEngine) / 1e6),
        afterRunMb: round(heapAfterRun / 1e6),
      },
      /** Collections during the engine's run (minor: scavenges; major: marking and mark-compact), with their cost. */
      gc,
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
  const engineSamples = new Float64Array(steps);
  const naiveSamples = new Float64Array(baselineSteps);
  let identical = 0;
  for (let step = 0; step < steps; step++) {
    clock.advance(1 + rng.int(4));
    const q = world.queues[rng.int(SKILLS)]!;
    const id = `f${step}`;
    const t0 = nowUs();
    const result = engine.enqueue({ interactionId: id, queueId: q.id });
    engineSamples[step] = nowUs() - t0;
    if (step < baselineSteps) {
      const n0 = nowUs();
      const agent = naive.arrive(id, q, 0, clock.now(), step);
      naiveSamples[step] = nowUs() - n0;
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
