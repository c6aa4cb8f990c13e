import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import { AuditTrail, openStore, type Store } from '../store/index';
import { Users } from './users';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function setup(clock: VirtualClock) {
  const store = await openStore({ sqlitePath: ':memory:' });
  stores.push(store);
  const published: string[] = [];
  const users = new Users({
    db: store.db,
    audit: new AuditTrail(store, clock),
    clock,
    publish: async (type) => {
      published.push(type);
    },
    sessionTtlMs: 60_000,
    maxFailures: 3,
    lockMs: 600_000,
    sipRealm: 'teller',
  });
  await users.create(
    { username: 'alice', displayName: 'Alice', role: 'agent', password: 'correct-horse' },
    'system',
  );
  return { users, published };
}

describe('Users', () => {
  it('expires a session at its deadline, even while cached', async () => {
    const clock = new VirtualClock(1_000_000);
    const { users } = await setup(clock);
    const { token } = await users.login('alice', 'correct-horse', '127.0.0.1', null);
    expect(await users.sessionFor(token)).toBeDefined();
    clock.advance(59_999);
    expect(await users.sessionFor(token)).toBeDefined();
    clock.advance(1);
    expect(await users.sessionFor(token)).toBeUndefined();
  });

  it('lifts a lockout when its time has passed', async () => {
    const clock = new VirtualClock(1_000_000);
    const { users, published } = await setup(clock);
    for (let i = 0; i < 3; i++)
      await expect(users.login('alice', 'nope', 'ip', null)).rejects.toMatchObject({
        code: 'API_BAD_CREDENTIALS',
      });
    expect(published).toContain('user.locked');
    await expect(users.login('alice', 'correct-horse', 'ip', null)).rejects.toMatchObject({
      code: 'API_ACCOUNT_LOCKED',
    });
    clock.advance(600_000);
    await expect(users.login('alice', 'correct-horse', 'ip', null)).resolves.toBeDefined();
  });

  it('revokes sessions when the password changes, and a disabled user cannot sign in', async () => {
    const clock = new VirtualClock(1_000_000);
    const { users } = await setup(clock);
    const alice = (await users.findByUsername('alice'))!;
    const { token } = await users.login('alice', 'correct-horse', 'ip', null);
    await users.update(alice.id, { password: 'battery-staple' }, 'admin');
    expect(await users.sessionFor(token)).toBeUndefined();
    await users.update(alice.id, { disabled: true }, 'admin');
    await expect(users.login('alice', 'battery-staple', 'ip', null)).rejects.toMatchObject({
      code: 'API_ACCOUNT_DISABLED',
    });
  });

  it('stores only a hash of the session token and of the password', async () => {
    const clock = new VirtualClock(1_000_000);
    const { users } = await setup(clock);
    const { token } = await users.login('alice', 'correct-horse', 'ip', null);
    const store = stores[0]!;
    const dump = JSON.stringify([
      await store.db.selectFrom('sessions').selectAll().execute(),
      await store.db.selectFrom('users').selectAll().execute(),
    ]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain('correct-horse');
    expect(dump).toMatch(/scrypt\$15\$8\$1\$/);
  });
});

describe('SIP credentials', () => {
  it('derive HA1 for the extension and the login name, and need the password when the extension changes', async () => {
    const clock = new VirtualClock(1_000_000);
    const { users } = await setup(clock);
    const bob = await users.create(
      { username: 'bob', displayName: 'Bob', role: 'agent', password: 'pass-phrase-1', extension: '1201' },
      'system',
    );
    const byExtension = await users.sipHa1('1201', 'MD5');
    const byName = await users.sipHa1('bob', 'SHA-256');
    expect(byExtension?.user.id).toBe(bob.id);
    expect(byExtension?.ha1).toMatch(/^[0-9a-f]{32}$/);
    expect(byName?.ha1).toMatch(/^[0-9a-f]{64}$/);
    expect(await users.sipHa1('alice', 'MD5')).toBeUndefined();
    await expect(users.update(bob.id, { extension: '1202' }, 'admin')).rejects.toMatchObject({
      code: 'API_PASSWORD_NEEDED',
    });
    await users.update(bob.id, { extension: '1202', password: 'pass-phrase-2' }, 'admin');
    expect(await users.sipHa1('1201', 'MD5')).toBeUndefined();
    expect((await users.sipHa1('1202', 'MD5'))?.ha1).not.toBe(byExtension?.ha1);
  });
});
