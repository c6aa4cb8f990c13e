import type { AccountId, CurrencyCode, Money } from '../core/index';
import { asId, formatMoney, isCurrencyCode } from '../core/index';
import {
  accountLabel,
  balanceLine,
  billerLabel,
  billPaymentLine,
  billReadBack,
  cardLabel,
  cardReadBack,
  chequeReadBack,
  choiceLine,
  depositRateLine,
  fxRateLine,
  fxReadBack,
  orderReadBack,
  payeeLabel,
  payeeReadBack,
  stockQuoteLine,
  transactionLine,
  transferReadBack,
  Utterance,
} from './announce';
import { ivrError } from './errors';
import type { Value } from './expr';
import type { SayPart, StepOf } from './flow';
import type {
  BillerCategory,
  HandOverData,
  IvrAccount,
  IvrAccountKind,
  IvrAuth,
  IvrBiller,
  IvrCard,
  IvrCardKind,
  IvrPayee,
  VerificationLevel,
} from './ports';
import { billerCategories, ivrAccountKinds, ivrCardKinds } from './ports';
import {
  ask,
  callPort,
  confirm,
  type Gen,
  isRecord,
  moneyValue,
  play,
  positive,
  type StepContext,
  type StepEnd,
  type StepProgram,
  say,
  sayPrompt,
  stringField,
  toValue,
  valueError,
} from './runtime';
import { isLang } from './speech';

/**
 * One program per step type. Each reads its step's fields, talks to the caller and the ports
 * through the effects of `runtime.ts`, and ends by naming where to go. A program that throws
 * takes its step's error branch (the session does that); a money-moving program reads back
 * and asks for confirmation before it calls the bank, and announces only what the bank
 * committed.
 */

const goto = (step: string): StepEnd => ({ to: 'step', step });

const levels: readonly VerificationLevel[] = ['none', 'caller', 'pin'];

function requireLevel(ctx: StepContext, level: VerificationLevel): IvrAuth {
  const auth = ctx.auth;
  if (!auth || levels.indexOf(auth.level) < levels.indexOf(level)) {
    throw ivrError(
      'IVR_VERIFICATION_REQUIRED',
      `step ${ctx.stepPath} needs verification "${level}", the caller has "${ctx.verification}"`,
    );
  }
  return auth;
}

// ---- values the banking steps take from expressions (the objects `choose` stores) ----

function oneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

function accountOf(
  value: Value,
  what: string,
): { id: AccountId; last4: string; kind: IvrAccountKind; currency: CurrencyCode } {
  const kind = stringField(value, 'kind', what);
  const currency = stringField(value, 'currency', what);
  if (!oneOf(ivrAccountKinds, kind) || !isCurrencyCode(currency))
    throw valueError(`${what} is not an account`);
  const id = asId<AccountId>(stringField(value, 'id', what));
  return { id, last4: stringField(value, 'last4', what), kind, currency };
}

function cardOf(value: Value, what: string): { id: string; last4: string; kind: IvrCardKind } {
  const kind = stringField(value, 'kind', what);
  if (!oneOf(ivrCardKinds, kind)) throw valueError(`${what} is not a card`);
  return { id: stringField(value, 'id', what), last4: stringField(value, 'last4', what), kind };
}

function billerOf(
  value: Value,
  what: string,
): { id: string; category: BillerCategory; referenceLast4: string } {
  const category = stringField(value, 'category', what);
  if (!oneOf(billerCategories, category)) throw valueError(`${what} is not a biller`);
  return {
    id: stringField(value, 'id', what),
    category,
    referenceLast4: stringField(value, 'referenceLast4', what),
  };
}

function moneyToValue(m: Money): Value {
  return { minor: m.minor, currency: m.currency };
}

function accountToValue(a: IvrAccount): Value {
  return {
    id: a.id,
    last4: a.last4,
    kind: a.kind,
    currency: a.currency,
    balance: moneyToValue(a.balance),
    available: moneyToValue(a.available),
  };
}

function scalar(value: Value): string | number | boolean | null {
  if (value === null || typeof value !== 'object') return value;
  return JSON.stringify(value);
}

