import { createHash } from 'node:crypto';
import { type Account, type CoreBanking, formatDecimal, type OperationContext } from '../banking/index';
import {
  type AccountId,
  type CurrencyCode,
  type CustomerId,
  divideHalfEven,
  isTellerError,
  type Money,
  minorDigits,
  TellerError,
} from '../core/index';
import type {
  CardReportReason,
  IvrAccount,
  IvrAuth,
  IvrBanking,
  IvrBiller,
  IvrBillPayment,
  IvrCard,
  IvrChequeReceipt,
  IvrCustomer,
  IvrDepositRate,
  IvrFxQuote,
  IvrFxRate,
  IvrOrderResult,
  IvrPayee,
  IvrReceipt,
  IvrStockQuote,
  IvrTransaction,
  OrderSide,
  PinCheck,
  PinCheckRequest,
} from '../ivr/index';

/** The self-service part as the bank's audit trail names it. */
const ivrActor = 'ivr';
/** What the bank accepts as an idempotency key (store-bank.ts): 8–128 of these characters. */
const keyPattern = /^[A-Za-z0-9._:-]{8,128}$/;

export interface BankIvrOptions {
  bank: CoreBanking;
  /** The bank's lockout threshold (StoreBank's `maxPinFailures`), to tell the caller how many tries are left. */
  maxPinFailures: number;
  /** Who a certified cheque is made out to when it is requested by phone: the customer names the payee at collection. */
  chequePayeeName?: string;
  /** The customer a PIN check verified, as the IVR needs them (tier, remembered language): the CRM. */
  customerOf(customerId: string): Promise<IvrCustomer | null>;
}

/**
 * The IVR's banking port on the bank's `CoreBanking`: every request goes out with channel `ivr`
 * and the verification the caller earned, so the bank applies its own rules — self-service
 * daily limits, the level each operation declares, PIN lockout, idempotency. Rejections stay
 * the bank's `TellerError`s (`BANK_INSUFFICIENT_FUNDS`, …) for the flow to branch on.
 *
 * Verification: a PIN check creates a bank verification whose id travels as the `IvrAuth`
 * token. A caller identified only by number (the IVR's `identify` step, which makes its own
 * `IvrAuth` without a token) is verified by the bank on first use — `verifyCallerNumber` — and
 * that verification is kept for the same `IvrAuth` object, which lives as long as the session.
 */
export class BankIvrBanking implements IvrBanking {
  private readonly bank: CoreBanking;
  private readonly callerVerifications = new WeakMap<IvrAuth, Promise<string>>();

  constructor(private readonly o: BankIvrOptions) {
    this.bank = o.bank;
  }

  async verifyPin(request: PinCheckRequest): Promise<PinCheck> {
    let customerId: string | undefined;
    if (request.cardOrAccount !== null) {
      const number = request.cardOrAccount;
      customerId =
        (await this.bank.findCustomerByCardNumber(number)) ??
        (await this.bank.findCustomerByAccountNumber(number));
    } else customerId = request.customerId ?? undefined;
    if (!customerId) return { outcome: 'unknown' };
    const ctx: OperationContext = { channel: 'ivr', actor: ivrActor };
    try {
      const verification = await this.bank.verifyPin(customerId, request.pin, ctx);
      const customer = await this.customerOf(customerId);
      return {
        outcome: 'verified',
        customer,
        auth: {
          customerId: customer.id,
          level: 'pin',
          callerNumber: request.callerNumber,
          token: verification.id,
        },
      };
    } catch (error) {
      if (!isTellerError(error)) throw error;
      switch (error.code) {
        case 'BANK_PIN_LOCKED':
          return { outcome: 'locked' };
        case 'BANK_PIN_INVALID': {
          const status = await this.bank.pinStatus(customerId);
          if (status.locked) return { outcome: 'locked' };
          return { outcome: 'invalid', attemptsLeft: Math.max(0, this.o.maxPinFailures - status.failures) };
        }
        case 'BANK_CUSTOMER_NOT_FOUND':
          return { outcome: 'unknown' };
        default:
          throw error;
      }
    }
  }

  async accounts(auth: IvrAuth): Promise<IvrAccount[]> {
    const accounts = await this.bank.balance(await this.ctx(auth), auth.customerId);
    return accounts.filter((a) => a.status !== 'closed').map(ivrAccount);
  }

  async recentTransactions(auth: IvrAuth, accountId: AccountId, limit: number): Promise<IvrTransaction[]> {
    const page = await this.bank.history(await this.ctx(auth), auth.customerId, accountId, { limit });
    return page.items.map((line) => ({ at: line.at, amount: line.amount }));
  }

