import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcdEngine } from '../src/acd/index';
import {
  AcdIvrQueue,
  BankIvrBanking,
  bankKey,
  CrmIvrCustomers,
  FetchIvrHttp,
  openFlows,
} from '../src/app/index';
import { type Account, StoreBank } from '../src/banking/index';
import {
  type CustomerId,
  type DomainEvents,
  EventBus,
  MemoryEventSink,
  type Money,
  VirtualClock,
} from '../src/core/index';
import { StoreCrm, seedDemoBank } from '../src/crm/index';
import { Interactions } from '../src/interactions/index';
import {
  HolidayCalendar,
  harnessEpoch,
  IvrEngine,
  type IvrSession,
  MemoryIvrEvents,
  MemoryIvrRecording,
  MemoryIvrSms,
  ScriptedIvrMedia,
  zhAmount,
} from '../src/ivr/index';
import { AuditTrail, type Store } from '../src/store/index';
import { freshStore } from './support/stores';

/**
 * The phone-banking line's adapters against the real modules, without SIP: the interpreter runs
 * the demo flows on a virtual clock with scripted media, and every banking service goes to the
 * simulator bank on a store (channel `ivr`, its verification levels and limits), the caller to
 * the CRM, a hand-over and a callback to the ACD and interactions. The SIP end-to-end test
 * (ivr-line.test.ts) covers the same line over RTP for the main paths.
 */

const flowsDir = path.resolve(import.meta.dirname, '..', 'flows');
const zhang = { phone: '13800000001', pin: '123456', card: '6222020000000001' };
/** 23:30 in Shanghai on the harness's day: after the agents' hours. */
const lateEvening = Date.UTC(2025, 4, 6, 15, 30);

let store: Store;
let clock: VirtualClock;
let bank: StoreBank;
let crm: StoreCrm;
let acd: AcdEngine;
let interactions: Interactions;
let banking: BankIvrBanking;
let customers: CrmIvrCustomers;
let engine: IvrEngine;
let media: ScriptedIvrMedia;
let sms: MemoryIvrSms;
const events = new MemoryIvrEvents();
const sink = new MemoryEventSink();
const errors: { error: unknown; context: string }[] = [];
let zhangId: CustomerId;

beforeAll(async () => {
  store = await freshStore('sqlite');
  clock = new VirtualClock(harnessEpoch);
  await seedDemoBank(store, { customers: 20, seed: 'teller-demo', asOf: harnessEpoch - 86_400_000 });
  const bus = new EventBus<DomainEvents>(sink, clock, (error) => {
    throw error;
  });
  const publish = <K extends keyof DomainEvents>(type: K, payload: DomainEvents[K], meta: object) =>
    bus.publish(type, payload, meta);
  const audit = new AuditTrail(store, clock);
  bank = new StoreBank({
    store,
    clock,
    audit,
    publish: (t, p, m) => publish(t, p as DomainEvents[typeof t], m),
  });
  crm = new StoreCrm({
    store,
    clock,
    bank,
    audit,
    publish: (t, p, m) => publish(t, p as DomainEvents[typeof t], m),
  });
  acd = new AcdEngine({ clock });
  acd.defineQueue({ id: 'general', channel: 'voice', skills: [{ skill: 'banking', minProficiency: 1 }] });
  acd.defineQueue({ id: 'cards', channel: 'voice', skills: [{ skill: 'cards', minProficiency: 1 }] });
  interactions = new Interactions(store.db, clock, async () => undefined);
  customers = new CrmIvrCustomers(crm);
  banking = new BankIvrBanking({ bank, maxPinFailures: 3, customerOf: (id) => customers.byId(id) });
  media = new ScriptedIvrMedia(clock, 50);
  sms = new MemoryIvrSms();
  let sessions = 0;
  engine = new IvrEngine({
    ports: {
      banking,
      customers,
      queue: new AcdIvrQueue({ acd, interactions, aliases: { 'cards-priority': 'cards' } }),
      media,
      sms,
      http: new FetchIvrHttp(),
      recording: new MemoryIvrRecording(),
      calendar: new HolidayCalendar(),
    },
    events,
    clock,
    flows: await openFlows(flowsDir, clock),
    reportError: (error, context) => errors.push({ error, context }),
    newSessionId: () => `s${++sessions}`,
  });
  media.connect((sessionId, playbackId) => engine.promptFinished(sessionId, playbackId));
  zhangId = (await crm.search({ phone: zhang.phone }))[0]!.id as CustomerId;
}, 120_000);

