import { describe, expect, it } from 'vitest';
import {
  AcdEngine,
  type AcdEvents,
  type Channel,
  type CustomerTier,
  type QueueConfigInput,
  Random,
} from '../src/acd/index';
import { VirtualClock } from '../src/core/index';

/**
 * Random operation sequences (seeded) against the real engine, with an independent model built
 * only from the events it publishes. After every event and every operation the model checks:
 * no interaction held by two agents at once; no agent over capacity; every offer takes the
 * best waiting interaction the agent may serve (priority with aging and tier bonus, then age,
 * put-back heads first); nobody waits while an eligible agent is free; positions agree; a
 * ring-no-answer puts the interaction back at the head; wrap-up never ends before its deadline.
 */

const tierBonus: Record<CustomerTier, number> = { private: 10, affluent: 5, mass: 0 };

const queueConfigs: (QueueConfigInput & { channel: Channel })[] = [
  {
    id: 'v1',
    channel: 'voice',
    skills: [{ skill: 'a', minProficiency: 1 }],
    priority: 0,
    ringNoAnswerMs: 15_000,
    wrapUpMs: 10_000,
  },
  {
    id: 'v2',
    channel: 'voice',
    skills: [{ skill: 'b', minProficiency: 3 }],
    priority: 3,
    priorityAgingPerMinute: 1,
    ringNoAnswerMs: 12_000,
    wrapUpMs: 8000,
    overflow: [{ afterMs: 20_000, minProficiency: 1 }],
  },
  {
    id: 'c1',
    channel: 'chat',
    priority: 1,
    ringNoAnswerMs: 20_000,
    wrapUpMs: 5000,
    priorityAgingPerMinute: 0.5,
  },
];

interface ModelIx {
  id: string;
  queue: (typeof queueConfigs)[number];
  tier: CustomerTier;
  boost: number;
  enqueuedAt: number;
  order: number;
  key: number;
  head: boolean;
  state: 'waiting' | 'offered' | 'connected' | 'wrap-up';
  agent: string | null;
  deadline: number;
}

interface ModelAgent {
  id: string;
  skills: Record<string, number>;
  capacity: Record<'voice' | 'chat', number>;
  loggedIn: boolean;
  ready: boolean;
  stateKind: string;
  load: Record<'voice' | 'chat', number>;
}

/** A cheap assertion for the hot loops (vitest's expect costs more than the engine it checks). */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(`invariant broken: ${message()}`);
}

function agingPerMs(queue: QueueConfigInput): number {
  return (queue.priorityAgingPerMinute ?? 0) / 60_000;
}

function stageOf(queue: QueueConfigInput, waitedMs: number): number {
  let stage = 0;
  (queue.overflow ?? []).forEach((step, index) => {
    if (waitedMs >= step.afterMs) stage = index + 1;
  });
  return stage;
}

function eligible(agent: ModelAgent, queue: (typeof queueConfigs)[number], stage: number): boolean {
  if ((agent.capacity[queue.channel as 'voice' | 'chat'] ?? 0) <= 0) return false;
  for (const requirement of queue.skills ?? []) {
    let min = requirement.minProficiency ?? 1;
    for (let s = 1; s <= stage; s++) {
      const relax = queue.overflow?.[s - 1]?.minProficiency;
      if (relax !== undefined) min = Math.min(min, relax);
    }
    if ((agent.skills[requirement.skill] ?? 0) < min) return false;
  }
  return true;
}

function available(agent: ModelAgent, channel: 'voice' | 'chat'): boolean {
  if (!agent.loggedIn || !agent.ready) return false;
  if (agent.load[channel] >= agent.capacity[channel]) return false;
  return channel === 'voice' ? agent.load.voice + agent.load.chat === 0 : agent.load.voice === 0;
}

function waitingOrder(a: ModelIx, b: ModelIx): number {
  if (a.head !== b.head) return a.head ? -1 : 1;
  if (a.key !== b.key) return a.key > b.key ? -1 : 1;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.order - b.order;
}

