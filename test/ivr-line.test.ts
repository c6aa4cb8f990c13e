import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeller, type Teller } from '../src/app/index';
import { loadConfig } from '../src/config/index';
import { createLogger, type Money, parseMoney, type StoredEvent } from '../src/core/index';
import { zhAmount } from '../src/ivr/index';
import { waitUntil } from './fixtures/sipp/peers';
import { callIvr, channelSamples, type IvrCall, type IvrStep, toneBlocks } from './support/phones';

/**
 * The phone-banking line end to end: SIPp calls 8888 as a customer on a trusted trunk and keys
 * RFC 4733 DTMF; Teller answers with the IVR over RTP, against the real bank, CRM and ACD. The
 * test paces the keys on the IVR (it waits until the line asks, then tells SIPp to play that
 * step's keys, see ivr-caller.xml), so no timing is assumed. What the caller heard is read from
 * the `ivr.prompt.played` events; what the bank did, through the HTTP API.
 */

const zhang = { phone: '13800000001', pin: '123456', card: '6222020000000001' };
const liNa = { phone: '13800000002', pin: '654321' };

interface CallRow {
  id: string;
  sip_call_id: string;
  caller: string;
  callee: string;
  route: string;
  disposition: string | null;
  ended_by: string | null;
  ended_at: number | null;
  recording_path: string | null;
  interaction_id: string | null;
}

let teller: Teller;
let token: string;
const events: StoredEvent[] = [];
const logLines: string[] = [];

async function api(method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(`${teller.httpUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function json<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await api(method, url, body);
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface JsonAccount {
  id: string;
  number: string;
  kind: string;
  currency: string;
  status: string;
  balance: { amount: string; currency: string };
  available: { amount: string; currency: string };
}

const money = (m: { amount: string; currency: string }): Money => parseMoney(m.amount, m.currency);

async function customerId(phone: string): Promise<string> {
  const found = await json<{ customers: { id: string }[] }>('GET', `/api/v1/customers?phone=${phone}`);
  return found.customers[0]!.id;
}

async function accounts(id: string): Promise<JsonAccount[]> {
  return (await json<{ accounts: JsonAccount[] }>('GET', `/api/v1/customers/${id}/accounts`)).accounts;
}

/** The events of one IVR session, in the order the bus delivered them. */
function sessionEvents(sessionId: string, type?: string): StoredEvent[] {
  return events.filter(
    (e) =>
      (type === undefined || e.type === type) &&
      (e.payload as { sessionId?: string }).sessionId === sessionId,
  );
}

function played(sessionId: string, step: string): string[][] {
  return sessionEvents(sessionId, 'ivr.prompt.played')
    .map((e) => e.payload as { step: string; prompts: string[] })
    .filter((p) => p.step === step)
    .map((p) => p.prompts);
}

/** Whether `part` occurs in `whole` as a contiguous run at or after `from`; returns where it ends, or -1. */
function indexAfter(whole: readonly string[], part: readonly string[], from: number): number {
  for (let i = from; i + part.length <= whole.length; i++) {
    if (part.every((p, j) => whole[i + j] === p)) return i + part.length;
  }
  return -1;
}

/** Calls 8888 from `caller` and keys `steps` as the IVR reaches them (test/support/phones.ts). */
function callLine(caller: string, steps: IvrStep[]): Promise<IvrCall> {
  return callIvr(teller, {
    caller,
    steps,
    problems: (session) =>
      `failures ${JSON.stringify(sessionEvents(session.id, 'ivr.step.failed').map((e) => e.payload))}\n` +
      `inputs ${JSON.stringify(sessionEvents(session.id, 'ivr.input').map((e) => e.payload))}\n` +
      `auth ${JSON.stringify(sessionEvents(session.id, 'ivr.auth.result').map((e) => e.payload))}\n${problems()}`,
  });
}

async function endedRecord(id: string): Promise<CallRow> {
  let row: CallRow | undefined;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    row = (await teller.store.db
      .selectFrom('call_records')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()) as CallRow | undefined;
    if (row?.ended_at != null) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`call ${id} did not end: ${JSON.stringify(row)}`);
}

/** What Teller logged as warnings and errors: the message of a failing expectation. */
function problems(): string {
  return logLines.filter((line) => /"level":(40|50|60)/.test(line)).join('\n');
}

/** A whole-token occurrence of `digits` in `text`: not inside a longer run of digits or hex (ids, timestamps). */
function containsSecret(text: string, digits: string): boolean {
  return new RegExp(`(?<![0-9a-fA-F])${digits}(?![0-9a-fA-F])`).test(text);
}

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-ivr-data-'));
  const logs = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  teller = await startTeller(
    loadConfig({
      TELLER_DATA_DIR: dataDir,
      TELLER_HTTP_PORT: '0',
      TELLER_SIP_PORT: '0',
      TELLER_HTTP_HOST: '127.0.0.1',
      TELLER_DEMO_CUSTOMERS: '200',
      // SIPp calls as a trunk from loopback: no digest, the From user is the caller's number.
      TELLER_SIP_TRUSTED_ADDRESSES: '127.0.0.1',
    }),
    // The bank checks PINs with scrypt and writes an audit trail: on a machine shared with other
    // test runs that can take longer than the line's 10 s, which would fail the step, not the test.
    { logger: createLogger('debug', logs), loginPerAddressPerMinute: 10_000, ivrPortTimeoutMs: 60_000 },
  );
  teller.bus.onAny((event) => events.push(event));
  const login = await fetch(`${teller.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'agent01', password: 'teller-demo' }),
  });
  token = ((await login.json()) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await teller?.close();
});