/** Text for an SMS placeholder: an amount as "100.00 CNY", anything else as it reads. */
function smsText(value: Value): string {
  if (
    isRecord(value) &&
    typeof value.minor === 'number' &&
    typeof value.currency === 'string' &&
    isCurrencyCode(value.currency)
  ) {
    return `${formatMoney({ minor: value.minor, currency: value.currency })} ${value.currency}`;
  }
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---- programs ----

export function programFor(ctx: StepContext): StepProgram {
  const step = ctx.step;
  switch (step.type) {
    case 'play':
      return playStep(ctx, step);
    case 'say':
      return sayStep(ctx, step);
    case 'menu':
      return menuStep(ctx, step);
    case 'collect':
      return collectStep(ctx, step);
    case 'identify':
      return identifyStep(ctx, step);
    case 'language':
      return languageStep(ctx, step);
    case 'authenticate':
      return authenticateStep(ctx, step);
    case 'choose':
      return chooseStep(ctx, step);
    case 'balance':
      return balanceStep(ctx, step);
    case 'transactions':
      return transactionsStep(ctx, step);
    case 'payment-records':
      return paymentRecordsStep(ctx, step);
    case 'transfer':
      return transferStep(ctx, step);
    case 'bill-payment':
      return billPaymentStep(ctx, step);
    case 'cheque':
      return chequeStep(ctx, step);
    case 'deposit-rates':
      return depositRatesStep(ctx, step);
    case 'fx-rates':
      return fxRatesStep(ctx, step);
    case 'fx-purchase':
      return fxPurchaseStep(ctx, step);
    case 'stock-quote':
      return stockQuoteStep(ctx, step);
    case 'stock-order':
      return stockOrderStep(ctx, step);
    case 'lost-card':
      return lostCardStep(ctx, step);
    case 'set':
      return setStep(ctx, step);
    case 'branch':
      return branchStep(ctx, step);
    case 'queue':
      return queueStep(ctx, step);
    case 'callback':
      return callbackStep(ctx, step);
    case 'sms':
      return smsStep(ctx, step);
    case 'http':
      return httpStep(ctx, step);
    case 'subflow':
      return subflowStep(step);
    case 'return':
      return returnStep();
    case 'goto':
      return gotoStep(step);
    case 'hangup':
      return hangupStep(ctx, step);
  }
}

function* playStep(ctx: StepContext, step: StepOf<'play'>): StepProgram {
  yield* say(
    ctx,
    (u) => {
      for (const ref of step.prompts) u.prompt(ref);
    },
    step.bargeIn,
  );
  return goto(step.next);
}

function sayPart(ctx: StepContext, u: Utterance, part: SayPart): void {
  if ('prompt' in part) {
    u.prompt(part.prompt);
    return;
  }
  if ('digits' in part) {
    const v = ctx.evaluate(part.digits);
    if (typeof v !== 'string' && typeof v !== 'number')
      throw valueError(`digits: ${part.digits} is not a string`);
    u.say({ kind: 'digits', value: String(v) });
  } else if ('number' in part) {
    const v = ctx.evaluate(part.number);
    if (typeof v !== 'string' && typeof v !== 'number')
      throw valueError(`number: ${part.number} is not a number`);
    u.say({ kind: 'number', value: v });
  } else if ('percent' in part) {
    const v = ctx.evaluate(part.percent);
    if (typeof v !== 'string' && typeof v !== 'number')
      throw valueError(`percent: ${part.percent} is not a number`);
    u.say({ kind: 'percent', value: v });
  } else if ('amount' in part) {
    u.say({ kind: 'amount', value: moneyValue(ctx.evaluate(part.amount), null, part.amount) });
  } else if ('date' in part) {
    const v = ctx.evaluate(part.date);
    const date = typeof v === 'number' ? ctx.localTime(v).date : v;
    if (typeof date !== 'string') throw valueError(`date: ${part.date} is not a date`);
    u.say({ kind: 'date', value: date, weekday: part.weekday ?? false });
  } else {
    const v = ctx.evaluate(part.time);
    const time = typeof v === 'number' ? ctx.localTime(v).time : v;
    if (typeof time !== 'string') throw valueError(`time: ${part.time} is not a time`);
    u.say({ kind: 'time', value: time });
  }
}

function* sayStep(ctx: StepContext, step: StepOf<'say'>): StepProgram {
  const u = new Utterance(ctx.lang);
  for (const part of step.parts) sayPart(ctx, u, part);
  yield* play(u, step.bargeIn);
  return goto(step.next);
}

function* menuStep(ctx: StepContext, step: StepOf<'menu'>): StepProgram {
  const key = yield* ask(ctx, {
    kind: 'menu',
    prompt: (u) => {
      for (const ref of step.prompts) u.prompt(ref);
    },
    spec: {
      min: 1,
      max: 1,
      terminator: null,
      firstTimeoutMs: step.timeoutMs,
      interDigitTimeoutMs: step.timeoutMs,
    },
    retries: step.retries,
    invalidPrompt: step.invalidPrompt,
    timeoutPrompt: step.timeoutPrompt,
    bargeIn: step.bargeIn,
    masked: false,
    accept: (digits) =>
      digits === step.repeatKey ? 'repeat' : Object.hasOwn(step.choices, digits) ? 'ok' : 'invalid',
  });
  const choice = key === null ? undefined : Object.entries(step.choices).find(([k]) => k === key)?.[1];
  if (!choice) return goto(step.onFail);
  if (choice.intent) ctx.set('intent', choice.intent);
  return goto(choice.goto);
}

function* collectStep(ctx: StepContext, step: StepOf<'collect'>): StepProgram {
  if (step.masked && step.secret) yield* ctx.pauseRecording(step.secret);
  try {
    const entry = yield* ask(ctx, {
      kind: 'collect',
      prompt: (u) => {
        for (const ref of step.prompts) u.prompt(ref);
      },
      spec: {
        min: step.min,
        max: step.max,
        terminator: step.terminator,
        firstTimeoutMs: step.timeoutMs,
        interDigitTimeoutMs: step.interDigitTimeoutMs,
      },
      retries: step.retries,
      invalidPrompt: step.invalidPrompt,
      timeoutPrompt: step.timeoutPrompt,
      bargeIn: step.bargeIn,
      masked: step.masked,
      flushFirst: step.masked,
      accept: (digits) => {
        const pattern = step.decimalKey ? /^\d+(?:\*\d{1,2})?$/ : /^\d+$/;
        const length = digits.replace('*', '').length;
        return pattern.test(digits) && length >= step.min && length <= step.max ? 'ok' : 'invalid';
      },
    });
    if (entry === null) return goto(step.onFail);
    if (step.masked) ctx.setSecret(step.into, entry);
    else ctx.set(step.into, step.decimalKey ? entry.replace('*', '.') : entry);
    return goto(step.next);
  } finally {
    if (step.masked) ctx.resumeRecording();
  }
}

function* identifyStep(ctx: StepContext, step: StepOf<'identify'>): StepProgram {
  const caller = ctx.callerNumber;
  if (!caller) return goto(step.onUnknown);
  const customer = yield* callPort(ctx, 'customers.findByPhone', () =>
    ctx.ports.customers.findByPhone(caller),
  );
  if (!customer) return goto(step.onUnknown);
  if (!ctx.auth || ctx.auth.customerId !== customer.id) {
    ctx.identify(customer, { customerId: customer.id, level: 'caller', callerNumber: caller, token: null });
  }
  return goto(step.next);
}

function* languageStep(ctx: StepContext, step: StepOf<'language'>): StepProgram {
  const lang = ctx.evaluate(step.value);
  if (!isLang(lang)) throw valueError(`language ${JSON.stringify(lang)} is not zh or en`);
  ctx.setLanguage(lang);
  const customer = ctx.customer;
  let remembered = false;
  if (step.remember && customer && customer.language !== lang) {
    try {
      yield* callPort(ctx, 'customers.rememberLanguage', () =>
        ctx.ports.customers.rememberLanguage(customer.id, lang),
      );
      remembered = true;
    } catch (error) {
      // Not remembering the choice must not cost the caller the call; the failure is reported.
      ctx.report(error, `remembering the language of ${ctx.sessionId}`);
    }
  }
  ctx.emit('ivr.language.changed', { sessionId: ctx.sessionId, lang, remembered });
  return goto(step.next);
}

function* authenticateStep(ctx: StepContext, step: StepOf<'authenticate'>): StepProgram {
  const pin = ctx.takeSecret(step.pin);
  const card = step.card ? (ctx.takeSecret(step.card) ?? null) : null;
  if (pin === undefined) throw valueError(`no PIN was keyed into ${step.pin}`);
  if (step.card && card === null) throw valueError(`no card number was keyed into ${step.card}`);
  const customer = ctx.customer;
  if (!card && !customer)
    throw ivrError('IVR_NOT_IDENTIFIED', 'a PIN alone needs a caller identified by number');
  const check = yield* callPort(ctx, 'banking.verifyPin', () =>
    ctx.ports.banking.verifyPin({
      customerId: card ? null : (customer?.id ?? null),
      cardOrAccount: card,
      pin,
      callerNumber: ctx.callerNumber,
    }),
  );
  const masked = card ? `${'*'.repeat(Math.max(0, card.length - 4))}${card.slice(-4)}` : null;
  const base = { sessionId: ctx.sessionId, card: masked };
  switch (check.outcome) {
    case 'verified':
      ctx.identify(check.customer, check.auth);
      ctx.set('authAttemptsLeft', null);
      ctx.emit('ivr.auth.result', {
        ...base,
        result: 'verified',
        customerId: check.customer.id,
        attemptsLeft: null,
      });
      return goto(step.next);
    case 'invalid':
      ctx.set('authAttemptsLeft', check.attemptsLeft);
      ctx.emit('ivr.auth.result', {
        ...base,
        result: 'invalid',
        customerId: customer?.id ?? null,
        attemptsLeft: check.attemptsLeft,
      });
      return goto(step.onInvalid);
    case 'locked':
      ctx.emit('ivr.auth.result', {
        ...base,
        result: 'locked',
        customerId: customer?.id ?? null,
        attemptsLeft: 0,
      });
      return goto(step.onLocked);
    case 'unknown':
      ctx.emit('ivr.auth.result', { ...base, result: 'unknown', customerId: null, attemptsLeft: null });
      return goto(step.onUnknown);
  }
}

interface Choice {
  id: string;
  value: Value;
  label: (u: Utterance) => void;
}

function* chooseItems(ctx: StepContext, step: StepOf<'choose'>): Gen<Choice[]> {
  const kinds: readonly string[] | undefined = step.kinds;
  const currencies: readonly string[] | undefined = step.currencies;
  const keep = (kind: string | null, currency: string | null) =>
    (!kinds || kind === null || kinds.includes(kind)) &&
    (!currencies || currency === null || currencies.includes(currency));
  switch (step.from) {
    case 'accounts': {
      const auth = requireLevel(ctx, 'pin');
      const list: IvrAccount[] = yield* callPort(ctx, 'banking.accounts', () =>
        ctx.ports.banking.accounts(auth),
      );
      return list
        .filter((a) => keep(a.kind, a.currency))
        .map((a) => ({
          id: a.id,
          value: accountToValue(a),
          label: (u: Utterance) => void accountLabel(u, a),
        }));
    }
    case 'payees': {
      const auth = requireLevel(ctx, 'pin');
      const list: IvrPayee[] = yield* callPort(ctx, 'banking.payees', () => ctx.ports.banking.payees(auth));
      return list
        .filter((p) => keep(null, p.currency))
        .map((p) => ({ id: p.id, value: { ...p }, label: (u: Utterance) => void payeeLabel(u, p) }));
    }
    case 'billers': {
      const auth = requireLevel(ctx, 'pin');
      const list: IvrBiller[] = yield* callPort(ctx, 'banking.billers', () =>
        ctx.ports.banking.billers(auth),
      );
      return list
        .filter((b) => keep(null, b.currency))
        .map((b) => ({ id: b.id, value: { ...b }, label: (u: Utterance) => void billerLabel(u, b) }));
    }
    case 'cards': {
      const auth = requireLevel(ctx, 'caller');
      const list: IvrCard[] = yield* callPort(ctx, 'banking.cards', () => ctx.ports.banking.cards(auth));
      return list
        .filter((c) => c.status !== 'lost' && c.status !== 'stolen' && keep(c.kind, null))
        .map((c) => ({ id: c.id, value: { ...c }, label: (u: Utterance) => void cardLabel(u, c) }));
    }
  }
}

function* chooseStep(ctx: StepContext, step: StepOf<'choose'>): StepProgram {
  const excluded = step.exclude ? ctx.evaluate(step.exclude) : null;
  const excludedId = isRecord(excluded) ? excluded.id : excluded;
  const items = (yield* chooseItems(ctx, step)).filter((item) => item.id !== excludedId).slice(0, 9);
  if (items.length === 0) return goto(step.onEmpty);
  if (items.length === 1) {
    // One candidate: no menu to sit through; the read-back that follows names it.
    ctx.set(step.into, items[0]!.value);
    return goto(step.next);
  }
  const key = yield* ask(ctx, {
    kind: 'choose',
    prompt: (u) => {
      for (const ref of step.prompts) u.prompt(ref);
      items.forEach((item, i) => {
        choiceLine(u, String(i + 1), item.label);
      });
    },
    spec: {
      min: 1,
      max: 1,
      terminator: null,
      firstTimeoutMs: step.timeoutMs,
      interDigitTimeoutMs: step.timeoutMs,
    },
    retries: step.retries,
    invalidPrompt: 'errors/invalid',
    timeoutPrompt: 'errors/no-input',
    bargeIn: true,
    masked: false,
    accept: (digits) => (/^[1-9]$/.test(digits) && Number(digits) <= items.length ? 'ok' : 'invalid'),
  });
  if (key === null) return goto(step.onFail);
  ctx.set(step.into, items[Number(key) - 1]!.value);
  return goto(step.next);
}

function* balanceStep(ctx: StepContext, step: StepOf<'balance'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const wanted = step.account ? accountOf(ctx.evaluate(step.account), step.account).id : null;
  const accounts = yield* callPort(ctx, 'banking.accounts', () => ctx.ports.banking.accounts(auth));
  const shown = accounts.filter((a) =>
    wanted ? a.id === wanted : a.kind === 'current' || a.kind === 'savings',
  );
  if (shown.length === 0) throw ivrError('IVR_STEP_VALUE', 'no account to announce');
  yield* say(ctx, (u) => {
    for (const account of shown) balanceLine(u, account);
  });
  ctx.set('accounts', shown.map(accountToValue));
  ctx.serviceDone('balance');
  return goto(step.next);
}

function* transactionsStep(ctx: StepContext, step: StepOf<'transactions'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const account = accountOf(ctx.evaluate(step.account), step.account);
  const list = yield* callPort(ctx, 'banking.recentTransactions', () =>
    ctx.ports.banking.recentTransactions(auth, account.id, step.count),
  );
  yield* say(ctx, (u) => {
    if (list.length === 0) u.prompt('txn/none');
    else {
      u.prompt('txn/intro');
      for (const t of list.slice(0, step.count)) transactionLine(u, ctx.localTime(t.at).date, t.amount);
    }
  });
  ctx.serviceDone('transactions');
  return goto(step.next);
}

function* paymentRecordsStep(ctx: StepContext, step: StepOf<'payment-records'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const list = yield* callPort(ctx, 'banking.billPayments', () =>
    ctx.ports.banking.billPayments(auth, step.count),
  );
  yield* say(ctx, (u) => {
    if (list.length === 0) u.prompt('pay/none');
    else {
      u.prompt('pay/intro');
      for (const p of list.slice(0, step.count)) billPaymentLine(u, ctx.localTime(p.at).date, p);
    }
  });
  ctx.serviceDone('payment-records');
  return goto(step.next);
}

/** Read back, confirm, and on "1" run the bank's request; null when the caller cancelled. */
function* confirmThen<T>(
  ctx: StepContext,
  readBack: (u: Utterance) => void,
  run: () => Gen<T>,
): Gen<T | null> {
  const u = new Utterance(ctx.lang);
  readBack(u);
  if (!(yield* confirm(ctx, u))) {
    yield* sayPrompt(ctx, 'confirm/cancelled');
    return null;
  }
  return yield* run();
}

function done(ctx: StepContext, operation: string, idempotencyKey: string, reference: string | null): void {
  ctx.emit('ivr.banking.done', {
    sessionId: ctx.sessionId,
    step: ctx.stepPath,
    operation,
    idempotencyKey,
    reference,
  });
  ctx.serviceDone(operation);
}

function* transferStep(ctx: StepContext, step: StepOf<'transfer'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const from = accountOf(ctx.evaluate(step.from), step.from);
  const amount = positive(moneyValue(ctx.evaluate(step.amount), from.currency, 'the amount'), 'the amount');
  const key = ctx.idempotencyKey();
  let receipt: Awaited<ReturnType<typeof ctx.ports.banking.transferOwn>> | null;
  if (step.to !== undefined) {
    const to = accountOf(ctx.evaluate(step.to), step.to);
    receipt = yield* confirmThen(
      ctx,
      (u) => void transferReadBack(u, from.last4, to.last4, amount),
      () =>
        callPort(ctx, 'banking.transferOwn', () =>
          ctx.ports.banking.transferOwn(auth, { from: from.id, to: to.id, amount, idempotencyKey: key }),
        ),
    );
  } else {
    const payee = ctx.evaluate(step.payee ?? 'null');
    const payeeId = stringField(payee, 'id', 'the payee');
    const payeeLast4 = stringField(payee, 'last4', 'the payee');
    receipt = yield* confirmThen(
      ctx,
      (u) => void payeeReadBack(u, from.last4, payeeLast4, amount),
      () =>
        callPort(ctx, 'banking.transferToPayee', () =>
          ctx.ports.banking.transferToPayee(auth, { from: from.id, payeeId, amount, idempotencyKey: key }),
        ),
    );
  }
  if (!receipt) return goto(step.onCancel);
  done(ctx, 'transfer', key, receipt.transactionId);
  ctx.set('receipt', { transactionId: receipt.transactionId, amount: moneyToValue(amount) });
  const balanceAfter = receipt.balanceAfter;
  yield* say(ctx, (u) => {
    u.prompt('result/transfer-ok');
    if (balanceAfter) u.prompt('result/balance-after').say({ kind: 'amount', value: balanceAfter });
  });
  return goto(step.next);
}

function* billPaymentStep(ctx: StepContext, step: StepOf<'bill-payment'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const from = accountOf(ctx.evaluate(step.from), step.from);
  const biller = billerOf(ctx.evaluate(step.biller), step.biller);
  const amount = positive(moneyValue(ctx.evaluate(step.amount), from.currency, 'the amount'), 'the amount');
  const key = ctx.idempotencyKey();
  const receipt = yield* confirmThen(
    ctx,
    (u) => void billReadBack(u, from.last4, biller, amount),
    () =>
      callPort(ctx, 'banking.payBill', () =>
        ctx.ports.banking.payBill(auth, { from: from.id, billerId: biller.id, amount, idempotencyKey: key }),
      ),
  );
  if (!receipt) return goto(step.onCancel);
  done(ctx, 'bill-payment', key, receipt.transactionId);
  ctx.set('receipt', { transactionId: receipt.transactionId, amount: moneyToValue(amount) });
  yield* sayPrompt(ctx, 'result/bill-ok');
  return goto(step.next);
}

function* chequeStep(ctx: StepContext, step: StepOf<'cheque'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const from = accountOf(ctx.evaluate(step.from), step.from);
  const amount = positive(moneyValue(ctx.evaluate(step.amount), from.currency, 'the amount'), 'the amount');
  const key = ctx.idempotencyKey();
  const receipt = yield* confirmThen(
    ctx,
    (u) => void chequeReadBack(u, from.last4, amount),
    () =>
      callPort(ctx, 'banking.requestCheque', () =>
        ctx.ports.banking.requestCheque(auth, { from: from.id, amount, idempotencyKey: key }),
      ),
  );
  if (!receipt) return goto(step.onCancel);
  done(ctx, 'cheque', key, receipt.transactionId);
  ctx.set('receipt', {
    transactionId: receipt.transactionId,
    chequeNumber: receipt.chequeNumber,
    amount: moneyToValue(amount),
    fee: moneyToValue(receipt.fee),
  });
  yield* say(ctx, (u) => {
    u.prompt('result/cheque-ok').say({ kind: 'digits', value: receipt.chequeNumber.slice(-4) });
    u.prompt('result/fee').say({ kind: 'amount', value: receipt.fee });
  });
  return goto(step.next);
}

function* depositRatesStep(ctx: StepContext, step: StepOf<'deposit-rates'>): StepProgram {
  const rates = yield* callPort(ctx, 'banking.depositRates', () =>
    ctx.ports.banking.depositRates(step.currency),
  );
  yield* say(ctx, (u) => {
    u.prompt('rates/deposit-intro');
    for (const rate of rates) depositRateLine(u, rate.term, rate.ratePercent);
  });
  ctx.serviceDone('deposit-rates');
  return goto(step.next);
}

function* fxRatesStep(ctx: StepContext, step: StepOf<'fx-rates'>): StepProgram {
  const rates = yield* callPort(ctx, 'banking.fxRates', () => ctx.ports.banking.fxRates(step.currencies));
  yield* say(ctx, (u) => {
    u.prompt('rates/fx-intro');
    for (const rate of rates) fxRateLine(u, rate);
  });
  ctx.serviceDone('fx-rates');
  return goto(step.next);
}

function* fxPurchaseStep(ctx: StepContext, step: StepOf<'fx-purchase'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const from = accountOf(ctx.evaluate(step.from), step.from);
  const to = accountOf(ctx.evaluate(step.to), step.to);
  const buy = positive(moneyValue(ctx.evaluate(step.amount), to.currency, 'the amount'), 'the amount');
  const quote = yield* callPort(ctx, 'banking.fxQuote', () =>
    ctx.ports.banking.fxQuote(auth, { from: from.id, to: to.id, buy }),
  );
  const key = ctx.idempotencyKey();
  const receipt = yield* confirmThen(
    ctx,
    (u) => void fxReadBack(u, quote.rate, quote.buy, quote.sell),
    () =>
      callPort(ctx, 'banking.fxConvert', () =>
        ctx.ports.banking.fxConvert(auth, { quoteId: quote.quoteId, idempotencyKey: key }),
      ),
  );
  if (!receipt) return goto(step.onCancel);
  done(ctx, 'fx-purchase', key, receipt.transactionId);
  ctx.set('receipt', {
    transactionId: receipt.transactionId,
    amount: moneyToValue(quote.buy),
    cost: moneyToValue(quote.sell),
  });
  yield* sayPrompt(ctx, 'result/fx-ok');
  return goto(step.next);
}

function symbolOf(ctx: StepContext, source: string): string {
  const v = ctx.evaluate(source);
  const symbol = typeof v === 'number' ? String(v) : v;
  if (typeof symbol !== 'string' || !/^\d{6}$/.test(symbol))
    throw valueError(`${source} is not a six-digit stock code`);
  return symbol;
}

function* stockQuoteStep(ctx: StepContext, step: StepOf<'stock-quote'>): StepProgram {
  const symbol = symbolOf(ctx, step.symbol);
  const quote = yield* callPort(ctx, 'banking.stockQuote', () => ctx.ports.banking.stockQuote(symbol));
  yield* say(ctx, (u) => {
    if (!quote.marketOpen) u.prompt('stock/closed');
    stockQuoteLine(u, quote);
  });
  ctx.serviceDone('stock-quote');
  return goto(step.next);
}

function* stockOrderStep(ctx: StepContext, step: StepOf<'stock-order'>): StepProgram {
  const auth = requireLevel(ctx, 'pin');
  const symbol = symbolOf(ctx, step.symbol);
  const rawQuantity = ctx.evaluate(step.quantity);
  const quantity =
    typeof rawQuantity === 'string' && /^\d{1,9}$/.test(rawQuantity) ? Number(rawQuantity) : rawQuantity;
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity <= 0) {
    throw ivrError('IVR_AMOUNT_INVALID', `${step.quantity} is not a number of shares`);
  }
  const quote = yield* callPort(ctx, 'banking.stockQuote', () => ctx.ports.banking.stockQuote(symbol));
  const limitPrice = step.limitPrice
    ? positive(
        moneyValue(ctx.evaluate(step.limitPrice), quote.price.currency, 'the limit price'),
        'the limit price',
      )
    : null;
  const key = ctx.idempotencyKey();
  const order = { side: step.side, symbol, quantity, limitPrice };
  const result = yield* confirmThen(
    ctx,
    (u) => void orderReadBack(u, order),
    () =>
      callPort(ctx, 'banking.stockOrder', () =>
        ctx.ports.banking.stockOrder(auth, { ...order, idempotencyKey: key }),
      ),
  );
  if (!result) return goto(step.onCancel);
  done(ctx, 'stock-order', key, result.orderId);
  ctx.set('order', { orderId: result.orderId, status: result.status });
  const fillPrice = result.fillPrice;
  yield* say(ctx, (u) => {
    if (result.status === 'filled' && fillPrice)
      u.prompt('result/order-filled').say({ kind: 'amount', value: fillPrice });
    else u.prompt('result/order-open');
  });
  return goto(step.next);
}

