import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import { AcdEngine, type AcdEngineOptions } from './engine';
import type { AcdEvents } from './events';
import { Random } from './sim/random';
import type { AgentConfigInput, InteractionRecord, QueueConfigInput } from './types';

type Recorded = { [K in keyof AcdEvents]: { type: K; payload: AcdEvents[K] } }[keyof AcdEvents];

function setup(options: Partial<AcdEngineOptions> = {}) {
  const clock = new VirtualClock(1_000_000);
  const events: Recorded[] = [];
  const engine = new AcdEngine({
    clock,
    publish: (type, payload) => events.push({ type, payload } as Recorded),
    ...options,
  });
  const queue = (config: Partial<QueueConfigInput> & { id: string }) =>
    engine.defineQueue({ channel: 'voice', ringNoAnswerMs: 0, ...config });
  const agent = (config: Partial<AgentConfigInput> & { id: string }, ready = true) => {
    engine.addAgent({ skills: {}, ...config });
    if (ready) engine.login(config.id, { ready: true });
  };
  const ofType = <K extends keyof AcdEvents>(type: K): AcdEvents[K][] =>
    events.filter((e) => e.type === type).map((e) => e.payload as AcdEvents[K]);
  return { clock, engine, events, queue, agent, ofType };
}

describe('AcdEngine: one voice call end to end', () => {
  it('offers, connects, wraps up until the deadline and frees the agent, evented at each step', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'retail', wrapUpMs: 30_000, ringNoAnswerMs: 15_000 });
    agent({ id: 'a1' });
    const result = engine.enqueue({ interactionId: 'c1', queueId: 'retail' });
    expect(result).toEqual({ outcome: 'offered', agentId: 'a1' });
    expect(engine.agentState('a1').state).toEqual({
      kind: 'reserved',
      interactionId: 'c1',
      offerDeadline: clock.now() + 15_000,
    });
    clock.advance(3000);
    engine.accept('a1', 'c1');
    expect(engine.agentState('a1').state).toEqual({ kind: 'busy', interactionIds: ['c1'] });
    clock.advance(60_000);
    engine.release('a1', 'c1');
    const deadline = clock.now() + 30_000;
    expect(engine.agentState('a1').state).toEqual({ kind: 'wrap-up', interactionId: 'c1', deadline });
    clock.advance(29_999);
    expect(engine.agentState('a1').state.kind).toBe('wrap-up');
    clock.advance(1);
    expect(engine.agentState('a1').state).toEqual({ kind: 'ready' });
    expect(engine.hasInteraction('c1')).toBe(false);

    const transitions = ofType('acd.agent.state-changed').map((e) => `${e.from.kind}→${e.to.kind}`);
    expect(transitions).toEqual([
      'logged-out→not-ready',
      'not-ready→ready',
      'ready→reserved',
      'reserved→busy',
      'busy→wrap-up',
      'wrap-up→ready',
    ]);
    expect(ofType('acd.interaction.completed')).toEqual([
      expect.objectContaining({
        interactionId: 'c1',
        handleMs: 60_000,
        wrapUpMs: 30_000,
        reason: 'deadline',
      }),
    ]);
    const stats = engine.queueStatistics('retail');
    expect(stats).toMatchObject({
      offered: 1,
      answered: 1,
      answeredWithinTarget: 1,
      asaMs: 3000,
      ahtMs: 90_000,
    });
  });

  it('extends wrap-up only forward and lets the agent end it', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'q', wrapUpMs: 10_000 });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.accept('a1', 'c1');
    engine.release('a1', 'c1');
    const first = clock.now() + 10_000;
    clock.advance(9000);
    expect(engine.extendWrapUp('a1', 'c1', 20_000)).toBe(first + 20_000);
    clock.advance(1000);
    expect(engine.agentState('a1').state).toEqual({
      kind: 'wrap-up',
      interactionId: 'c1',
      deadline: first + 20_000,
    });
    expect(() => engine.extendWrapUp('a1', 'c1', -5)).toThrow(/positive/);
    clock.advance(5000);
    engine.endWrapUp('a1', 'c1');
    expect(engine.agentState('a1').state.kind).toBe('ready');
    expect(ofType('acd.interaction.completed')[0]?.reason).toBe('agent');
  });

  it('refuses what the state does not allow, with stable codes', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q' });
    agent({ id: 'a1' });
    agent({ id: 'a2' });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    expect(() => engine.accept('a2', 'c1')).toThrow(expect.objectContaining({ code: 'ACD_NOT_OFFERED' }));
    expect(() => engine.release('a1', 'c1')).toThrow(expect.objectContaining({ code: 'ACD_NOT_CONNECTED' }));
    engine.accept('a1', 'c1');
    expect(() => engine.logout('a1', { force: true })).toThrow(
      expect.objectContaining({ code: 'ACD_AGENT_HAS_WORK' }),
    );
    expect(() => engine.abandon('c1')).toThrow(expect.objectContaining({ code: 'ACD_ALREADY_CONNECTED' }));
    expect(() => engine.enqueue({ interactionId: 'c1', queueId: 'q' })).toThrow(
      expect.objectContaining({ code: 'ACD_DUPLICATE_INTERACTION' }),
    );
    expect(() => engine.enqueue({ interactionId: 'x', queueId: 'nope' })).toThrow(
      expect.objectContaining({ code: 'ACD_UNKNOWN_QUEUE', kind: 'not-found' }),
    );
    expect(() => engine.defineQueue({ id: 'bad', channel: 'fax' as 'voice' })).toThrow(
      expect.objectContaining({
        code: 'ACD_INVALID_CONFIG',
        fields: [expect.objectContaining({ field: 'channel' })],
      }),
    );
    expect(() =>
      engine.defineQueue({
        id: 'bad',
        channel: 'voice',
        overflow: [
          { afterMs: 60_000, minProficiency: 2 },
          { afterMs: 30_000, minProficiency: 1 },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'ACD_INVALID_CONFIG' }));
  });
});

