import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi, Users } from '../src/api/index';
import { bankingRoutes, SimulatorOtpOutbox, StoreBank } from '../src/banking/index';
import { createLogger, type DomainEvents, EventBus, VirtualClock } from '../src/core/index';
import { crmRoutes, demoCustomers, StoreCrm, seedDemoBank } from '../src/crm/index';
import { AuditTrail, EventLog, openStore, type Store } from '../src/store/index';
import { createTestDatabase } from './support/postgres';

const dialects = ['sqlite', 'postgres'] as const;
/** Monday 2 June 2025, 10:00 China time. */
const start = Date.UTC(2025, 5, 2, 2, 0);

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe.each(dialects)('banking and CRM over HTTP (%s)', (dialect) => {
  let store: Store;
  let app: FastifyInstance;
  let audit: AuditTrail;
  let users: Users;
  const outbox = new SimulatorOtpOutbox();
  const logs: string[] = [];
  const replies: string[] = [];
  let agent: string;
  let admin: string;
  let agentId: string;
  let zhang: string;

  async function call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const response = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    replies.push(response.body);
    return {
      status: response.statusCode,
      body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {},
    };
  }

  beforeAll(async () => {
    store =
      dialect === 'postgres'
        ? await openStore({ databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_api') })
        : await openStore({ sqlitePath: ':memory:' });
    const clock = new VirtualClock(start);
    await seedDemoBank(store, {
      customers: 40,
      seed: 'api',
      asOf: start - 3_600_000,
      transactionsPerCustomer: 10,
    });
    const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
    const eventLog = new EventLog(store);
    const bus = new EventBus<DomainEvents>(eventLog, clock, (error) =>
      logger.error({ err: error }, 'listener'),
    );
    audit = new AuditTrail(store, clock);
    const publish = <K extends keyof DomainEvents>(type: K, payload: DomainEvents[K], meta: object) =>
      bus.publish(type, payload, meta);
    users = new Users({
      db: store.db,
      audit,
      clock,
      publish: (type, payload, meta) => publish(type, payload as DomainEvents[typeof type], meta),
      sessionTtlMs: 3_600_000,
      maxFailures: 5,
      lockMs: 60_000,
      sipRealm: 'teller',
    });
    const bank = new StoreBank({
      store,
      clock,
      audit,
      publish: (type, payload, meta) => publish(type, payload as DomainEvents[typeof type], meta),
      otpSender: outbox,
    });
    const crm = new StoreCrm({
      store,
      clock,
      bank,
      audit,
      publish: (type, payload, meta) => publish(type, payload as DomainEvents[typeof type], meta),
    });
    app = await buildApi({
      logger,
      clock,
      users,
      audit,
      eventLog,
      bus: bus as EventBus<object>,
      checks: [],
      plugins: [bankingRoutes({ bank, audit }), crmRoutes({ crm, audit })],
    });
    await app.ready();
    const agentUser = await users.create(
      { username: 'agent01', displayName: 'Agent', role: 'agent', password: 'teller-demo' },
      'system',
    );
    agentId = agentUser.id;
    await users.create(
      { username: 'admin', displayName: 'Admin', role: 'admin', password: 'teller-demo' },
      'system',
    );
    const login = async (username: string) =>
      (await call('POST', '/auth/login', { body: { username, password: 'teller-demo' } })).body
        .token as string;
    agent = await login('agent01');
    admin = await login('admin');
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('finds the demo customer by phone, card, account, name and Chinese name, with cards masked', async () => {
    const byPhone = await call('GET', '/customers?phone=13800000001', { token: agent });
    expect(byPhone.status).toBe(200);
    const customers = byPhone.body.customers as Array<Record<string, unknown>>;
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({
      nameZh: '张伟',
      nameLatin: 'Zhang Wei',
      tier: 'affluent',
      primaryPhone: '13800000001',
    });
    expect(customers[0]!.cards).toContain('************0001');
    zhang = customers[0]!.id as string;
    const byCard = await call('GET', '/customers?card=6222020000000001', { token: agent });
    expect((byCard.body.customers as Array<{ id: string }>)[0]!.id).toBe(zhang);
    const byName = await call('GET', '/customers?name=Zhang%20W', { token: agent });
    expect((byName.body.customers as Array<{ id: string }>).map((c) => c.id)).toContain(zhang);
    const byHanzi = await call('GET', `/customers?name=${encodeURIComponent('张伟')}`, { token: agent });
    expect((byHanzi.body.customers as Array<{ id: string }>).map((c) => c.id)).toContain(zhang);
    const accounts = await call('GET', `/customers/${zhang}/accounts`, { token: agent });
    const number = (accounts.body.accounts as Array<{ number: string }>)[0]!.number;
    const byAccount = await call('GET', `/customers?account=${number}`, { token: agent });
    expect((byAccount.body.customers as Array<{ id: string }>)[0]!.id).toBe(zhang);
    const li = await call('GET', `/customers?phone=${demoCustomers[1]!.phone}`, { token: agent });
    expect((li.body.customers as Array<Record<string, unknown>>)[0]).toMatchObject({
      nameZh: '李娜',
      tier: 'private',
    });
    expect((await call('GET', '/customers', { token: agent })).body.code).toBe('CRM_SEARCH_EMPTY');
    expect((await call('GET', '/customers?phone=13800000001')).status).toBe(401);
  });

  it('gives the 360° view with balances as decimal strings and the wealth-management offer', async () => {
    const view = await call('GET', `/customers/${zhang}?interactionId=call-42`, { token: agent });
    expect(view.status).toBe(200);
    const body = view.body as {
      profile: { phones: Array<{ number: string }>; consent: Record<string, boolean> };
      accounts: Array<{ kind: string; currency: string; balance: { amount: string; currency: string } }>;
      offers: Array<{ code: string }>;
      products: string[];
      openCases: Array<{ subject: string }>;
      pin: { set: boolean; locked: boolean };
      timeline: unknown[];
    };
    expect(body.profile.phones[0]!.number).toBe('13800000001');
    const savings = body.accounts.find((a) => a.kind === 'savings' && a.currency === 'CNY')!;
    expect(savings.balance).toEqual({ amount: '620000.00', currency: 'CNY' });
    expect(body.offers[0]!.code).toBe('WEALTH-MGMT');
    expect(body.products).toEqual(
      expect.arrayContaining(['current-account', 'credit-card', 'brokerage', 'fx-account']),
    );
    expect(body.products).not.toContain('wealth-management');
    expect(body.openCases[0]!.subject).toBe('Card charge dispute');
    expect(body.pin).toMatchObject({ set: true, locked: false });
    expect(body.timeline.length).toBeGreaterThan(0);
    const viewed = await audit.list({ action: 'crm.customer.view' });
    expect(viewed[0]).toMatchObject({ actor: agentId, target: zhang, details: { interactionId: 'call-42' } });
  });

  it('moves money for a verified customer, once per Idempotency-Key, audited with agent and interaction', async () => {
    const wrong = await call('POST', `/customers/${zhang}/verification/pin`, {
      token: agent,
      body: { pin: '000123' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('BANK_PIN_INVALID');
    const verified = await call('POST', `/customers/${zhang}/verification/pin`, {
      token: agent,
      body: { pin: '123456', interactionId: 'call-42' },
    });
    expect(verified.body.level).toBe('pin');
    const verificationId = verified.body.id as string;
    const accounts = (await call('GET', `/customers/${zhang}/accounts`, { token: agent })).body
      .accounts as Array<{
      id: string;
      kind: string;
      currency: string;
    }>;
    const from = accounts.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const to = accounts.find((a) => a.kind === 'savings' && a.currency === 'CNY')!;
    const body = {
      fromAccountId: from.id,
      toAccountId: to.id,
      amount: { amount: '100.00', currency: 'CNY' },
      verificationId,
      interactionId: 'call-42',
    };
    const noKey = await call('POST', `/customers/${zhang}/transfers`, { token: agent, body });
    expect(noKey.status).toBe(400);
    const headers = { 'idempotency-key': 'api-transfer-0001' };
    const first = await call('POST', `/customers/${zhang}/transfers`, { token: agent, body, headers });
    expect(first.status).toBe(200);
    expect(first.body.amount).toEqual({ amount: '100.00', currency: 'CNY' });
    const again = await call('POST', `/customers/${zhang}/transfers`, { token: agent, body, headers });
    expect(again.body).toEqual(first.body);
    const float = await call('POST', `/customers/${zhang}/transfers`, {
      token: agent,
      body: { ...body, amount: { amount: 100.5, currency: 'CNY' } },
      headers: { 'idempotency-key': 'api-transfer-0002' },
    });
    expect(float.status).toBe(400);
    const audited = await audit.list({ action: 'banking.own-transfer' });
    expect(audited[0]).toMatchObject({
      actor: agentId,
      target: zhang,
      outcome: 'success',
      details: { interactionId: 'call-42', channel: 'agent', replay: true },
    });
    expect(audited[1]).toMatchObject({ details: { replay: false, transactionId: first.body.transactionId } });

    const history = await call(
      'GET',
      `/customers/${zhang}/accounts/${from.id}/transactions?verificationId=${verificationId}&limit=1`,
      { token: agent },
    );
    expect((history.body.items as Array<{ transactionId: string }>)[0]!.transactionId).toBe(
      first.body.transactionId,
    );
    const unverified = await call('GET', `/customers/${zhang}/balances`, { token: agent });
    expect(unverified.status).toBe(403);
    expect(unverified.body.code).toBe('BANK_VERIFICATION_REQUIRED');
  });

  it('raises to PIN + one-time code for a payee transfer; FX, rates and quotes are served', async () => {
    const v = await call('POST', `/customers/${zhang}/verification/pin`, {
      token: agent,
      body: { pin: '123456' },
    });
    const verificationId = v.body.id as string;
    const sent = await call('POST', `/customers/${zhang}/verification/otp/send`, {
      token: agent,
      body: { verificationId },
    });
    expect(sent.body.sentTo).toBe('*******0001');
    const raised = await call('POST', `/customers/${zhang}/verification/otp`, {
      token: agent,
      body: { verificationId, code: outbox.lastCode(zhang)! },
    });
    expect(raised.body.level).toBe('pin-otp');
    const payees = await call('GET', `/customers/${zhang}/payees?verificationId=${verificationId}`, {
      token: agent,
    });
    const payee = (payees.body.payees as Array<{ id: string; accountNumber: string }>)[0]!;
    expect(payee.accountNumber).toMatch(/^\*+\d{4}$/);
    const accounts = (await call('GET', `/customers/${zhang}/accounts`, { token: agent })).body
      .accounts as Array<{
      id: string;
      kind: string;
      currency: string;
    }>;
    const current = accounts.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const paid = await call('POST', `/customers/${zhang}/payee-transfers`, {
      token: agent,
      headers: { 'idempotency-key': 'api-payee-00001' },
      body: {
        fromAccountId: current.id,
        payeeId: payee.id,
        amount: { amount: '880.00', currency: 'CNY' },
        verificationId,
      },
    });
    expect(paid.status).toBe(200);
    const usd = accounts.find((a) => a.currency === 'USD')!;
    const quote = await call('POST', `/customers/${zhang}/fx-quotes`, {
      token: agent,
      body: {
        fromAccountId: current.id,
        toAccountId: usd.id,
        buy: { amount: '50.00', currency: 'USD' },
        verificationId,
      },
    });
    expect(quote.body.buy).toEqual({ amount: '50.00', currency: 'USD' });
    const converted = await call('POST', `/customers/${zhang}/fx-conversions`, {
      token: agent,
      headers: { 'idempotency-key': 'api-fx-000001' },
      body: { quoteId: quote.body.id, verificationId },
    });
    expect(converted.body.bought).toEqual({ amount: '50.00', currency: 'USD' });
    const board = await call('GET', '/bank/fx-rates', { token: agent });
    expect((board.body.rows as Array<{ currency: string }>).map((r) => r.currency)).toContain('USD');
    const rates = await call('GET', '/bank/deposit-rates', { token: agent });
    expect((rates.body.rates as unknown[]).length).toBeGreaterThan(10);
    const stocks = await call('GET', '/bank/stocks?symbols=600519', { token: agent });
    expect((stocks.body.quotes as Array<{ marketOpen: boolean }>)[0]!.marketOpen).toBe(true);
  });

  it('runs a case through its life and refuses an illegal step', async () => {
    const opened = await call('POST', `/customers/${zhang}/cases`, {
      token: agent,
      body: {
        subject: 'Card not received',
        category: 'service',
        priority: 'urgent',
        note: 'Posted two weeks ago.',
      },
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: 'new', priority: 'urgent', slaDueAt: start + 4 * 3_600_000 });
    const caseId = opened.body.id as string;
    const working = await call('PATCH', `/cases/${caseId}`, {
      token: agent,
      body: { status: 'open', assignee: agentId },
    });
    expect(working.body.status).toBe('open');
    const mine = await call('GET', '/cases?assignee=me&status=open', { token: agent });
    expect((mine.body.cases as Array<{ id: string }>).map((c) => c.id)).toContain(caseId);
    const resolved = await call('PATCH', `/cases/${caseId}`, {
      token: agent,
      body: { status: 'resolved', note: 'Resent.' },
    });
    expect(resolved.body.resolvedAt).toBe(start);
    const closed = await call('PATCH', `/cases/${caseId}`, { token: agent, body: { status: 'closed' } });
    expect(closed.body.status).toBe('closed');
    const illegal = await call('PATCH', `/cases/${caseId}`, { token: agent, body: { status: 'open' } });
    expect(illegal.status).toBe(409);
    expect(illegal.body.code).toBe('CRM_ILLEGAL_TRANSITION');
    const detail = await call('GET', `/cases/${caseId}`, { token: agent });
    expect((detail.body.history as Array<{ action: string }>).map((h) => h.action)).toEqual([
      'created',
      'status',
      'assignee',
      'status',
      'note',
      'status',
    ]);
    expect((detail.body.notes as unknown[]).length).toBe(2);
  });

  it('keeps segments and offers to admins, evaluated by the database', async () => {
    expect((await call('GET', '/segments', { token: agent })).status).toBe(403);
    const segments = await call('GET', '/segments', { token: admin });
    expect((segments.body.segments as unknown[]).length).toBe(3);
    const preview = await call('POST', '/segments/preview', {
      token: admin,
      body: { filter: { tiers: ['affluent', 'private'] }, limit: 5 },
    });
    const count = preview.body.count as number;
    const truth = await store.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tier', 'in', ['affluent', 'private'])
      .executeTakeFirstOrThrow();
    expect(count).toBe(Number(truth.n));
    const bad = await call('POST', '/segments', {
      token: admin,
      body: { name: 'x', filter: { tiers: ['gold'] } },
    });
    expect(bad.status).toBe(400);
    const offer = await call('POST', '/offers', {
      token: admin,
      body: {
        code: 'PRIVATE-EVENT',
        name: 'Private banking dinner',
        pitch: 'Invite to the quarterly client dinner.',
        priority: 500,
        conditions: { tiers: ['private'], consent: { voice: true } },
      },
    });
    expect(offer.status).toBe(201);
    const li = (await call('GET', `/customers?phone=${demoCustomers[1]!.phone}`, { token: agent })).body
      .customers as Array<{ id: string }>;
    const offers = await call('GET', `/customers/${li[0]!.id}/offers`, { token: agent });
    expect((offers.body.offers as Array<{ code: string }>)[0]!.code).toBe('PRIVATE-EVENT');
    expect((await call('DELETE', `/offers/${offer.body.id}`, { token: admin })).status).toBe(204);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/api/docs/json' })).body) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      '/api/v1/customers',
      '/api/v1/customers/{id}',
      '/api/v1/customers/{id}/accounts',
      '/api/v1/customers/{id}/transfers',
      '/api/v1/customers/{id}/cards/{cardId}/report',
      '/api/v1/segments',
      '/api/v1/offers',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('never shows a PIN, a one-time code or a full card number in logs, events or API responses', async () => {
    const events = await store.db.selectFrom('events').select(['type', 'payload']).execute();
    expect(events.length).toBeGreaterThan(5);
    const haystack = [logs.join(''), JSON.stringify(events), replies.join('\n')].join('\n');
    for (const secret of ['123456', '654321', '6222020000000001', '6222020000000002', '6259610000000001']) {
      expect(haystack).not.toContain(secret);
    }
    const code = outbox.lastCode(zhang)!;
    expect(replies.join('\n')).not.toContain(`"${code}"`);
  });
});