function* lostCardStep(ctx: StepContext, step: StepOf<'lost-card'>): StepProgram {
  const auth = requireLevel(ctx, 'caller');
  const card = cardOf(ctx.evaluate(step.card), step.card);
  const reason = ctx.evaluate(step.reason);
  if (reason !== 'lost' && reason !== 'stolen')
    throw valueError(`reason ${JSON.stringify(reason)} is not lost or stolen`);
  const key = ctx.idempotencyKey();
  const report = yield* confirmThen(
    ctx,
    (u) => void cardReadBack(u, card, reason),
    () =>
      callPort(ctx, 'banking.reportCard', () =>
        ctx.ports.banking.reportCard(auth, { cardId: card.id, reason, idempotencyKey: key }),
      ),
  );
  if (!report) return goto(step.onCancel);
  done(ctx, 'lost-card', key, report.cardId);
  ctx.set('blockedCard', { id: card.id, last4: card.last4, kind: card.kind });
  yield* say(ctx, (u) => {
    u.prompt('result/card-blocked');
    if (report.replacementRequested) u.prompt('result/replacement');
  });
  return goto(step.next);
}

function* setStep(ctx: StepContext, step: StepOf<'set'>): StepProgram {
  const values = Object.entries(step.assign).map(([name, source]) => [name, ctx.evaluate(source)] as const);
  for (const [name, value] of values) ctx.set(name, value);
  return goto(step.next);
}