describe('AcdEngine: who waits first', () => {
  it('serves by priority (tier bonus and boost), then age', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q' });
    agent({ id: 'a1' }, false);
    engine.enqueue({ interactionId: 'mass-old', queueId: 'q', tier: 'mass' });
    clock.advance(1000);
    engine.enqueue({ interactionId: 'affluent', queueId: 'q', tier: 'affluent' });
    clock.advance(1000);
    engine.enqueue({ interactionId: 'mass-new', queueId: 'q', tier: 'mass' });
    clock.advance(1000);
    engine.enqueue({ interactionId: 'private', queueId: 'q', tier: 'private' });
    clock.advance(1000);
    engine.enqueue({ interactionId: 'fraud', queueId: 'q', tier: 'mass', priorityBoost: 50 });
    expect(engine.estimate('private').position).toBe(2);
    expect(engine.estimate('mass-new').position).toBe(5);
    engine.login('a1', { ready: true });
    const served: string[] = [];
    for (let i = 0; i < 5; i++) {
      const state = engine.agentState('a1').state;
      if (state.kind !== 'reserved') throw new Error('expected an offer');
      served.push(state.interactionId);
      engine.accept('a1', state.interactionId);
      engine.release('a1', state.interactionId);
    }
    expect(served).toEqual(['fraud', 'private', 'affluent', 'mass-old', 'mass-new']);
  });

  it('ages priority so a long wait overtakes a higher tier', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', priorityAgingPerMinute: 2, tierBonus: { private: 10, affluent: 5, mass: 0 } });
    agent({ id: 'a1' }, false);
    engine.enqueue({ interactionId: 'mass', queueId: 'q' });
    clock.advance(6 * 60_000);
    engine.enqueue({ interactionId: 'private', queueId: 'q', tier: 'private' });
    // mass has aged 12 points against private's 10-point bonus.
    expect(engine.estimate('mass').position).toBe(1);
    engine.login('a1', { ready: true });
    expect(engine.agentState('a1').state).toMatchObject({ kind: 'reserved', interactionId: 'mass' });
  });

  it('across queues takes the higher queue priority, then the older contact', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'low', priority: 0, skills: [{ skill: 'cards' }] });
    queue({ id: 'high', priority: 5, skills: [{ skill: 'loans' }] });
    queue({ id: 'low2', priority: 0, skills: [{ skill: 'fx' }] });
    agent({ id: 'a1', skills: { cards: 3, loans: 3, fx: 3 } }, false);
    engine.enqueue({ interactionId: 'l1', queueId: 'low' });
    clock.advance(10);
    engine.enqueue({ interactionId: 'x1', queueId: 'low2' });
    clock.advance(10);
    engine.enqueue({ interactionId: 'h1', queueId: 'high' });
    engine.login('a1', { ready: true });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const state = engine.agentState('a1').state;
      if (state.kind !== 'reserved') throw new Error('expected an offer');
      order.push(state.interactionId);
      engine.accept('a1', state.interactionId);
      engine.release('a1', state.interactionId);
    }
    expect(order).toEqual(['h1', 'l1', 'x1']);
  });
});

