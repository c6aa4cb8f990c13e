import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type Account,
  type Channel,
  type OperationContext,
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

const dialects = ['sqlite', 'postgres'] as const;
/** Monday 2 June 2025, 10:00 China time: the market is open. */
const mondayMorning = Date.UTC(2025, 5, 2, 2, 0);

async function openTestStore(dialect: (typeof dialects)[number]): Promise<Store> {
  return dialect === 'postgres'
    ? openStore({ databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_ledger') })
    : openStore({ sqlitePath: ':memory:' });
}

async function rejection(promise: Promise<unknown>): Promise<TellerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TellerError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe.each(dialects)('the simulator bank (%s)', (dialect) => {
  let store: Store;
  let clock: VirtualClock;
  let bank: StoreBank;
  let audit: AuditTrail;
  let sink: MemoryEventSink;
  const outbox = new SimulatorOtpOutbox();
  let zhang: string;
  let li: string;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    clock = new VirtualClock(mondayMorning);
    await seedDemoBank(store, {
      customers: 12,
      seed: 'ledger',
      asOf: mondayMorning - 86_400_000,
      transactionsPerCustomer: 12,
    });
    sink = new MemoryEventSink();
    const bus = new EventBus<DomainEvents>(sink, clock, (error) => {
      throw error;
    });
    audit = new AuditTrail(store, clock);
    bank = new StoreBank({
      store,
      clock,
      audit,
      publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
      otpSender: outbox,
      seed: 'ledger',
    });
    const ids = await store.db.selectFrom('customers').select(['id', 'cif']).orderBy('cif').execute();
    zhang = ids[0]!.id;
    li = ids[1]!.id;
  });
  afterAll(() => store?.close());

  async function verified(
    customerId: string,
    pin: string,
    level: 'pin' | 'pin-otp',
    channel: Channel = 'agent',
  ) {
    const base: OperationContext = { channel, actor: 'agent-test', interactionId: 'ix-1' };
    const v = await bank.verifyPin(customerId, pin, base);
    if (level === 'pin') return { ...base, verificationId: v.id };
    await bank.sendOtp(v.id, base);
    const upgraded = await bank.verifyOtp(v.id, outbox.lastCode(customerId)!, base);
    expect(upgraded.level).toBe('pin-otp');
    return { ...base, verificationId: v.id };
  }

  function find(accounts: Account[], kind: Account['kind'], currency = 'CNY'): Account {
    const account = accounts.find((a) => a.kind === kind && a.currency === currency);
    if (!account) throw new Error(`no ${kind} ${currency}`);
    return account;
  }

  async function ledgerInvariants(): Promise<void> {
    const sums = await store.db
      .selectFrom('bank_entries')
      .select(['currency', (eb) => eb.fn.sum<number>('amount').as('total')])
      .groupBy('currency')
      .execute();
    for (const s of sums) expect([s.currency, Number(s.total)]).toEqual([s.currency, 0]);
    const mismatched = await store.db
      .selectFrom('bank_accounts as a')
      .select(['a.id', 'a.balance'])
      .where(({ eb, selectFrom }) =>
        eb(
          'a.balance',
          '<>',
          selectFrom('bank_entries as e')
            .select((e) => e.fn.coalesce(e.fn.sum<number>('e.amount'), e.val(0)).as('s'))
            .whereRef('e.account_id', '=', 'a.id'),
        ),
      )
      .execute();
    expect(mismatched).toEqual([]);
  }

  it('seeds a balanced ledger: every currency sums to zero and every balance is the sum of its entries', async () => {
    await ledgerInvariants();
    const accounts = await bank.accountsOf(zhang);
    expect(accounts.map((a) => `${a.kind}:${a.currency}`)).toEqual(
      expect.arrayContaining([
        'current:CNY',
        'savings:CNY',
        'savings:USD',
        'current:HKD',
        'credit-card:CNY',
        'brokerage:CNY',
      ]),
    );
  });

  it('refuses a balance inquiry without PIN verification, and answers with it', async () => {
    const err = await rejection(bank.balance({ channel: 'ivr', actor: 'ivr' }, zhang));
    expect(err.code).toBe('BANK_VERIFICATION_REQUIRED');
    const ctx = await verified(zhang, '123456', 'pin', 'ivr');
    const accounts = await bank.balance(ctx, zhang);
    expect(accounts.length).toBeGreaterThan(3);
    const caller = await bank.verifyCallerNumber(zhang, '+86 138 0000 0001', {
      channel: 'ivr',
      actor: 'ivr',
    });
    expect(caller.level).toBe('caller-number');
    const tooWeak = await rejection(
      bank.balance({ channel: 'ivr', actor: 'ivr', verificationId: caller.id }, zhang),
    );
    expect(tooWeak.code).toBe('BANK_VERIFICATION_REQUIRED');
  });

  it('moves money between own accounts once per idempotency key and replays the first outcome', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const accounts = await bank.accountsOf(zhang);
    const from = find(accounts, 'current');
    const to = find(accounts, 'savings');
    const request = {
      customerId: zhang,
      fromAccountId: from.id,
      toAccountId: to.id,
      amount: money(1_234_56, 'CNY'),
      idempotencyKey: 'own-transfer-0001',
    };
    const first = await bank.transferOwn(ctx, request);
    const again = await bank.transferOwn(ctx, request);
    expect(again).toEqual(first);
    expect(first.fromBalance.minor).toBe(from.balance.minor - 1_234_56);
    expect(first.toBalance?.minor).toBe(to.balance.minor + 1_234_56);
    const after = await bank.accountsOf(zhang);
    expect(find(after, 'current').balance.minor).toBe(from.balance.minor - 1_234_56);
    const moved = await store.db
      .selectFrom('bank_transactions')
      .select('id')
      .where('idempotency_scope', '=', `${zhang}:own-transfer-0001`)
      .execute();
    expect(moved).toHaveLength(1);
    const reused = await rejection(bank.transferOwn(ctx, { ...request, amount: money(1, 'CNY') }));
    expect(reused.code).toBe('BANK_IDEMPOTENCY_KEY_REUSED');
    expect(sink.events.filter((e) => e.type === 'banking.transfer.completed')).toHaveLength(1);
    await ledgerInvariants();
  });

  it('rejects overdrawing with BANK_INSUFFICIENT_FUNDS and replays the rejection for the same key', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const accounts = await bank.accountsOf(zhang);
    const from = find(accounts, 'current');
    const request = {
      customerId: zhang,
      fromAccountId: from.id,
      toAccountId: find(accounts, 'savings').id,
      amount: money(from.available.minor + 1, 'CNY'),
      idempotencyKey: 'too-much-00001',
    };
    expect((await rejection(bank.transferOwn(ctx, request))).code).toBe('BANK_INSUFFICIENT_FUNDS');
    // Money arrives meanwhile; the same key still answers with its first outcome.
    await bank.transferOwn(ctx, {
      customerId: zhang,
      fromAccountId: find(accounts, 'savings').id,
      toAccountId: from.id,
      amount: money(100_00, 'CNY'),
      idempotencyKey: 'top-up-000001',
    });
    expect((await rejection(bank.transferOwn(ctx, request))).code).toBe('BANK_INSUFFICIENT_FUNDS');
    const denied = await audit.list({ action: 'banking.own-transfer' });
    expect(denied.some((a) => a.outcome === 'failure' && a.details.code === 'BANK_INSUFFICIENT_FUNDS')).toBe(
      true,
    );
  });

  it('refuses to debit a frozen account but lets money in', async () => {
    const ctx = await verified(li, '654321', 'pin');
    const accounts = await bank.accountsOf(li);
    const current = find(accounts, 'current');
    const savings = find(accounts, 'savings');
    await store.db
      .updateTable('bank_accounts')
      .set({ status: 'frozen' })
      .where('id', '=', current.id)
      .execute();
    const out = await rejection(
      bank.transferOwn(ctx, {
        customerId: li,
        fromAccountId: current.id,
        toAccountId: savings.id,
        amount: money(10_00, 'CNY'),
        idempotencyKey: 'frozen-out-001',
      }),
    );
    expect(out.code).toBe('BANK_ACCOUNT_FROZEN');
    const into = await bank.transferOwn(ctx, {
      customerId: li,
      fromAccountId: savings.id,
      toAccountId: current.id,
      amount: money(10_00, 'CNY'),
      idempotencyKey: 'frozen-in-0001',
    });
    expect(into.toBalance?.minor).toBe(current.balance.minor + 10_00);
    await store.db
      .updateTable('bank_accounts')
      .set({ status: 'active' })
      .where('id', '=', current.id)
      .execute();
  });

  it('needs PIN + one-time code for a payee transfer, and holds IVR to a lower daily limit than an agent', async () => {
    const pinOnly = await verified(li, '654321', 'pin', 'ivr');
    const payees = await bank.payees(pinOnly, li);
    const accounts = await bank.accountsOf(li);
    const from = find(accounts, 'current');
    const request = {
      customerId: li,
      fromAccountId: from.id,
      payeeId: payees[0]!.id,
      amount: money(30_000_00, 'CNY'),
      idempotencyKey: 'payee-ivr-0001',
    };
    expect((await rejection(bank.transferToPayee(pinOnly, request))).code).toBe('BANK_VERIFICATION_REQUIRED');
    const ivr = await verified(li, '654321', 'pin-otp', 'ivr');
    await bank.transferToPayee(ivr, request);
    const second = await rejection(
      bank.transferToPayee(ivr, { ...request, idempotencyKey: 'payee-ivr-0002' }),
    );
    expect(second.code).toBe('BANK_LIMIT_EXCEEDED');
    const agent = await verified(li, '654321', 'pin-otp', 'agent');
    const viaAgent = await bank.transferToPayee(agent, { ...request, idempotencyKey: 'payee-agent-001' });
    expect(viaAgent.payeeId).toBe(payees[0]!.id);
    expect(payees[0]!.accountNumber).toMatch(/^\*+\d{4}$/);
    await ledgerInvariants();
  });

  it('pays a registered biller and lists it among the payment records', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const registrations = await bank.billerRegistrations(ctx, zhang);
    const mobile = registrations.find((r) => r.biller.category === 'telecom')!;
    expect(mobile.reference).toBe('13800000001');
    const from = find(await bank.accountsOf(zhang), 'current');
    const paid = await bank.payBill(ctx, {
      customerId: zhang,
      fromAccountId: from.id,
      registrationId: mobile.id,
      amount: money(100_00, 'CNY'),
      idempotencyKey: 'bill-mobile-001',
    });
    expect(paid.billerCode).toBe('CMCC');
    const records = await bank.paymentRecords(ctx, zhang, { limit: 2 });
    expect(records.nextCursor).not.toBeNull();
    expect(records.items[0]).toMatchObject({ transactionId: paid.transactionId, reference: '13800000001' });
    expect(records.items[0]!.amount).toEqual(money(100_00, 'CNY'));
    const page2 = await bank.paymentRecords(ctx, zhang, { limit: 2, cursor: records.nextCursor });
    expect(page2.items.length).toBeGreaterThan(0);
    for (const r of page2.items) {
      expect(records.items.map((p) => p.id)).not.toContain(r.id);
      expect(r.at).toBeLessThanOrEqual(records.items[1]!.at);
    }
  });

  it('pages and filters the account history', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const from = find(await bank.accountsOf(zhang), 'current');
    const seen = new Set<number>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await bank.history(ctx, zhang, from.id, { limit: 5, cursor });
      for (const line of page.items) {
        expect(seen.has(line.entryId)).toBe(false);
        seen.add(line.entryId);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    const total = await store.db
      .selectFrom('bank_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', from.id)
      .executeTakeFirstOrThrow();
    expect(seen.size).toBe(Number(total.n));
    const debits = await bank.history(ctx, zhang, from.id, {
      direction: 'debit',
      kinds: ['bill-payment'],
      limit: 50,
    });
    expect(debits.items.length).toBeGreaterThan(0);
    for (const line of debits.items) {
      expect(line.kind).toBe('bill-payment');
      expect(line.amount.minor).toBeLessThan(0);
    }
    const recent = await bank.recentTransactions(ctx, zhang, 5);
    expect(recent).toHaveLength(5);
    for (let i = 1; i < recent.length; i++) expect(recent[i]!.at).toBeLessThanOrEqual(recent[i - 1]!.at);
  });

  it('converts currency at the quoted rate, and refuses an expired or used quote', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const accounts = await bank.accountsOf(zhang);
    const cny = find(accounts, 'current');
    const usd = find(accounts, 'savings', 'USD');
    const quote = await bank.quoteFx(ctx, {
      customerId: zhang,
      fromAccountId: cny.id,
      toAccountId: usd.id,
      buy: money(1_000_00, 'USD'),
    });
    expect(quote.buy).toEqual(money(1_000_00, 'USD'));
    expect(quote.sell.currency).toBe('CNY');
    const board = bank.fxBoard().rows.find((r) => r.currency === 'USD')!;
    // Buying 1,000 USD costs about 1,000 × the bank's selling rate.
    expect(Math.abs(quote.sell.minor - Number(board.bankSells) * 100_000)).toBeLessThan(100);
    const done = await bank.convertFx(ctx, {
      customerId: zhang,
      quoteId: quote.id,
      idempotencyKey: 'fx-convert-001',
    });
    expect(done.sold).toEqual(quote.sell);
    expect(done.bought).toEqual(quote.buy);
    expect(done.toBalance.minor).toBe(usd.balance.minor + 1_000_00);
    const reuse = await rejection(
      bank.convertFx(ctx, { customerId: zhang, quoteId: quote.id, idempotencyKey: 'fx-convert-002' }),
    );
    expect(reuse.code).toBe('BANK_QUOTE_USED');
    const stale = await bank.quoteFx(ctx, {
      customerId: zhang,
      fromAccountId: usd.id,
      toAccountId: cny.id,
      sell: money(10_00, 'USD'),
    });
    clock.advance(61_000);
    const expired = await rejection(
      bank.convertFx(ctx, { customerId: zhang, quoteId: stale.id, idempotencyKey: 'fx-convert-003' }),
    );
    expect(expired.code).toBe('BANK_QUOTE_EXPIRED');
    await ledgerInvariants();
  });

  it('charges the fee for a certified cheque and refunds the amount, not the fee, on cancellation', async () => {
    const ctx = await verified(li, '654321', 'pin-otp');
    const savings = find(await bank.accountsOf(li), 'savings');
    const cheque = await bank.requestCheque(ctx, {
      customerId: li,
      accountId: savings.id,
      payeeName: '上海房产交易中心',
      amount: money(50_000_00, 'CNY'),
      idempotencyKey: 'cheque-00000001',
    });
    expect(cheque).toMatchObject({ status: 'requested', fee: money(10_00, 'CNY') });
    expect(find(await bank.accountsOf(li), 'savings').balance.minor).toBe(savings.balance.minor - 50_010_00);
    await bank.updateChequeStatus(cheque.id, 'issued', { channel: 'agent', actor: 'back-office' });
    const cancelled = await bank.updateChequeStatus(cheque.id, 'cancelled', {
      channel: 'agent',
      actor: 'back-office',
    });
    expect(cancelled.status).toBe('cancelled');
    expect(find(await bank.accountsOf(li), 'savings').balance.minor).toBe(savings.balance.minor - 10_00);
    const illegal = await rejection(
      bank.updateChequeStatus(cheque.id, 'collected', { channel: 'agent', actor: 'x' }),
    );
    expect(illegal.code).toBe('BANK_ILLEGAL_TRANSITION');
    expect(illegal.message).toMatch(/cancelled.*collected/);
    expect((await bank.cheques(ctx, li)).map((c) => c.id)).toContain(cheque.id);
  });

  it('trades only in market hours, within the limit band, with lots, fills and positions', async () => {
    const ctx = await verified(zhang, '123456', 'pin');
    const brokerage = find(await bank.accountsOf(zhang), 'brokerage');
    const order = (over: Partial<Parameters<StoreBank['placeOrder']>[1]>) =>
      bank.placeOrder(ctx, {
        customerId: zhang,
        accountId: brokerage.id,
        symbol: '601398',
        side: 'buy',
        type: 'market',
        quantity: 1000,
        idempotencyKey: `order-${Math.random().toString(36).slice(2, 12)}`,
        ...over,
      });
    const bought = await order({});
    expect(bought.status).toBe('filled');
    const quote = bank.stockQuotes(['601398'])[0]!;
    expect(bought.fillPrice).toEqual(quote.price);
    expect(bought.commission.minor).toBe(5_00);
    const positions = await bank.positions(ctx, zhang);
    expect(positions.find((p) => p.symbol === '601398')!.quantity).toBe(5000 + 1000);
    expect((await rejection(order({ quantity: 150 }))).code).toBe('BANK_LOT_SIZE');
    expect(
      (await rejection(order({ type: 'limit', limitPrice: money(quote.limitUp.minor + 1, 'CNY') }))).code,
    ).toBe('BANK_PRICE_OUTSIDE_LIMITS');
    expect((await rejection(order({ side: 'sell', quantity: 100_000 }))).code).toBe(
      'BANK_INSUFFICIENT_POSITION',
    );

    // A limit buy below the market waits, with its cash reserved.
    const before = find(await bank.accountsOf(zhang), 'brokerage');
    const waiting = await order({ type: 'limit', limitPrice: quote.limitDown, quantity: 100 });
    expect(waiting.status).toBe('open');
    const reserved = find(await bank.accountsOf(zhang), 'brokerage');
    expect(reserved.held.minor).toBeGreaterThan(0);
    expect(reserved.available.minor).toBe(before.available.minor - reserved.held.minor);
    const cancelled = await bank.cancelOrder(ctx, zhang, waiting.id);
    expect(cancelled.status).toBe('cancelled');
    expect(find(await bank.accountsOf(zhang), 'brokerage').held.minor).toBe(0);

    // Another one expires at the close of the trading day.
    const overnight = await order({ type: 'limit', limitPrice: quote.limitDown, quantity: 100 });
    clock.advance(20 * 3_600_000);
    await bank.runMarket();
    const nextDay = await verified(zhang, '123456', 'pin');
    expect((await bank.orders(nextDay, zhang)).find((o) => o.id === overnight.id)!.status).toBe('expired');
    expect(find(await bank.accountsOf(zhang), 'brokerage').held.minor).toBe(0);

    clock.advanceTo(Date.UTC(2025, 5, 7, 2, 0)); // Saturday
    const fresh = await verified(zhang, '123456', 'pin');
    const closed = await rejection(
      bank.placeOrder(fresh, {
        customerId: zhang,
        accountId: brokerage.id,
        symbol: '600519',
        side: 'buy',
        type: 'market',
        quantity: 100,
        idempotencyKey: 'order-weekend-01',
      }),
    );
    expect(closed.code).toBe('BANK_MARKET_CLOSED');
    await ledgerInvariants();
  });

  it('blocks a lost card at caller-number level, orders a replacement only with the PIN, masks every number', async () => {
    const caller = await bank.verifyCallerNumber(zhang, '13800000001', { channel: 'ivr', actor: 'ivr' });
    const ctx: OperationContext = { channel: 'ivr', actor: 'ivr', verificationId: caller.id };
    const cards = await bank.cards(ctx, zhang);
    const debit = cards.find((c) => c.kind === 'debit')!;
    expect(debit.maskedNumber).toBe('************0001');
    const withReplacement = await rejection(
      bank.reportCard(ctx, {
        customerId: zhang,
        cardId: debit.id,
        reason: 'lost',
        replace: true,
        idempotencyKey: 'lost-card-0001',
      }),
    );
    expect(withReplacement.code).toBe('BANK_VERIFICATION_REQUIRED');
    const blocked = await bank.reportCard(ctx, {
      customerId: zhang,
      cardId: debit.id,
      reason: 'lost',
      replace: false,
      idempotencyKey: 'lost-card-0002',
    });
    expect(blocked.card.status).toBe('lost');
    const pinCtx = await verified(zhang, '123456', 'pin', 'ivr');
    const credit = cards.find((c) => c.kind === 'credit')!;
    const replaced = await bank.reportCard(pinCtx, {
      customerId: zhang,
      cardId: credit.id,
      reason: 'stolen',
      replace: true,
      idempotencyKey: 'stolen-card-001',
    });
    expect(replaced.replacement).toMatchObject({ status: 'pending', replacesCardId: credit.id });
    expect(replaced.replacement!.maskedNumber).toMatch(/^\*{12}\d{4}$/);
    const again = await rejection(
      bank.reportCard(pinCtx, {
        customerId: zhang,
        cardId: debit.id,
        reason: 'stolen',
        replace: false,
        idempotencyKey: 'lost-card-0003',
      }),
    );
    expect(again.code).toBe('BANK_ILLEGAL_TRANSITION');
    const reported = sink.events.filter((e) => e.type === 'banking.card.reported');
    expect(reported.map((e) => (e.payload as { card: string }).card)).toEqual([
      '************0001',
      credit.maskedNumber,
    ]);
    expect(await bank.findCustomerByCardNumber('6222 0200 0000 0001')).toBe(zhang);
  });

  it('never lets a PIN, a one-time code or a full card number into events or the audit trail', async () => {
    const everything = JSON.stringify(sink.events) + JSON.stringify(await audit.list({ limit: 10_000 }));
    for (const secret of ['123456', '654321', '6222020000000001', '6222020000000002', '6259610000000001']) {
      expect(everything).not.toContain(secret);
    }
    expect((await audit.verify()).ok).toBe(true);
  });
});
