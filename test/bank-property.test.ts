import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  type Account,
  type Channel,
  type FaultPoint,
  type OperationContext,
  SeededRandom,
  SimulatorOtpOutbox,
  StoreBank,
} from '../src/banking/index';
import {
  type DomainEvents,
  EventBus,
  MemoryEventSink,
  money,
  TellerError,
  VirtualClock,
} from '../src/core/index';
import { seedDemoBank } from '../src/crm/index';
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

/**
 * The bank's central promise under stress: random concurrent own transfers, payee transfers,
 * bill payments and FX conversions, each retried under its idempotency key after injected
 * failures (rolled back before commit, or committed with the reply lost), some raced by a
 * duplicate in flight. Afterwards the ledger must balance per currency, no account may sit
 * below its allowed limit, each key must have moved money at most once, and every call with a
 * key must have returned that key's first outcome.
 *
 * TELLER_BANK_PROPERTY_OPS sets the number of operations (default 10,000);
 * TELLER_BANK_PROPERTY_SEED the seed of the operation mix and of the faults.
 */
const operations = Number(process.env.TELLER_BANK_PROPERTY_OPS ?? 10_000);
const seed = process.env.TELLER_BANK_PROPERTY_SEED ?? 'property-1';
const concurrency = 16;
const dialects = ['sqlite', 'postgres'] as const;
const start = Date.UTC(2025, 5, 2, 2, 0);

type Outcome = string;

interface Customer {
  id: string;
  accounts: Account[];
  payees: string[];
  registrations: string[];
  contexts: Record<Channel, OperationContext>;
}

function injected(point: FaultPoint): TellerError {
  return new TellerError('BANK_FAULT_INJECTED', 'unavailable', `injected failure ${point}`);
}