function runSequence(seed: number, steps: number): { offers: number; noAnswers: number; wrapUps: number } {
  const rng = new Random(seed);
  const clock = new VirtualClock(1_700_000_000_000);
  const epoch = clock.now();
  const ixs = new Map<string, ModelIx>();
  const agents = new Map<string, ModelAgent>();
  const pending = new Map<
    string,
    { queue: (typeof queueConfigs)[number]; tier: CustomerTier; boost: number }
  >();
  let orderCounter = 0;
  let currentOp: { kind: string; interactionId?: string; agentId?: string } = { kind: 'setup' };
  const requeuedInOp = new Set<string>();
  const counts = { offers: 0, noAnswers: 0, wrapUps: 0 };

  const bestFor = (agent: ModelAgent, now: number): ModelIx | null => {
    let best: ModelIx | null = null;
    let bestEffective = 0;
    for (const queue of queueConfigs) {
      if (!available(agent, queue.channel as 'voice' | 'chat')) continue;
      let head: ModelIx | null = null;
      for (const ix of ixs.values()) {
        if (ix.queue !== queue || ix.state !== 'waiting') continue;
        if (!eligible(agent, queue, stageOf(queue, now - ix.enqueuedAt))) continue;
        if (head === null || waitingOrder(ix, head) < 0) head = ix;
      }
      if (head === null) continue;
      const effective = head.key + agingPerMs(queue) * (now - epoch);
      if (
        best === null ||
        effective > bestEffective ||
        (effective === bestEffective &&
          (head.enqueuedAt < best.enqueuedAt ||
            (head.enqueuedAt === best.enqueuedAt && head.order < best.order)))
      ) {
        best = head;
        bestEffective = effective;
      }
    }
    return best;
  };

  const onEvent = <K extends keyof AcdEvents>(type: K, payload: AcdEvents[K]): void => {
    const event = { type, payload } as {
      [T in keyof AcdEvents]: { type: T; payload: AcdEvents[T] };
    }[keyof AcdEvents];
    switch (event.type) {
      case 'acd.interaction.queued': {
        const p = event.payload;
        const params = pending.get(p.interactionId);
        check(params !== undefined, () => `queued ${p.interactionId} without an enqueue`);
        const queue = params!.queue;
        const base = (queue.priority ?? 0) + params!.boost + tierBonus[params!.tier];
        ixs.set(p.interactionId, {
          id: p.interactionId,
          queue,
          tier: params!.tier,
          boost: params!.boost,
          enqueuedAt: p.at,
          order: ++orderCounter,
          key: base - agingPerMs(queue) * (p.at - epoch),
          head: false,
          state: 'waiting',
          agent: null,
          deadline: 0,
        });
        break;
      }
      case 'acd.interaction.offered': {
        const p = event.payload;
        const ix = ixs.get(p.interactionId)!;
        const agent = agents.get(p.agentId)!;
        // Never offered to two agents at once.
        check(
          ix.state === 'waiting' && ix.agent === null,
          () => `${ix.id} offered while ${ix.state} to ${ix.agent}`,
        );
        // The best waiting interaction this agent may take, by priority then age.
        const best = bestFor(agent, p.at);
        check(
          best?.id === ix.id,
          () => `agent ${agent.id} at ${p.at - epoch} got ${ix.id}, best is ${best?.id}`,
        );
        const channel = ix.queue.channel as 'voice' | 'chat';
        ix.state = 'offered';
        ix.agent = agent.id;
        ix.head = false;
        agent.load[channel]++;
        // Never over capacity.
        check(agent.load[channel] <= agent.capacity[channel], () => `${agent.id} over ${channel} capacity`);
        counts.offers++;
        break;
      }
      case 'acd.interaction.connected': {
        const ix = ixs.get(event.payload.interactionId)!;
        check(ix.state === 'offered', () => `${ix.id} connected while ${ix.state}`);
        ix.state = 'connected';
        break;
      }
      case 'acd.interaction.requeued': {
        const ix = ixs.get(event.payload.interactionId)!;
        check(ix.state === 'offered', () => `${ix.id} requeued while ${ix.state}`);
        agents.get(ix.agent!)!.load[ix.queue.channel as 'voice' | 'chat']--;
        ix.state = 'waiting';
        ix.agent = null;
        ix.head = true;
        requeuedInOp.add(ix.id);
        if (event.payload.reason === 'no-answer') counts.noAnswers++;
        break;
      }
      case 'acd.interaction.wrap-up': {
        const ix = ixs.get(event.payload.interactionId)!;
        check(ix.state === 'connected', () => `${ix.id} wrap-up while ${ix.state}`);
        ix.state = 'wrap-up';
        ix.deadline = event.payload.deadline;
        check(ix.deadline === event.payload.at + (ix.queue.wrapUpMs ?? 0), () => `${ix.id} wrap-up deadline`);
        counts.wrapUps++;
        break;
      }
      case 'acd.interaction.wrap-up-extended': {
        const ix = ixs.get(event.payload.interactionId)!;
        check(event.payload.deadline > ix.deadline, () => `${ix.id} wrap-up pulled in`);
        ix.deadline = event.payload.deadline;
        break;
      }
      case 'acd.interaction.completed': {
        const p = event.payload;
        const ix = ixs.get(p.interactionId)!;
        check(ix.state === 'wrap-up', () => `${ix.id} completed while ${ix.state}`);
        // Wrap-up never ends early: only at its deadline, or by the agent's own hand.
        if (p.reason === 'deadline') check(p.at >= ix.deadline, () => `${ix.id} wrap-up ended early`);
        else if (p.reason === 'agent') {
          check(
            currentOp.kind === 'end-wrap-up' && currentOp.interactionId === ix.id,
            () => `${ix.id} ended by nobody`,
          );
        } else if (p.reason === 'agent-logged-out') {
          check(
            currentOp.kind === 'logout' && currentOp.agentId === ix.agent,
            () => `${ix.id} ended without logout`,
          );
        } else throw new Error(`unexpected completion ${p.reason}`);
        agents.get(ix.agent!)!.load[ix.queue.channel as 'voice' | 'chat']--;
        ixs.delete(ix.id);
        break;
      }
      case 'acd.interaction.abandoned':
      case 'acd.interaction.canceled':
      case 'acd.interaction.max-wait': {
        const ix = ixs.get(event.payload.interactionId)!;
        check(ix.state === 'waiting' || ix.state === 'offered', () => `${ix.id} removed while ${ix.state}`);
        if (ix.state === 'offered') agents.get(ix.agent!)!.load[ix.queue.channel as 'voice' | 'chat']--;
        ixs.delete(ix.id);
        break;
      }
      case 'acd.agent.state-changed': {
        const p = event.payload;
        const agent = agents.get(p.agentId)!;
        check(
          p.from.kind === agent.stateKind,
          () => `${agent.id} jumped from ${agent.stateKind} via ${p.from.kind}`,
        );
        agent.stateKind = p.to.kind;
        agent.loggedIn = p.to.kind !== 'logged-out';
        agent.ready = p.presence.kind === 'ready';
        break;
      }
      case 'acd.agent.presence-changed':
        agents.get(event.payload.agentId)!.ready = event.payload.presence.kind === 'ready';
        break;
      default:
        break;
    }
  };

  const engine = new AcdEngine({ clock, publish: onEvent });
  for (const queue of queueConfigs) engine.defineQueue(queue);
  for (let n = 1; n <= 7; n++) {
    const skills: Record<string, number> = {};
    const a = rng.int(6);
    const b = rng.int(6);
    if (a > 0) skills.a = a;
    if (b > 0) skills.b = b;
    const capacity = { voice: rng.uniform() < 0.85 ? 1 : 0, chat: rng.int(4) };
    const id = `agent${n}`;
    agents.set(id, {
      id,
      skills,
      capacity,
      loggedIn: false,
      ready: false,
      stateKind: 'logged-out',
      load: { voice: 0, chat: 0 },
    });
    engine.addAgent({ id, skills, capacity });
  }

  const pick = <T>(items: T[]): T | undefined =>
    items.length === 0 ? undefined : items[rng.int(items.length)];
  const inState = (state: ModelIx['state']) => [...ixs.values()].filter((ix) => ix.state === state);
  let nextId = 1;

  const checkAfterOp = () => {
    const now = clock.now();
    for (const ix of ixs.values()) {
      if (ix.state === 'waiting') {
        // Nobody waits while an agent who may take it is free.
        for (const agent of agents.values()) {
          const free = available(agent, ix.queue.channel as 'voice' | 'chat');
          if (free) {
            check(
              !eligible(agent, ix.queue, stageOf(ix.queue, now - ix.enqueuedAt)),
              () => `${ix.id} waits, ${agent.id} free`,
            );
          }
        }
        // The engine's position is the model's rank in the queue.
        const ahead = [...ixs.values()].filter(
          (other) => other.state === 'waiting' && other.queue === ix.queue && waitingOrder(other, ix) < 0,
        );
        const position = engine.estimate(ix.id).position;
        check(position === ahead.length + 1, () => `${ix.id} at ${position}, model says ${ahead.length + 1}`);
        // Put back after no answer (or decline): only other put-back heads may be ahead of it.
        if (requeuedInOp.has(ix.id))
          check(
            ahead.every((other) => other.head),
            () => `${ix.id} not at the head`,
          );
      }
      if (ix.state === 'wrap-up') check(ix.deadline > now, () => `${ix.id} wrap-up overran its deadline`);
    }
    for (const agent of agents.values()) {
      const stats = engine.agentStatistics(agent.id);
      check(
        (stats.load.voice ?? 0) === agent.load.voice && (stats.load.chat ?? 0) === agent.load.chat,
        () => `${agent.id} load differs from the model`,
      );
      check(
        agent.load.voice <= agent.capacity.voice && agent.load.chat <= agent.capacity.chat,
        () => `${agent.id} over capacity`,
      );
      check(stats.state.kind === agent.stateKind, () => `${agent.id} state differs from the model`);
    }
    requeuedInOp.clear();
  };

  for (let step = 0; step < steps; step++) {
    const r = rng.uniform();
    const agentList = [...agents.values()];
    if (r < 0.18) {
      const queue = pick(queueConfigs)!;
      const id = `i${nextId++}`;
      const tier = rng.weighted<CustomerTier>({ private: 1, affluent: 2, mass: 7 });
      const boost = rng.uniform() < 0.1 ? rng.int(8) : 0;
      pending.set(id, { queue, tier, boost });
      currentOp = { kind: 'enqueue', interactionId: id };
      engine.enqueue({ interactionId: id, queueId: queue.id as string, tier, priorityBoost: boost });
    } else if (r < 0.34) {
      const ix = pick(inState('offered'));
      if (ix) {
        currentOp = { kind: 'accept', interactionId: ix.id };
        engine.accept(ix.agent!, ix.id);
      }
    } else if (r < 0.5) {
      const ix = pick(inState('connected'));
      if (ix) {
        currentOp = { kind: 'release', interactionId: ix.id };
        engine.release(ix.agent!, ix.id);
      }
    } else if (r < 0.52) {
      const ix = pick(inState('offered'));
      if (ix) {
        currentOp = { kind: 'decline', interactionId: ix.id };
        engine.decline(ix.agent!, ix.id);
      }
    } else if (r < 0.57) {
      const ix = pick([...inState('waiting'), ...inState('offered')]);
      if (ix) {
        currentOp = { kind: 'abandon', interactionId: ix.id };
        engine.abandon(ix.id);
      }
    } else if (r < 0.58) {
      const ix = pick(inState('waiting'));
      if (ix) {
        currentOp = { kind: 'cancel', interactionId: ix.id };
        engine.cancel(ix.id, 'transferred');
      }
    } else if (r < 0.6) {
      const ix = pick(inState('waiting'));
      if (ix) {
        currentOp = { kind: 'callback', interactionId: ix.id };
        engine.acceptCallback(ix.id);
      }
    } else if (r < 0.63) {
      const ix = pick(inState('wrap-up'));
      if (ix) {
        currentOp = { kind: 'extend', interactionId: ix.id };
        engine.extendWrapUp(ix.agent!, ix.id, 1 + rng.int(20_000));
      }
    } else if (r < 0.65) {
      const ix = pick(inState('wrap-up'));
      if (ix) {
        currentOp = { kind: 'end-wrap-up', interactionId: ix.id, agentId: ix.agent! };
        engine.endWrapUp(ix.agent!, ix.id);
      }
    } else if (r < 0.72) {
      const agent = pick(agentList.filter((a) => a.loggedIn))!;
      if (agent) {
        currentOp = { kind: 'presence', agentId: agent.id };
        if (rng.uniform() < 0.6) engine.setReady(agent.id);
        else engine.setNotReady(agent.id, pick(['break', 'lunch', 'training'])!);
      }
    } else if (r < 0.76) {
      const agent = pick(agentList)!;
      currentOp = { kind: agent.loggedIn ? 'logout' : 'login', agentId: agent.id };
      if (!agent.loggedIn) engine.login(agent.id, { ready: rng.uniform() < 0.8 });
      else if (![...ixs.values()].some((ix) => ix.agent === agent.id && ix.state === 'connected')) {
        engine.logout(agent.id, { force: true });
      }
    } else {
      currentOp = { kind: 'advance' };
      clock.advance(rng.int(rng.uniform() < 0.5 ? 3000 : 25_000));
    }
    checkAfterOp();
  }
  engine.close();
  return counts;
}

describe('ACD properties over random operation sequences', () => {
  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('seed %i holds every invariant', (seed) => {
    const counts = runSequence(seed, 2000);
    // The sequences must actually exercise offers, no-answers and wrap-ups for the checks to mean anything.
    expect(counts.offers).toBeGreaterThan(60);
    expect(counts.noAnswers).toBeGreaterThan(0);
    expect(counts.wrapUps).toBeGreaterThan(25);
  });
});
