import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containmentReport,
  createIvrHarness,
  type Flow,
  type IvrHarness,
  type IvrSession,
  parseFlowText,
  promptText,
} from '../src/ivr/index';

/**
 * The demo line 8888 end to end through the interpreter, with the in-memory ports (the real
 * banking, ACD, media and SMS adapters are wired by the composition root; the SIP end-to-end
 * test drives the same flow over RTP).
 */

const flowDir = path.resolve(import.meta.dirname, '..', 'flows');

function loadFlows(): Flow[] {
  const files = readdirSync(flowDir).filter((name) => name.endsWith('.json'));
  const ids = new Set(files.map((name) => name.replace(/\.json$/, '')));
  const flows = files.map((name) =>
    parseFlowText(readFileSync(path.join(flowDir, name), 'utf8'), `flows/${name}`, {
      promptExists: (id) => promptText(id) !== undefined,
      flowExists: (id) => ids.has(id),
    }),
  );
  // The phone-banking flow first: the harness calls the first flow by default.
  return flows.sort((a, b) => (a.id === 'phone-banking' ? -1 : b.id === 'phone-banking' ? 1 : 0));
}

/** 23:30 in Shanghai on the harness's day: after the agents' hours. */
const lateEvening = Date.UTC(2025, 4, 6, 15, 30);

function line(options: { start?: number } = {}) {
  const h = createIvrHarness({ flows: loadFlows(), ...options });
  return {
    h,
    /** Each entry is pressed, then the line runs until it waits for the caller again. */
    async walk(session: IvrSession, entries: string[]) {
      await h.untilInput(session);
      for (const keys of entries) {
        expect(session.state, `before pressing ${keys} at ${session.path.at(-1)}`).toBe('awaiting-input');
        await h.press(session, keys);
        await h.untilInput(session);
      }
    },
  };
}

function playedAt(h: IvrHarness, step: string): string[][] {
  return h.events
    .of('ivr.prompt.played')
    .filter((e) => e.step === step)
    .map((e) => e.prompts);
}

function ended(h: IvrHarness) {
  return h.events.of('ivr.session.ended');
}

