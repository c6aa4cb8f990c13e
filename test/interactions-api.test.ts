import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { asId, type CustomerId, type StoredEvent } from '../src/core/index';
import { startTestTeller, type TestTeller } from './support/teller';

/** Opens the live event stream as a user and collects what arrives. */
async function openStream(teller: TestTeller, token: string) {
  const url = `${teller.httpUrl.replace('http', 'ws')}/api/v1/events?types=interaction.`;
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const events: StoredEvent[] = [];
  socket.on('message', (data) => events.push(JSON.parse(String(data)) as StoredEvent));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, events };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface InteractionBody {
  id: string;
  channel: string;
  state: string;
  customerId: string | null;
  queueId: string | null;
  data: Record<string, unknown>;
}

describe('interactions through the API', () => {
  let teller: TestTeller;
  let supervisor: string;
  let agent01: string;
  let agent02: string;
  let agent01Id: string;
  let customerId: string;

  beforeAll(async () => {
    teller = await startTestTeller();
    supervisor = await teller.login('super01');
    agent01 = await teller.login('agent01');
    agent02 = await teller.login('agent02');
    agent01Id = (await teller.users.findByUsername('agent01'))!.id;
    customerId = (
      await teller.store.db.selectFrom('customers').select('id').limit(1).executeTakeFirstOrThrow()
    ).id;
    // Only agent01 is ready, so every chat queued here is offered to agent01.
    await teller.call('POST', '/api/v1/acd/me/login', { token: agent01 });
    await teller.call('POST', '/api/v1/acd/me/ready', { token: agent01 });
  });
  afterAll(() => teller.close());

  async function openChat(data: Record<string, unknown> = {}) {
    const response = await teller.call('POST', '/api/v1/interactions', {
      token: supervisor,
      body: { channel: 'chat', customerId, queueId: 'chat', tier: 'affluent', data },
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { interaction: InteractionBody; routing: { outcome: string } };
  }

  /** The customer left: the ACD lets go of the offer. */
  const abandon = async (id: string) => {
    const response = await teller.call('POST', `/api/v1/acd/interactions/${id}/abandon`, {
      token: supervisor,
    });
    expect(response.status).toBe(204);
  };

  const read = (id: string, token: string) => teller.call('GET', `/api/v1/interactions/${id}`, { token });

  it('lets the agent it is offered to read it with its attached data, and no other agent', async () => {
    const { interaction, routing } = await openChat({
      intent: 'lost-card',
      verification: 'caller-number',
      ivrPath: ['welcome', 'menu', 'cards'],
    });
    expect(routing).toEqual({ outcome: 'offered', agentId: agent01Id });

    const mine = await read(interaction.id, agent01);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({
      id: interaction.id,
      channel: 'chat',
      state: 'open',
      customerId,
      queueId: 'chat',
      data: { intent: 'lost-card', verification: 'caller-number', ivrPath: ['welcome', 'menu', 'cards'] },
    });

    const theirs = await read(interaction.id, agent02);
    expect(theirs.status).toBe(403);
    expect(theirs.headers.get('content-type')).toContain('application/problem+json');
    expect(await theirs.json()).toMatchObject({ status: 403, code: 'INTERACTIONS_NOT_YOURS' });

    expect((await read(interaction.id, supervisor)).status).toBe(200);
    await abandon(interaction.id);
  });

  it('lets the agent read it while connected and in wrap-up, and not after', async () => {
    const { interaction } = await openChat({ intent: 'balance' });
    const path = `/api/v1/acd/interactions/${interaction.id}`;
    expect((await teller.call('POST', `${path}/accept`, { token: agent01 })).status).toBe(200);
    expect((await read(interaction.id, agent01)).status).toBe(200);
    expect((await teller.call('POST', `${path}/release`, { token: agent01 })).status).toBe(200);
    expect(teller.acd.engine.interactionState(interaction.id).state).toBe('wrap-up');
    expect((await read(interaction.id, agent01)).status).toBe(200);
    expect((await teller.call('POST', `${path}/wrap-up/end`, { token: agent01 })).status).toBe(200);
    const after = await read(interaction.id, agent01);
    expect(after.status).toBe(403);
    expect((await read(interaction.id, supervisor)).status).toBe(200);
  });

  it('answers 404 for an unknown interaction and 403 for one the ACD never offered the agent', async () => {
    const unknown = await read('no-such-interaction', supervisor);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'INTERACTIONS_NOT_FOUND' });
    const unqueued = await teller.interactions.create({ channel: 'email' });
    expect((await read(unqueued.id, agent01)).status).toBe(403);
  });

  it('refuses secrets in attached data, and the agents may not open interactions', async () => {
    const secret = await teller.call('POST', '/api/v1/interactions', {
      token: supervisor,
      body: { channel: 'chat', data: { intent: 'x', pin: '123456' } },
    });
    expect(secret.status).toBe(400);
    expect(await secret.json()).toMatchObject({ errors: [{ field: 'body.data.pin' }] });
    const byAgent = await teller.call('POST', '/api/v1/interactions', {
      token: agent01,
      body: { channel: 'chat' },
    });
    expect(byAgent.status).toBe(403);
  });

  it('sends interaction.updated to the agent holding it and to supervisors, without secrets', async () => {
    const { interaction } = await openChat({ intent: 'transfer' });
    const holder = await openStream(teller, agent01);
    const other = await openStream(teller, agent02);
    const watcher = await openStream(teller, supervisor);
    try {
      await teller.interactions.update(interaction.id, {
        customerId: asId<CustomerId>(customerId),
        data: { verification: 'pin', pin: '246810', extra: { otp: '999111', note: 'kept' } },
      });
      const updated = (e: StoredEvent) =>
        e.type === 'interaction.updated' &&
        (e.payload as { interactionId: string }).interactionId === interaction.id;
      await until(() => holder.events.some(updated) && watcher.events.some(updated), 'interaction.updated');
      const event = holder.events.find(updated)!;
      expect(event.subjectUserId).toBe(agent01Id);
      expect(event.payload).toEqual({
        interactionId: interaction.id,
        changes: { customerId, data: { verification: 'pin', extra: { note: 'kept' } } },
      });
      expect(JSON.stringify(watcher.events)).not.toMatch(/246810|999111/);
      // agent02 sees no interaction events of agent01's contact (the stream's filter is by audience).
      await teller.interactions.update(interaction.id, { data: { intent: 'transfer-2' } });
      await until(() => holder.events.filter(updated).length === 2, 'the second update');
      expect(other.events.filter(updated)).toEqual([]);
      // The record keeps what was attached; the API answer leaves the secrets out.
      const body = (await (await read(interaction.id, agent01)).json()) as InteractionBody;
      expect(body.data).toMatchObject({ verification: 'pin', intent: 'transfer-2' });
      expect(body.data).not.toHaveProperty('pin');
    } finally {
      for (const s of [holder, other, watcher]) s.socket.close();
      await abandon(interaction.id);
    }
  });
});
