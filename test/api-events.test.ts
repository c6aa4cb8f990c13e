import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StoredEvent } from '../src/core/index';
import { startTestTeller, type TestTeller } from './support/teller';

/** Opens the event stream and collects what arrives. */
async function openStream(teller: TestTeller, token: string | undefined, query = '') {
  const url = `${teller.httpUrl.replace('http', 'ws')}/api/v1/events${query}`;
  const socket = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const events: StoredEvent[] = [];
  socket.on('message', (data) => events.push(JSON.parse(String(data)) as StoredEvent));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return { socket, events };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the live event stream /api/v1/events', () => {
  let teller: TestTeller;
  let admin: string;
  beforeAll(async () => {
    teller = await startTestTeller();
    admin = await teller.login('admin');
  });
  afterAll(() => teller.close());

  it('refuses a connection without a session', async () => {
    await expect(openStream(teller, undefined)).rejects.toThrow(/HTTP 401/);
  });

  it('pushes domain events live, each with its sequence number', async () => {
    const { socket, events } = await openStream(teller, admin);
    const response = await teller.call('POST', '/api/v1/users', {
      token: admin,
      body: { username: 'streamer', displayName: 'S', role: 'agent', password: 'long-enough-pw' },
    });
    expect(response.status).toBe(201);
    await until(() => events.some((e) => e.type === 'user.created'), 'user.created');
    const created = events.find((e) => e.type === 'user.created')!;
    expect(created.seq).toBeGreaterThan(0);
    expect((created.payload as { user: { username: string } }).user.username).toBe('streamer');
    expect(JSON.stringify(events)).not.toContain('long-enough-pw');
    socket.close();
  });

  it("shows an agent only what it may see: its own events, not other users'", async () => {
    const agentToken = await teller.login('agent05');
    const { socket, events } = await openStream(teller, agentToken);
    await teller.login('agent06');
    await teller.login('agent05');
    await until(() => events.length >= 1, 'own login event');
    await new Promise((r) => setTimeout(r, 200));
    const agent05 = await teller.users.findByUsername('agent05');
    expect(events.map((e) => e.type)).toEqual(['user.logged-in']);
    expect(events[0]!.subjectUserId).toBe(agent05!.id);
    socket.close();
  });

  it('resumes from a sequence number: replays the log, then continues live without gap or duplicate', async () => {
    const head = await teller.eventLog.lastSeq();
    await teller.login('agent07');
    await teller.login('agent08');
    const from = head - 3;
    const { socket, events } = await openStream(teller, admin, `?after=${from}`);
    await teller.login('agent09');
    await until(
      () =>
        events.some(
          (e) => e.type === 'user.logged-in' && (e.payload as { username: string }).username === 'agent09',
        ),
      'live event',
    );
    const seqs = events.map((e) => e.seq);
    expect(seqs[0]).toBe(from + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    socket.close();
  });

  it('filters by type prefix', async () => {
    const { socket, events } = await openStream(teller, admin, '?types=user.created');
    await teller.login('agent10');
    await teller.call('POST', '/api/v1/users', {
      token: admin,
      body: { username: 'filtered', displayName: 'F', role: 'agent', password: 'long-enough-pw' },
    });
    await until(() => events.length >= 1, 'filtered event');
    expect(events.map((e) => e.type)).toEqual(['user.created']);
    socket.close();
  });
});
