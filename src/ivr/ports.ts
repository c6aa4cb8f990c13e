import type { AccountId, CurrencyCode, CustomerId, Money } from '../core/index';
import type { Lang } from './speech';

/**
 * The narrow ports the IVR needs. The interpreter never imports banking, acd, sip or media:
 * the composition root adapts the real modules to these interfaces, and tests and the
 * terminal simulator give in-memory ones. Every method that can fail rejects with a
 * `TellerError` whose code the flow may branch on (`BANK_INSUFFICIENT_FUNDS`, …); expected
 * outcomes of a question (a wrong PIN, nothing found) are answers, not errors.
 */

/** How sure the line is of who is calling: nothing, the caller's number matched, or the PIN. */
export const verificationLevels = ['none', 'caller', 'pin'] as const;
export type VerificationLevel = (typeof verificationLevels)[number];

export const tiers = ['mass', 'affluent', 'private'] as const;
export type Tier = (typeof tiers)[number];

export interface IvrCustomer {
  id: CustomerId;
  tier: Tier;
  /** The language the caller chose last time, remembered on the customer. */
  language: Lang | null;
}

/** What the IVR shows the bank with each request made on a customer's behalf. */
export interface IvrAuth {
  customerId: CustomerId;
  level: VerificationLevel;
  callerNumber: string | null;
  /** Opaque proof the bank returned from `verifyPin`, if it uses one. */
  token: string | null;
}

export const ivrAccountKinds = ['current', 'savings', 'credit-card', 'brokerage'] as const;
export type IvrAccountKind = (typeof ivrAccountKinds)[number];

export interface IvrAccount {
  id: AccountId;
  last4: string;
  kind: IvrAccountKind;
  currency: CurrencyCode;
  balance: Money;
  available: Money;
}

export interface IvrTransaction {
  at: number;
  /** Signed: negative is money out. */
  amount: Money;
}

export const billerCategories = ['electricity', 'water', 'gas', 'telecom'] as const;
export type BillerCategory = (typeof billerCategories)[number];

export interface IvrBillPayment {
  at: number;
  category: BillerCategory;
  referenceLast4: string;
  amount: Money;
}

export interface IvrPayee {
  id: string;
  last4: string;
  currency: CurrencyCode;
}

/** A biller the customer registered (the registration's id), with the last digits of their reference. */
export interface IvrBiller {
  id: string;
  category: BillerCategory;
  referenceLast4: string;
  currency: CurrencyCode;
}

export const ivrCardKinds = ['debit', 'credit'] as const;
export type IvrCardKind = (typeof ivrCardKinds)[number];

export interface IvrCard {
  id: string;
  last4: string;
  kind: IvrCardKind;
  status: 'pending' | 'active' | 'blocked' | 'lost' | 'stolen';
}

export interface IvrReceipt {
  transactionId: string;
  /** The paying account's balance after the movement, when the bank tells it. */
  balanceAfter: Money | null;
}

export interface IvrChequeReceipt {
  transactionId: string;
  chequeNumber: string;
  fee: Money;
}

export const depositTerms = ['demand', '3m', '6m', '1y', '2y', '3y', '5y'] as const;
export type DepositTerm = (typeof depositTerms)[number];

export interface IvrDepositRate {
  term: DepositTerm;
  /** Annual rate in percent as a decimal string: "1.35". */
  ratePercent: string;
}

/** Yuan per `per` units of `currency`, as decimal strings (the board quotes per 100). */
export interface IvrFxRate {
  currency: CurrencyCode;
  buy: string;
  sell: string;
  per: number;
}

export interface IvrFxQuote {
  quoteId: string;
  /** Yuan per unit, decimal string. */
  rate: string;
  /** What leaves the paying account. */
  sell: Money;
  /** What arrives in the receiving account. */
  buy: Money;
  expiresAt: number;
}

export interface IvrStockQuote {
  symbol: string;
  price: Money;
  /** Change since the previous close in percent, decimal string ("-1.25"). */
  changePercent: string;
  marketOpen: boolean;
}

export const orderSides = ['buy', 'sell'] as const;
export type OrderSide = (typeof orderSides)[number];

export interface IvrOrderResult {
  orderId: string;
  status: 'open' | 'filled' | 'cancelled' | 'expired';
  fillPrice: Money | null;
}

export const cardReportReasons = ['lost', 'stolen'] as const;
export type CardReportReason = (typeof cardReportReasons)[number];

export interface IvrCardReport {
  cardId: string;
  replacementRequested: boolean;
}

export type PinCheck =
  | { outcome: 'verified'; customer: IvrCustomer; auth: IvrAuth }
  | { outcome: 'invalid'; attemptsLeft: number }
  | { outcome: 'locked' }
  | { outcome: 'unknown' };

export interface PinCheckRequest {
  /** Set when the caller was identified by number and keys only the PIN. */
  customerId: CustomerId | null;
  /** The card or account number the caller keyed; never logged. */
  cardOrAccount: string | null;
  pin: string;
  callerNumber: string | null;
}