describe('AcdEngine: strategies', () => {
  it('longest idle by default', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q' });
    agent({ id: 'a1' });
    clock.advance(100);
    agent({ id: 'a2' });
    clock.advance(100);
    agent({ id: 'a3' });
    engine.setNotReady('a1', 'break');
    clock.advance(100);
    engine.setReady('a1');
    expect(engine.enqueue({ interactionId: 'c1', queueId: 'q' })).toEqual({
      outcome: 'offered',
      agentId: 'a2',
    });
    expect(engine.enqueue({ interactionId: 'c2', queueId: 'q' })).toEqual({
      outcome: 'offered',
      agentId: 'a3',
    });
    expect(engine.enqueue({ interactionId: 'c3', queueId: 'q' })).toEqual({
      outcome: 'offered',
      agentId: 'a1',
    });
  });

  it('most skilled', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q', strategy: 'most-skilled', skills: [{ skill: 'mortgage' }, { skill: 'english' }] });
    agent({ id: 'novice', skills: { mortgage: 1, english: 5 } });
    agent({ id: 'expert', skills: { mortgage: 5, english: 4 } });
    agent({ id: 'middle', skills: { mortgage: 3, english: 3 } });
    expect(engine.enqueue({ interactionId: 'c1', queueId: 'q' })).toMatchObject({ agentId: 'expert' });
    expect(engine.enqueue({ interactionId: 'c2', queueId: 'q' })).toMatchObject({ agentId: 'novice' });
    expect(engine.enqueue({ interactionId: 'c3', queueId: 'q' })).toMatchObject({ agentId: 'middle' });
  });

  it('round robin goes around whoever is free', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q', channel: 'chat', strategy: 'round-robin' });
    for (const id of ['a1', 'a2', 'a3']) agent({ id, capacity: { chat: 5 } });
    const picks = [1, 2, 3, 4, 5, 6, 7].map(
      (n) => (engine.enqueue({ interactionId: `c${n}`, queueId: 'q' }) as { agentId: string }).agentId,
    );
    expect(picks).toEqual(['a1', 'a2', 'a3', 'a1', 'a2', 'a3', 'a1']);
  });

  it('least occupied fills the emptiest chat desk first', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q', channel: 'chat', strategy: 'least-occupied' });
    agent({ id: 'a1', capacity: { chat: 3 } });
    agent({ id: 'a2', capacity: { chat: 2 } });
    const picks = [1, 2, 3, 4, 5].map(
      (n) => (engine.enqueue({ interactionId: `c${n}`, queueId: 'q' }) as { agentId: string }).agentId,
    );
    // Loads: a1 0/3 a2 0/2 → a1; a1 1/3 < a2 0/2? no: a2 0 → a2; then a1 1/3 < a2 1/2 → a1; a1 2/3 > a2 1/2 → a2; a1.
    expect(picks).toEqual(['a1', 'a2', 'a1', 'a2', 'a1']);
    expect(engine.enqueue({ interactionId: 'c6', queueId: 'q' })).toMatchObject({ outcome: 'queued' });
  });

  it('last agent: waits for the customer’s last agent up to N seconds, then anyone', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', strategy: 'last-agent', lastAgentWithinMs: 20_000 });
    agent({ id: 'a1' });
    agent({ id: 'a2' });
    engine.enqueue({ interactionId: 'first', queueId: 'q', customerId: 'zhang' });
    engine.accept('a1', 'first');
    clock.advance(1000);
    engine.release('a1', 'first');
    engine.setNotReady('a2', 'coffee');
    engine.enqueue({ interactionId: 'busy-a1', queueId: 'q' });
    engine.accept('a1', 'busy-a1');
    engine.setReady('a2');
    // Zhang calls again while a1 is busy; a2 is free, but the call waits for a1.
    expect(engine.enqueue({ interactionId: 'again', queueId: 'q', customerId: 'zhang' }).outcome).toBe(
      'queued',
    );
    expect(engine.agentState('a2').state.kind).toBe('ready');
    clock.advance(5000);
    engine.release('a1', 'busy-a1');
    expect(engine.agentState('a1').state).toMatchObject({ kind: 'reserved', interactionId: 'again' });

    // When the last agent stays busy past the window, the next free agent takes it.
    engine.accept('a1', 'again');
    expect(engine.enqueue({ interactionId: 'third', queueId: 'q', customerId: 'zhang' }).outcome).toBe(
      'queued',
    );
    clock.advance(19_999);
    expect(engine.agentState('a2').state.kind).toBe('ready');
    clock.advance(1);
    expect(engine.agentState('a2').state).toMatchObject({ kind: 'reserved', interactionId: 'third' });
  });

  it('a contact waiting for its last agent goes to the queue when that agent logs out', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', strategy: 'last-agent', lastAgentWithinMs: 60_000, wrapUpMs: 30_000 });
    agent({ id: 'a1' });
    agent({ id: 'a2' }, false);
    engine.enqueue({ interactionId: 'first', queueId: 'q', customerId: 'zhang' });
    engine.accept('a1', 'first');
    engine.release('a1', 'first');
    clock.advance(30_000);
    engine.enqueue({ interactionId: 'busy', queueId: 'q' });
    engine.accept('a1', 'busy');
    engine.enqueue({ interactionId: 'again', queueId: 'q', customerId: 'zhang' });
    engine.login('a2', { ready: true });
    // a2 is free, but the contact is reserved for a1 for a minute.
    expect(engine.agentState('a2').state.kind).toBe('ready');
    engine.release('a1', 'busy');
    expect(engine.agentState('a1').state.kind).toBe('wrap-up');
    engine.logout('a1', { force: true });
    expect(engine.agentState('a2').state).toMatchObject({ kind: 'reserved', interactionId: 'again' });
  });

  it('release reports the agent’s next state (the next offer when work is waiting)', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q' });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.enqueue({ interactionId: 'c2', queueId: 'q' });
    engine.accept('a1', 'c1');
    expect(engine.release('a1', 'c1')).toMatchObject({ kind: 'reserved', interactionId: 'c2' });
    engine.accept('a1', 'c2');
    expect(engine.release('a1', 'c2')).toEqual({ kind: 'ready' });
  });

  it('a preferred customer goes to their own banker even if another agent idled longer', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'private-banking' });
    agent({ id: 'someone' });
    clock.advance(1000);
    agent({ id: 'banker', preferredCustomers: ['li-na'] });
    expect(
      engine.enqueue({ interactionId: 'c1', queueId: 'private-banking', customerId: 'li-na' }),
    ).toMatchObject({
      agentId: 'banker',
    });
  });
});

