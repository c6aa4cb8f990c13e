import {
  type AccountId,
  asId,
  type Clock,
  type CurrencyCode,
  type CustomerId,
  divideHalfEven,
  type ErrorKind,
  type Money,
  TellerError,
} from '../core/index';
import type {
  DepositTerm,
  HandOverData,
  IvrAccount,
  IvrAuth,
  IvrBanking,
  IvrBiller,
  IvrBillPayment,
  IvrCalendar,
  IvrCard,
  IvrCustomer,
  IvrCustomers,
  IvrHttp,
  IvrHttpRequest,
  IvrMedia,
  IvrPayee,
  IvrPorts,
  IvrQueue,
  IvrRecording,
  IvrSms,
  IvrTransaction,
  PinCheck,
  PinCheckRequest,
} from './ports';
import type { Lang } from './speech';

/**
 * In-memory ports with the demo bank's two named customers, for the IVR's own tests and for
 * `simulateIvr` until the real adapters (banking, acd, media, channels) are wired in. They
 * keep the rules the IVR relies on — PIN lockout after three failures, idempotency keys that
 * replay the first outcome, insufficient funds, lot sizes, quote expiry — but they are not the
 * bank: the real `CoreBanking` adapter replaces them in the running system.
 */

function bankError(code: string, kind: ErrorKind, message: string): TellerError {
  return new TellerError(code, kind, message);
}

interface DemoAccount extends IvrAccount {
  number: string;
  customerId: CustomerId;
  history: IvrTransaction[];
}

interface DemoCustomer {
  customer: IvrCustomer;
  phone: string;
  pin: string;
  failures: number;
  locked: boolean;
  cards: (IvrCard & { number: string })[];
  payees: IvrPayee[];
  billers: IvrBiller[];
  payments: IvrBillPayment[];
}

const money = (minor: number, currency: CurrencyCode): Money => ({ minor, currency });

function account(
  customerId: CustomerId,
  id: string,
  number: string,
  kind: IvrAccount['kind'],
  balance: Money,
): DemoAccount {
  return {
    id: asId<AccountId>(id),
    number,
    customerId,
    last4: number.slice(-4),
    kind,
    currency: balance.currency,
    balance,
    available: balance,
    history: [],
  };
}

/** A fault to inject into the next call of a banking method: an error, or no answer at all. */
export type Fault = TellerError | 'hang';

export class MemoryIvrBanking implements IvrBanking {
  readonly customers = new Map<CustomerId, DemoCustomer>();
  readonly accounts_ = new Map<AccountId, DemoAccount>();
  /** Money-moving requests in the order they were applied (a replayed key is not applied again). */
  readonly applied: { operation: string; idempotencyKey: string; amount: Money | null }[] = [];
  readonly faults = new Map<keyof IvrBanking, Fault>();
  private readonly outcomes = new Map<string, unknown>();
  private readonly quotes = new Map<
    string,
    { from: AccountId; to: AccountId; sell: Money; buy: Money; expiresAt: number; used: boolean }
  >();
  private sequence = 0;