// biome-ignore lint/correctness/useYield: a step that only decides still has a program's shape
function* branchStep(ctx: StepContext, step: StepOf<'branch'>): StepProgram {
  for (const c of step.cases) {
    const v = ctx.evaluate(c.when);
    if (v !== null && v !== false && v !== 0 && v !== '') return goto(c.goto);
  }
  return goto(step.otherwise);
}

function handOverData(ctx: StepContext, intent: string, data: Record<string, string>): HandOverData {
  const extra: HandOverData['extra'] = {};
  for (const [key, source] of Object.entries(data)) extra[key] = scalar(ctx.evaluate(source));
  return {
    customerId: ctx.customer?.id ?? null,
    verification: ctx.verification,
    verificationId: ctx.auth && ctx.auth.customerId === ctx.customer?.id ? ctx.auth.token : null,
    tier: ctx.customer?.tier ?? null,
    intent,
    language: ctx.lang,
    callerNumber: ctx.callerNumber,
    ivrPath: [...ctx.path],
    extra,
  };
}

function priorityOf(ctx: StepContext, source: string): number {
  const v = ctx.evaluate(source);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw valueError(`priority ${source} is not a number`);
  return Math.min(10, Math.max(0, Math.round(v)));
}

function* queueStep(ctx: StepContext, step: StepOf<'queue'>): StepProgram {
  const priority = priorityOf(ctx, step.priority);
  const data = handOverData(ctx, step.intent, step.data);
  yield* say(
    ctx,
    (u) => {
      for (const ref of step.prompts) u.prompt(ref);
    },
    false,
  );
  const { ticket } = yield* callPort(ctx, 'queue.handOver', () =>
    ctx.ports.queue.handOver({
      sessionId: ctx.sessionId,
      callId: ctx.callId,
      queue: step.queue,
      priority,
      data,
    }),
  );
  ctx.emit('ivr.handover', {
    sessionId: ctx.sessionId,
    queue: step.queue,
    priority,
    intent: step.intent,
    ticket,
    customerId: data.customerId,
    verification: data.verification,
  });
  ctx.markHandOver('agent');
  return { to: 'handed-over', queue: step.queue };
}