describe('AcdEngine: the offer event', () => {
  it('names the customer by id and the channel, so the desktop can read the 360° view at once', () => {
    const { engine, queue, agent, ofType } = setup();
    queue({ id: 'chat', channel: 'chat' });
    queue({ id: 'retail' });
    agent({ id: 'a1', capacity: { chat: 1 } });
    agent({ id: 'a2' });
    engine.enqueue({ interactionId: 'c1', queueId: 'chat', customerId: 'zhang' });
    engine.enqueue({ interactionId: 'c2', queueId: 'retail' });
    expect(ofType('acd.interaction.offered')).toEqual([
      expect.objectContaining({ interactionId: 'c1', customerId: 'zhang', channel: 'chat' }),
      expect.objectContaining({ interactionId: 'c2', customerId: null, channel: 'voice' }),
    ]);
  });
});

describe('AcdEngine: overflow', () => {
  it('relaxes proficiency after a while, then adds another queue’s agents', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'general', skills: [{ skill: 'general' }] });
    queue({
      id: 'wealth',
      skills: [{ skill: 'wealth', minProficiency: 4 }],
      overflow: [
        { afterMs: 30_000, minProficiency: 3 },
        { afterMs: 60_000, addQueues: ['general'] },
      ],
    });
    agent({ id: 'junior', skills: { wealth: 3 } });
    agent({ id: 'generalist', skills: { general: 2 } });
    engine.enqueue({ interactionId: 'w1', queueId: 'wealth' });
    engine.enqueue({ interactionId: 'w2', queueId: 'wealth' });
    clock.advance(29_999);
    expect(engine.agentState('junior').state.kind).toBe('ready');
    clock.advance(1);
    expect(engine.agentState('junior').state).toMatchObject({ kind: 'reserved', interactionId: 'w1' });
    expect(engine.agentState('generalist').state.kind).toBe('ready');
    clock.advance(30_000);
    expect(engine.agentState('generalist').state).toMatchObject({ kind: 'reserved', interactionId: 'w2' });
    expect(ofType('acd.interaction.overflowed').map((e) => `${e.interactionId}:${e.stage}`)).toEqual([
      'w1:1',
      'w2:1',
      'w2:2',
    ]);
  });

  it('a qualified agent who frees up takes an overflowed contact too', () => {
    const { clock, engine, queue, agent } = setup();
    queue({
      id: 'q',
      skills: [{ skill: 's', minProficiency: 5 }],
      overflow: [{ afterMs: 10_000, minProficiency: 1 }],
    });
    agent({ id: 'low', skills: { s: 1 } }, false);
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    clock.advance(20_000);
    engine.login('low', { ready: true });
    expect(engine.agentState('low').state).toMatchObject({ kind: 'reserved', interactionId: 'c1' });
  });
});

