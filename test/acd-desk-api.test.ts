import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../src/core/index';
import { startTestTeller, type TestTeller } from './support/teller';

interface AgentRow {
  agentId: string;
  state: { kind: string };
  stateSince: number;
  username: string | null;
  displayName: string | null;
}

interface Bucket {
  start: number;
  arrivals: number;
  answered: number;
  abandoned: number;
  handled: number;
  serviceLevel: number | null;
  ahtMs: number | null;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the supervisor's board and the agent's wrap-up through the API", () => {
  let teller: TestTeller;
  let supervisor: string;
  let agent: string;
  let agentId: string;
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    teller = await startTestTeller();
    supervisor = await teller.login('super01');
    agent = await teller.login('agent03');
    agentId = (await teller.users.findByUsername('agent03'))!.id;
  });
  afterAll(() => teller.close());

  const agents = async () =>
    (
      (await (await teller.call('GET', '/api/v1/acd/agents', { token: supervisor })).json()) as {
        agents: AgentRow[];
      }
    ).agents;

  /** The events of a type in the log, oldest first. */
  async function logged(type: string): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    await teller.eventLog.replay(0, (e) => {
      if (e.type === type) events.push(e);
    });
    return events;
  }

  /** The completed event of an interaction, once the log has it (the ACD publishes behind). */
  async function completedOf(id: string): Promise<StoredEvent> {
    let found: StoredEvent | undefined;
    await until(async () => {
      found = (await logged('acd.interaction.completed')).find(
        (e) => (e.payload as { interactionId: string }).interactionId === id,
      );
      return found !== undefined;
    }, `acd.interaction.completed of ${id}`);
    return found!;
  }

  /** A chat for agent03 (the only ready agent), accepted. */
  async function chatInHand(): Promise<string> {
    const created = await teller.call('POST', '/api/v1/interactions', {
      token: supervisor,
      body: { channel: 'chat', queueId: 'chat', data: { intent: 'balance' } },
    });
    const { interaction, routing } = (await created.json()) as {
      interaction: { id: string };
      routing: { outcome: string; agentId: string };
    };
    expect(routing).toEqual({ outcome: 'offered', agentId });
    const accepted = await teller.call('POST', `/api/v1/acd/interactions/${interaction.id}/accept`, {
      token: agent,
    });
    expect(accepted.status).toBe(200);
    return interaction.id;
  }

  it("names every agent from the users table and says when each one's state began", async () => {
    const before = await agents();
    const users = await teller.users.list();
    for (const row of before) {
      const user = users.find((u) => u.id === row.agentId)!;
      expect(row).toMatchObject({
        username: user.username,
        displayName: user.displayName,
        extension: user.extension,
      });
      expect(row.state.kind).toBe('logged-out');
    }
    const idle = before.find((a) => a.agentId === agentId)!;
    expect(idle.stateSince).toBeGreaterThanOrEqual(startedAt);

    await teller.call('POST', '/api/v1/acd/me/login', { token: agent });
    await teller.call('POST', '/api/v1/acd/me/ready', { token: agent });
    const ready = (await agents()).find((a) => a.agentId === agentId)!;
    expect(ready.state.kind).toBe('ready');
    let last: { to: { kind: string }; at: number } | undefined;
    await until(async () => {
      const changes = (await logged('acd.agent.state-changed')).filter(
        (e) => (e.payload as { agentId: string }).agentId === agentId,
      );
      last = changes.at(-1)?.payload as typeof last;
      return last?.to.kind === 'ready';
    }, 'the change to ready in the log');
    expect(ready.stateSince).toBe(last!.at);
    expect(ready.stateSince).toBeGreaterThan(idle.stateSince - 1);
    // Reading again does not move it: the state has not changed.
    expect((await agents()).find((a) => a.agentId === agentId)!.stateSince).toBe(ready.stateSince);
    // An agent may not read the board.
    expect((await teller.call('GET', '/api/v1/acd/agents', { token: agent })).status).toBe(403);
  });

  it('lists the wrap-up codes the ACD takes', async () => {
    const body = (await (await teller.call('GET', '/api/v1/acd/wrap-up-codes', { token: agent })).json()) as {
      codes: string[];
    };
    expect(body.codes).toContain('resolved');
    expect(body.codes).toContain('wrong-number');
  });

  it('refuses an unknown wrap-up code with a 400 problem and leaves the contact as it was', async () => {
    const id = await chatInHand();
    const path = `/api/v1/acd/interactions/${id}`;
    const bad = await teller.call('POST', `${path}/release`, { token: agent, body: { wrapUpCode: 'bogus' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(await bad.json()).toMatchObject({
      code: 'ACD_UNKNOWN_WRAP_UP_CODE',
      errors: [{ field: 'wrapUpCode' }],
    });
    expect(teller.acd.engine.interactionState(id).state).toBe('connected');

    expect((await teller.call('POST', `${path}/release`, { token: agent })).status).toBe(200);
    const badEnd = await teller.call('POST', `${path}/wrap-up/end`, {
      token: agent,
      body: { wrapUpCode: 'Resolved ' },
    });
    expect(badEnd.status).toBe(400);
    expect(teller.acd.engine.interactionState(id).state).toBe('wrap-up');
    const end = await teller.call('POST', `${path}/wrap-up/end`, {
      token: agent,
      body: { wrapUpCode: 'resolved' },
    });
    expect(end.status).toBe(200);

    const completed = await completedOf(id);
    expect(completed.payload).toMatchObject({ agentId, reason: 'agent', wrapUpCode: 'resolved' });
    await until(
      async () => (await teller.interactions.get(id)).data.wrapUpCode === 'resolved',
      "the code on the interaction's record",
    );
  });

  it('keeps a code given at release for the completed event', async () => {
    const id = await chatInHand();
    const path = `/api/v1/acd/interactions/${id}`;
    const released = await teller.call('POST', `${path}/release`, {
      token: agent,
      body: { wrapUpCode: 'sale' },
    });
    expect(released.status).toBe(200);
    expect((await teller.call('POST', `${path}/wrap-up/end`, { token: agent })).status).toBe(200);
    expect((await completedOf(id)).payload).toMatchObject({ wrapUpCode: 'sale' });
    // Without a code the completed event says so.
    const plain = await chatInHand();
    await teller.call('POST', `/api/v1/acd/interactions/${plain}/release`, { token: agent });
    await teller.call('POST', `/api/v1/acd/interactions/${plain}/wrap-up/end`, { token: agent });
    expect((await completedOf(plain)).payload).toMatchObject({ wrapUpCode: null });
  });

  it("counts a queue's history per bucket from the event log", async () => {
    const to = Date.now() + 1;
    const from = startedAt - (startedAt % 60_000);
    const response = await teller.call(
      'GET',
      `/api/v1/acd/queues/chat/history?from=${from}&to=${to}&bucket=60000`,
      { token: supervisor },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { queueId: string; bucketMs: number; buckets: Bucket[] };
    expect(body.queueId).toBe('chat');
    expect(body.buckets[0]!.start).toBe(from);
    expect(body.buckets.length).toBe(Math.ceil((to - from) / 60_000));
    const sum = (key: 'arrivals' | 'answered' | 'handled' | 'abandoned') =>
      body.buckets.reduce((n, b) => n + b[key], 0);
    // The three chats of the tests above: all arrived, answered and handled, none abandoned.
    expect(sum('arrivals')).toBe(3);
    expect(sum('answered')).toBe(3);
    expect(sum('handled')).toBe(3);
    expect(sum('abandoned')).toBe(0);
    const busy = body.buckets.filter((b) => b.answered > 0);
    for (const b of busy) expect(b.serviceLevel).toBe(1);
    expect(body.buckets.some((b) => b.handled > 0 && b.ahtMs !== null && b.ahtMs >= 0)).toBe(true);

    // Nothing in another queue's history, and the range is checked.
    const cards = (await (
      await teller.call('GET', `/api/v1/acd/queues/cards/history?from=${from}&to=${to}&bucket=60000`, {
        token: supervisor,
      })
    ).json()) as { buckets: Bucket[] };
    expect(cards.buckets.reduce((n, b) => n + b.arrivals, 0)).toBe(0);
    const backwards = await teller.call('GET', `/api/v1/acd/queues/chat/history?from=${to}&to=${from}`, {
      token: supervisor,
    });
    expect(backwards.status).toBe(400);
    expect(await backwards.json()).toMatchObject({ code: 'ACD_INVALID_HISTORY_RANGE' });
    const unknown = await teller.call('GET', '/api/v1/acd/queues/nope/history', { token: supervisor });
    expect(unknown.status).toBe(404);
    expect((await teller.call('GET', '/api/v1/acd/queues/chat/history', { token: agent })).status).toBe(403);
  });
});
