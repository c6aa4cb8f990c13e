/**
 * Bank benchmark: seeding the demo bank at size (default 1,000,000 customers, on SQLite),
 * customer search by phone at that size (p50/p99, beside the bare indexed lookup it is built
 * on, measured in the same run), and own-account transfers per second on SQLite and on
 * PostgreSQL (a throwaway cluster), beside a bare balanced posting — the same double-entry
 * writes without verification, idempotency record or audit — measured in the same run.
 *
 *   npm run bench -- bank [--customers 1000000] [--transfers 3000] [--searches 2000]
 *                         [--pg-customers 20000] [--concurrency 16] [--no-postgres]
 *                         [--sqlite-file path]   (kept afterwards; a file already seeded is reused)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { type Account, type OperationContext, StoreBank } from '../src/banking/index';
import { type Clock, money, RealClock } from '../src/core/index';
import { StoreCrm, seedDemoBank } from '../src/crm/index';
import { AuditTrail, openStore, type Store } from '../src/store/index';
import { startTempPostgres } from '../test/support/postgres';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return round((used.user + used.system) / 1e6, 1);
}

async function seed(store: Store, customers: number, label: string) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let lastShown = 0;
  const report = await seedDemoBank(store, {
    customers,
    seed: 'bench',
    onProgress: (p) => {
      const now = performance.now();
      if (p.phase !== 'customers' || now - lastShown > 5_000 || p.done === p.total) {
        lastShown = now;
        process.stderr.write(
          `${label}: ${p.phase} ${p.done}/${p.total} after ${Math.round((now - started) / 1000)} s\n`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (report.skipped) return { skipped: 'the database already held a bank; not reseeded' };
  return {
    customers: report.customers,
    accounts: report.accounts,
    cards: report.cards,
    transactions: report.transactions,
    entries: report.entries,
    rows: report.rows,
    seconds: round(seconds, 1),
    rowsPerSecond: Math.round(report.rows / seconds),
    cpuSeconds: cpuSeconds(cpu),
  };
}

async function phoneSearch(store: Store, crm: StoreCrm, customers: number, searches: number) {
  const phones = Array.from({ length: searches }, (_, i) => {
    const n = 1 + ((i * 7_919 + 13) % customers);
    return `138${String(n).padStart(8, '0')}`;
  });
  // Warm the page cache as a running server would be warm.
  for (const phone of phones.slice(0, 200)) await crm.search({ phone });
  const timings: number[] = [];
  for (const phone of phones) {
    const t = performance.now();
    const found = await crm.search({ phone });
    timings.push(performance.now() - t);
    if (found.length !== 1) throw new Error(`phone ${phone} found ${found.length} customers`);
  }
  const baseline: number[] = [];
  for (const phone of phones) {
    const t = performance.now();
    await store.db.selectFrom('customer_phones').select('customer_id').where('phone', '=', phone).execute();
    baseline.push(performance.now() - t);
  }
  timings.sort((a, b) => a - b);
  baseline.sort((a, b) => a - b);
  return {
    searches,
    p50Ms: round(percentile(timings, 50)),
    p99Ms: round(percentile(timings, 99)),
    maxMs: round(timings.at(-1)!),
    baselineIndexLookupP50Ms: round(percentile(baseline, 50)),
    baselineIndexLookupP99Ms: round(percentile(baseline, 99)),
    ratioP50ToBaseline: round(percentile(timings, 50) / percentile(baseline, 50), 1),
  };
}

interface Pair {
  customerId: string;
  ctx: OperationContext;
  from: Account;
  to: Account;
}

async function transferRates(store: Store, clock: Clock, transfers: number, concurrency: number) {
  const bank = new StoreBank({
    store,
    clock,
    audit: new AuditTrail(store, clock),
    publish: async () => undefined,
  });
  // Customers 3…N share the demo PIN; take the first hundred with two CNY accounts.
  const candidates = await store.db
    .selectFrom('customers')
    .select('id')
    .where('cif', '>', 'C0000000002')
    .orderBy('cif')
    .limit(300)
    .execute();
  const pairs: Pair[] = [];
  for (const { id } of candidates) {
    const accounts = (await bank.accountsOf(id)).filter(
      (a) => a.currency === 'CNY' && a.kind !== 'brokerage',
    );
    const from = accounts.find((a) => a.kind === 'current');
    const to = accounts.find((a) => a.kind !== 'current');
    if (!from || !to || from.available.minor < transfers * 100) continue;
    const base: OperationContext = { channel: 'agent', actor: 'bench' };
    const v = await bank.verifyPin(id, '888888', base);
    pairs.push({ customerId: id, ctx: { ...base, verificationId: v.id }, from, to });
    if (pairs.length >= 100) break;
  }
  if (pairs.length === 0) throw new Error('no customer with two CNY accounts to move money between');

  const run = async (work: (pair: Pair, i: number) => Promise<unknown>) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < transfers; i = next++) await work(pairs[i % pairs.length]!, i);
      }),
    );
    return transfers / ((performance.now() - started) / 1000);
  };

  const runId = randomUUID().slice(0, 8);
  const cpu = process.cpuUsage();
  const full = await run((p, i) =>
    bank.transferOwn(p.ctx, {
      customerId: p.customerId,
      fromAccountId: p.from.id,
      toAccountId: p.to.id,
      amount: money(1_00, 'CNY'),
      idempotencyKey: `bench-${runId}-${i}`,
    }),
  );
  const fullCpu = cpuSeconds(cpu);
  // The same double-entry writes, bare: two balance updates, the transaction and its entries.
  const bare = await run((p) =>
    store.db.transaction().execute(async (tx) => {
      const id = randomUUID();
      const at = clock.now();
      for (const [accountId, delta] of [
        [p.from.id, -1_00],
        [p.to.id, 1_00],
      ] as const) {
        await tx
          .updateTable('bank_accounts')
          .set((eb) => ({ balance: eb('balance', '+', delta) }))
          .where('id', '=', accountId)
          .returning('balance')
          .executeTakeFirstOrThrow();
      }
      await tx
        .insertInto('bank_transactions')
        .values({
          id,
          customer_id: p.customerId,
          kind: 'own-transfer',
          description: 'bench',
          channel: 'agent',
          actor: 'bench',
          interaction_id: null,
          idempotency_scope: null,
          at,
        })
        .execute();
      await tx
        .insertInto('bank_entries')
        .values([
          { transaction_id: id, account_id: p.from.id, amount: -1_00, currency: 'CNY', balance_after: 0, at },
          { transaction_id: id, account_id: p.to.id, amount: 1_00, currency: 'CNY', balance_after: 0, at },
        ])
        .execute();
    }),
  );
  return {
    transfers,
    concurrency,
    customers: pairs.length,
    transfersPerSecond: Math.round(full),
    cpuSecondsForTransfers: fullCpu,
    baselineBarePostingsPerSecond: Math.round(bare),
    ratioToBaseline: round(full / bare, 2),
  };
}

export default async function bankBench(args: string[]): Promise<unknown> {
  const customers = option(args, 'customers', 1_000_000);
  const transfers = option(args, 'transfers', 3_000);
  const searches = option(args, 'searches', 2_000);
  const pgCustomers = option(args, 'pg-customers', 20_000);
  const concurrency = option(args, 'concurrency', 16);
  const clock = new RealClock();
  const loadBefore = loadavg().map((l) => round(l, 1));

  const given = args.indexOf('--sqlite-file');
  const dir = given >= 0 ? undefined : mkdtempSync(path.join(tmpdir(), 'teller-bench-bank-'));
  const file = dir ? path.join(dir, 'teller.sqlite') : args[given + 1]!;
  const sqlite = await openStore({ sqlitePath: file });
  const figures: Record<string, unknown> = {};
  try {
    figures.sqliteSeed = {
      ...(await seed(sqlite, customers, 'sqlite seed')),
      fileMiB: Math.round(statSync(file).size / 2 ** 20),
    };
    const crm = new StoreCrm({
      store: sqlite,
      clock,
      bank: new StoreBank({
        store: sqlite,
        clock,
        audit: new AuditTrail(sqlite, clock),
        publish: async () => undefined,
      }),
      audit: { record: async () => undefined },
      publish: async () => undefined,
    });
    process.stderr.write('sqlite: phone search\n');
    figures.sqlitePhoneSearch = { customers, ...(await phoneSearch(sqlite, crm, customers, searches)) };
    process.stderr.write('sqlite: transfers\n');
    figures.sqliteTransfers = await transferRates(sqlite, clock, transfers, concurrency);
  } finally {
    await sqlite.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }

  if (!args.includes('--no-postgres')) {
    const server = await startTempPostgres();
    try {
      const pg = await openStore({ databaseUrl: server.url, maxConnections: concurrency + 4 });
      try {
        figures.postgresSeed = await seed(pg, pgCustomers, 'postgres seed');
        process.stderr.write('postgres: transfers\n');
        figures.postgresTransfers = await transferRates(pg, clock, transfers, concurrency);
      } finally {
        await pg.close();
      }
    } finally {
      server.stop();
    }
  }
  figures.loadAverage = { before: loadBefore, after: loadavg().map((l) => round(l, 1)) };
  return figures;
}