describe('AcdEngine: ring-no-answer, decline, not-ready', () => {
  it('no answer: agent not-ready "no-answer", the contact back at the head and on to the next agent', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'q', ringNoAnswerMs: 10_000 });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'first', queueId: 'q' });
    engine.enqueue({ interactionId: 'vip', queueId: 'q', tier: 'private' });
    clock.advance(10_000);
    expect(engine.agentState('a1').state).toEqual({ kind: 'not-ready', reason: 'no-answer' });
    expect(engine.estimate('first').position).toBe(1);
    expect(engine.estimate('vip').position).toBe(2);
    expect(ofType('acd.interaction.requeued')).toEqual([
      expect.objectContaining({ interactionId: 'first', agentId: 'a1', reason: 'no-answer' }),
    ]);
    agent({ id: 'a2' });
    expect(engine.agentState('a2').state).toMatchObject({ kind: 'reserved', interactionId: 'first' });
  });

  it('decline returns the offer to the head and the agent to not-ready', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q' });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.decline('a1', 'c1');
    expect(engine.agentState('a1').state).toEqual({ kind: 'not-ready', reason: 'declined' });
    expect(engine.interactionState('c1').state).toBe('waiting');
  });

  it('not-ready asked during a call takes effect after wrap-up', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'q', wrapUpMs: 5000 });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.accept('a1', 'c1');
    engine.setNotReady('a1', 'lunch');
    expect(engine.agentState('a1').state.kind).toBe('busy');
    expect(ofType('acd.agent.presence-changed')).toHaveLength(1);
    engine.enqueue({ interactionId: 'c2', queueId: 'q' });
    engine.release('a1', 'c1');
    clock.advance(5000);
    expect(engine.agentState('a1').state).toEqual({ kind: 'not-ready', reason: 'lunch' });
    expect(engine.interactionState('c2').state).toBe('waiting');
  });

  it('forced logout puts ringing offers back and ends wrap-ups', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'q', channel: 'chat', wrapUpMs: 60_000 });
    agent({ id: 'a1', capacity: { chat: 2 } });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.enqueue({ interactionId: 'c2', queueId: 'q' });
    engine.accept('a1', 'c1');
    engine.release('a1', 'c1');
    expect(() => engine.logout('a1')).toThrow(expect.objectContaining({ code: 'ACD_AGENT_HAS_WORK' }));
    engine.logout('a1', { force: true });
    expect(engine.agentState('a1').state).toEqual({ kind: 'logged-out' });
    expect(engine.interactionState('c2')).toMatchObject({ state: 'waiting' });
    expect(engine.estimate('c2').position).toBe(1);
    expect(engine.hasInteraction('c1')).toBe(false);
  });
});

describe('AcdEngine: channels and capacity', () => {
  it('holds up to its chat capacity and takes no voice call while chatting', () => {
    const { engine, queue, agent } = setup();
    queue({ id: 'chat', channel: 'chat' });
    queue({ id: 'voice', channel: 'voice' });
    agent({ id: 'a1', capacity: { chat: 3, voice: 1 } });
    for (const n of [1, 2, 3])
      expect(engine.enqueue({ interactionId: `chat${n}`, queueId: 'chat' }).outcome).toBe('offered');
    expect(engine.enqueue({ interactionId: 'chat4', queueId: 'chat' }).outcome).toBe('queued');
    expect(engine.enqueue({ interactionId: 'call', queueId: 'voice' }).outcome).toBe('queued');
    for (const n of [1, 2, 3]) {
      engine.accept('a1', `chat${n}`);
      engine.release('a1', `chat${n}`);
    }
    // Both were waiting; the older chat comes first at equal priority, then the call has the agent alone.
    expect(engine.interactionState('chat4').state).toBe('offered');
    expect(engine.interactionState('call').state).toBe('waiting');
    engine.accept('a1', 'chat4');
    engine.release('a1', 'chat4');
    expect(engine.interactionState('call').state).toBe('offered');
  });
});

