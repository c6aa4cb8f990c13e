import { describe, expect, it } from 'vitest';
import { TellerError } from '../core/index';
import { containmentReport } from './containment';
import type { Flow } from './flow';
import { createIvrHarness, type IvrHarness } from './harness';
import { promptText } from './prompts';
import type { IvrSession } from './session';
import { parseFlow } from './validate';

function flowOf(steps: Record<string, unknown>, extra: Record<string, unknown> = {}): Flow {
  return parseFlow(
    { format: 1, id: 'test', name: 'Test', defaultLanguage: 'en', start: 's1', steps, ...extra },
    { promptExists: (id) => promptText(id) !== undefined },
  );
}

const bye = { type: 'hangup', prompts: ['goodbye'] };

/** The spoken text of every playback, in order. */
function spoken(h: IvrHarness, session?: IvrSession): string[] {
  return h.demo.media.plays.filter((p) => !session || p.sessionId === session.id).map((p) => p.text);
}

/** A harness with a flow that verifies Zhang Wei's PIN (keyed as 123456#) before `service`. */
function verified(
  steps: Record<string, unknown>,
  options: Parameters<typeof createIvrHarness>[0] extends infer O ? Partial<O> : never = {},
) {
  const flow = flowOf({
    s1: { type: 'identify', next: 'pin', onUnknown: 'bye' },
    pin: {
      type: 'collect',
      prompts: ['collect/pin'],
      into: 'pin',
      min: 6,
      max: 6,
      masked: true,
      secret: 'pin',
      next: 'auth',
      onFail: 'bye',
    },
    auth: {
      type: 'authenticate',
      pin: 'pin',
      next: 'service',
      onInvalid: 'bye',
      onLocked: 'bye',
      onUnknown: 'bye',
    },
    bye,
    ...steps,
  });
  const h = createIvrHarness({ ...options, flows: [flow] });
  const session = h.call();
  return {
    h,
    session,
    async login() {
      await h.untilInput(session);
      await h.press(session, '123456');
      await h.untilInput(session);
    },
  };
}

describe('IVR session: prompts, barge-in, type-ahead', () => {
  it('plays, hangs up, and reports every step and the outcome', async () => {
    const h = createIvrHarness({
      flows: [flowOf({ s1: { type: 'play', prompts: ['welcome'], next: 'bye' }, bye })],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(session.state).toBe('ended');
    expect(h.demo.media.promptIds()).toEqual(['en/welcome', 'en/goodbye']);
    expect(h.events.events.map((e) => e.type)).toEqual([
      'ivr.session.started',
      'ivr.step.entered',
      'ivr.prompt.played',
      'ivr.step.completed',
      'ivr.step.entered',
      'ivr.prompt.played',
      'ivr.step.completed',
      'ivr.session.ended',
    ]);
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({
      outcome: 'self-service',
      lastStep: 'bye',
      path: ['s1', 'bye'],
      endedBy: 'flow',
    });
    expect(h.errors).toEqual([]);
  });

  it('a key during a prompt stops it and answers the menu that follows (barge-in and type-ahead)', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'play', prompts: ['welcome'], next: 'menu' },
          menu: { type: 'menu', prompts: ['menu/main'], choices: { '2': { goto: 'two' } }, onFail: 'bye' },
          two: { type: 'play', prompts: ['auth/ok'], next: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.settle();
    expect(session.state).toBe('playing');
    await h.press(session, '2');
    await h.untilInput(session);
    expect(h.demo.media.stops).toEqual(['s1/1']);
    expect(h.events.of('ivr.prompt.stopped')).toEqual([
      { sessionId: 's1', step: 's1', playbackId: 's1/1', reason: 'barge-in' },
    ]);
    // The main menu was never played: the key typed ahead answered it.
    expect(h.demo.media.promptIds()).toEqual(['en/welcome', 'en/auth/ok', 'en/goodbye']);
    expect(session.path).toEqual(['s1', 'menu', 'two', 'bye']);
  });

  it('ignores keys during a prompt that does not allow barge-in', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'play', prompts: ['welcome'], bargeIn: false, next: 'menu' },
          menu: { type: 'menu', prompts: ['menu/main'], choices: { '2': { goto: 'bye' } }, onFail: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.settle();
    await h.press(session, '2');
    await h.untilInput(session);
    expect(h.demo.media.stops).toEqual([]);
    expect(session.state).toBe('awaiting-input');
    expect(h.demo.media.promptIds()).toEqual(['en/welcome', 'en/menu/main']);
  });
});

