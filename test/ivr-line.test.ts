import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeller, type Teller } from '../src/app/index';
import { loadConfig } from '../src/config/index';
import { createLogger, type Money, parseMoney, type StoredEvent } from '../src/core/index';
import type { IvrSession } from '../src/ivr/index';
import { zhAmount } from '../src/ivr/index';
import { waitUntil } from './fixtures/sipp/peers';
import { rtpStream, type StreamPart, writePcap } from './support/pcap';
import { freeUdpPort, runSipp, type SippResult, sippFixtures } from './support/sipp';

/**
 * The phone-banking line end to end: SIPp calls 8888 as a customer on a trusted trunk and keys
 * RFC 4733 DTMF; Teller answers with the IVR over RTP, against the real bank, CRM and ACD. The
 * test paces the keys on the IVR (it waits until the line asks, then tells SIPp to play that
 * step's keys, see ivr-caller.xml), so no timing is assumed. What the caller heard is read from
 * the `ivr.prompt.played` events; what the bank did, through the HTTP API.
 */

const work = mkdtempSync(path.join(tmpdir(), 'teller-ivr-line-'));
const zhang = { phone: '13800000001', pin: '123456', card: '6222020000000001' };
const liNa = { phone: '13800000002', pin: '654321' };

/** One keying of the caller: when the session is at `step` (its `visit`-th time), key `keys`. */
interface Step {
  step: string;
  /** The caller says something first: a tone of this frequency for `toneMs` (the test finds it in the recording). */
  tone?: { frequency: number; ms: number };
  /** 'prompt': while the step's prompt plays (a barge-in); 'input': once it waits for keys (a PIN, a confirmation). */
  when: 'prompt' | 'input';
  keys: string;
  visit?: number;
}

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
let calls = 0;

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

/** A call on the line, driven by the test: it knows the call's record, its SIP Call-ID and its session. */
interface LineCall {
  record: { id: string; sipCallId: string };
  session: IvrSession;
  result: Promise<SippResult>;
  /** Has the caller hang up (one more INFO to SIPp) and waits for SIPp to finish. */
  hangUp(): Promise<SippResult>;
}

/**
 * Calls 8888 from `caller` and keys `steps` as the IVR reaches them; resolves once the last
 * step's keys went out. The scenario's ending decides who hangs up (see ivr-caller.xml).
 */
