import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/stores';
import { startTestTeller, type TestTeller } from './support/teller';

describe.each(dialects)('authentication and authorization (%s)', (dialect) => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller({ dialect });
  });
  afterAll(() => teller.close());

  it('signs in with a demo login: bearer token and an HTTP-only cookie', async () => {
    const response = await teller.call('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'teller-demo' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; user: { role: string; username: string } };
    expect(body.user).toMatchObject({ username: 'admin', role: 'admin' });
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^teller_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);

    const byBearer = await teller.call('GET', '/api/v1/auth/me', { token: body.token });
    expect(((await byBearer.json()) as { user: { username: string } }).user.username).toBe('admin');
    const byCookie = await teller.call('GET', '/api/v1/auth/me', {
      headers: { cookie: cookie.split(';')[0]! },
    });
    expect(byCookie.status).toBe(200);
  });

  it('answers 401 problem+json without credentials or with a bad token', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const response = await teller.call('GET', '/api/v1/users', token ? { token } : {});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({
        status: 401,
        code: 'API_UNAUTHENTICATED',
        title: 'Unauthorized',
        instance: '/api/v1/users',
      });
      expect(problem.type).toMatch(/^https:\/\//);
    }
  });

  it('answers 403 to an agent on an admin route and records the denial in the audit trail', async () => {
    const agent = await teller.login('agent01');
    const response = await teller.call('GET', '/api/v1/users', { token: agent });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'API_FORBIDDEN' });
    const agentUser = await teller.users.findByUsername('agent01');
    const denials = await teller.audit.list({ action: 'access.denied' });
    expect(denials[0]).toMatchObject({
      actor: agentUser!.id,
      outcome: 'denied',
      target: 'GET /api/v1/users',
    });
    const admin = await teller.login('admin');
    expect((await teller.call('GET', '/api/v1/users', { token: admin })).status).toBe(200);
  });

  it('locks an account after repeated failures, persistently, until an admin unlocks it', async () => {
    const admin = await teller.login('admin');
    for (let i = 0; i < 5; i++) {
      const r = await teller.call('POST', '/api/v1/auth/login', {
        body: { username: 'agent02', password: 'wrong-password' },
      });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ code: 'API_BAD_CREDENTIALS' });
    }
    const locked = await teller.call('POST', '/api/v1/auth/login', {
      body: { username: 'agent02', password: 'teller-demo' },
    });
    expect(locked.status).toBe(403);
    expect(await locked.json()).toMatchObject({ code: 'API_ACCOUNT_LOCKED' });
    const row = await teller.store.db
      .selectFrom('users')
      .select('locked_until')
      .where('username', '=', 'agent02')
      .executeTakeFirstOrThrow();
    expect(Number(row.locked_until)).toBeGreaterThan(Date.now());
    const user = await teller.users.findByUsername('agent02');
    const unlock = await teller.call('PATCH', `/api/v1/users/${user!.id}`, {
      token: admin,
      body: { locked: false },
    });
    expect(unlock.status).toBe(200);
    expect(await teller.login('agent02')).toBeTruthy();
    const failures = await teller.audit.list({ action: 'auth.login' });
    expect(failures.some((e) => e.outcome === 'denied' && e.details.reason === 'locked')).toBe(true);
    expect(JSON.stringify(failures)).not.toContain('wrong-password');
  });

  it('ends a session on logout and when an admin revokes it', async () => {
    const token = await teller.login('agent03');
    expect((await teller.call('POST', '/api/v1/auth/logout', { token })).status).toBe(204);
    expect((await teller.call('GET', '/api/v1/auth/me', { token })).status).toBe(401);

    const again = await teller.login('agent03');
    const admin = await teller.login('admin');
    const user = await teller.users.findByUsername('agent03');
    const revoke = await teller.call('DELETE', `/api/v1/users/${user!.id}/sessions`, { token: admin });
    expect(await revoke.json()).toEqual({ revoked: 1 });
    expect((await teller.call('GET', '/api/v1/auth/me', { token: again })).status).toBe(401);
  });

  it('creates, reads, changes and deletes users (admins only)', async () => {
    const admin = await teller.login('admin');
    const created = await teller.call('POST', '/api/v1/users', {
      token: admin,
      body: {
        username: 'agent99',
        displayName: 'Test Agent',
        role: 'agent',
        password: 'a-long-password',
        extension: '1999',
      },
    });
    expect(created.status).toBe(201);
    const user = (await created.json()) as { id: string };
    expect(await teller.login('agent99', 'a-long-password')).toBeTruthy();
    const dup = await teller.call('POST', '/api/v1/users', {
      token: admin,
      body: { username: 'agent99', displayName: 'Again', role: 'agent', password: 'a-long-password' },
    });
    expect(dup.status).toBe(409);
    const patched = await teller.call('PATCH', `/api/v1/users/${user.id}`, {
      token: admin,
      body: { role: 'supervisor' },
    });
    expect(await patched.json()).toMatchObject({ role: 'supervisor' });
    const agent = await teller.login('agent04');
    expect((await teller.call('GET', `/api/v1/users/${user.id}`, { token: agent })).status).toBe(403);
    expect((await teller.call('DELETE', `/api/v1/users/${user.id}`, { token: admin })).status).toBe(204);
    expect((await teller.call('GET', `/api/v1/users/${user.id}`, { token: admin })).status).toBe(404);
    const actions = (await teller.audit.list({ limit: 50 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.create', 'user.update', 'user.delete']));
  });
});

describe('login rate limiting', () => {
  it('answers 429 with Retry-After once a username has too many attempts in a minute', async () => {
    const teller = await startTestTeller();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await teller.call('POST', '/api/v1/auth/login', {
          body: { username: 'nobody', password: 'x' },
        });
        statuses.push(r.status);
        if (r.status === 429) {
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(await r.json()).toMatchObject({ code: 'API_LOGIN_RATE_LIMITED' });
        }
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429]);
    } finally {
      await teller.close();
    }
  });
});