afterAll(async () => {
  acd?.close();
  await store?.close();
});

let calls = 0;

function call(callerNumber = zhang.phone): IvrSession {
  return engine.start({
    callId: `call-${++calls}`,
    flowId: 'phone-banking',
    callerNumber,
    calledNumber: '8888',
  });
}

/**
 * Runs the session until it waits for the caller: prompts end on the virtual clock, while a
 * port (the bank on its store) is given real time to answer before the clock moves on.
 */
async function untilInput(session: IvrSession): Promise<void> {
  for (let round = 0; round < 200_000; round++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (session.state === 'awaiting-input' || session.state === 'ended') return;
    if (session.state === 'awaiting-port') {
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (session.state === 'playing') {
      const due = clock.nextDue();
      if (due !== undefined) clock.advanceTo(due);
    }
  }
  throw new Error(`session ${session.id} never waited for input (at ${session.path.at(-1)})`);
}

/** Each entry is keyed once the line waits for the caller, then the line runs on. */
async function walk(session: IvrSession, entries: string[]): Promise<void> {
  await untilInput(session);
  for (const keys of entries) {
    expect(session.state, `before ${keys} at ${session.path.at(-1)}`).toBe('awaiting-input');
    for (const key of keys) session.digit(key);
    await untilInput(session);
  }
}

const of = <K extends Parameters<MemoryIvrEvents['of']>[0]>(session: IvrSession, type: K) =>
  events.of(type).filter((e) => (e as { sessionId: string }).sessionId === session.id);

function played(session: IvrSession, step: string): string[] {
  return of(session, 'ivr.prompt.played')
    .filter((e) => e.step === step)
    .flatMap((e) => e.prompts);
}

function contains(whole: readonly string[], part: readonly string[]): boolean {
  for (let i = 0; i + part.length <= whole.length; i++)
    if (part.every((p, j) => whole[i + j] === p)) return true;
  return false;
}

/** The 1-based key of `account` in a choice of the customer's accounts of `kinds` (and `currencies`). */
function keyOf(
  all: Account[],
  account: Account,
  kinds: string[],
  currencies?: string[],
  exclude?: Account,
): string {
  const listed = all.filter(
    (a) =>
      a.status !== 'closed' &&
      kinds.includes(a.kind) &&
      (!currencies || currencies.includes(a.currency)) &&
      a.id !== exclude?.id,
  );
  if (listed.length === 1) return '';
  return String(listed.indexOf(account) + 1);
}

const minor = (m: Money) => m.minor;

describe('the line against the simulator bank, the CRM and the ACD', () => {
  it('PIN, balance and recent transactions come from the ledger; a bill is paid with an SMS receipt', async () => {
    const accounts = await bank.accountsOf(zhangId);
    const current = accounts.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const registration = (
      await bank.billerRegistrations(
        {
          channel: 'ivr',
          actor: 'test',
          verificationId: (await bank.verifyPin(zhangId, zhang.pin, { channel: 'ivr', actor: 'test' })).id,
        },
        zhangId,
      )
    )[0]!;
    const session = call();
    const txnKey = keyOf(accounts, current, ['current', 'savings']);
    await walk(session, [
      '1',
      zhang.pin,
      '1',
      '2',
      ...(txnKey ? [txnKey] : []),
      '1',
      '4',
      '1',
      ...[keyOf(accounts, current, ['current'], ['CNY'])].filter(Boolean),
      '50#',
      '1',
      '9',
    ]);
    expect(errors).toEqual([]);
    expect(of(session, 'ivr.step.failed')).toEqual([]);
    expect(of(session, 'ivr.session.ended')[0]).toMatchObject({
      outcome: 'self-service',
      services: ['balance', 'transactions', 'bill-payment'],
    });
    // Spoken balance and latest line are the bank's figures.
    expect(contains(played(session, 'balance'), zhAmount(current.balance).fragments)).toBe(true);
    const verification = await bank.verifyPin(zhangId, zhang.pin, { channel: 'ivr', actor: 'test' });
    const ctx = { channel: 'ivr' as const, actor: 'test', verificationId: verification.id };
    const latest = (await bank.history(ctx, zhangId, current.id, { limit: 1 })).items[0]!;
    // The bill payment itself is now the latest; the line read the one before it.
    const lines = (await bank.history(ctx, zhangId, current.id, { limit: 2 })).items;
    expect(latest).toMatchObject({ kind: 'bill-payment', channel: 'ivr', amount: { minor: -5000 } });
    const heard = played(session, 'transactions');
    expect(
      contains(heard, zhAmount({ minor: Math.abs(lines[1]!.amount.minor), currency: 'CNY' }).fragments),
    ).toBe(true);
    const payments = await bank.paymentRecords(ctx, zhangId, { limit: 1 });
    expect(payments.items[0]).toMatchObject({ registrationId: registration.id, amount: { minor: 5000 } });
    expect(sms.sent.filter((m) => m.sessionId === session.id)).toEqual([
      expect.objectContaining({ to: zhang.phone, lang: 'zh' }),
    ]);
  }, 120_000);

  it('an FX purchase and a stock sale go through at the quoted rate and the market price', async () => {
    const before = await bank.accountsOf(zhangId);
    const cny = before.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const usd = before.find((a) => a.currency === 'USD' && (a.kind === 'current' || a.kind === 'savings'))!;
    const session = call();
    await walk(session, [
      '6',
      zhang.pin,
      ...[keyOf(before, cny, ['current', 'savings'], ['CNY'])].filter(Boolean),
      ...[keyOf(before, usd, ['current', 'savings'], ['USD', 'HKD', 'EUR'])].filter(Boolean),
      '100#',
      '1',
      '1',
      '7',
      '3',
      '601398',
      '100#',
      '1',
      '1',
      '9',
    ]);
    expect(of(session, 'ivr.step.failed')).toEqual([]);
    expect(of(session, 'ivr.banking.done').map((e) => e.operation)).toEqual(['fx-purchase', 'stock-order']);
    const after = await bank.accountsOf(zhangId);
    const find = (list: Account[], a: Account) => list.find((x) => x.id === a.id)!;
    expect(minor(find(after, usd).balance)).toBe(minor(usd.balance) + 10_000);
    const paid = minor(cny.balance) - minor(find(after, cny).balance);
    // About 7 yuan a dollar: the read-back said the rate the bank charged.
    expect(paid).toBeGreaterThan(65_000);
    expect(paid).toBeLessThan(80_000);
    const rate = (of(session, 'ivr.prompt.played').find((e) => e.step === 'fx-buy')?.prompts ?? []).join(' ');
    expect(rate).toContain('zh/num/7 zh/word/dian');
    const verification = await bank.verifyPin(zhangId, zhang.pin, { channel: 'ivr', actor: 'test' });
    const orders = await bank.orders(
      { channel: 'ivr', actor: 'test', verificationId: verification.id },
      zhangId,
    );
    expect(orders[0]).toMatchObject({
      symbol: '601398',
      side: 'sell',
      type: 'market',
      quantity: 100,
      status: 'filled',
    });
  }, 120_000);

  it('a transfer to a payee needs a one-time code the line cannot take: the bank refuses, the flow goes on', async () => {
    const session = call();
    const accounts = await bank.accountsOf(zhangId);
    const cny = accounts.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const payees = await banking.payees(
      (await banking
        .verifyPin({ customerId: zhangId, cardOrAccount: null, pin: zhang.pin, callerNumber: null })
        .then((c) => (c.outcome === 'verified' ? c.auth : null)))!,
    );
    await walk(session, [
      '3',
      '2',
      zhang.pin,
      ...[keyOf(accounts, cny, ['current'], ['CNY'])].filter(Boolean),
      ...(payees.length > 1 ? ['1'] : []),
      '10#',
      '1',
      '9',
    ]);
    expect(of(session, 'ivr.step.failed')).toMatchObject([
      { step: 'payee-transfer', code: 'BANK_VERIFICATION_REQUIRED' },
    ]);
    expect(of(session, 'ivr.session.ended')[0]).toMatchObject({ lastStep: 'goodbye' });
  }, 120_000);

  it('an unknown number keys a card and the PIN; the bank finds the customer by the card', async () => {
    const session = call('13999999999');
    await walk(session, ['2', '1', `${zhang.card}#`, zhang.pin, '9']);
    expect(of(session, 'ivr.auth.result')).toEqual([
      {
        sessionId: session.id,
        result: 'verified',
        customerId: zhangId,
        card: '************0001',
        attemptsLeft: null,
      },
    ]);
    expect(session.customer).toMatchObject({ id: zhangId, tier: 'affluent', language: 'zh' });
    expect(of(session, 'ivr.session.ended')[0]).toMatchObject({ services: ['balance'] });
  }, 120_000);

  it('0 hands the caller to the general queue with the IVR context; after hours it books a callback', async () => {
    const session = call();
    await walk(session, ['0']);
    const handOver = of(session, 'ivr.handover')[0]!;
    expect(handOver).toMatchObject({
      queue: 'general',
      priority: 4,
      customerId: zhangId,
      verification: 'caller',
    });
    expect(acd.interactionState(handOver.ticket)).toMatchObject({ state: 'waiting', queueId: 'general' });
    expect(await interactions.get(handOver.ticket)).toMatchObject({
      channel: 'voice',
      direction: 'inbound',
      state: 'open',
      customerId: zhangId,
      queueId: 'general',
      data: { intent: 'agent-request', tier: 'affluent', language: 'zh', callId: `call-${calls}` },
    });

    clock.advanceTo(lateEvening);
    const late = call();
    await walk(late, ['0', '1']);
    const booked = of(late, 'ivr.callback.requested')[0]!;
    expect(acd.interactionState(booked.callbackId).state).toBe('waiting');
    expect(await interactions.get(booked.callbackId)).toMatchObject({
      direction: 'outbound',
      queueId: 'general',
      data: { callback: true, number: zhang.phone, intent: 'agent-request' },
    });
    expect(of(late, 'ivr.session.ended')[0]).toMatchObject({ outcome: 'callback' });
  }, 120_000);
});

describe('adapters, one by one', () => {
  it('the PIN check counts down the attempts the bank leaves, and a card nobody holds is unknown', async () => {
    const id = (await crm.search({ phone: '13800000005' }))[0]!.id as CustomerId;
    const check = (pin: string) =>
      banking.verifyPin({ customerId: id, cardOrAccount: null, pin, callerNumber: null });
    expect(await check('000000')).toEqual({ outcome: 'invalid', attemptsLeft: 2 });
    expect(await check('888888')).toMatchObject({
      outcome: 'verified',
      auth: { level: 'pin', customerId: id },
    });
    expect(await check('000000')).toEqual({ outcome: 'invalid', attemptsLeft: 2 });
    expect(await check('000001')).toEqual({ outcome: 'invalid', attemptsLeft: 1 });
    expect(await check('000002')).toEqual({ outcome: 'locked' });
    expect(await check('888888')).toEqual({ outcome: 'locked' });
    expect(
      await banking.verifyPin({
        customerId: null,
        cardOrAccount: '6222029999999999',
        pin: '888888',
        callerNumber: null,
      }),
    ).toEqual({ outcome: 'unknown' });
  });

  it('rates per 100 units to the fen, deposit terms, quotes, and what the bank does not list', async () => {
    const board = bank.fxBoard();
    const usd = board.rows.find((r) => r.currency === 'USD')!;
    const [rate] = await banking.fxRates(['USD']);
    // The board's 6 decimals per unit, times 100, rounded to 2 decimals half to even.
    const per100 = (perUnit: string) => {
      const [whole, fraction = ''] = perUnit.split('.');
      const micro = BigInt(whole! + fraction.padEnd(6, '0'));
      const hundredths = micro / 100n;
      const rest = micro % 100n;
      const rounded = rest > 50n || (rest === 50n && hundredths % 2n === 1n) ? hundredths + 1n : hundredths;
      return `${rounded / 100n}.${String(rounded % 100n).padStart(2, '0')}`;
    };
    expect(rate).toEqual({
      currency: 'USD',
      buy: per100(usd.bankBuys),
      sell: per100(usd.bankSells),
      per: 100,
    });
    expect(Number(rate!.sell)).toBeGreaterThan(Number(rate!.buy));
    expect((await banking.depositRates('CNY')).map((r) => r.term)).toContain('1y');
    expect(await banking.stockQuote('600519')).toMatchObject({
      symbol: '600519',
      price: { currency: 'CNY' },
    });
    await expect(banking.stockQuote('999999')).rejects.toMatchObject({ code: 'BANK_SYMBOL_UNKNOWN' });
  });

  it('keys the bank would refuse are hashed into ones it accepts, the same way every time', () => {
    expect(bankKey('ivr:s1:own-transfer:1')).toBe('ivr:s1:own-transfer:1');
    const odd = bankKey('ivr:s1:authenticate/pin:1');
    expect(odd).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    expect(bankKey('ivr:s1:authenticate/pin:1')).toBe(odd);
    expect(bankKey(`ivr:${'x'.repeat(200)}`)).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
  });

  it('the language a caller chooses becomes the CRM preference; a Cantonese preference stays', async () => {
    const id = (await crm.search({ phone: '13800000006' }))[0]!.id as CustomerId;
    await customers.rememberLanguage(id, 'en');
    expect((await crm.profile(id)).language).toBe('en');
    expect(await customers.findByPhone('13800000006')).toMatchObject({ id, language: 'en' });
    await customers.rememberLanguage(id, 'zh');
    expect((await crm.profile(id)).language).toBe('zh-CN');
    await crm.updateProfile(id, { language: 'zh-HK' }, { id: 'test' });
    await customers.rememberLanguage(id, 'zh');
    expect((await crm.profile(id)).language).toBe('zh-HK');
    expect(await customers.findByPhone('13999999999')).toBeNull();
  });

  describe('fetch for http steps', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url?.startsWith('/slow')) {
          setTimeout(() => response.end('{}'), 2000);
          return;
        }
        if (request.url?.startsWith('/big')) {
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
          return;
        }
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          response.statusCode = request.url?.startsWith('/missing') ? 404 : 200;
          response.setHeader('content-type', 'application/json');
          response.end(
            JSON.stringify({
              method: request.method,
              url: request.url,
              body: body ? JSON.parse(body) : null,
            }),
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const http = new FetchIvrHttp();
    const request = (url: string, extra: Partial<Parameters<FetchIvrHttp['request']>[0]> = {}) =>
      http.request({
        method: 'GET',
        url,
        query: {},
        body: null,
        timeoutMs: 1000,
        signal: new AbortController().signal,
        ...extra,
      });

    it('sends the query and a JSON body, and reads JSON and the status back', async () => {
      expect(await request(`${base}/x`, { query: { a: '1 2' } })).toEqual({
        status: 200,
        body: { method: 'GET', url: '/x?a=1+2', body: null },
      });
      expect(await request(`${base}/missing`, { method: 'POST', body: { n: 1 } })).toEqual({
        status: 404,
        body: { method: 'POST', url: '/missing', body: { n: 1 } },
      });
    });

    it('gives up at the timeout or when the session aborts, and refuses oversized answers', async () => {
      await expect(request(`${base}/slow`, { timeoutMs: 100 })).rejects.toMatchObject({
        code: 'APP_HTTP_UNREACHABLE',
      });
      const abort = new AbortController();
      const pending = request(`${base}/slow`, { timeoutMs: 5000, signal: abort.signal });
      abort.abort();
      await expect(pending).rejects.toMatchObject({ code: 'APP_HTTP_UNREACHABLE' });
      await expect(request(`${base}/big`)).rejects.toMatchObject({ code: 'APP_HTTP_TOO_LARGE' });
    });
  });
});