function* callbackStep(ctx: StepContext, step: StepOf<'callback'>): StepProgram {
  const number = step.number ? ctx.evaluate(step.number) : ctx.callerNumber;
  if (typeof number !== 'string' || !/^\+?\d{3,20}$/.test(number)) throw valueError('no number to call back');
  const priority = priorityOf(ctx, step.priority);
  const data = handOverData(ctx, step.intent, step.data);
  const { callbackId } = yield* callPort(ctx, 'queue.requestCallback', () =>
    ctx.ports.queue.requestCallback({ sessionId: ctx.sessionId, queue: step.queue, number, priority, data }),
  );
  ctx.emit('ivr.callback.requested', {
    sessionId: ctx.sessionId,
    queue: step.queue,
    callbackId,
    intent: step.intent,
  });
  ctx.markHandOver('callback');
  return goto(step.next);
}

function* smsStep(ctx: StepContext, step: StepOf<'sms'>): StepProgram {
  const to = step.to ? ctx.evaluate(step.to) : ctx.callerNumber;
  if (typeof to !== 'string' || !/^\+?\d{3,20}$/.test(to))
    throw valueError('no number to send the message to');
  const params = new Map(
    Object.entries(step.params).map(([name, source]) => [name, smsText(ctx.evaluate(source))]),
  );
  const text = step.message[ctx.lang].replace(/\{([^}]*)\}/g, (_, name: string) => params.get(name) ?? '');
  const { messageId } = yield* callPort(ctx, 'sms.send', () =>
    ctx.ports.sms.send({ sessionId: ctx.sessionId, to, text, lang: ctx.lang }),
  );
  ctx.emit('ivr.sms.sent', { sessionId: ctx.sessionId, messageId });
  yield* sayPrompt(ctx, 'sms/sent');
  return goto(step.next);
}