async function callLine(caller: string, steps: Step[]): Promise<LineCall> {
  const n = ++calls;
  const ssrc = 0x1e000 + n;
  let sequence = 5000;
  let timestamp = 320_000;
  const blocks: string[] = [];
  steps.forEach((step, i) => {
    const parts: StreamPart[] = step.tone
      ? [{ kind: 'tone', frequency: step.tone.frequency, durationMs: step.tone.ms, amplitude: 8000 }]
      : [];
    parts.push({ kind: 'keys', digits: step.keys, keyMs: 160, gapMs: 240 });
    const packets = rtpStream(parts, {
      ssrc,
      firstSequence: sequence,
      firstTimestamp: timestamp,
    });
    const last = packets.at(-1)!;
    sequence = last.sequenceNumber + 1;
    // The next keys start later than this capture ends: the timestamps keep rising like a clock.
    timestamp = last.timestamp + 8000 * 60;
    const file = path.join(work, `call-${n}-step-${i}.pcap`);
    writeFileSync(file, writePcap(packets));
    blocks.push(`<recv request="INFO"/>\n  <nop><action><exec play_pcap_audio="${file}"/></action></nop>`);
  });
  const scenario = path.join(work, `call-${n}.xml`);
  writeFileSync(
    scenario,
    readFileSync(path.join(sippFixtures, 'ivr-caller.xml'), 'utf8').replace(
      '<!-- @STEPS@ -->',
      blocks.join('\n  '),
    ),
  );
  const sippPort = await freeUdpPort();
  const result = runSipp(
    `127.0.0.1:${teller.sip.port}`,
    [
      '-sf',
      scenario,
      '-s',
      '8888',
      '-set',
      'caller',
      caller,
      '-p',
      String(sippPort),
      '-mp',
      String(await mediaPort()),
      '-m',
      '1',
    ],
    240_000,
  );
  let exited: SippResult | undefined;
  void result.then((r) => {
    exited = r;
  });

  // The call Teller answered: its record and the IVR session on it.
  let found: { record: { id: string; sipCallId: string }; session: IvrSession } | undefined;
  const answered = await waitUntil(() => {
    if (exited) return true;
    for (const call of teller.calls.calls) {
      const onLine = teller.ivr.call(call.record.id);
      if (onLine?.session && call.record.caller === caller) {
        found = { record: call.record, session: onLine.session };
        return true;
      }
    }
    return false;
  }, 30_000);
  if (!answered || !found) throw new Error(`the line did not answer: ${exited?.output ?? ''}`);
  const { record, session } = found;

  let trigger = 0;
  const nudge = () => sendInfo(sippPort, record.sipCallId, ++trigger);
  for (const step of steps) {
    const visit = step.visit ?? 1;
    const ready = await waitUntil(
      () => {
        if (exited || session.state === 'ended') return true;
        const visits = session.path.filter((p) => p === step.step).length;
        if (visits < visit) return false;
        return step.when === 'input' ? session.state === 'awaiting-input' : session.state !== 'running';
      },
      120_000,
      10,
    );
    if (!ready || exited || session.state === 'ended') {
      throw new Error(
        `the IVR did not reach ${step.step}#${visit}: at ${session.path.at(-1)} (${session.state}); ` +
          `failures ${JSON.stringify(sessionEvents(session.id, 'ivr.step.failed').map((e) => e.payload))}; ` +
          `SIPp ${exited?.output ?? 'running'}\n${problems()}`,
      );
    }
    await nudge();
  }
  return {
    record,
    session,
    result,
    async hangUp() {
      await nudge();
      return result;
    },
  };
}

/** Tells SIPp (its scenario waits in `<recv request="INFO">`) to go on: an INFO with the call's Call-ID. */
async function sendInfo(port: number, callId: string, n: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const local = socket.address().port;
  const message =
    `INFO sip:caller@127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ivr-test-${n}-${Date.now()}\r\n` +
    `From: <sip:test@127.0.0.1>;tag=ivr-test\r\nTo: <sip:caller@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${100 + n} INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  await new Promise<void>((resolve, reject) =>
    socket.send(message, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  socket.close();
}

async function canBind(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** An even port for SIPp's media (it binds it and port + 2), outside Teller's RTP range. */
async function mediaPort(): Promise<number> {
  for (;;) {
    const port = 40000 + 2 * Math.floor(Math.random() * 4900);
    if ((await canBind(port)) && (await canBind(port + 2))) return port;
  }
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

/** Channel `channel` (1 left: the caller) of a WAV as 8 kHz 16-bit samples, decoded by sox. */
function channelSamples(file: string, channel: 1 | 2): Int16Array {
  const out = spawnSync(
    'sox',
    [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '8000', '-c', '1', '-', 'remix', String(channel)],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`sox ${file}: ${out.stderr.toString()}`);
  const bytes = out.stdout as Buffer;
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** How many 20 ms blocks of `samples` are a clear tone of `frequency` (Goertzel power over block energy). */
function toneBlocks(samples: Int16Array, frequency: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / 8000);
  let blocks = 0;
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let j = i; j < i + 160; j++) {
      const x = samples[j]!;
      const s0 = x + coefficient * s1 - s2;
      s2 = s1;
      s1 = s0;
      energy += x * x;
    }
    if (energy / 160 < 500 * 500) continue;
    const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    if ((2 * power) / (160 * energy) > 0.8) blocks++;
  }
  return blocks;
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
    const steps: Step[] = [
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