describe('AcdEngine: callbacks, maximum wait, announcements', () => {
  it('offers a callback over the threshold; an accepted callback keeps its place and never times out', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'q', callbackOfferMs: 60_000, maxWaitMs: 300_000, expectedHandleMs: 120_000 });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'busy', queueId: 'q' });
    engine.accept('a1', 'busy');
    const first = engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    expect(first).toEqual({ outcome: 'queued', position: 1, ewtMs: 120_000, offerCallback: true });
    engine.enqueue({ interactionId: 'c2', queueId: 'q' });
    expect(ofType('acd.interaction.callback-offer').map((e) => e.interactionId)).toEqual(['c1', 'c2']);
    expect(engine.acceptCallback('c1').position).toBe(1);
    clock.advance(300_000);
    expect(engine.interactionState('c1').state).toBe('waiting');
    expect(engine.hasInteraction('c2')).toBe(false);
    expect(ofType('acd.interaction.max-wait').map((e) => e.interactionId)).toEqual(['c2']);
    engine.release('a1', 'busy');
    expect(engine.agentState('a1').state).toMatchObject({ kind: 'reserved', interactionId: 'c1' });
    engine.accept('a1', 'c1');
    expect(engine.queueStatistics('q')).toMatchObject({
      callbacksAccepted: 1,
      callbacksAnswered: 1,
      maxWaitExpired: 1,
    });
  });

  it('announces position and wait on the queue’s rhythm', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({ id: 'q', announceEveryMs: 30_000, expectedHandleMs: 60_000 });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'busy', queueId: 'q' });
    engine.accept('a1', 'busy');
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.enqueue({ interactionId: 'c2', queueId: 'q' });
    clock.advance(30_000);
    expect(ofType('acd.interaction.position').map((e) => [e.interactionId, e.position, e.ewtMs])).toEqual([
      ['c1', 1, 60_000],
      ['c2', 2, 120_000],
    ]);
    clock.advance(30_000);
    expect(ofType('acd.interaction.position')).toHaveLength(4);
  });
});