function* httpStep(ctx: StepContext, step: StepOf<'http'>): StepProgram {
  const query: Record<string, string> = {};
  for (const [name, source] of Object.entries(step.query)) {
    const v = ctx.evaluate(source);
    query[name] = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  let body: Record<string, unknown> | null = null;
  if (step.body) {
    body = {};
    for (const [name, source] of Object.entries(step.body)) body[name] = ctx.evaluate(source);
  }
  const response = yield* callPort(
    ctx,
    `http.${step.method}`,
    (signal) =>
      ctx.ports.http.request({
        method: step.method,
        url: step.url,
        query,
        body,
        timeoutMs: step.timeoutMs,
        signal,
      }),
    step.timeoutMs,
  );
  if (response.status < 200 || response.status > 299) {
    throw ivrError('IVR_HTTP_STATUS', `${step.method} ${step.url} answered ${response.status}`);
  }
  ctx.set(step.into, { status: response.status, body: toValue(response.body) });
  return goto(step.next);
}

// biome-ignore lint/correctness/useYield: control steps only name where to go
function* subflowStep(step: StepOf<'subflow'>): StepProgram {
  return { to: 'subflow', flow: step.flow, returnTo: step.next };
}

// biome-ignore lint/correctness/useYield: as above
function* returnStep(): StepProgram {
  return { to: 'return' };
}

// biome-ignore lint/correctness/useYield: as above
function* gotoStep(step: StepOf<'goto'>): StepProgram {
  return goto(step.to);
}

function* hangupStep(ctx: StepContext, step: StepOf<'hangup'>): StepProgram {
  yield* say(
    ctx,
    (u) => {
      for (const ref of step.prompts) u.prompt(ref);
    },
    false,
  );
  return { to: 'hangup', outcome: step.outcome };
}

/** After a failure: the prompt that answers the error, then the error branch (or the end of the call). */
export function* errorProgram(ctx: StepContext, prompt: string, next: string | null): StepProgram {
  yield* play(new Utterance(ctx.lang).prompt(prompt), true);
  return next ? goto(next) : { to: 'hangup', outcome: 'failed' };
}
