import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SimulatorOtpOutbox, StoreBank } from '../src/banking/index';
import { VirtualClock } from '../src/core/index';
import { demoCustomers, demoGenericPin, StoreCrm, seedDemoBank } from '../src/crm/index';
import { AuditTrail, openStore, type Store } from '../src/store/index';
import { createTestDatabase } from './support/postgres';

const scratchDirs: string[] = [];
/** A temporary folder for a SQLite file, removed when the file's tests are done. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

const asOf = Date.UTC(2025, 5, 1, 16, 0);
const tables = [
  'customers',
  'customer_phones',
  'bank_credentials',
  'bank_accounts',
  'bank_transactions',
  'bank_entries',
  'bank_cards',
  'bank_payees',
  'bank_billers',
  'bank_biller_registrations',
  'bank_bill_payments',
  'bank_positions',
  'crm_holdings',
  'crm_tags',
  'crm_interactions',
  'crm_cases',
  'crm_case_history',
  'crm_notes',
  'crm_segments',
  'crm_offers',
] as const;

/** A digest of every seeded row, independent of row order and of the dialect. */
async function digest(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    const lines = rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .sort()
            .map((k) => [k, (row as Record<string, unknown>)[k]]),
        ),
      )
      .sort();
    out[table] = `${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
  }
  return out;
}

describe('the demo bank seed', () => {
  it('is deterministic for a seed: the same rows twice, and the same rows on PostgreSQL as on SQLite', async () => {
    const options = { customers: 150, seed: 'determinism', asOf, transactionsPerCustomer: 8 };
    const a = await openStore({ sqlitePath: ':memory:' });
    const b = await openStore({
      sqlitePath: path.join(scratch('teller-seed-'), 'bank.sqlite'),
    });
    const p = await openStore({ databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_seed') });
    const c = await openStore({ sqlitePath: ':memory:' });
    try {
      const report = await seedDemoBank(a, options);
      expect(report).toMatchObject({ skipped: false, customers: 150 });
      expect(report.transactions).toBeGreaterThan(150 * 8);
      // The bulk path (indexes dropped and rebuilt, rollback journal) must give the same bank.
      await seedDemoBank(b, { ...options, deferIndexes: true, batchSize: 40 });
      await seedDemoBank(p, { ...options, deferIndexes: true });
      await seedDemoBank(c, { ...options, seed: 'another' });
      const da = await digest(a);
      expect(await digest(b)).toEqual(da);
      expect(await digest(p)).toEqual(da);
      expect((await digest(c)).customers).not.toEqual(da.customers);
      expect(await seedDemoBank(a, options)).toMatchObject({ skipped: true });
      const indexes = async (s: Store) =>
        (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'index' order by name`.execute(s.db)
        ).rows;
      expect(await indexes(b)).toEqual(await indexes(a));
      const modes = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(b.db);
      expect(modes.rows[0]?.journal_mode).toBe('wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(b.db);
      expect(sync.rows[0]?.synchronous).toBe(2);
      const pgIndexes = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_indexes where schemaname = current_schema()`.execute(p.db);
      expect(pgIndexes.rows[0]!.n).toBeGreaterThan(20);
    } finally {
      for (const s of [a, b, c, p]) await s.close();
    }
  });

  it('creates the named demo customers exactly as DESIGN.md lists them, and a year of history', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    const progress: number[] = [];
    await seedDemoBank(store, {
      customers: 60,
      seed: 'named',
      asOf,
      batchSize: 25,
      onProgress: (p) => {
        if (p.phase === 'customers') progress.push(p.done);
      },
    });
    expect(progress).toEqual([25, 50, 60]);
    const clock = new VirtualClock(asOf);
    const audit = new AuditTrail(store, clock);
    const bank = new StoreBank({
      store,
      clock,
      audit,
      publish: async () => undefined,
      otpSender: new SimulatorOtpOutbox(),
    });
    const crm = new StoreCrm({ store, clock, bank, audit, publish: async () => undefined });
    const ctx = { channel: 'ivr' as const, actor: 'ivr' };
    for (const named of demoCustomers) {
      const [found] = await crm.search({ phone: named.phone });
      expect(found).toMatchObject({ nameZh: named.nameZh, nameLatin: named.nameLatin, tier: named.tier });
      expect(found!.cards).toContain(`************${named.cardNumber.slice(-4)}`);
      expect(await bank.findCustomerByCardNumber(named.cardNumber)).toBe(found!.id);
      expect((await bank.verifyPin(found!.id, named.pin, ctx)).level).toBe('pin');
    }
    const generic = (await crm.search({ phone: '13800000003' }))[0]!;
    expect((await bank.verifyPin(generic.id, demoGenericPin, ctx)).level).toBe('pin');
    const span = await store.db
      .selectFrom('bank_transactions')
      .select((eb) => [eb.fn.min<number>('at').as('first'), eb.fn.max<number>('at').as('last')])
      .where('kind', '<>', 'opening')
      .executeTakeFirstOrThrow();
    expect(Number(span.last)).toBeLessThanOrEqual(asOf);
    expect(asOf - Number(span.first)).toBeGreaterThan(330 * 86_400_000);
    const counts = await Promise.all(
      (['bank_cards', 'bank_payees', 'bank_biller_registrations', 'crm_cases', 'bank_billers'] as const).map(
        async (t) =>
          Number(
            (
              await store.db
                .selectFrom(t)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
      ),
    );
    for (const n of counts) expect(n).toBeGreaterThan(0);
    await store.close();
  });
});