  constructor(private readonly clock: Clock) {
    const zhang = asId<CustomerId>('cust-zhang-wei');
    const li = asId<CustomerId>('cust-li-na');
    const day = 86_400_000;
    const now = clock.now();
    this.addCustomer(
      {
        customer: { id: zhang, tier: 'affluent', language: null },
        phone: '13800000001',
        pin: '123456',
        failures: 0,
        locked: false,
        cards: [
          { id: 'card-zw-debit', number: '6222020000000001', last4: '0001', kind: 'debit', status: 'active' },
          {
            id: 'card-zw-credit',
            number: '6225880000005001',
            last4: '5001',
            kind: 'credit',
            status: 'active',
          },
        ],
        payees: [{ id: 'payee-zw-1', last4: '7788', currency: 'CNY' }],
        billers: [
          { id: 'bill-zw-power', category: 'electricity', referenceLast4: '4321', currency: 'CNY' },
          { id: 'bill-zw-phone', category: 'telecom', referenceLast4: '0001', currency: 'CNY' },
        ],
        payments: [
          { at: now - 3 * day, category: 'electricity', referenceLast4: '4321', amount: money(23650, 'CNY') },
        ],
      },
      [
        account(zhang, 'acc-zw-cny-current', '6214830000003701', 'current', money(5_234_567, 'CNY')),
        account(zhang, 'acc-zw-cny-savings', '6214830000003702', 'savings', money(20_000_000, 'CNY')),
        account(zhang, 'acc-zw-usd-current', '6214830000003703', 'current', money(325_000, 'USD')),
        account(zhang, 'acc-zw-brokerage', '6214830000003704', 'brokerage', money(10_000_000, 'CNY')),
      ],
    );
    this.addCustomer(
      {
        customer: { id: li, tier: 'private', language: 'en' },
        phone: '13800000002',
        pin: '654321',
        failures: 0,
        locked: false,
        cards: [
          { id: 'card-ln-debit', number: '6222020000000002', last4: '0002', kind: 'debit', status: 'active' },
        ],
        payees: [],
        billers: [],
        payments: [],
      },
      [
        account(li, 'acc-ln-cny-current', '6214830000004801', 'current', money(88_800_000, 'CNY')),
        account(li, 'acc-ln-hkd-savings', '6214830000004802', 'savings', money(1_000_000, 'HKD')),
        account(li, 'acc-ln-eur-current', '6214830000004803', 'current', money(250_000, 'EUR')),
      ],
    );
    const current = this.accounts_.get(asId<AccountId>('acc-zw-cny-current'))!;
    current.history.push(
      { at: now - 2 * day, amount: money(-12_800, 'CNY') },
      { at: now - 5 * day, amount: money(1_500_000, 'CNY') },
    );
  }

  private addCustomer(customer: DemoCustomer, accounts: DemoAccount[]): void {
    this.customers.set(customer.customer.id, customer);
    for (const a of accounts) this.accounts_.set(a.id, a);
  }

  customerByPhone(phone: string): DemoCustomer | undefined {
    return [...this.customers.values()].find((c) => c.phone === phone);
  }

  account(id: string): DemoAccount | undefined {
    return this.accounts_.get(asId<AccountId>(id));
  }

  private fault(method: keyof IvrBanking): Promise<never> | null {
    const fault = this.faults.get(method);
    if (!fault) return null;
    this.faults.delete(method);
    return fault === 'hang' ? new Promise<never>(() => undefined) : Promise.reject(fault);
  }

  private owner(auth: IvrAuth, level: 'caller' | 'pin'): DemoCustomer {
    const customer = this.customers.get(auth.customerId);
    if (!customer) throw bankError('BANK_CUSTOMER_NOT_FOUND', 'not-found', 'no such customer');
    if (level === 'pin' && auth.level !== 'pin') {
      throw bankError('BANK_VERIFICATION_REQUIRED', 'forbidden', 'this operation needs the telephone PIN');
    }
    return customer;
  }

  private own(auth: IvrAuth, id: AccountId): DemoAccount {
    const a = this.accounts_.get(id);
    if (!a || a.customerId !== auth.customerId)
      throw bankError('BANK_ACCOUNT_NOT_FOUND', 'not-found', 'no such account');
    return a;
  }

  /** Replays the first outcome of a key; otherwise runs `apply` and remembers what it returned. */
  private once<T>(key: string, operation: string, amount: Money | null, apply: () => T): T {
    if (this.outcomes.has(key)) return this.outcomes.get(key) as T;
    const result = apply();
    this.outcomes.set(key, result);
    this.applied.push({ operation, idempotencyKey: key, amount });
    return result;
  }