describe('AcdEngine: estimates and statistics', () => {
  it('estimates k·AHT/N for position k with N agents staffed, and measures its error', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', expectedHandleMs: 90_000 });
    for (const id of ['a1', 'a2', 'a3']) agent({ id });
    for (const n of [1, 2, 3]) engine.enqueue({ interactionId: `busy${n}`, queueId: 'q' });
    for (const n of [1, 2, 3]) engine.accept(`a${n}`, `busy${n}`);
    expect(engine.estimateForArrival('q')).toEqual({ position: 1, ewtMs: 30_000 });
    const result = engine.enqueue({ interactionId: 'w1', queueId: 'q' });
    expect(result).toMatchObject({ position: 1, ewtMs: 30_000 });
    expect(engine.enqueue({ interactionId: 'w2', queueId: 'q' })).toMatchObject({
      position: 2,
      ewtMs: 60_000,
    });
    clock.advance(40_000);
    engine.release('a1', 'busy1');
    engine.accept('a1', 'w1');
    const stats = engine.queueStatistics('q');
    expect(stats.ewt).toEqual({ samples: 1, meanAbsoluteErrorMs: 10_000, meanErrorMs: -10_000 });
    expect(stats.waiting).toBe(1);
    expect(stats.longestWaitMs).toBe(40_000);
  });

  it('computes service level, ASA, abandon rate and occupancy for the interval', () => {
    const { clock, engine, queue, agent } = setup({ shortAbandonMs: 5000 });
    queue({ id: 'q', serviceLevel: { percent: 80, withinMs: 20_000 } });
    agent({ id: 'a1' });
    engine.enqueue({ interactionId: 'fast', queueId: 'q' });
    engine.accept('a1', 'fast');
    engine.enqueue({ interactionId: 'slow', queueId: 'q' });
    engine.enqueue({ interactionId: 'gone', queueId: 'q' });
    engine.enqueue({ interactionId: 'blip', queueId: 'q' });
    clock.advance(2000);
    engine.abandon('blip');
    clock.advance(28_000);
    engine.abandon('gone');
    engine.release('a1', 'fast');
    engine.accept('a1', 'slow');
    clock.advance(30_000);
    engine.release('a1', 'slow');
    clock.advance(60_000);
    const stats = engine.queueStatistics('q');
    expect(stats).toMatchObject({
      offered: 4,
      answered: 2,
      answeredWithinTarget: 1,
      abandoned: 1,
      shortAbandoned: 1,
      serviceLevel: 1 / 3,
      asaMs: 15_000,
      abandonRate: 1 / 3,
    });
    // Busy 60 s out of 120 s staffed.
    expect(stats.occupancy).toBeCloseTo(0.5, 9);
    expect(stats.agents.ready).toBe(1);
    const agentStats = engine.agentStatistics('a1');
    expect(agentStats.occupancy).toBeCloseTo(0.5, 9);
    expect(agentStats.handled).toBe(2);

    engine.resetStatistics();
    clock.advance(10_000);
    expect(engine.queueStatistics('q')).toMatchObject({
      offered: 0,
      answered: 0,
      occupancy: 0,
      serviceLevel: null,
    });
    expect(engine.agentStatistics('a1').timeInStateMs.ready).toBe(10_000);
  });

  it('counts an agent’s time for a queue only while it meets the queue’s requirements', () => {
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', skills: [{ skill: 's', minProficiency: 1 }] });
    agent({ id: 'a1', skills: { s: 1 } });
    agent({ id: 'a2', skills: {} });
    engine.enqueue({ interactionId: 'c1', queueId: 'q' });
    engine.accept('a1', 'c1');
    clock.advance(60_000);
    engine.release('a1', 'c1');
    // a2 learns the skill while ready: its time counts from here, and it has idled longest.
    engine.updateAgent({ id: 'a2', skills: { s: 1 } });
    expect(engine.enqueue({ interactionId: 'c2', queueId: 'q' })).toEqual({
      outcome: 'offered',
      agentId: 'a2',
    });
    engine.accept('a2', 'c2');
    clock.advance(30_000);
    engine.release('a2', 'c2');
    clock.advance(10_000);
    // And leaves the queue: the 30 s busy and 10 s ready it spent there stay with the queue.
    engine.updateAgent({ id: 'a2', skills: {} });
    clock.advance(20_000);
    let stats = engine.queueStatistics('q');
    // a1: busy 60 s, ready 60 s; a2 while a member: busy 30 s, ready 10 s.
    expect(stats.occupancy).toBeCloseTo(90 / 160, 12);
    expect(stats.agents).toEqual({
      'logged-out': 0,
      'not-ready': 0,
      ready: 1,
      reserved: 0,
      busy: 0,
      'wrap-up': 0,
    });
    engine.resetStatistics();
    clock.advance(10_000);
    expect(engine.queueStatistics('q').occupancy).toBe(0);
    engine.enqueue({ interactionId: 'c3', queueId: 'q' });
    engine.accept('a1', 'c3');
    clock.advance(10_000);
    stats = engine.queueStatistics('q');
    expect(stats.occupancy).toBeCloseTo(0.5, 12);
    expect(stats.agents.busy).toBe(1);
    engine.setNotReady('a1', 'lunch');
    engine.release('a1', 'c3');
    expect(engine.estimateForArrival('q')).toEqual({ position: 1, ewtMs: null });
  });

  it('pushes statistics on an interval when asked', () => {
    const { clock, queue, ofType } = setup({ statisticsIntervalMs: 5000 });
    queue({ id: 'q' });
    clock.advance(12_000);
    expect(ofType('acd.queue.statistics').map((s) => s.at)).toEqual([1_005_000, 1_010_000]);
  });

  it('keeps the waiting count and the longest wait right through thousands of comings and goings', () => {
    // One contact waits from start to end at the back of the line, so everything behind it in
    // arrival order piles up and goes stale; offers that ring out come back with their old time.
    const { clock, engine, queue, agent } = setup();
    queue({ id: 'q', ringNoAnswerMs: 10_000 });
    agent({ id: 'a1' }, false);
    engine.login('a1');
    const rng = new Random(5);
    const waitingSince = new Map<string, number>();
    engine.enqueue({ interactionId: 'long', queueId: 'q', priorityBoost: -100 });
    waitingSince.set('long', clock.now());
    let next = 0;
    for (let step = 0; step < 6000; step++) {
      clock.advance(1 + rng.int(50));
      const r = rng.uniform();
      const waiting = [...waitingSince.keys()].filter((id) => id !== 'long');
      if (r < 0.5 || waiting.length < 5) {
        const id = `c${next++}`;
        engine.enqueue({ interactionId: id, queueId: 'q' });
        waitingSince.set(id, clock.now());
      } else if (r < 0.8) {
        const id = waiting[rng.int(waiting.length)]!;
        if (rng.uniform() < 0.5) engine.abandon(id);
        else engine.cancel(id, 'test');
        waitingSince.delete(id);
      } else {
        // The agent takes the head of the line: answers it, or lets it ring out (back at the head).
        engine.setReady('a1');
        const offered = engine.agentState('a1').state;
        if (offered.kind !== 'reserved') throw new Error('a1 should have an offer');
        if (rng.uniform() < 0.5) {
          engine.accept('a1', offered.interactionId);
          engine.setNotReady('a1', 'test');
          engine.release('a1', offered.interactionId);
          waitingSince.delete(offered.interactionId);
        } else {
          clock.advance(10_000);
          expect(engine.agentState('a1').state).toEqual({ kind: 'not-ready', reason: 'no-answer' });
        }
      }
      const stats = engine.queueStatistics('q');
      expect(stats.waiting).toBe(waitingSince.size);
      expect(stats.longestWaitMs).toBe(clock.now() - Math.min(...waitingSince.values()));
    }
    expect(engine.interactionState('long').state).toBe('waiting');
  });
});