describe('IVR session: menu and collect', () => {
  const menuFlow = () =>
    flowOf({
      s1: {
        type: 'menu',
        prompts: ['menu/main'],
        choices: { '1': { goto: 'one', intent: 'balance' } },
        repeatKey: '*',
        retries: 1,
        timeoutMs: 3000,
        onFail: 'failed',
      },
      one: { type: 'play', prompts: ['auth/ok'], next: 'bye' },
      failed: { type: 'hangup', prompts: ['errors/too-many'], outcome: 'failed' },
      bye,
    });

  it('re-prompts on an invalid key, replays on the repeat key, and takes the choice', async () => {
    const h = createIvrHarness({ flows: [menuFlow()] });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '7');
    await h.untilInput(session);
    await h.press(session, '*');
    await h.untilInput(session);
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.demo.media.promptIds()).toEqual([
      'en/menu/main',
      'en/errors/invalid',
      'en/menu/main',
      'en/menu/main',
      'en/auth/ok',
      'en/goodbye',
    ]);
    expect(session.variable('intent')).toBe('balance');
    expect(h.events.of('ivr.input').map((e) => [e.kind, e.result, e.digits])).toEqual([
      ['menu', 'invalid', '7'],
      ['menu', 'ok', '1'],
    ]);
  });

  it('after the retries run out on silence, goes to onFail', async () => {
    const h = createIvrHarness({ flows: [menuFlow()] });
    const session = h.call();
    await h.untilInput(session);
    await h.advance(3000);
    await h.untilInput(session);
    await h.advance(3000);
    await h.untilInput(session);
    expect(h.demo.media.promptIds()).toEqual([
      'en/menu/main',
      'en/errors/no-input',
      'en/menu/main',
      'en/errors/too-many',
    ]);
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'failed', lastStep: 'failed' });
  });

  const amountFlow = () =>
    flowOf({
      s1: {
        type: 'collect',
        prompts: ['collect/amount'],
        into: 'amount',
        min: 1,
        max: 9,
        decimalKey: '*',
        interDigitTimeoutMs: 2000,
        next: 'bye',
        onFail: 'bye',
      },
      bye,
    });

  it('collects up to the terminator, with star as the decimal point', async () => {
    const h = createIvrHarness({ flows: [amountFlow()] });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '100*5#');
    await h.settle();
    expect(session.variable('amount')).toBe('100.5');
    expect(h.events.of('ivr.input')[0]).toMatchObject({
      kind: 'collect',
      result: 'ok',
      digits: '100*5',
      masked: false,
    });
  });

  it('accepts an entry ended by the inter-digit timeout, and re-prompts an empty or malformed one', async () => {
    const h = createIvrHarness({ flows: [amountFlow()] });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '#');
    await h.untilInput(session);
    await h.press(session, '1**2#');
    await h.untilInput(session);
    await h.press(session, '42');
    await h.advance(1999);
    expect(session.variable('amount')).toBeUndefined();
    await h.advance(1);
    expect(session.variable('amount')).toBe('42');
    expect(h.events.of('ivr.input').map((e) => e.result)).toEqual(['no-input', 'invalid', 'ok']);
  });

  it('stops at max digits without a terminator', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: {
            type: 'collect',
            prompts: ['collect/symbol'],
            into: 'symbol',
            min: 6,
            max: 6,
            next: 'bye',
            onFail: 'bye',
          },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '600519');
    expect(session.variable('symbol')).toBe('600519');
  });
});

describe('IVR session: PCI', () => {
  it('pauses the recording for a PIN, keeps the digits out of every event, and resumes after', async () => {
    const { h, session, login } = verified({ service: { type: 'play', prompts: ['auth/ok'], next: 'bye' } });
    await h.untilInput(session);
    expect(h.demo.recording.log).toEqual(['pause pin']);
    expect(h.demo.recording.paused).toBe(true);
    await h.press(session, '123456');
    expect(h.demo.recording.paused).toBe(false);
    await h.untilInput(session);
    await login;
    expect(h.demo.recording.log).toEqual(['pause pin', 'resume']);
    expect(session.verification).toBe('pin');
    const all = JSON.stringify(h.events.events);
    expect(all).not.toContain('123456');
    expect(h.events.of('ivr.input')[0]).toMatchObject({ digits: null, length: 6, masked: true });
    expect(h.events.of('ivr.auth.result')[0]).toMatchObject({
      result: 'verified',
      customerId: 'cust-zhang-wei',
    });
    const types = h.events.events.map((e) => e.type);
    expect(types.indexOf('ivr.recording.paused')).toBeLessThan(types.indexOf('ivr.prompt.played'));
  });

  it('drops keys typed before the recording paused: a PIN must be keyed after', async () => {
    const { h, session } = verified({ service: { type: 'play', prompts: ['auth/ok'], next: 'bye' } });
    session.digit('1');
    await h.untilInput(session);
    await h.press(session, '123456');
    await h.untilInput(session);
    expect(session.verification).toBe('pin');
  });

  it('takes the first PIN digit keyed over the PIN prompt (barge-in) as part of the PIN', async () => {
    const { h, session } = verified({ service: { type: 'play', prompts: ['auth/ok'], next: 'bye' } });
    await h.settle();
    for (let i = 0; i < 100 && !h.demo.media.promptIds().includes('en/collect/pin'); i++) await h.advance(50);
    expect(h.demo.media.promptIds()).toContain('en/collect/pin');
    session.digit('1');
    await h.untilInput(session);
    await h.press(session, '23456');
    await h.untilInput(session);
    expect(session.verification).toBe('pin');
    expect(h.events.of('ivr.input')[0]).toMatchObject({ result: 'ok', length: 6, masked: true });
  });

  it('resumes the recording when the caller hangs up in the middle of a PIN', async () => {
    const { h, session } = verified({ service: bye });
    await h.untilInput(session);
    await h.press(session, '12');
    session.hangup();
    await h.settle();
    expect(h.demo.recording.log).toEqual(['pause pin', 'resume']);
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({
      outcome: 'hang-up',
      lastStep: 'pin',
      endedBy: 'caller',
    });
  });

  it('refuses to collect a PIN when the recording cannot be paused', async () => {
    const { h, session } = verified({ service: bye });
    // Set before the PIN step starts: the session is still waiting for the identify step's answer.
    h.demo.recording.failPause = true;
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({
      step: 'pin',
      code: 'IVR_RECORDING_PAUSE_FAILED',
    });
    expect(h.demo.media.promptIds()).not.toContain('en/collect/pin');
  });

  it('will not let an expression read a masked entry', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: {
            type: 'collect',
            prompts: ['collect/pin'],
            into: 'pin',
            min: 6,
            max: 6,
            masked: true,
            secret: 'pin',
            next: 'leak',
            onFail: 'bye',
          },
          leak: {
            type: 'sms',
            message: { zh: '{p}', en: '{p}' },
            params: { p: 'pin' },
            next: 'bye',
            onError: 'bye',
          },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '123456');
    await h.untilInput(session);
    expect(h.demo.sms.sent).toEqual([]);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({ step: 'leak', code: 'IVR_EXPR_SECRET' });
  });
});