export interface IvrBanking {
  /** Checks a telephone PIN with the bank's lockout (three failures lock the customer). */
  verifyPin(request: PinCheckRequest): Promise<PinCheck>;
  accounts(auth: IvrAuth): Promise<IvrAccount[]>;
  recentTransactions(auth: IvrAuth, accountId: AccountId, limit: number): Promise<IvrTransaction[]>;
  billPayments(auth: IvrAuth, limit: number): Promise<IvrBillPayment[]>;
  payees(auth: IvrAuth): Promise<IvrPayee[]>;
  billers(auth: IvrAuth): Promise<IvrBiller[]>;
  cards(auth: IvrAuth): Promise<IvrCard[]>;
  transferOwn(
    auth: IvrAuth,
    request: { from: AccountId; to: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt>;
  transferToPayee(
    auth: IvrAuth,
    request: { from: AccountId; payeeId: string; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt>;
  payBill(
    auth: IvrAuth,
    request: { from: AccountId; billerId: string; amount: Money; idempotencyKey: string },
  ): Promise<IvrReceipt>;
  requestCheque(
    auth: IvrAuth,
    request: { from: AccountId; amount: Money; idempotencyKey: string },
  ): Promise<IvrChequeReceipt>;
  depositRates(currency: CurrencyCode): Promise<IvrDepositRate[]>;
  fxRates(currencies: readonly CurrencyCode[]): Promise<IvrFxRate[]>;
  fxQuote(auth: IvrAuth, request: { from: AccountId; to: AccountId; buy: Money }): Promise<IvrFxQuote>;
  fxConvert(auth: IvrAuth, request: { quoteId: string; idempotencyKey: string }): Promise<IvrReceipt>;
  stockQuote(symbol: string): Promise<IvrStockQuote>;
  stockOrder(
    auth: IvrAuth,
    request: {
      symbol: string;
      side: OrderSide;
      quantity: number;
      /** null: a market order. */
      limitPrice: Money | null;
      idempotencyKey: string;
    },
  ): Promise<IvrOrderResult>;
  /** Blocks the card at once and asks for a replacement. */
  reportCard(
    auth: IvrAuth,
    request: { cardId: string; reason: CardReportReason; idempotencyKey: string },
  ): Promise<IvrCardReport>;
}

export interface IvrCustomers {
  /** The customer whose registered phone is the caller's number, if exactly one is. */
  findByPhone(phone: string): Promise<IvrCustomer | null>;
  rememberLanguage(customerId: CustomerId, lang: Lang): Promise<void>;
}

/** What the agent's screen pops with: who, how sure, why they called, and how they got here. */
export interface HandOverData {
  customerId: CustomerId | null;
  verification: VerificationLevel;
  /**
   * The bank's proof of that verification (`IvrAuth.token`), so the agent acts on what the
   * caller proved in the IVR without asking for the PIN again; null when the bank gave none.
   */
  verificationId: string | null;
  tier: Tier | null;
  intent: string;
  language: Lang;
  callerNumber: string | null;
  /** The IVR steps the caller went through, in order. */
  ivrPath: string[];
  extra: Record<string, string | number | boolean | null>;
}

export interface IvrQueue {
  /** Hands the call to a queue; the IVR session ends when this resolves. */
  handOver(request: {
    sessionId: string;
    callId: string;
    queue: string;
    priority: number;
    data: HandOverData;
  }): Promise<{ ticket: string }>;
  requestCallback(request: {
    sessionId: string;
    queue: string;
    number: string;
    priority: number;
    data: HandOverData;
  }): Promise<{ callbackId: string }>;
}

/**
 * Playback on the call's media. Commands only: the owner of the session reports the end of a
 * playback back with `session.promptFinished(playbackId)` (or its failure).
 */
export interface IvrMedia {
  /** `prompts` are full prompt ids (`zh/menu/main`, one file each); `text` is the same words, for display and logs. */
  play(request: { sessionId: string; playbackId: string; prompts: readonly string[]; text: string }): void;
  stop(request: { sessionId: string; playbackId: string }): void;
}

export interface IvrSms {
  send(request: { sessionId: string; to: string; text: string; lang: Lang }): Promise<{ messageId: string }>;
}

export interface IvrHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
  timeoutMs: number;
  /** Aborted when the IVR gives up waiting (timeout, hang-up). */
  signal: AbortSignal;
}

export interface IvrHttp {
  request(request: IvrHttpRequest): Promise<{ status: number; body: unknown }>;
}

/** PCI DSS: the recording must not capture the tones of a PIN or card number. */
export interface IvrRecording {
  pause(request: { sessionId: string; callId: string; reason: 'pin' | 'card-number' }): Promise<void>;
  resume(request: { sessionId: string; callId: string }): Promise<void>;
}

export interface IvrCalendar {
  /** Whether the bank observes a holiday on this date (`YYYY-MM-DD`, bank's time zone). */
  isHoliday(date: string): boolean;
}

export interface IvrPorts {
  banking: IvrBanking;
  customers: IvrCustomers;
  queue: IvrQueue;
  media: IvrMedia;
  sms: IvrSms;
  http: IvrHttp;
  recording: IvrRecording;
  calendar: IvrCalendar;
}