describe('demo line 8888', () => {
  it('a known caller chooses Mandarin, authenticates, hears the balance; the language is remembered', async () => {
    const { h, walk } = line();
    const first = h.call();
    await walk(first, ['1', '1', '123456', '9']);
    expect(first.path.slice(0, 8)).toEqual([
      'identify',
      'known-language',
      'choose-language',
      'set-zh',
      'welcome',
      'main-menu',
      'want-balance',
      'need-pin',
    ]);
    expect(first.path).toContain('authenticate/pin');
    expect(h.demo.customers.remembered).toEqual([{ customerId: 'cust-zhang-wei', lang: 'zh' }]);
    // The balance as it was played: account 3701, then 52,345.67 yuan fragment by fragment.
    const [balance] = playedAt(h, 'balance');
    expect(balance?.slice(0, 23)).toEqual([
      'zh/acct/ending',
      'zh/num/3',
      'zh/num/7',
      'zh/num/0',
      'zh/num/yao',
      'zh/join/de',
      'zh/curname/CNY',
      'zh/acct/kind/current',
      'zh/bal/balance',
      'zh/num/5',
      'zh/unit/wan',
      'zh/num/2',
      'zh/unit/qian',
      'zh/num/3',
      'zh/unit/bai',
      'zh/num/4',
      'zh/unit/shi',
      'zh/num/5',
      'zh/cur/yuan',
      'zh/num/6',
      'zh/cur/jiao',
      'zh/num/7',
      'zh/cur/fen',
    ]);
    expect(
      h.demo.media.plays.find(
        (p) =>
          p.playbackId === h.events.of('ivr.prompt.played').find((e) => e.step === 'balance')?.playbackId,
      )?.text,
    ).toMatch(/^尾号三七零幺的人民币活期账户余额五万二千三百四十五元六角七分可用余额/);
    expect(ended(h)[0]).toMatchObject({
      outcome: 'self-service',
      services: ['balance'],
      lastStep: 'goodbye',
    });

    // Second call: no language menu, straight to the welcome in Mandarin.
    const second = h.call();
    await h.untilInput(second);
    expect(second.path).toEqual(['identify', 'known-language', 'use-known-language', 'welcome', 'main-menu']);
    expect(h.demo.media.promptIds(second.id).slice(0, 2)).toEqual(['zh/welcome', 'zh/menu/main']);
    expect(h.errors).toEqual([]);
  });

  it('transfers 100.00 between own accounts with read-back, confirmation and an SMS receipt', async () => {
    const { h, walk } = line();
    const session = h.call();
    await walk(session, ['2', '3', '1', '123456', '1', '1', '100#', '1']);
    expect(h.demo.banking.account('acc-zw-cny-current')?.balance).toEqual({
      minor: 5_234_567 - 10_000,
      currency: 'CNY',
    });
    expect(h.demo.banking.account('acc-zw-cny-savings')?.balance).toEqual({
      minor: 20_000_000 + 10_000,
      currency: 'CNY',
    });
    const readBack = h.demo.media.plays.find((p) => p.text.startsWith('You are about to transfer'));
    expect(readBack?.text).toBe(
      'You are about to transfer one hundred yuan from the account ending in three seven zero one to the account ending in three seven zero two',
    );
    expect(h.demo.sms.sent).toEqual([
      {
        sessionId: session.id,
        to: '13800000001',
        text: 'Teller Bank: 100.00 CNY done, reference TX-000001.',
        lang: 'en',
      },
    ]);
    expect(h.events.of('ivr.banking.done')).toMatchObject([{ operation: 'transfer', step: 'own-transfer' }]);
    expect(session.path.at(-1)).toBe('anything-else');
  });

  it('three wrong PINs lock the customer and hand the call to an agent; the next call cannot authenticate', async () => {
    const { h, walk } = line();
    const session = h.call();
    await walk(session, ['1', '1', '111111', '222222', '333333']);
    expect(h.events.of('ivr.auth.result').map((e) => e.result)).toEqual(['invalid', 'invalid', 'locked']);
    expect(h.demo.media.promptIds(session.id)).toContain('zh/auth/locked');
    expect(h.demo.queue.handOvers[0]).toMatchObject({
      queue: 'general',
      priority: 5,
      data: { intent: 'pin-locked' },
    });
    expect(ended(h)[0]).toMatchObject({ outcome: 'agent', handedOverAt: 'locked-agent' });

    const next = h.call();
    await walk(next, ['1', '123456']);
    expect(h.events.of('ivr.auth.result').map((e) => e.result)).toEqual([
      'invalid',
      'invalid',
      'locked',
      'locked',
    ]);
    expect(next.verification).toBe('caller');
    expect(h.demo.queue.handOvers).toHaveLength(2);
  });

  it('the lost-card fast path blocks the card without a PIN and goes to the priority queue', async () => {
    const { h, walk } = line();
    const session = h.call();
    await walk(session, ['1', '9', '1', '1', '1']);
    const card = h.demo.banking.customers.get(session.customer!.id)?.cards.find((c) => c.last4 === '0001');
    expect(card?.status).toBe('lost');
    expect(h.demo.queue.handOvers).toEqual([
      {
        sessionId: session.id,
        callId: 'call-1',
        queue: 'cards-priority',
        priority: 9,
        data: {
          customerId: 'cust-zhang-wei',
          verification: 'caller',
          verificationId: null,
          tier: 'affluent',
          intent: 'lost-card',
          language: 'zh',
          callerNumber: '13800000001',
          ivrPath: [
            'identify',
            'known-language',
            'choose-language',
            'set-zh',
            'welcome',
            'main-menu',
            'lost-card',
            'lost-card-reason',
            'lost-set-lost',
            'lost-card-choose',
            'lost-card-block',
            'lost-card-queue',
          ],
          extra: { blockedCard: '0001', reason: 'lost' },
        },
      },
    ]);
    expect(h.demo.recording.log).toEqual([]);
  });

  it('a caller the bank does not know goes from the lost-card choice straight to the card team', async () => {
    const { h, walk } = line();
    const session = h.call({ callerNumber: '13900000000' });
    await walk(session, ['2', '9']);
    expect(h.demo.queue.handOvers[0]).toMatchObject({
      queue: 'cards-priority',
      priority: 9,
      data: { customerId: null, verification: 'none', intent: 'lost-card', language: 'en' },
    });
  });

  it('0 hands a private customer to an agent with priority and context, in her remembered English', async () => {
    const { h, walk } = line();
    const session = h.call({ callerNumber: '13800000002' });
    await walk(session, ['0']);
    expect(h.demo.media.promptIds(session.id).slice(0, 2)).toEqual(['en/welcome', 'en/menu/main']);
    expect(h.demo.queue.handOvers[0]).toEqual({
      sessionId: session.id,
      callId: 'call-1',
      queue: 'general',
      priority: 6,
      data: {
        customerId: 'cust-li-na',
        verification: 'caller',
        verificationId: null,
        tier: 'private',
        intent: 'agent-request',
        language: 'en',
        callerNumber: '13800000002',
        ivrPath: [
          'identify',
          'known-language',
          'use-known-language',
          'welcome',
          'main-menu',
          'agent',
          'agent-queue',
        ],
        extra: { service: 'agent-request' },
      },
    });
  });

  it('after hours, 0 offers a call back instead of a queue', async () => {
    const { h, walk } = line({ start: lateEvening });
    const session = h.call({ callerNumber: '13800000002' });
    await walk(session, ['0', '1']);
    expect(h.demo.queue.handOvers).toEqual([]);
    expect(h.demo.queue.callbacks[0]).toMatchObject({
      queue: 'general',
      number: '13800000002',
      data: { intent: 'agent-request' },
    });
    expect(ended(h)[0]).toMatchObject({
      outcome: 'callback',
      lastStep: 'callback-done',
      handedOverAt: 'callback',
    });
  });

  it('every service of the main menu, one after the other, after one PIN', async () => {
    const { h, walk } = line();
    const session = h.call();
    await walk(session, [
      '2',
      ...['1', '123456', '1'],
      ...['2', '1', '1'],
      ...['3', '2', '50#', '1', '1'],
      ...['4', '1', '88*5#', '1', '1'],
      ...['5', '1', '1'],
      ...['5', '2', '1'],
      ...['6', '1', '100#', '1', '1'],
      ...['7', '1', '600519', '1'],
      ...['7', '2', '000001', '100#', '1', '1', '1'],
      ...['8', '1', '1'],
      ...['8', '2', '5000#', '1', '9'],
    ]);
    expect(ended(h)[0]?.services).toEqual([
      'balance',
      'transactions',
      'transfer',
      'bill-payment',
      'deposit-rates',
      'fx-rates',
      'fx-purchase',
      'stock-quote',
      'stock-order',
      'payment-records',
      'cheque',
    ]);
    expect(h.demo.banking.applied.map((a) => a.operation)).toEqual([
      'transfer-payee',
      'bill-payment',
      'fx',
      'stock-order',
      'cheque',
    ]);
    expect(h.events.of('ivr.auth.result')).toHaveLength(1);
    expect(h.demo.sms.sent.map((m) => m.text)).toEqual([
      'Teller Bank: 50.00 CNY done, reference TX-000001.',
      'Teller Bank: 88.50 CNY done, reference TX-000002.',
      'Teller Bank: 5000.00 CNY done, reference TX-000006.',
    ]);
    expect(ended(h)[0]).toMatchObject({ outcome: 'self-service', lastStep: 'goodbye' });
    expect(h.errors).toEqual([]);
  });

  it('never lets a PIN or a full card number reach an event, a message, or a prompt', async () => {
    const { h, walk } = line();
    await walk(h.call(), ['1', '1', '123456', '9']);
    await walk(h.call({ callerNumber: '13900000000' }), ['1', '1', '6222020000000001#', '123456', '9']);
    const everything = JSON.stringify([
      h.events.events,
      h.demo.sms.sent,
      h.demo.media.plays,
      h.demo.queue.handOvers,
    ]);
    expect(everything).not.toContain('123456');
    expect(everything).not.toContain('6222020000000001');
    expect(h.events.of('ivr.auth.result').map((e) => [e.result, e.card])).toEqual([
      ['verified', null],
      ['verified', '************0001'],
    ]);
    expect(h.demo.recording.log).toEqual([
      'pause pin',
      'resume',
      'pause card-number',
      'resume',
      'pause pin',
      'resume',
    ]);
  });

  it('reports containment for the line: served, handed over, lost, and where', async () => {
    const { h, walk } = line();
    await walk(h.call(), ['1', '5', '1', '9']);
    await walk(h.call(), ['0']);
    const lost = h.call();
    await walk(lost, ['1', '1']);
    lost.hangup();
    await walk(h.call({ callerNumber: '13800000002' }), ['9', '1', '1']);
    expect(containmentReport(h.events.events)).toEqual([
      {
        flowId: 'phone-banking',
        calls: 4,
        selfService: 1,
        agent: 2,
        callback: 0,
        hangUp: 1,
        failed: 0,
        containmentRate: 0.25,
        agentRate: 0.5,
        leftAt: [{ step: 'authenticate/pin', count: 1 }],
        agentFrom: [
          { step: 'agent-queue', count: 1 },
          { step: 'lost-card-queue', count: 1 },
        ],
      },
    ]);
  });
});