describe('IVR session: identification, language, authentication', () => {
  it('identifies the caller by number and remembers the language chosen', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'identify', next: 'lang', onUnknown: 'bye' },
          lang: { type: 'language', value: "'zh'", next: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(session.customer?.id).toBe('cust-zhang-wei');
    expect(session.verification).toBe('caller');
    expect(session.lang).toBe('zh');
    expect(h.demo.customers.remembered).toEqual([{ customerId: 'cust-zhang-wei', lang: 'zh' }]);
    expect(h.demo.media.promptIds()).toEqual(['zh/goodbye']);
    expect(h.events.of('ivr.language.changed')).toEqual([{ sessionId: 's1', lang: 'zh', remembered: true }]);
  });

  it('takes onUnknown for a number it does not know, and for a withheld one', async () => {
    const flow = flowOf({
      s1: { type: 'identify', next: 'bye', onUnknown: 'nobody' },
      nobody: { type: 'hangup', outcome: 'failed' },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    const a = h.call({ callerNumber: '13900000000' });
    const b = h.call({ callerNumber: null });
    await h.untilInput(a);
    await h.untilInput(b);
    expect([a.path, b.path]).toEqual([
      ['s1', 'nobody'],
      ['s1', 'nobody'],
    ]);
  });

  it('a wrong PIN goes to onInvalid with the attempts left, the third locks', async () => {
    const flow = flowOf({
      s1: { type: 'identify', next: 'pin', onUnknown: 'bye' },
      pin: {
        type: 'collect',
        prompts: ['collect/pin'],
        into: 'pin',
        min: 6,
        max: 6,
        masked: true,
        secret: 'pin',
        next: 'auth',
        onFail: 'bye',
      },
      auth: {
        type: 'authenticate',
        pin: 'pin',
        next: 'ok',
        onInvalid: 'wrong',
        onLocked: 'locked',
        onUnknown: 'bye',
      },
      wrong: {
        type: 'say',
        parts: [{ prompt: 'auth/invalid' }, { prompt: 'auth/attempts-left' }, { number: 'authAttemptsLeft' }],
        next: 'pin',
      },
      ok: { type: 'play', prompts: ['auth/ok'], next: 'bye' },
      locked: { type: 'hangup', prompts: ['auth/locked'], outcome: 'failed' },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    const session = h.call();
    for (const pin of ['111111', '222222', '333333']) {
      await h.untilInput(session);
      await h.press(session, pin);
    }
    await h.untilInput(session);
    expect(spoken(h).filter((t) => t.startsWith('That PIN'))).toEqual([
      'That PIN is not correct. Attempts remaining: two',
      'That PIN is not correct. Attempts remaining: one',
    ]);
    expect(h.events.of('ivr.auth.result').map((e) => e.result)).toEqual(['invalid', 'invalid', 'locked']);
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'failed', lastStep: 'locked' });
    // The next call cannot authenticate even with the right PIN.
    const next = h.call();
    await h.untilInput(next);
    await h.press(next, '123456');
    await h.untilInput(next);
    expect(next.path).toContain('locked');
  });

  it('authenticates by card number and PIN, masking the card in the event', async () => {
    const flow = flowOf({
      s1: {
        type: 'collect',
        prompts: ['collect/card-number'],
        into: 'card',
        min: 16,
        max: 19,
        masked: true,
        secret: 'card-number',
        next: 'pin',
        onFail: 'bye',
      },
      pin: {
        type: 'collect',
        prompts: ['collect/pin'],
        into: 'pin',
        min: 6,
        max: 6,
        masked: true,
        secret: 'pin',
        next: 'auth',
        onFail: 'bye',
      },
      auth: {
        type: 'authenticate',
        card: 'card',
        pin: 'pin',
        next: 'bye',
        onInvalid: 'bye',
        onLocked: 'bye',
        onUnknown: 'bye',
      },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    const session = h.call({ callerNumber: null });
    await h.untilInput(session);
    await h.press(session, '6222020000000002#');
    await h.untilInput(session);
    await h.press(session, '654321');
    await h.untilInput(session);
    expect(session.customer?.id).toBe('cust-li-na');
    expect(h.events.of('ivr.auth.result')[0]).toMatchObject({ card: '************0002', result: 'verified' });
    expect(h.demo.recording.log).toEqual(['pause card-number', 'resume', 'pause pin', 'resume']);
    const all = JSON.stringify(h.events.events);
    expect(all).not.toContain('6222020000000002');
    expect(all).not.toContain('654321');
  });
});

describe('IVR session: banking steps', () => {
  const chooseFrom = (into: string, extra: Record<string, unknown> = {}) => ({
    type: 'choose',
    from: 'accounts',
    kinds: ['current', 'savings'],
    currencies: ['CNY'],
    prompts: ['choose/from-account'],
    into,
    onEmpty: 'bye',
    onFail: 'bye',
    ...extra,
  });

  it('announces balances of the deposit accounts', async () => {
    const { h, session, login } = verified({ service: { type: 'balance', next: 'bye' } });
    await login();
    await h.untilInput(session);
    expect(spoken(h, session)).toContain(
      'yuan current account ending in three seven zero one balance fifty-two thousand three hundred forty-five yuan and sixty-seven fen available fifty-two thousand three hundred forty-five yuan and sixty-seven fen yuan savings account ending in three seven zero two balance two hundred thousand yuan available two hundred thousand yuan US dollar current account ending in three seven zero three balance three thousand two hundred fifty US dollars available three thousand two hundred fifty US dollars',
    );
    expect(h.events.of('ivr.session.ended')[0]?.services).toEqual(['balance']);
  });

  it('refuses account data to a caller only identified by number, with the not-verified prompt', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'identify', next: 'bal', onUnknown: 'bye' },
          bal: { type: 'balance', next: 'bye', onError: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({
      step: 'bal',
      code: 'IVR_VERIFICATION_REQUIRED',
      next: 'bye',
    });
    expect(h.demo.media.promptIds()).toEqual(['en/errors/not-verified', 'en/goodbye']);
  });

  it('transfers between own accounts after read-back and confirmation, once', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('from', { next: 'to' }),
      to: chooseFrom('to', { prompts: ['choose/to-account'], exclude: 'from', next: 'amount' }),
      amount: {
        type: 'collect',
        prompts: ['collect/amount'],
        into: 'amount',
        min: 1,
        max: 9,
        decimalKey: '*',
        next: 'go',
        onFail: 'bye',
      },
      go: { type: 'transfer', from: 'from', to: 'to', amount: 'amount', next: 'bye', onCancel: 'bye' },
    });
    await login();
    expect(spoken(h, session).at(-1)).toBe(
      'Please choose the account to pay from. For the yuan current account ending in three seven zero one press one For the yuan savings account ending in three seven zero two press two',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    // One account left once the paying account is excluded: chosen without a menu.
    expect(session.variable('to')).toMatchObject({ last4: '3702' });
    await h.press(session, '100#');
    await h.untilInput(session);
    expect(spoken(h, session).slice(-2)).toEqual([
      'You are about to transfer one hundred yuan from the account ending in three seven zero one to the account ending in three seven zero two',
      'To confirm, press 1. To cancel, press 2.',
    ]);
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.demo.banking.account('acc-zw-cny-current')?.balance.minor).toBe(5_234_567 - 10_000);
    expect(h.demo.banking.account('acc-zw-cny-savings')?.balance.minor).toBe(20_000_000 + 10_000);
    expect(spoken(h, session).at(-2)).toBe(
      'Your transfer is complete. The paying account now holds fifty-two thousand two hundred forty-five yuan and sixty-seven fen',
    );
    expect(h.events.of('ivr.banking.done')).toEqual([
      {
        sessionId: 's1',
        step: 'go',
        operation: 'transfer',
        idempotencyKey: 'ivr:s1:go:1',
        reference: 'TX-000001',
      },
    ]);
    expect(h.demo.banking.applied).toHaveLength(1);
  });

  it('a cancelled transfer to a payee moves nothing and goes to onCancel', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('from', { kinds: ['current'], next: 'payee' }),
      payee: {
        type: 'choose',
        from: 'payees',
        prompts: ['choose/payee'],
        into: 'payee',
        next: 'go',
        onEmpty: 'bye',
        onFail: 'bye',
      },
      go: {
        type: 'transfer',
        from: 'from',
        payee: 'payee',
        amount: "'50'",
        next: 'bye',
        onCancel: 'cancelled',
      },
      cancelled: { type: 'hangup', prompts: ['goodbye'] },
    });
    await login();
    expect(spoken(h, session).at(-2)).toBe(
      'You are about to transfer fifty yuan from the account ending in three seven zero one to the payee with account ending in seven seven eight eight',
    );
    await h.press(session, '2');
    await h.untilInput(session);
    expect(h.demo.banking.applied).toEqual([]);
    expect(session.path.at(-1)).toBe('cancelled');
    expect(spoken(h, session).slice(-2)).toEqual([
      'Cancelled. Nothing has been changed.',
      'Thank you for calling. Goodbye.',
    ]);
  });

  it('says "not enough money" and takes the error branch when the bank refuses', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('from', { kinds: ['current'], next: 'to' }),
      to: chooseFrom('to', { exclude: 'from', next: 'go' }),
      go: {
        type: 'transfer',
        from: 'from',
        to: 'to',
        amount: "'9999999'",
        next: 'bye',
        onCancel: 'bye',
        onError: 'sorry',
      },
      sorry: {
        type: 'branch',
        cases: [{ when: "lastError.code == 'BANK_INSUFFICIENT_FUNDS'", goto: 'poor' }],
        otherwise: 'bye',
      },
      poor: { type: 'hangup', outcome: 'failed' },
    });
    await login();
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({
      step: 'go',
      code: 'BANK_INSUFFICIENT_FUNDS',
      next: 'sorry',
    });
    expect(h.demo.media.promptIds(session.id).at(-1)).toBe('en/errors/insufficient-funds');
    expect(session.path.slice(-2)).toEqual(['sorry', 'poor']);
    expect(h.demo.banking.applied).toEqual([]);
  });

  it('pays a bill and requests a certified cheque, each confirmed', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('from', { kinds: ['current'], next: 'biller' }),
      biller: {
        type: 'choose',
        from: 'billers',
        prompts: ['choose/biller'],
        into: 'biller',
        next: 'pay',
        onEmpty: 'bye',
        onFail: 'bye',
      },
      pay: {
        type: 'bill-payment',
        from: 'from',
        biller: 'biller',
        amount: "'88.50'",
        next: 'cheque',
        onCancel: 'bye',
      },
      cheque: { type: 'cheque', from: 'from', amount: "money('5000', 'CNY')", next: 'bye', onCancel: 'bye' },
    });
    await login();
    await h.press(session, '1');
    await h.untilInput(session);
    expect(spoken(h, session).at(-2)).toBe(
      'You are about to pay eighty-eight yuan and fifty fen for electricity reference ending in four three two one from the account ending in three seven zero one',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    expect(spoken(h, session).at(-2)).toBe(
      'You are about to request a certified cheque for five thousand yuan from the account ending in three seven zero one',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.demo.banking.applied.map((a) => a.operation)).toEqual(['bill-payment', 'cheque']);
    expect(spoken(h, session).at(-2)).toBe(
      'Your cheque request is accepted. Cheque number ending in zero zero zero two Fee: ten yuan',
    );
    expect(h.events.of('ivr.session.ended')[0]?.services).toEqual(['bill-payment', 'cheque']);
  });

  it('buys foreign currency at a quoted rate', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('from', { kinds: ['current'], next: 'to' }),
      to: { ...chooseFrom('to'), currencies: ['USD'], next: 'buy' },
      buy: { type: 'fx-purchase', from: 'from', to: 'to', amount: "'100'", next: 'bye', onCancel: 'bye' },
    });
    await login();
    expect(spoken(h, session).at(-2)).toBe(
      'At a rate of seven point one five three four buying one hundred US dollars costs seven hundred fifteen yuan and thirty-four fen',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.demo.banking.account('acc-zw-usd-current')?.balance.minor).toBe(325_000 + 10_000);
    expect(h.demo.banking.account('acc-zw-cny-current')?.balance.minor).toBe(5_234_567 - 71_534);
  });

  it('quotes a stock and places a limit order; a bad lot size takes the error branch with its prompt', async () => {
    const { h, session, login } = verified({
      service: { type: 'stock-quote', symbol: "'600519'", next: 'order' },
      order: {
        type: 'stock-order',
        side: 'buy',
        symbol: "'600519'",
        quantity: "'100'",
        limitPrice: "'1600'",
        next: 'odd',
        onCancel: 'bye',
      },
      odd: {
        type: 'stock-order',
        side: 'buy',
        symbol: "'600519'",
        quantity: '150',
        next: 'bye',
        onCancel: 'bye',
        onError: 'bye',
      },
    });
    await login();
    expect(spoken(h, session)).toContain(
      'Stock code six zero zero five one nine last price one thousand six hundred eighty yuan up one point two five percent',
    );
    expect(spoken(h, session).at(-2)).toBe(
      'You are about to buy one hundred shares of six zero zero five one nine with a limit of one thousand six hundred yuan',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    expect(spoken(h, session)).toContain('Your order is placed and waiting to be filled.');
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({ step: 'odd', code: 'BANK_LOT_SIZE' });
    expect(h.demo.media.promptIds(session.id)).toContain('en/errors/lot-size');
  });

  it('reads deposit and exchange rates', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'deposit-rates', next: 'fx' },
          fx: { type: 'fx-rates', currencies: ['USD'], next: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call({ lang: 'zh' });
    await h.untilInput(session);
    expect(spoken(h)[0]).toBe(
      '人民币存款年利率如下。活期百分之零点一三个月百分之零点八六个月百分之一点零五一年百分之一点三五两年百分之一点四五三年百分之一点七五五年百分之一点八',
    );
    expect(spoken(h)[1]).toBe(
      '外汇牌价，以每一百外币兑人民币计。美元买入价七百一十二点三四卖出价七百一十五点三四',
    );
  });

  it('blocks a lost card after confirmation for a caller identified by number', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'identify', next: 'card', onUnknown: 'bye' },
          card: {
            type: 'choose',
            from: 'cards',
            prompts: ['choose/card'],
            into: 'card',
            next: 'block',
            onEmpty: 'bye',
            onFail: 'bye',
          },
          block: { type: 'lost-card', card: 'card', next: 'bye', onCancel: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    await h.press(session, '1');
    await h.untilInput(session);
    expect(spoken(h).at(-2)).toBe(
      'You are about to report as lost the debit card ending in zero zero zero one The card will be blocked at once.',
    );
    await h.press(session, '1');
    await h.untilInput(session);
    expect(h.demo.banking.customers.get(session.customer!.id)?.cards[0]?.status).toBe('lost');
    expect(spoken(h).at(-2)).toBe('The card is now blocked. A replacement card is on its way.');
  });

  it('lists recent transactions and bill payments with their dates', async () => {
    const { h, session, login } = verified({
      service: chooseFrom('acct', { kinds: ['current'], next: 'list' }),
      list: { type: 'transactions', account: 'acct', count: 2, next: 'paid' },
      paid: { type: 'payment-records', next: 'bye' },
    });
    await login();
    expect(spoken(h, session).slice(-3, -1)).toEqual([
      'Here are your most recent transactions. May fourth twenty twenty-five money out one hundred twenty-eight yuan May first twenty twenty-five money in fifteen thousand yuan',
      'Here are your recent bill payments. May third twenty twenty-five electricity two hundred thirty-six yuan and fifty fen',
    ]);
  });
});