  private move(from: DemoAccount, amount: Money, at: number): void {
    if (from.currency !== amount.currency)
      throw bankError('BANK_CURRENCY_MISMATCH', 'invalid', 'currency mismatch');
    if (from.available.minor < amount.minor) {
      throw bankError('BANK_INSUFFICIENT_FUNDS', 'limit', 'not enough money in the account');
    }
    from.balance = money(from.balance.minor - amount.minor, from.currency);
    from.available = money(from.available.minor - amount.minor, from.currency);
    from.history.unshift({ at, amount: money(-amount.minor, amount.currency) });
  }

  private credit(to: DemoAccount, amount: Money, at: number): void {
    to.balance = money(to.balance.minor + amount.minor, to.currency);
    to.available = money(to.available.minor + amount.minor, to.currency);
    to.history.unshift({ at, amount });
  }

  private reference(prefix: string): string {
    return `${prefix}-${String(++this.sequence).padStart(6, '0')}`;
  }

  async verifyPin(request: PinCheckRequest): Promise<PinCheck> {
    const fault = this.fault('verifyPin');
    if (fault) return fault;
    let customer: DemoCustomer | undefined;
    if (request.cardOrAccount) {
      const number = request.cardOrAccount;
      customer = [...this.customers.values()].find(
        (c) =>
          c.cards.some((card) => card.number === number) ||
          [...this.accounts_.values()].some((a) => a.customerId === c.customer.id && a.number === number),
      );
    } else if (request.customerId) customer = this.customers.get(request.customerId);
    if (!customer) return { outcome: 'unknown' };
    if (customer.locked) return { outcome: 'locked' };
    if (customer.pin !== request.pin) {
      customer.failures++;
      if (customer.failures >= 3) {
        customer.locked = true;
        return { outcome: 'locked' };
      }
      return { outcome: 'invalid', attemptsLeft: 3 - customer.failures };
    }
    customer.failures = 0;
    return {
      outcome: 'verified',
      customer: { ...customer.customer },
      auth: {
        customerId: customer.customer.id,
        level: 'pin',
        callerNumber: request.callerNumber,
        token: `tok-${customer.customer.id}`,
      },
    };
  }

  async accounts(auth: IvrAuth): Promise<IvrAccount[]> {
    const fault = this.fault('accounts');
    if (fault) return fault;
    this.owner(auth, 'pin');
    return [...this.accounts_.values()]
      .filter((a) => a.customerId === auth.customerId)
      .map(({ id, last4, kind, currency, balance, available }) => ({
        id,
        last4,
        kind,
        currency,
        balance,
        available,
      }));
  }

  async recentTransactions(auth: IvrAuth, accountId: AccountId, limit: number): Promise<IvrTransaction[]> {
    const fault = this.fault('recentTransactions');
    if (fault) return fault;
    this.owner(auth, 'pin');
    return this.own(auth, accountId).history.slice(0, limit);
  }

  async billPayments(auth: IvrAuth, limit: number): Promise<IvrBillPayment[]> {
    const fault = this.fault('billPayments');
    if (fault) return fault;
    return this.owner(auth, 'pin').payments.slice(0, limit);
  }

  async payees(auth: IvrAuth): Promise<IvrPayee[]> {
    const fault = this.fault('payees');
    if (fault) return fault;
    return this.owner(auth, 'pin').payees;
  }

  async billers(auth: IvrAuth): Promise<IvrBiller[]> {
    const fault = this.fault('billers');
    if (fault) return fault;
    return this.owner(auth, 'pin').billers;
  }

  async cards(auth: IvrAuth): Promise<IvrCard[]> {
    const fault = this.fault('cards');
    if (fault) return fault;
    return this.owner(auth, 'caller').cards.map(({ id, last4, kind, status }) => ({
      id,
      last4,
      kind,
      status,
    }));
  }