describe('AcdEngine: snapshot and restore', () => {
  it('puts chats back at their old positions, closes live voice, and keeps the record port in step', () => {
    const rows = new Map<string, InteractionRecord>();
    const { clock, engine, queue, agent } = setup({
      records: { put: (r) => rows.set(r.interactionId, r), delete: (id) => rows.delete(id) },
    });
    queue({ id: 'chat', channel: 'chat', ringNoAnswerMs: 10_000 });
    queue({ id: 'voice', channel: 'voice' });
    agent({ id: 'a1', capacity: { chat: 1 } });
    engine.enqueue({ interactionId: 'served', queueId: 'chat' });
    engine.accept('a1', 'served');
    for (const [n, tier] of [
      [1, 'mass'],
      [2, 'private'],
      [3, 'mass'],
    ] as const) {
      clock.advance(1000);
      engine.enqueue({ interactionId: `chat${n}`, queueId: 'chat', tier });
    }
    engine.enqueue({ interactionId: 'call', queueId: 'voice' });
    engine.enqueue({ interactionId: 'cb', queueId: 'voice', callback: true });
    const snapshot = engine.snapshot();
    expect(snapshot.interactions.map((r) => [r.interactionId, r.position])).toEqual([
      ['chat2', 1],
      ['chat1', 2],
      ['chat3', 3],
      ['call', 1],
      ['cb', 2],
      ['served', null],
    ]);
    expect([...rows.keys()].sort()).toEqual(['call', 'cb', 'chat1', 'chat2', 'chat3', 'served']);

    // A new process: same configuration, nobody logged in yet.
    const next = setup();
    next.queue({ id: 'chat', channel: 'chat' });
    next.queue({ id: 'voice', channel: 'voice' });
    next.clock.advanceTo(clock.now() + 5000);
    const result = next.engine.restore([...rows.values()]);
    expect(result.closed).toEqual([{ interactionId: 'call', reason: 'channel-lost-on-restart' }]);
    expect(result.requeued.sort()).toEqual(['cb', 'chat1', 'chat2', 'chat3', 'served']);
    // The chat that was being served goes first; the rest keep their order.
    const order = ['served', 'chat2', 'chat1', 'chat3'].map((id) => next.engine.estimate(id).position);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(next.engine.estimate('cb').position).toBe(1);
    next.engine.enqueue({ interactionId: 'later', queueId: 'chat', tier: 'private' });
    expect(next.engine.estimate('later').position).toBe(3);
    expect(next.ofType('acd.interaction.canceled')).toEqual([
      expect.objectContaining({ interactionId: 'call', reason: 'channel-lost-on-restart' }),
    ]);
  });

  it('restores with the time already waited: overflow stage reached, maximum wait passed', () => {
    const { clock, engine, queue, agent, ofType } = setup();
    queue({
      id: 'q',
      channel: 'email',
      skills: [{ skill: 'x', minProficiency: 5 }],
      overflow: [{ afterMs: 60_000, minProficiency: 1 }],
      maxWaitMs: 3_600_000,
    });
    const now = clock.now();
    const base = {
      queueId: 'q',
      channel: 'email',
      state: 'waiting',
      agentId: null,
      customerId: null,
      tier: 'mass',
      priorityBoost: 0,
      head: false,
      callback: false,
      lastAgentId: null,
      attributes: {},
    } as const;
    engine.restore([
      { ...base, interactionId: 'old', enqueuedAt: now - 7_200_000, order: 1 },
      { ...base, interactionId: 'mid', enqueuedAt: now - 120_000, order: 2 },
      { ...base, interactionId: 'new', enqueuedAt: now - 1000, order: 3 },
    ]);
    clock.advance(0);
    expect(ofType('acd.interaction.max-wait').map((e) => e.interactionId)).toEqual(['old']);
    expect(engine.interactionState('mid').stage).toBe(1);
    expect(engine.interactionState('new').stage).toBe(0);
    agent({ id: 'novice', skills: { x: 1 }, capacity: { email: 5 } });
    expect(engine.interactionState('mid').state).toBe('offered');
    expect(engine.interactionState('new').state).toBe('waiting');
    clock.advance(59_000);
    expect(engine.interactionState('new').state).toBe('offered');
  });

  it('refuses a malformed snapshot with the fields at fault', () => {
    const { engine } = setup();
    expect(() => engine.restore({ version: 1, takenAt: 0, interactions: [{ interactionId: 'x' }] })).toThrow(
      expect.objectContaining({ code: 'ACD_INVALID_SNAPSHOT' }),
    );
  });
});