describe('IVR session: control, hand-over, external systems', () => {
  it('branches on tier, time of day and the holiday calendar', async () => {
    const flow = flowOf({
      s1: { type: 'identify', next: 'route', onUnknown: 'bye' },
      route: {
        type: 'branch',
        cases: [
          { when: 'isHoliday()', goto: 'holiday' },
          {
            when: "customer.tier == 'affluent' and hour() >= 9 and hour() < 17 and weekday() <= 5",
            goto: 'office',
          },
        ],
        otherwise: 'bye',
      },
      holiday: { type: 'hangup', outcome: 'failed' },
      office: { type: 'set', assign: { routed: "'office'", n: 'hour() * 100 + minute()' }, next: 'bye' },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    const session = h.call();
    await h.untilInput(session);
    expect(session.path).toEqual(['s1', 'route', 'office', 'bye']);
    expect(session.variable('n')).toBe(1000);
    const holiday = createIvrHarness({ flows: [flow], holidays: ['2025-05-06'] });
    const other = holiday.call();
    await holiday.untilInput(other);
    expect(other.path).toEqual(['s1', 'route', 'holiday']);
  });

  it('hands over to a queue with priority and the context the agent needs', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'identify', next: 'menu', onUnknown: 'bye' },
          menu: {
            type: 'menu',
            prompts: ['menu/main'],
            choices: { '0': { goto: 'agent', intent: 'agent-request' } },
            onFail: 'bye',
          },
          agent: {
            type: 'queue',
            queue: 'general',
            priority: "customer.tier == 'private' ? 5 : customer.tier == 'affluent' ? 3 : 1",
            intent: 'agent-request',
            data: { menuIntent: 'intent' },
            prompts: ['queue/agent'],
          },
          bye,
        }),
      ],
    });
    let ended: unknown;
    const session = h.engine.start({
      callId: 'c9',
      flowId: 'test',
      callerNumber: '13800000001',
      onEnd: (s) => {
        ended = s;
      },
    });
    await h.untilInput(session);
    await h.press(session, '0');
    await h.untilInput(session);
    expect(h.demo.queue.handOvers).toEqual([
      {
        sessionId: 's1',
        callId: 'c9',
        queue: 'general',
        priority: 3,
        data: {
          customerId: 'cust-zhang-wei',
          verification: 'caller',
          verificationId: null,
          tier: 'affluent',
          intent: 'agent-request',
          language: 'en',
          callerNumber: '13800000001',
          ivrPath: ['s1', 'menu', 'agent'],
          extra: { menuIntent: 'agent-request' },
        },
      },
    ]);
    expect(ended).toEqual({ sessionId: 's1', outcome: 'agent', endedBy: 'handover', queue: 'general' });
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'agent', handedOverAt: 'agent' });
  });

  it('requests a callback and sends an SMS receipt', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'callback', queue: 'general', intent: 'callback', next: 'sms' },
          sms: {
            type: 'sms',
            message: { zh: '回电单号{id}', en: 'Callback {id} for {amount}' },
            params: { id: "'CB1'", amount: "money('12.5', 'CNY')" },
            next: 'bye',
          },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(h.demo.queue.callbacks[0]).toMatchObject({ number: '13800000001', queue: 'general' });
    expect(h.demo.sms.sent).toEqual([
      { sessionId: 's1', to: '13800000001', text: 'Callback CB1 for 12.50 CNY', lang: 'en' },
    ]);
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'callback' });
  });

  it('calls an external system, keeps its answer, and takes the error branch on timeout or a bad status', async () => {
    const flow = flowOf({
      s1: {
        type: 'http',
        url: 'https://crm.example/notice',
        query: { phone: 'caller' },
        timeoutMs: 1000,
        into: 'notice',
        next: 's2',
        onError: 's2',
      },
      s2: {
        type: 'http',
        method: 'POST',
        url: 'https://crm.example/slow',
        body: { n: '1' },
        timeoutMs: 1000,
        into: 'slow',
        next: 'bye',
        onError: 'fallback',
      },
      fallback: { type: 'hangup', prompts: ['goodbye'], outcome: 'failed' },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    let calls = 0;
    h.demo.http.answer = (request) => {
      calls++;
      if (request.url.endsWith('/notice'))
        return Promise.resolve({ status: 200, body: { text: 'hello', n: [1, 2] } });
      return new Promise((_, reject) =>
        request.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    };
    const session = h.call();
    await h.untilInput(session);
    expect(calls).toBe(2);
    expect(h.demo.http.requests[0]?.query).toEqual({ phone: '13800000001' });
    expect(session.variable('notice')).toEqual({ status: 200, body: { text: 'hello', n: [1, 2] } });
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({
      step: 's2',
      code: 'IVR_PORT_TIMEOUT',
      next: 'fallback',
    });
    expect(h.demo.http.requests[1]?.signal.aborted).toBe(true);
    // The aborted request's late rejection is recorded, not lost.
    expect(h.events.of('ivr.port.late')).toMatchObject([{ label: 'http.POST', ok: false }]);

    const bad = createIvrHarness({ flows: [flow] });
    bad.demo.http.answer = async () => ({ status: 503, body: null });
    const other = bad.call();
    await bad.untilInput(other);
    expect(bad.events.of('ivr.step.failed').map((e) => e.code)).toEqual([
      'IVR_HTTP_STATUS',
      'IVR_HTTP_STATUS',
    ]);
  });

  it('runs a subflow and returns to the step after it; goto jumps', async () => {
    const sub = parseFlow({
      format: 1,
      id: 'sub',
      name: 'Sub',
      defaultLanguage: 'en',
      start: 'a',
      steps: { a: { type: 'play', prompts: ['auth/ok'], next: 'b' }, b: { type: 'return' } },
    });
    const main = flowOf({
      s1: { type: 'subflow', flow: 'sub', next: 'jump' },
      jump: { type: 'goto', to: 'bye' },
      bye,
    });
    const h = createIvrHarness({ flows: [main, sub] });
    const session = h.call();
    await h.untilInput(session);
    expect(session.path).toEqual(['s1', 'sub/a', 'sub/b', 'jump', 'bye']);
    expect(h.demo.media.promptIds()).toEqual(['en/auth/ok', 'en/goodbye']);
  });

  it('says digits, numbers, amounts, dates, times and percentages from variables', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf(
          {
            s1: {
              type: 'say',
              parts: [
                { digits: 'code' },
                { number: "'10005'" },
                { amount: "money('12345.67', 'CNY')" },
                { date: "'2024-03-05'", weekday: true },
                { time: 'at' },
                { percent: "'1.35'" },
              ],
              next: 'bye',
            },
            bye,
          },
          { variables: { code: '0001', at: 1_714_888_800_000 } },
        ),
      ],
    });
    const session = h.call({ lang: 'zh' });
    await h.untilInput(session);
    expect(spoken(h)[0]).toBe(
      '零零零幺一万零五一万二千三百四十五元六角七分二零二四年三月五日星期二十四点整百分之一点三五',
    );
  });

  it("a step with no error branch of its own uses the flow's, and with neither ends the call as failed", async () => {
    const withFlowHandler = flowOf(
      {
        s1: { type: 'balance', next: 'bye' },
        sorry: { type: 'hangup', prompts: ['goodbye'], outcome: 'failed' },
        bye,
      },
      { onError: 'sorry' },
    );
    const h = createIvrHarness({ flows: [withFlowHandler] });
    const a = h.call();
    await h.untilInput(a);
    expect(a.path).toEqual(['s1', 'sorry']);
    expect(h.demo.media.promptIds()).toEqual(['en/errors/not-verified', 'en/goodbye']);

    const bare = createIvrHarness({ flows: [flowOf({ s1: { type: 'balance', next: 'bye' }, bye })] });
    const b = bare.call();
    await bare.untilInput(b);
    expect(bare.events.of('ivr.session.ended')[0]).toMatchObject({
      outcome: 'failed',
      lastStep: 's1',
      endedBy: 'flow',
    });
  });

  it('a port that never answers times out into the error branch, and its late answer is recorded', async () => {
    const h = createIvrHarness({
      flows: [flowOf({ s1: { type: 'deposit-rates', next: 'bye', onError: 'bye' }, bye })],
      portTimeoutMs: 2000,
    });
    h.demo.banking.faults.set('depositRates', 'hang');
    const session = h.call();
    await h.settle();
    expect(session.state).toBe('awaiting-port');
    await h.advance(2000);
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({ code: 'IVR_PORT_TIMEOUT' });
    expect(h.demo.media.promptIds()).toEqual(['en/errors/system', 'en/goodbye']);
  });

  it('stops a flow that loops without waiting', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'set', assign: { n: 'coalesce(n, 0) + 1' }, next: 's2' },
          s2: { type: 'goto', to: 's1' },
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(session.state).toBe('ended');
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({ code: 'IVR_LOOP' });
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'failed', endedBy: 'error' });
  });

  it('records a late banking answer after the caller hung up, so nothing is lost', async () => {
    const h = createIvrHarness({ flows: [flowOf({ s1: { type: 'fx-rates', next: 'bye' }, bye })] });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = h.ports.banking.fxRates.bind(h.ports.banking);
    h.ports.banking.fxRates = async (currencies) => {
      await gate;
      return original(currencies);
    };
    const session = h.call();
    await h.settle();
    session.hangup();
    release();
    await h.settle();
    expect(h.events.of('ivr.session.ended')[0]).toMatchObject({ outcome: 'hang-up', lastStep: 's1' });
    expect(h.events.of('ivr.port.late')).toEqual([
      { sessionId: 's1', label: 'banking.fxRates', ok: true, code: null },
    ]);
  });

  it('ignores events after the end and keys that are not DTMF', async () => {
    const h = createIvrHarness({
      flows: [
        flowOf({
          s1: { type: 'menu', prompts: ['menu/main'], choices: { '1': { goto: 'bye' } }, onFail: 'bye' },
          bye,
        }),
      ],
    });
    const session = h.call();
    await h.untilInput(session);
    session.digit('x');
    session.digit('');
    await h.settle();
    expect(session.state).toBe('awaiting-input');
    session.hangup();
    const count = h.events.events.length;
    session.digit('1');
    session.promptFinished('s1/1');
    session.hangup();
    await h.settle();
    expect(h.events.events.length).toBe(count);
  });
});