describe.each(dialects)('property: money is conserved under retries, races and failures (%s)', (dialect) => {
  it(`holds for ${operations} random operations`, { timeout: 600_000 }, async () => {
    const store: Store =
      dialect === 'postgres'
        ? await openStore({
            databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_prop'),
            maxConnections: 20,
          })
        : await openStore({
            sqlitePath: path.join(scratch('teller-prop-'), 'teller.sqlite'),
          });
    const clock = new VirtualClock(start);
    await seedDemoBank(store, { customers: 24, seed: 'property', asOf: start, transactionsPerCustomer: 6 });

    const rng = new SeededRandom(seed);
    const faults = { 'before-commit': 0, 'after-commit': 0 };
    let faultsOn = false;
    const outbox = new SimulatorOtpOutbox();
    const sink = new MemoryEventSink();
    const bus = new EventBus<DomainEvents>(sink, clock, (error) => {
      throw error;
    });
    const bank = new StoreBank({
      store,
      clock,
      audit: new AuditTrail(store, clock),
      publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
      otpSender: outbox,
      verificationTtlMs: 60 * 86_400_000,
      faults: (point) => {
        if (faultsOn && rng.chance(12)) {
          faults[point]++;
          throw injected(point);
        }
      },
    });

    const ids = await store.db.selectFrom('customers').select('id').orderBy('cif').execute();
    const customers: Customer[] = [];
    for (const { id } of ids) {
      const contexts = {} as Record<Channel, OperationContext>;
      const pin = customers.length === 0 ? '123456' : customers.length === 1 ? '654321' : '888888';
      for (const channel of ['ivr', 'agent'] as const) {
        const base: OperationContext = { channel, actor: `${channel}-actor` };
        const v = await bank.verifyPin(id, pin, base);
        await bank.sendOtp(v.id, base);
        await bank.verifyOtp(v.id, outbox.lastCode(id)!, base);
        contexts[channel] = { ...base, verificationId: v.id };
      }
      customers.push({
        id,
        accounts: (await bank.accountsOf(id)).filter((a) => a.kind !== 'brokerage'),
        payees: (await bank.payees(contexts.agent, id)).map((p) => p.id),
        registrations: (await bank.billerRegistrations(contexts.agent, id)).map((r) => r.id),
        contexts,
      });
    }

    const outcomes = new Map<string, Outcome[]>();
    const successes = new Map<string, string>();
    let retries = 0;
    let races = 0;

    /** One call until it gets past injected failures; returns the outcome it saw. */
    async function call(key: string, run: () => Promise<{ transactionId: string }>): Promise<Outcome> {
      for (let attempt = 0; ; attempt++) {
        try {
          const value = await run();
          successes.set(key, value.transactionId);
          return `ok:${JSON.stringify(value)}`;
        } catch (error) {
          if (!(error instanceof TellerError)) throw error;
          if (error.code === 'BANK_FAULT_INJECTED' && attempt < 50) {
            retries++;
            continue;
          }
          return `error:${error.code}:${error.message}`;
        }
      }
    }

    function pick<T>(items: readonly T[]): T {
      return rng.pick(items);
    }

    function amountFor(account: Account): number {
      // Mostly modest amounts, sometimes more than the account can bear.
      if (rng.chance(6)) return account.available.minor + rng.int(1, 100_000);
      return rng.int(1, 200_000);
    }

    type Run = () => Promise<{ transactionId: string }>;

    /** The operation of a kind (0–99: own transfer, payee transfer, bill payment, FX), if the customer can do it. */
    async function build(
      kind: number,
      customer: Customer,
      ctx: OperationContext,
      key: string,
    ): Promise<Run | undefined> {
      let run: Run;
      if (kind < 35) {
        const from = pick(customer.accounts);
        const same = customer.accounts.filter((a) => a.currency === from.currency && a.id !== from.id);
        if (same.length === 0) return undefined;
        const to = pick(same);
        const amount = money(amountFor(from), from.currency);
        run = () =>
          bank.transferOwn(ctx, {
            customerId: customer.id,
            fromAccountId: from.id,
            toAccountId: to.id,
            amount,
            idempotencyKey: key,
          });
      } else if (kind < 55) {
        const from = customer.accounts.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
        if (customer.payees.length === 0) return undefined;
        const payeeId = pick(customer.payees);
        const amount = money(amountFor(from), 'CNY');
        run = () =>
          bank.transferToPayee(ctx, {
            customerId: customer.id,
            fromAccountId: from.id,
            payeeId,
            amount,
            idempotencyKey: key,
          });
      } else if (kind < 75) {
        const from = pick(customer.accounts.filter((a) => a.currency === 'CNY'));
        const registrationId = pick(customer.registrations);
        const amount = money(amountFor(from), 'CNY');
        run = () =>
          bank.payBill(ctx, {
            customerId: customer.id,
            fromAccountId: from.id,
            registrationId,
            amount,
            idempotencyKey: key,
          });
      } else {
        const deposits = customer.accounts.filter((a) => a.kind === 'current' || a.kind === 'savings');
        const from = pick(deposits);
        const others = deposits.filter((a) => a.currency !== from.currency);
        if (others.length === 0) return undefined;
        const to = pick(others);
        let quoteId: string;
        try {
          quoteId = (
            await bank.quoteFx(ctx, {
              customerId: customer.id,
              fromAccountId: from.id,
              toAccountId: to.id,
              sell: money(amountFor(from), from.currency),
            })
          ).id;
        } catch (error) {
          if (error instanceof TellerError && error.code === 'BANK_INVALID_AMOUNT') return undefined;
          throw error;
        }
        // Now and then the customer hesitates past the quote's expiry.
        if (rng.chance(3)) clock.advance(61_000);
        run = () => bank.convertFx(ctx, { customerId: customer.id, quoteId, idempotencyKey: key });
      }
      return run;
    }

    async function operation(i: number): Promise<void> {
      const customer = pick(customers);
      const channel: Channel = rng.chance(50) ? 'ivr' : 'agent';
      const ctx = customer.contexts[channel];
      const key = `prop-${i.toString().padStart(6, '0')}`;
      // Every customer can pay a bill: the fallback when the drawn kind does not fit them.
      const run = (await build(rng.int(0, 99), customer, ctx, key)) ?? (await build(60, customer, ctx, key))!;
      const seen: Outcome[] = [];
      outcomes.set(key, seen);
      if (rng.chance(20)) {
        races++;
        seen.push(...(await Promise.all([call(key, run), call(key, run)])));
      } else {
        seen.push(await call(key, run));
      }
      // A client that lost the reply asks again later with the same key.
      if (rng.chance(30)) seen.push(await call(key, run));
      if (rng.chance(1)) clock.advance(1_000);
      // A new bank day now and then, so daily limits reject some operations, not most.
      if (i % 1_000 === 999) clock.advance(86_400_000);
    }

    faultsOn = true;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < operations) await operation(next++);
      }),
    );
    faultsOn = false;

    expect(outcomes.size).toBe(operations);
    // 1. Every call with a key returned the same (first) outcome.
    let mismatches = 0;
    for (const [key, seen] of outcomes) {
      if (new Set(seen).size !== 1) {
        mismatches++;
        if (mismatches < 5) console.error(key, seen);
      }
    }
    expect(mismatches).toBe(0);

    // 2. A key moved money at most once, and exactly once if it succeeded, as the reply said.
    const moved = await store.db
      .selectFrom('bank_transactions')
      .select(['idempotency_scope', 'id'])
      .where('idempotency_scope', 'like', '%:prop-%')
      .execute();
    const byKey = new Map<string, string[]>();
    for (const row of moved) {
      const key = row.idempotency_scope!.split(':').at(-1)!;
      byKey.set(key, [...(byKey.get(key) ?? []), row.id]);
    }
    for (const [key, txs] of byKey) expect([key, txs.length]).toEqual([key, 1]);
    for (const [key, transactionId] of successes) expect(byKey.get(key)).toEqual([transactionId]);
    expect(byKey.size).toBe(successes.size);

    // 3. Per currency the ledger sums to zero; each transaction balances per currency.
    const sums = await store.db
      .selectFrom('bank_entries')
      .select(['currency', (eb) => eb.fn.sum<number>('amount').as('total')])
      .groupBy('currency')
      .execute();
    for (const s of sums) expect([s.currency, Number(s.total)]).toEqual([s.currency, 0]);
    const unbalanced = await store.db
      .selectFrom('bank_entries')
      .select(['transaction_id', 'currency'])
      .groupBy(['transaction_id', 'currency'])
      .having((eb) => eb.fn.sum('amount'), '<>', 0)
      .execute();
    expect(unbalanced).toEqual([]);

    // 4. Balances are the sums of entries, and no account is below its allowed limit.
    const accounts = await store.db
      .selectFrom('bank_accounts as a')
      .leftJoin('bank_entries as e', 'e.account_id', 'a.id')
      .select([
        'a.id',
        'a.balance',
        'a.held',
        'a.overdraft_limit',
        (eb) => eb.fn.sum<number>('e.amount').as('entries'),
      ])
      .groupBy(['a.id', 'a.balance', 'a.held', 'a.overdraft_limit'])
      .execute();
    for (const a of accounts) {
      expect([a.id, Number(a.balance)]).toEqual([a.id, Number(a.entries ?? 0)]);
      if (a.overdraft_limit !== null) {
        expect(Number(a.balance) - Number(a.held)).toBeGreaterThanOrEqual(-Number(a.overdraft_limit));
      }
    }

    // The run exercised what it claims to: failures on both sides of the commit, races,
    // rejections of every kind the mix can produce, and plenty of money actually moved.
    const codes = new Set([...outcomes.values()].map((seen) => seen[0]!.split(':').slice(0, 2).join(':')));
    if (operations >= 2_000) {
      expect(faults['before-commit']).toBeGreaterThan(0);
      expect(faults['after-commit']).toBeGreaterThan(0);
      expect(races).toBeGreaterThan(0);
      for (const code of ['BANK_INSUFFICIENT_FUNDS', 'BANK_LIMIT_EXCEEDED', 'BANK_QUOTE_EXPIRED']) {
        expect(codes).toContain(`error:${code}`);
      }
      expect(successes.size).toBeGreaterThan(operations / 3);
    }
    console.info(
      `${dialect}: ${outcomes.size} keyed operations, ${successes.size} moved money, ${retries} retries after ` +
        `${faults['before-commit']} + ${faults['after-commit']} injected failures, ${races} raced duplicates`,
    );
    await store.close();
  });
});