  async billPayments(auth: IvrAuth, limit: number): Promise<IvrBillPayment[]> {
    const page = await this.bank.paymentRecords(await this.ctx(auth), auth.customerId, { limit });
    return page.items.map((p) => ({
      at: p.at,
      category: p.biller.category,
      referenceLast4: p.reference.slice(-4),
      amount: p.amount,
    }));
  }

  async payees(auth: IvrAuth): Promise<IvrPayee[]> {
    const payees = await this.bank.payees(await this.ctx(auth), auth.customerId);
    return payees.map((p) => ({ id: p.id, last4: p.accountNumber.slice(-4), currency: p.currency }));
  }

  async billers(auth: IvrAuth): Promise<IvrBiller[]> {
    const registrations = await this.bank.billerRegistrations(await this.ctx(auth), auth.customerId);
    return registrations.map((r) => ({
      id: r.id,
      category: r.biller.category,
      referenceLast4: r.reference.slice(-4),
      currency: r.biller.currency,
    }));
  }

  async cards(auth: IvrAuth): Promise<IvrCard[]> {
    const cards = await this.bank.cards(await this.ctx(auth), auth.customerId);
    return cards.map((c) => ({ id: c.id, last4: c.last4, kind: c.kind, status: c.status }));
  }

  async transferOwn(
    auth: IvrAuth,
    request: { from: AccountId; to: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt> {
    const result = await this.bank.transferOwn(await this.ctx(auth), {
      customerId: auth.customerId,
      fromAccountId: request.from,
      toAccountId: request.to,
      amount: request.amount,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { transactionId: result.transactionId, balanceAfter: result.fromBalance };
  }

  async transferToPayee(
    auth: IvrAuth,
    request: { from: AccountId; payeeId: string; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt> {
    const result = await this.bank.transferToPayee(await this.ctx(auth), {
      customerId: auth.customerId,
      fromAccountId: request.from,
      payeeId: request.payeeId,
      amount: request.amount,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { transactionId: result.transactionId, balanceAfter: result.fromBalance };
  }

  async payBill(
    auth: IvrAuth,
    request: { from: AccountId; billerId: string; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt> {
    const result = await this.bank.payBill(await this.ctx(auth), {
      customerId: auth.customerId,
      fromAccountId: request.from,
      registrationId: request.billerId,
      amount: request.amount,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { transactionId: result.transactionId, balanceAfter: result.fromBalance };
  }

  async requestCheque(
    auth: IvrAuth,
    request: { from: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<IvrChequeReceipt> {
    const cheque = await this.bank.requestCheque(await this.ctx(auth), {
      customerId: auth.customerId,
      accountId: request.from,
      payeeName: this.o.chequePayeeName ?? 'Payee named at collection',
      amount: request.amount,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { transactionId: cheque.transactionId, chequeNumber: cheque.chequeNumber, fee: cheque.fee };
  }

  async depositRates(currency: CurrencyCode): Promise<IvrDepositRate[]> {
    return this.bank
      .depositRates()
      .filter((r) => r.currency === currency)
      .map((r) => ({ term: r.term, ratePercent: r.ratePercent }));
  }

  async fxRates(currencies: readonly CurrencyCode[]): Promise<IvrFxRate[]> {
    const board = this.bank.fxBoard();
    return currencies.flatMap((currency) => {
      const row = board.rows.find((r) => r.currency === currency);
      // Chinese banks quote yuan per 100 units to the fen: 7.158400 → 715.84.
      return row ? [{ currency, buy: per100(row.bankBuys), sell: per100(row.bankSells), per: 100 }] : [];
    });
  }

  async fxQuote(auth: IvrAuth, request: { from: AccountId; to: AccountId; buy: Money }): Promise<IvrFxQuote> {
    const quote = await this.bank.quoteFx(await this.ctx(auth), {
      customerId: auth.customerId,
      fromAccountId: request.from,
      toAccountId: request.to,
      buy: request.buy,
    });
    return {
      quoteId: quote.id,
      rate: pricePerUnit(quote.sell, quote.buy),
      sell: quote.sell,
      buy: quote.buy,
      expiresAt: quote.expiresAt,
    };
  }

  async fxConvert(auth: IvrAuth, request: { quoteId: string; idempotencyKey: string }): Promise<IvrReceipt> {
    const result = await this.bank.convertFx(await this.ctx(auth), {
      customerId: auth.customerId,
      quoteId: request.quoteId,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { transactionId: result.transactionId, balanceAfter: result.fromBalance };
  }

  async stockQuote(symbol: string): Promise<IvrStockQuote> {
    const quote = this.bank.stockQuotes([symbol])[0];
    if (!quote) throw new TellerError('BANK_SYMBOL_UNKNOWN', 'not-found', `no listed symbol ${symbol}`);
    return {
      symbol: quote.symbol,
      price: quote.price,
      changePercent: quote.changePercent,
      marketOpen: quote.marketOpen,
    };
  }

  async stockOrder(
    auth: IvrAuth,
    request: {
      symbol: string;
      side: OrderSide;
      quantity: number;
      limitPrice: Money | null;
      idempotencyKey: string;
    },
  ): Promise<IvrOrderResult> {
    const ctx = await this.ctx(auth);
    const brokerage = (await this.bank.accountsOf(auth.customerId)).find(
      (a) => a.kind === 'brokerage' && a.status === 'active',
    );
    if (!brokerage) {
      throw new TellerError('BANK_ACCOUNT_NOT_FOUND', 'not-found', 'the customer has no brokerage account');
    }
    const order = await this.bank.placeOrder(ctx, {
      customerId: auth.customerId,
      accountId: brokerage.id,
      symbol: request.symbol,
      side: request.side,
      type: request.limitPrice ? 'limit' : 'market',
      quantity: request.quantity,
      limitPrice: request.limitPrice,
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { orderId: order.id, status: order.status, fillPrice: order.fillPrice };
  }

  async reportCard(
    auth: IvrAuth,
    request: { cardId: string; reason: CardReportReason; idempotencyKey: string },
  ): Promise<{ cardId: string; replacementRequested: boolean }> {
    const result = await this.bank.reportCard(await this.ctx(auth), {
      customerId: auth.customerId,
      cardId: request.cardId,
      reason: request.reason,
      // The bank orders a replacement only for a caller who gave the PIN; blocking needs less.
      replace: auth.level === 'pin',
      idempotencyKey: bankKey(request.idempotencyKey),
    });
    return { cardId: result.card.id, replacementRequested: result.replacement !== null };
  }

  // ---- plumbing ----

  /** The operation context for a request on the caller's behalf, with the bank verification they earned. */
  private async ctx(auth: IvrAuth): Promise<OperationContext> {
    const base: OperationContext = { channel: 'ivr', actor: ivrActor };
    if (auth.token) return { ...base, verificationId: auth.token };
    if (auth.level === 'none' || !auth.callerNumber) return base;
    const callerNumber = auth.callerNumber;
    let verification = this.callerVerifications.get(auth);
    if (!verification) {
      verification = this.bank.verifyCallerNumber(auth.customerId, callerNumber, base).then((v) => v.id);
      this.callerVerifications.set(auth, verification);
      // A failed check is not remembered: the next request asks the bank again.
      verification.catch(() => this.callerVerifications.delete(auth));
    }
    return { ...base, verificationId: await verification };
  }

  private async customerOf(customerId: string): Promise<IvrCustomer> {
    const found = await this.o.customerOf(customerId);
    return found ?? { id: customerId as CustomerId, tier: 'mass', language: null };
  }
}

function ivrAccount(a: Account): IvrAccount {
  return {
    id: a.id,
    last4: a.number.slice(-4),
    kind: a.kind,
    currency: a.currency,
    balance: a.balance,
    available: a.available,
  };
}

/** The bank's key rules are stricter than the IVR's key (`ivr:<session>:<step path>:<visit>`): keep it, or hash it. */
export function bankKey(key: string): string {
  if (keyPattern.test(key)) return key;
  return `ivr:${createHash('sha256').update(key).digest('base64url')}`;
}

/** A board rate (yuan per unit, 6 decimals) per 100 units, to the fen, half to even. */
function per100(rate: string): string {
  const [whole = '0', fraction = ''] = rate.split('.');
  const micro = BigInt(whole + fraction.padEnd(6, '0').slice(0, 6));
  // micro-yuan per unit × 100 = yuan per 100 to 6 + 0 decimals; keep 2.
  return formatDecimal(divideHalfEven(micro * 100n, 10_000n), 2);
}

/** Yuan paid per unit bought, 4 decimals, half to even: what a quote's read-back says. */
function pricePerUnit(sell: Money, buy: Money): string {
  if (buy.minor === 0) return '0';
  const scale = 10n ** 4n;
  const numerator = BigInt(sell.minor) * 10n ** BigInt(minorDigits(buy.currency)) * scale;
  const denominator = BigInt(buy.minor) * 10n ** BigInt(minorDigits(sell.currency));
  return formatDecimal(divideHalfEven(numerator, denominator), 4);
}