describe('containment', () => {
  it('reports per flow the shares served, handed over and lost, with the step where callers left', async () => {
    const flow = flowOf({
      s1: {
        type: 'menu',
        prompts: ['menu/main'],
        choices: { '1': { goto: 'rates' }, '0': { goto: 'agent' } },
        onFail: 'bye',
      },
      rates: { type: 'deposit-rates', next: 'bye' },
      agent: { type: 'queue', queue: 'general', intent: 'agent-request' },
      bye,
    });
    const h = createIvrHarness({ flows: [flow] });
    for (const keys of ['1', '1', '0', '']) {
      const session = h.call();
      await h.untilInput(session);
      if (keys) await h.press(session, keys);
      else session.hangup();
      await h.untilInput(session);
    }
    expect(containmentReport(h.events.events)).toEqual([
      {
        flowId: 'test',
        calls: 4,
        selfService: 2,
        agent: 1,
        callback: 0,
        hangUp: 1,
        failed: 0,
        containmentRate: 0.5,
        agentRate: 0.25,
        leftAt: [{ step: 's1', count: 1 }],
        agentFrom: [{ step: 'agent', count: 1 }],
      },
    ]);
  });

  it('skips events that are not session ends, and malformed ones', () => {
    expect(
      containmentReport([
        { type: 'ivr.step.entered', payload: {} },
        { type: 'ivr.session.ended', payload: { flowId: 'x' } },
      ]),
    ).toEqual([]);
  });
});

describe('fault injection sanity', () => {
  it('an injected bank error is a TellerError with its code', async () => {
    const h = createIvrHarness({
      flows: [flowOf({ s1: { type: 'stock-quote', symbol: "'999999'", next: 'bye', onError: 'bye' }, bye })],
    });
    const session = h.call();
    await h.untilInput(session);
    expect(h.events.of('ivr.step.failed')[0]).toMatchObject({ code: 'BANK_SYMBOL_UNKNOWN' });
    expect(h.demo.media.promptIds()).toEqual(['en/errors/not-found', 'en/goodbye']);
    expect(new TellerError('X', 'invalid', 'y')).toBeInstanceOf(Error);
  });
});