describe('the phone-banking line 8888 over SIP, RTP and RFC 4733', () => {
  it('张伟 authenticates, hears the balance from the ledger, moves 100.00 between own accounts, and no PIN leaks', async () => {
    const id = await customerId(zhang.phone);
    const before = await accounts(id);
    // The choice menus list current and savings accounts in the bank's order.
    const choosable = before.filter(
      (a) => (a.kind === 'current' || a.kind === 'savings') && a.status !== 'closed',
    );
    const from = choosable.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const to = choosable.find((a) => a.kind === 'savings' && a.currency === 'CNY')!;
    const fromKey = String(choosable.indexOf(from) + 1);
    const toKey = String(choosable.filter((a) => a !== from).indexOf(to) + 1);

    const call = await callLine(zhang.phone, [
      // The caller speaks (440 Hz) before choosing, and again (880 Hz) before keying the PIN.
      { step: 'main-menu', when: 'prompt', keys: '1', tone: { frequency: 440, ms: 1000 } },
      { step: 'authenticate/pin', when: 'input', keys: zhang.pin, tone: { frequency: 880, ms: 1500 } },
      { step: 'anything-else', when: 'prompt', keys: '1' },
      { step: 'main-menu', visit: 2, when: 'prompt', keys: '3' },
      { step: 'transfer-menu', when: 'prompt', keys: '1' },
      { step: 'own-from', when: 'prompt', keys: fromKey },
      { step: 'own-to', when: 'prompt', keys: toKey },
      { step: 'own-amount', when: 'prompt', keys: '100#' },
      // The read-back cannot be skipped: the confirmation is keyed once it has been heard.
      { step: 'own-transfer', when: 'input', keys: '1' },
      { step: 'anything-else', visit: 2, when: 'prompt', keys: '9' },
    ]);
    const sipp = await call.result;
    expect(sipp.status, sipp.output).toBe(0);
    const sessionId = call.session.id;

    // Known by number, the remembered language (zh-CN in the CRM) skips the language menu.
    expect(call.session.path.slice(0, 5)).toEqual([
      'identify',
      'known-language',
      'use-known-language',
      'welcome',
      'main-menu',
    ]);
    expect(sessionEvents(sessionId, 'ivr.auth.result').map((e) => e.payload)).toMatchObject([
      { result: 'verified', customerId: id, card: null },
    ]);

    // The balance as heard: every current and savings account's balance and available amount,
    // spoken from the ledger's figures, in the bank's order.
    const [balance] = played(sessionId, 'balance');
    expect(balance).toBeDefined();
    let at = 0;
    for (const account of choosable) {
      at = indexAfter(balance!, ['zh/bal/balance', ...zhAmount(money(account.balance)).fragments], at);
      expect(at, `balance of ${account.number.slice(-4)} ${account.currency}`).toBeGreaterThan(0);
      at = indexAfter(balance!, ['zh/bal/available', ...zhAmount(money(account.available)).fragments], at);
      expect(at, `available of ${account.number.slice(-4)}`).toBeGreaterThan(0);
    }
    expect(at).toBe(balance!.length);

    // The transfer: read back, confirmed, committed once, in the ledger.
    const readBack = played(sessionId, 'own-transfer')[0]!;
    expect(indexAfter(readBack, zhAmount({ minor: 10_000, currency: 'CNY' }).fragments, 0)).toBeGreaterThan(
      0,
    );
    expect(sessionEvents(sessionId, 'ivr.banking.done').map((e) => e.payload)).toMatchObject([
      { operation: 'transfer', step: 'own-transfer' },
    ]);
    const after = await accounts(id);
    const balanceOf = (list: JsonAccount[], account: JsonAccount) =>
      money(list.find((a) => a.id === account.id)!.balance).minor;
    expect(balanceOf(after, from)).toBe(balanceOf(before, from) - 10_000);
    expect(balanceOf(after, to)).toBe(balanceOf(before, to) + 10_000);
    const verification = await json<{ id: string }>('POST', `/api/v1/customers/${id}/verification/pin`, {
      pin: zhang.pin,
    });
    const lines = await json<{ items: { kind: string; channel: string; amount: { amount: string } }[] }>(
      'GET',
      `/api/v1/customers/${id}/accounts/${from.id}/transactions?verificationId=${verification.id}&limit=1`,
    );
    expect(lines.items[0]).toMatchObject({
      kind: 'own-transfer',
      channel: 'ivr',
      amount: { amount: '-100.00' },
    });

    // The caller said 9 (goodbye): Teller hung up, and the call is on record as the IVR's.
    const record = await endedRecord(call.record.id);
    expect(record).toMatchObject({
      caller: zhang.phone,
      callee: '8888',
      route: 'ivr:phone-banking',
      disposition: 'answered',
      ended_by: 'callee',
    });
    expect(sessionEvents(sessionId, 'ivr.session.ended').map((e) => e.payload)).toMatchObject([
      { outcome: 'self-service', endedBy: 'flow', services: ['balance', 'transfer'] },
    ]);

    // PCI: the recording was paused while the PIN was keyed — it holds the caller's voice from
    // before (440 Hz) and nothing of what they sent during the entry (880 Hz, where in-band
    // tones would be) — and no event and no log line carries the PIN or a card number.
    const left = channelSamples(record.recording_path!, 1);
    expect(toneBlocks(left, 440)).toBeGreaterThan(25);
    expect(toneBlocks(left, 880)).toBe(0);
    const pci = sessionEvents(sessionId).map((e) => e.type);
    const paused = pci.indexOf('ivr.recording.paused');
    const entry = sessionEvents(sessionId, 'ivr.input').find(
      (e) => (e.payload as { step: string }).step === 'authenticate/pin',
    );
    expect(paused).toBeGreaterThanOrEqual(0);
    expect(entry?.payload).toMatchObject({ masked: true, digits: null, length: 6 });
    expect(pci.indexOf('ivr.recording.resumed')).toBeGreaterThan(sessionEvents(sessionId).indexOf(entry!));
    const everything = JSON.stringify(events);
    expect(containsSecret(everything, zhang.pin)).toBe(false);
    expect(everything.includes(zhang.card)).toBe(false);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((line) => containsSecret(line, zhang.pin) || line.includes(zhang.card))).toBe(false);
  }, 300_000);

  it('three wrong PINs lock the customer and hand the call to an agent; the next call cannot authenticate', async () => {
    const id = await customerId(liNa.phone);
    const call = await callLine(liNa.phone, [
      { step: 'main-menu', when: 'prompt', keys: '1' },
      { step: 'authenticate/pin', when: 'input', keys: '111111' },
      { step: 'authenticate/pin', visit: 2, when: 'input', keys: '222222' },
      { step: 'authenticate/pin', visit: 3, when: 'input', keys: '333333' },
    ]);
    const sessionId = call.session.id;
    // Locked: the line says so and hands the call, with its context, to the general queue.
    expect(
      await waitUntil(() => teller.ivr.call(call.record.id)?.state === 'parked', 120_000),
      problems(),
    ).toBe(true);
    expect(
      sessionEvents(sessionId, 'ivr.auth.result').map((e) => (e.payload as { result: string }).result),
    ).toEqual(['invalid', 'invalid', 'locked']);
    expect(
      sessionEvents(sessionId, 'ivr.auth.result').map(
        (e) => (e.payload as { attemptsLeft: number }).attemptsLeft,
      ),
    ).toEqual([2, 1, 0]);
    expect(played(sessionId, 'authenticate/locked-said').flat()).toEqual(['en/auth/locked']);
    expect(await json('GET', `/api/v1/customers/${id}/pin`)).toMatchObject({ locked: true });

    // Parked: an interaction waits in the ACD's general queue with the IVR's context, the call
    // record points at it, and the caller hears hold music on a call that stays up.
    const handOver = sessionEvents(sessionId, 'ivr.handover')[0]!.payload as {
      ticket: string;
      queue: string;
    };
    expect(handOver.queue).toBe('general');
    const interaction = await teller.interactions.get(handOver.ticket);
    expect(interaction).toMatchObject({
      channel: 'voice',
      state: 'open',
      queueId: 'general',
      customerId: id,
      data: { intent: 'pin-locked', verification: 'caller', language: 'en', tier: 'private' },
    });
    expect(teller.acd.engine.interactionState(handOver.ticket).state).toBe('waiting');
    const waiting = await json<{ waiting: number }>('GET', '/api/v1/acd/queues/general/statistics');
    expect(waiting.waiting).toBeGreaterThanOrEqual(1);
    const live = [...teller.calls.calls].find((c) => c.record.id === call.record.id)!;
    const sent = (await teller.media.stats(live.a.endpoint.id)).packetsOut;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await teller.media.stats(live.a.endpoint.id)).packetsOut).toBeGreaterThan(sent + 20);

    const sipp = await call.hangUp();
    expect(sipp.status, sipp.output).toBe(0);
    const record = await endedRecord(call.record.id);
    expect(record).toMatchObject({ interaction_id: handOver.ticket, ended_by: 'caller' });
    expect(
      await waitUntil(() => !teller.acd.engine.hasInteraction(handOver.ticket), 10_000),
      problems(),
    ).toBe(true);
    expect(await teller.interactions.get(handOver.ticket)).toMatchObject({
      state: 'closed',
      closeReason: 'caller-hung-up',
    });

    // The next call, with the right PIN: the bank says locked, the caller is not verified.
    const next = await callLine(liNa.phone, [
      { step: 'main-menu', when: 'prompt', keys: '1' },
      { step: 'authenticate/pin', when: 'input', keys: liNa.pin },
    ]);
    expect(
      await waitUntil(() => teller.ivr.call(next.record.id)?.state === 'parked', 120_000),
      problems(),
    ).toBe(true);
    expect(
      sessionEvents(next.session.id, 'ivr.auth.result').map((e) => (e.payload as { result: string }).result),
    ).toEqual(['locked']);
    expect(next.session.verification).toBe('caller');
    expect(sessionEvents(next.session.id, 'ivr.banking.done')).toEqual([]);
    const done = await next.hangUp();
    expect(done.status, done.output).toBe(0);
    expect(containsSecret(JSON.stringify(events), liNa.pin)).toBe(false);
  }, 300_000);

  it('the lost-card fast path blocks the card without a PIN and queues the caller for the card team', async () => {
    const id = await customerId(zhang.phone);
    const view = await json<{ cards: { id: string; last4: string; status: string }[] }>(
      'GET',
      `/api/v1/customers/${id}`,
    );
    const listed = view.cards.filter((c) => c.status !== 'lost' && c.status !== 'stolen');
    const debit = listed.find((c) => c.last4 === zhang.card.slice(-4))!;
    expect(debit.status).toBe('active');
    const steps: IvrStep[] = [
      { step: 'main-menu', when: 'prompt', keys: '9' },
      { step: 'lost-card-reason', when: 'prompt', keys: '1' },
    ];
    // With one card the line names it in the read-back; with more it asks which.
    if (listed.length > 1)
      steps.push({ step: 'lost-card-choose', when: 'prompt', keys: String(listed.indexOf(debit) + 1) });
    steps.push({ step: 'lost-card-block', when: 'input', keys: '1' });
    const call = await callLine(zhang.phone, steps);
    const sessionId = call.session.id;
    expect(
      await waitUntil(() => teller.ivr.call(call.record.id)?.state === 'parked', 120_000),
      problems(),
    ).toBe(true);

    const after = await json<{ cards: { id: string; status: string }[] }>('GET', `/api/v1/customers/${id}`);
    expect(after.cards.find((c) => c.id === debit.id)?.status).toBe('lost');
    expect(call.session.verification).toBe('caller');
    expect(sessionEvents(sessionId, 'ivr.banking.done').map((e) => e.payload)).toMatchObject([
      { operation: 'lost-card', step: 'lost-card-block', reference: debit.id },
    ]);
    const handOver = sessionEvents(sessionId, 'ivr.handover')[0]!.payload as {
      ticket: string;
      priority: number;
    };
    expect(handOver.priority).toBe(9);
    expect(teller.acd.engine.interactionState(handOver.ticket)).toMatchObject({
      state: 'waiting',
      queueId: 'cards',
    });
    expect(await teller.interactions.get(handOver.ticket)).toMatchObject({
      queueId: 'cards',
      data: { intent: 'lost-card', extra: { blockedCard: debit.last4, reason: 'lost' } },
    });
    const sipp = await call.hangUp();
    expect(sipp.status, sipp.output).toBe(0);
    expect(JSON.stringify(events).includes(zhang.card)).toBe(false);
  }, 300_000);
});