  async transferOwn(
    auth: IvrAuth,
    request: { from: AccountId; to: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<{ transactionId: string; balanceAfter: Money | null }> {
    const fault = this.fault('transferOwn');
    if (fault) return fault;
    this.owner(auth, 'pin');
    return this.once(request.idempotencyKey, 'transfer-own', request.amount, () => {
      const from = this.own(auth, request.from);
      const to = this.own(auth, request.to);
      if (from.id === to.id) throw bankError('BANK_SAME_ACCOUNT', 'invalid', 'same account');
      if (to.currency !== request.amount.currency)
        throw bankError('BANK_CURRENCY_MISMATCH', 'invalid', 'currency mismatch');
      const at = this.clock.now();
      this.move(from, request.amount, at);
      this.credit(to, request.amount, at);
      return { transactionId: this.reference('TX'), balanceAfter: from.balance };
    });
  }

  async transferToPayee(
    auth: IvrAuth,
    request: { from: AccountId; payeeId: string; amount: Money; idempotencyKey: string },
  ): Promise<{ transactionId: string; balanceAfter: Money | null }> {
    const fault = this.fault('transferToPayee');
    if (fault) return fault;
    const customer = this.owner(auth, 'pin');
    return this.once(request.idempotencyKey, 'transfer-payee', request.amount, () => {
      if (!customer.payees.some((p) => p.id === request.payeeId))
        throw bankError('BANK_PAYEE_NOT_FOUND', 'not-found', 'no payee');
      const from = this.own(auth, request.from);
      this.move(from, request.amount, this.clock.now());
      return { transactionId: this.reference('TX'), balanceAfter: from.balance };
    });
  }

  async payBill(
    auth: IvrAuth,
    request: { from: AccountId; billerId: string; amount: Money; idempotencyKey: string },
  ): Promise<{ transactionId: string; balanceAfter: Money | null }> {
    const fault = this.fault('payBill');
    if (fault) return fault;
    const customer = this.owner(auth, 'pin');
    return this.once(request.idempotencyKey, 'bill-payment', request.amount, () => {
      const biller = customer.billers.find((b) => b.id === request.billerId);
      if (!biller) throw bankError('BANK_BILLER_NOT_FOUND', 'not-found', 'no biller');
      const from = this.own(auth, request.from);
      const at = this.clock.now();
      this.move(from, request.amount, at);
      customer.payments.unshift({
        at,
        category: biller.category,
        referenceLast4: biller.referenceLast4,
        amount: request.amount,
      });
      return { transactionId: this.reference('TX'), balanceAfter: from.balance };
    });
  }

  async requestCheque(
    auth: IvrAuth,
    request: { from: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<{ transactionId: string; chequeNumber: string; fee: Money }> {
    const fault = this.fault('requestCheque');
    if (fault) return fault;
    this.owner(auth, 'pin');
    return this.once(request.idempotencyKey, 'cheque', request.amount, () => {
      const from = this.own(auth, request.from);
      const fee = money(1000, from.currency);
      this.move(from, money(request.amount.minor + fee.minor, from.currency), this.clock.now());
      return {
        transactionId: this.reference('TX'),
        chequeNumber: `3088${String(this.sequence).padStart(6, '0')}`,
        fee,
      };
    });
  }

  async depositRates(currency: CurrencyCode): Promise<{ term: DepositTerm; ratePercent: string }[]> {
    const fault = this.fault('depositRates');
    if (fault) return fault;
    if (currency !== 'CNY')
      return [
        { term: 'demand', ratePercent: '0.05' },
        { term: '1y', ratePercent: '0.95' },
      ];
    return [
      { term: 'demand', ratePercent: '0.1' },
      { term: '3m', ratePercent: '0.8' },
      { term: '6m', ratePercent: '1.05' },
      { term: '1y', ratePercent: '1.35' },
      { term: '2y', ratePercent: '1.45' },
      { term: '3y', ratePercent: '1.75' },
      { term: '5y', ratePercent: '1.8' },
    ];
  }

  async fxRates(
    currencies: readonly CurrencyCode[],
  ): Promise<{ currency: CurrencyCode; buy: string; sell: string; per: number }[]> {
    const fault = this.fault('fxRates');
    if (fault) return fault;
    const board: Partial<Record<CurrencyCode, [string, string]>> = {
      USD: ['712.34', '715.34'],
      HKD: ['91.1', '91.47'],
      EUR: ['771.2', '776.9'],
    };
    return currencies.flatMap((currency) => {
      const rate = board[currency];
      return rate ? [{ currency, buy: rate[0], sell: rate[1], per: 100 }] : [];
    });
  }

  async fxQuote(
    auth: IvrAuth,
    request: { from: AccountId; to: AccountId; buy: Money },
  ): Promise<{ quoteId: string; rate: string; sell: Money; buy: Money; expiresAt: number }> {
    const fault = this.fault('fxQuote');
    if (fault) return fault;
    this.owner(auth, 'pin');
    const from = this.own(auth, request.from);
    const to = this.own(auth, request.to);
    const board = await this.fxRates([to.currency]);
    const rate = board[0];
    if (from.currency !== 'CNY' || !rate)
      throw bankError('BANK_CURRENCY_MISMATCH', 'invalid', 'buy foreign currency with yuan');
    // The bank sells at its sell rate (yuan per 100), rounded half to even to the fen.
    const [whole = '0', frac = ''] = rate.sell.split('.');
    const ratePer100Scaled = BigInt(whole + frac.padEnd(4, '0'));
    const sellMinor = divideHalfEven(BigInt(request.buy.minor) * ratePer100Scaled, 1_000_000n);
    const quoteId = this.reference('Q');
    const quote = {
      from: from.id,
      to: to.id,
      sell: money(Number(sellMinor), 'CNY'),
      buy: request.buy,
      expiresAt: this.clock.now() + 60_000,
      used: false,
    };
    this.quotes.set(quoteId, quote);
    const perUnit = (Number(ratePer100Scaled) / 1_000_000).toFixed(4);
    return { quoteId, rate: perUnit, sell: quote.sell, buy: quote.buy, expiresAt: quote.expiresAt };
  }

  async fxConvert(
    auth: IvrAuth,
    request: { quoteId: string; idempotencyKey: string },
  ): Promise<{ transactionId: string; balanceAfter: Money | null }> {
    const fault = this.fault('fxConvert');
    if (fault) return fault;
    this.owner(auth, 'pin');
    return this.once(request.idempotencyKey, 'fx', null, () => {
      const quote = this.quotes.get(request.quoteId);
      if (!quote) throw bankError('BANK_QUOTE_NOT_FOUND', 'not-found', 'no quote');
      if (quote.used) throw bankError('BANK_QUOTE_USED', 'conflict', 'quote used');
      if (this.clock.now() > quote.expiresAt)
        throw bankError('BANK_QUOTE_EXPIRED', 'conflict', 'quote expired');
      const from = this.own(auth, quote.from);
      const to = this.own(auth, quote.to);
      const at = this.clock.now();
      this.move(from, quote.sell, at);
      this.credit(to, quote.buy, at);
      quote.used = true;
      return { transactionId: this.reference('TX'), balanceAfter: from.balance };
    });
  }

  async stockQuote(
    symbol: string,
  ): Promise<{ symbol: string; price: Money; changePercent: string; marketOpen: boolean }> {
    const fault = this.fault('stockQuote');
    if (fault) return fault;
    const board: Record<string, [number, string]> = {
      '600519': [168_000, '1.25'],
      '000001': [1_150, '-0.87'],
    };
    const quote = board[symbol];
    if (!quote) throw bankError('BANK_SYMBOL_UNKNOWN', 'not-found', `no listed symbol ${symbol}`);
    return { symbol, price: money(quote[0], 'CNY'), changePercent: quote[1], marketOpen: true };
  }

  async stockOrder(
    auth: IvrAuth,
    request: {
      symbol: string;
      side: 'buy' | 'sell';
      quantity: number;
      limitPrice: Money | null;
      idempotencyKey: string;
    },
  ): Promise<{
    orderId: string;
    status: 'open' | 'filled' | 'cancelled' | 'expired';
    fillPrice: Money | null;
  }> {
    const fault = this.fault('stockOrder');
    if (fault) return fault;
    this.owner(auth, 'pin');
    const quote = await this.stockQuote(request.symbol);
    return this.once(request.idempotencyKey, 'stock-order', null, () => {
      if (request.quantity % 100 !== 0) throw bankError('BANK_LOT_SIZE', 'invalid', 'lots of 100');
      const crosses =
        request.limitPrice === null ||
        (request.side === 'buy'
          ? request.limitPrice.minor >= quote.price.minor
          : request.limitPrice.minor <= quote.price.minor);
      const brokerage = [...this.accounts_.values()].find(
        (a) => a.customerId === auth.customerId && a.kind === 'brokerage',
      );
      if (!brokerage) throw bankError('BANK_ACCOUNT_NOT_FOUND', 'not-found', 'no brokerage account');
      if (crosses && request.side === 'buy')
        this.move(brokerage, money(quote.price.minor * request.quantity, 'CNY'), this.clock.now());
      return {
        orderId: this.reference('O'),
        status: crosses ? 'filled' : 'open',
        fillPrice: crosses ? quote.price : null,
      };
    });
  }

  async reportCard(
    auth: IvrAuth,
    request: { cardId: string; reason: 'lost' | 'stolen'; idempotencyKey: string },
  ): Promise<{ cardId: string; replacementRequested: boolean }> {
    const fault = this.fault('reportCard');
    if (fault) return fault;
    const customer = this.owner(auth, 'caller');
    return this.once(request.idempotencyKey, 'lost-card', null, () => {
      const card = customer.cards.find((c) => c.id === request.cardId);
      if (!card) throw bankError('BANK_CARD_NOT_FOUND', 'not-found', 'no card');
      if (card.status === 'lost' || card.status === 'stolen') {
        throw bankError('BANK_ILLEGAL_TRANSITION', 'conflict', `card is already ${card.status}`);
      }
      card.status = request.reason;
      return { cardId: card.id, replacementRequested: true };
    });
  }
}

export class MemoryIvrCustomers implements IvrCustomers {
  readonly remembered: { customerId: CustomerId; lang: Lang }[] = [];
  constructor(private readonly bank: MemoryIvrBanking) {}

  async findByPhone(phone: string): Promise<IvrCustomer | null> {
    const found = this.bank.customerByPhone(phone);
    return found ? { ...found.customer } : null;
  }

  async rememberLanguage(customerId: CustomerId, lang: Lang): Promise<void> {
    const found = this.bank.customers.get(customerId);
    if (!found) throw bankError('BANK_CUSTOMER_NOT_FOUND', 'not-found', 'no such customer');
    found.customer.language = lang;
    this.remembered.push({ customerId, lang });
  }
}

export interface HandOverRecord {
  sessionId: string;
  callId: string;
  queue: string;
  priority: number;
  data: HandOverData;
}

export class MemoryIvrQueue implements IvrQueue {
  readonly handOvers: HandOverRecord[] = [];
  readonly callbacks: {
    sessionId: string;
    queue: string;
    number: string;
    priority: number;
    data: HandOverData;
  }[] = [];

  async handOver(request: HandOverRecord): Promise<{ ticket: string }> {
    this.handOvers.push(request);
    return { ticket: `T${this.handOvers.length}` };
  }

  async requestCallback(request: {
    sessionId: string;
    queue: string;
    number: string;
    priority: number;
    data: HandOverData;
  }): Promise<{ callbackId: string }> {
    this.callbacks.push(request);
    return { callbackId: `CB${this.callbacks.length}` };
  }
}

/** Logs messages instead of sending them, as the SMS adapter does until the channels module exists. */
export class MemoryIvrSms implements IvrSms {
  readonly sent: { sessionId: string; to: string; text: string; lang: Lang }[] = [];
  async send(request: {
    sessionId: string;
    to: string;
    text: string;
    lang: Lang;
  }): Promise<{ messageId: string }> {
    this.sent.push(request);
    return { messageId: `SMS${this.sent.length}` };
  }
}

export class FakeIvrHttp implements IvrHttp {
  readonly requests: IvrHttpRequest[] = [];
  constructor(public answer: (request: IvrHttpRequest) => Promise<{ status: number; body: unknown }>) {}
  request(request: IvrHttpRequest): Promise<{ status: number; body: unknown }> {
    this.requests.push(request);
    return this.answer(request);
  }
}

export class MemoryIvrRecording implements IvrRecording {
  readonly log: string[] = [];
  paused = false;
  failPause = false;

  async pause(request: { sessionId: string; callId: string; reason: 'pin' | 'card-number' }): Promise<void> {
    if (this.failPause) throw new TellerError('RECORDING_UNAVAILABLE', 'unavailable', 'recorder down');
    this.paused = true;
    this.log.push(`pause ${request.reason}`);
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.log.push('resume');
  }
}

export interface PlayRecord {
  sessionId: string;
  playbackId: string;
  prompts: readonly string[];
  text: string;
}

/**
 * Media that plays nothing: it records each playback and, when connected, reports it finished
 * after `msPerFragment` per prompt id on the clock (so a virtual clock decides when a prompt
 * ends and a key can land in the middle of one).
 */
export class ScriptedIvrMedia implements IvrMedia {
  readonly plays: PlayRecord[] = [];
  readonly stops: string[] = [];
  private finished: ((sessionId: string, playbackId: string) => void) | null = null;
  private readonly timers = new Map<string, ReturnType<Clock['setTimeout']>>();

  constructor(
    private readonly clock: Clock,
    private readonly msPerFragment = 400,
  ) {}

  /** Where to report finished playbacks (`engine.promptFinished`). */
  connect(finished: (sessionId: string, playbackId: string) => void): void {
    this.finished = finished;
  }

  play(request: PlayRecord): void {
    this.plays.push({ ...request, prompts: [...request.prompts] });
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(request.playbackId);
      this.finished?.(request.sessionId, request.playbackId);
    }, this.msPerFragment * request.prompts.length);
    this.timers.set(request.playbackId, timer);
  }

  stop(request: { sessionId: string; playbackId: string }): void {
    this.stops.push(request.playbackId);
    const timer = this.timers.get(request.playbackId);
    if (timer) this.clock.clearTimeout(timer);
    this.timers.delete(request.playbackId);
  }

  /** Every prompt id played, in order. */
  promptIds(sessionId?: string): string[] {
    return this.plays.filter((p) => !sessionId || p.sessionId === sessionId).flatMap((p) => p.prompts);
  }
}

export class HolidayCalendar implements IvrCalendar {
  constructor(private readonly dates: ReadonlySet<string> = new Set()) {}
  isHoliday(date: string): boolean {
    return this.dates.has(date);
  }
}

export interface DemoIvrPorts {
  ports: IvrPorts;
  banking: MemoryIvrBanking;
  customers: MemoryIvrCustomers;
  queue: MemoryIvrQueue;
  sms: MemoryIvrSms;
  http: FakeIvrHttp;
  recording: MemoryIvrRecording;
  media: ScriptedIvrMedia;
}

/** The in-memory ports with the demo bank, on a clock. */
export function createDemoIvrPorts(
  clock: Clock,
  options: { holidays?: Iterable<string>; msPerFragment?: number } = {},
): DemoIvrPorts {
  const banking = new MemoryIvrBanking(clock);
  const customers = new MemoryIvrCustomers(banking);
  const queue = new MemoryIvrQueue();
  const sms = new MemoryIvrSms();
  const http = new FakeIvrHttp(async () => ({ status: 200, body: {} }));
  const recording = new MemoryIvrRecording();
  const media = new ScriptedIvrMedia(clock, options.msPerFragment);
  const calendar = new HolidayCalendar(new Set(options.holidays ?? []));
  return {
    ports: { banking, customers, queue, media, sms, http, recording, calendar },
    banking,
    customers,
    queue,
    sms,
    http,
    recording,
    media,
  };
}
