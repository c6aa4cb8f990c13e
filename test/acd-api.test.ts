import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTeller, type TestTeller } from './support/teller';

interface AgentStats {
  state: { kind: string; interactionIds?: string[]; interactionId?: string };
}

describe('the ACD through the API', () => {
  let teller: TestTeller;
  let supervisor: string;
  let agent: string;
  beforeAll(async () => {
    teller = await startTestTeller();
    supervisor = await teller.login('super01');
    agent = await teller.login('agent01');
  });
  afterAll(() => teller.close());

  it('lists the demo queues with live statistics', async () => {
    const body = (await (await teller.call('GET', '/api/v1/acd/queues', { token: agent })).json()) as {
      queues: { config: { id: string }; statistics: { waiting: number } }[];
    };
    expect(body.queues.map((q) => q.config.id).sort()).toEqual(['cards', 'chat', 'general', 'wealth']);
    expect(body.queues[0]!.statistics.waiting).toBe(0);
  });

  it('routes a chat to a ready agent, who accepts, releases and wraps up', async () => {
    expect((await teller.call('POST', '/api/v1/acd/me/login', { token: agent })).status).toBe(200);
    expect((await teller.call('POST', '/api/v1/acd/me/ready', { token: agent })).status).toBe(200);
    const enqueued = await teller.call('POST', '/api/v1/acd/interactions', {
      token: supervisor,
      body: { interactionId: 'chat-1', queueId: 'chat', tier: 'affluent' },
    });
    const result = (await enqueued.json()) as { outcome: string; agentId?: string };
    const me = (await teller.users.findByUsername('agent01'))!;
    expect(result).toEqual({ outcome: 'offered', agentId: me.id });
    await teller.call('POST', '/api/v1/acd/interactions/chat-1/accept', { token: agent });
    let stats = (await (await teller.call('GET', '/api/v1/acd/me', { token: agent })).json()) as AgentStats;
    expect(stats.state.kind).toBe('busy');
    stats = (await (
      await teller.call('POST', '/api/v1/acd/interactions/chat-1/release', { token: agent })
    ).json()) as AgentStats;
    expect(stats.state.kind).toBe('wrap-up');
    stats = (await (
      await teller.call('POST', '/api/v1/acd/interactions/chat-1/wrap-up/end', { token: agent })
    ).json()) as AgentStats;
    expect(stats.state.kind).toBe('ready');
  });

  it('refuses what a role may not do, and audits a forced state', async () => {
    expect(
      (await teller.call('PUT', '/api/v1/acd/queues/general', { token: agent, body: { channel: 'voice' } }))
        .status,
    ).toBe(403);
    expect((await teller.call('GET', '/api/v1/acd/agents', { token: agent })).status).toBe(403);
    const agent02 = (await teller.users.findByUsername('agent02'))!;
    const forced = await teller.call('POST', `/api/v1/acd/agents/${agent02.id}/state`, {
      token: supervisor,
      body: { state: 'not-ready', reason: 'coaching' },
    });
    expect(((await forced.json()) as AgentStats).state).toMatchObject({ kind: 'not-ready' });
    const audit = await teller.audit.list({ action: 'acd.force-state' });
    expect(audit[0]).toMatchObject({
      target: agent02.id,
      details: { state: 'not-ready', reason: 'coaching' },
    });
  });

  it('answers bad input with a problem naming the field', async () => {
    const response = await teller.call('POST', '/api/v1/acd/interactions', {
      token: supervisor,
      body: { interactionId: 'x', queueId: 'chat', tier: 'gold' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('body.tier');
  });
});

describe('ACD recovery after a restart', { timeout: 180_000 }, () => {
  it('puts chats back in their queues at their old positions and closes the voice calls that died', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-acd-'));
    const first = await startTestTeller({ dataDir });
    const supervisor = await first.login('super01');
    for (const id of ['c-1', 'c-2', 'c-3']) {
      const r = await first.call('POST', '/api/v1/acd/interactions', {
        token: supervisor,
        body: { interactionId: id, queueId: 'chat' },
      });
      expect(((await r.json()) as { outcome: string }).outcome).toBe('queued');
    }
    await first.call('POST', '/api/v1/acd/interactions', {
      token: supervisor,
      body: { interactionId: 'v-1', queueId: 'general' },
    });
    const before = await Promise.all(
      ['c-1', 'c-2', 'c-3'].map(
        async (id) =>
          (
            (await (
              await first.call('GET', `/api/v1/acd/interactions/${id}/estimate`, { token: supervisor })
            ).json()) as { position: number }
          ).position,
      ),
    );
    expect(before).toEqual([1, 2, 3]);
    await first.close();

    const second = await startTestTeller({ dataDir });
    try {
      const token = await second.login('super01');
      const after = await Promise.all(
        ['c-1', 'c-2', 'c-3'].map(
          async (id) =>
            (
              (await (
                await second.call('GET', `/api/v1/acd/interactions/${id}/estimate`, { token })
              ).json()) as { position: number }
            ).position,
        ),
      );
      expect(after).toEqual([1, 2, 3]);
      expect(second.acd.engine.hasInteraction('v-1')).toBe(false);
      const events = await second.eventLog.readAfter(0, 100_000);
      expect(
        events.some(
          (e) =>
            e.type === 'acd.interaction.canceled' &&
            (e.payload as { interactionId: string; reason: string }).interactionId === 'v-1' &&
            (e.payload as { reason: string }).reason === 'channel-lost-on-restart',
        ),
      ).toBe(true);
    } finally {
      await second.close();
    }
  });
});
