import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../test/support/postgres';
import { dialects, freshStore } from '../../test/support/stores';
import { asId, type EventId, VirtualClock } from '../core/index';
import { AuditTrail } from './audit';
import { EventLog } from './event-log';
import { migrateToLatest, migrateUpTo } from './migrate';
import { getMeta, openStore, type Store, setMeta } from './store';

const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function newEvent(n: number) {
  return {
    id: asId<EventId>(`e-${n}-${Math.random()}`),
    type: n % 2 ? 'test.odd' : 'test.even',
    at: 1000 + n,
    audience: 'all' as const,
    subjectUserId: null,
    actor: null,
    payload: { n },
  };
}

/** Bypasses the append-only triggers the way an attacker with database access would. */
async function tamper(store: Store, statement: string): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql.raw('ALTER TABLE audit_log DISABLE TRIGGER USER').execute(store.db);
    await sql.raw(statement).execute(store.db);
    await sql.raw('ALTER TABLE audit_log ENABLE TRIGGER USER').execute(store.db);
  } else {
    await sql.raw('DROP TRIGGER audit_log_no_update').execute(store.db);
    await sql.raw('DROP TRIGGER audit_log_no_delete').execute(store.db);
    await sql.raw(statement).execute(store.db);
  }
}

describe.each(dialects)('store on %s', (dialect) => {
  async function store(): Promise<Store> {
    const s = await freshStore(dialect);
    open.push(s);
    return s;
  }

  it('applies migrations once; running them again changes nothing', async () => {
    const s = await store();
    const again = await migrateToLatest(s.db as never, s.dialect);
    expect(again.applied).toEqual([]);
    await s.ping();
  });

  it('keeps the events and their numbers when the id index goes (006), and numbers on from there', async () => {
    // The schema before 006, with events in it, opened with Kysely alone (openStore would migrate).
    let where: { sqlitePath: string } | { databaseUrl: string };
    let db: Kysely<unknown>;
    if (dialect === 'postgres') {
      const databaseUrl = await createTestDatabase(inject('pgUrl'));
      where = { databaseUrl };
      db = new Kysely({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }),
      });
    } else {
      const sqlitePath = path.join(mkdtempSync(path.join(tmpdir(), 'teller-store-')), 'teller.db');
      where = { sqlitePath };
      db = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(sqlitePath) }) });
    }
    await migrateUpTo(db, dialect, '005_ivr_flows');
    for (const n of [1, 2, 3])
      await sql`insert into events (id, type, at, audience, payload) values (${`old-${n}`}, 'test.old', ${n}, 'all', ${JSON.stringify({ n })})`.execute(
        db,
      );
    // The last number handed out is gone from the table; it must still not come back.
    await sql`delete from events where seq = 3`.execute(db);
    await db.destroy();

    const s = await openStore(where);
    open.push(s);
    const log = new EventLog(s);
    expect((await log.readAfter(0)).map((e) => [e.seq, e.id, e.payload])).toEqual([
      [1, 'old-1', { n: 1 }],
      [2, 'old-2', { n: 2 }],
    ]);
    expect(await log.append(newEvent(4))).toBe(4);
    const indexes =
      dialect === 'postgres'
        ? (
            await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where tablename = 'events'`.execute(s.db)
          ).rows
        : (
            await sql<{
              name: string;
            }>`select name from pragma_index_list('events')`.execute(s.db)
          ).rows;
    expect(indexes.map((i) => i.name).sort()).toEqual(
      dialect === 'postgres' ? ['events_pkey', 'events_type_seq'] : ['events_type_seq'],
    );
  });

  it('keeps key/value metadata', async () => {
    const s = await store();
    expect(await getMeta(s.db, 'k')).toBeUndefined();
    await setMeta(s.db, 'k', 'one');
    await setMeta(s.db, 'k', 'two');
    expect(await getMeta(s.db, 'k')).toBe('two');
  });

  it('numbers concurrent event appends 1..N without gaps, in the order they were made', async () => {
    const log = new EventLog(await store());
    const seqs = await Promise.all(Array.from({ length: 1200 }, (_, i) => log.append(newEvent(i))));
    expect(seqs).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(await log.lastSeq()).toBe(1200);
    const page = await log.readAfter(1195);
    expect(page.map((e) => [e.seq, (e.payload as { n: number }).n])).toEqual([
      [1196, 1195],
      [1197, 1196],
      [1198, 1197],
      [1199, 1198],
      [1200, 1199],
    ]);
  });

  it('replays every event after a sequence number, page by page', async () => {
    const log = new EventLog(await store());
    await Promise.all(Array.from({ length: 2500 }, (_, i) => log.append(newEvent(i))));
    const seen: number[] = [];
    const last = await log.replay(100, (e) => {
      seen.push(e.seq);
    });
    expect(last).toBe(2500);
    expect(seen).toHaveLength(2400);
    expect(seen[0]).toBe(101);
    expect(seen.every((s, i) => i === 0 || s === seen[i - 1]! + 1)).toBe(true);
  });

  it('chains the audit trail and verifies it', async () => {
    const s = await store();
    const audit = new AuditTrail(s, new VirtualClock(5000));
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        audit.record({ actor: `u${i}`, action: 'auth.login', outcome: 'success', ip: '10.0.0.1' }),
      ),
    );
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 50 });
  });

  it('refuses to update or delete audit rows', async () => {
    const s = await store();
    const audit = new AuditTrail(s, new VirtualClock());
    await audit.record({ actor: 'u1', action: 'auth.login', outcome: 'success' });
    await expect(s.db.updateTable('audit_log').set({ actor: 'u2' }).execute()).rejects.toThrow(/append-only/);
    await expect(s.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    if (dialect === 'postgres')
      await expect(sql`TRUNCATE audit_log`.execute(s.db)).rejects.toThrow(/append-only/);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 1 });
  });

  it('detects an altered row and a removed row', async () => {
    const s = await store();
    const audit = new AuditTrail(s, new VirtualClock());
    for (let i = 0; i < 10; i++)
      await audit.record({ actor: 'u1', action: 'banking.transfer', outcome: 'success', details: { i } });
    await tamper(s, `UPDATE audit_log SET actor = 'mallory' WHERE seq = 4`);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      seq: 4,
      reason: 'entry 4 was altered',
      count: 3,
    });

    const s2 = await store();
    const audit2 = new AuditTrail(s2, new VirtualClock());
    for (let i = 0; i < 10; i++)
      await audit2.record({ actor: 'u1', action: 'auth.login', outcome: 'failure' });
    await tamper(s2, 'DELETE FROM audit_log WHERE seq = 6');
    expect(await audit2.verify()).toMatchObject({ ok: false, seq: 6, reason: 'entry 6 is missing' });
  });

  it('refuses secrets in audit details', async () => {
    const audit = new AuditTrail(await store(), new VirtualClock());
    await expect(
      audit.record({ actor: 'u', action: 'x', outcome: 'success', details: { pin: '1234' } }),
    ).rejects.toThrow(/must not carry "pin"/);
  });

  it('commits the other entries of a group when one is refused', async () => {
    const audit = new AuditTrail(await store(), new VirtualClock());
    const results = await Promise.allSettled([
      audit.record({ actor: 'a', action: 'x', outcome: 'success' }),
      audit.record({ actor: 'b', action: 'x', outcome: 'success', details: { otp: '999999' } }),
      audit.record({ actor: 'c', action: 'x', outcome: 'success' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await audit.list()).map((r) => [r.seq, r.actor])).toEqual([
      [2, 'c'],
      [1, 'a'],
    ]);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it('reports itself down once closed', async () => {
    const s = await freshStore(dialect);
    await s.close();
    await expect(s.ping()).rejects.toThrow(/closed/);
  });
});
