import type { CustomerId, Money } from '../core/index';
import type { DepositRate, FxBoard } from './fx';
import type {
  Account,
  Biller,
  BillerRegistration,
  BillPaymentRecord,
  Card,
  Channel,
  Cheque,
  ChequeStatus,
  HistoryQuery,
  LedgerLine,
  Order,
  OrderSide,
  OrderType,
  Page,
  Payee,
  Position,
} from './model';
import type { Verification } from './verification';

/** Who asks, from where, on whose verified behalf. Every operation takes one. */
export interface OperationContext {
  channel: Channel;
  /** The acting user's id (an agent), or the self-service part ('ivr'). */
  actor: string;
  /** The contact this happens in, for the audit trail and the customer's timeline. */
  interactionId?: string | null;
  /** From verifyCallerNumber / verifyPin / verifyOtp; operations check its level. */
  verificationId?: string | null;
  ip?: string | null;
}

export interface OwnTransferRequest {
  customerId: string;
  fromAccountId: string;
  toAccountId: string;
  amount: Money;
  memo?: string;
  idempotencyKey: string;
}

export interface PayeeTransferRequest {
  customerId: string;
  fromAccountId: string;
  payeeId: string;
  amount: Money;
  memo?: string;
  idempotencyKey: string;
}

export interface TransferResult {
  transactionId: string;
  at: number;
  amount: Money;
  fromAccountId: string;
  fromBalance: Money;
  toAccountId: string | null;
  toBalance: Money | null;
  payeeId: string | null;
}

export interface BillPaymentRequest {
  customerId: string;
  fromAccountId: string;
  registrationId: string;
  amount: Money;
  idempotencyKey: string;
}

export interface BillPaymentResult {
  transactionId: string;
  paymentId: string;
  at: number;
  amount: Money;
  fromAccountId: string;
  fromBalance: Money;
  billerCode: string;
  reference: string;
}

export interface ChequeRequest {
  customerId: string;
  accountId: string;
  payeeName: string;
  amount: Money;
  idempotencyKey: string;
}

/** Exactly one of `sell` (in the from-account's currency) or `buy` (in the to-account's). */
export interface FxQuoteRequest {
  customerId: string;
  fromAccountId: string;
  toAccountId: string;
  sell?: Money;
  buy?: Money;
}

export interface FxQuote {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  sell: Money;
  buy: Money;
  /** Units of the bought currency per unit sold, 8 decimals. */
  rate: string;
  createdAt: number;
  expiresAt: number;
}

export interface FxConversionRequest {
  customerId: string;
  quoteId: string;
  idempotencyKey: string;
}

export interface FxConversionResult {
  transactionId: string;
  quoteId: string;
  at: number;
  sold: Money;
  bought: Money;
  rate: string;
  fromBalance: Money;
  toBalance: Money;
}

export interface StockQuote {
  symbol: string;
  nameZh: string;
  nameEn: string;
  price: Money;
  previousClose: Money;
  change: Money;
  /** Percent change from the previous close, 2 decimals. */
  changePercent: string;
  limitUp: Money;
  limitDown: Money;
  marketOpen: boolean;
  at: number;
}

export interface OrderRequest {
  customerId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: number;
  /** Required for limit orders. */
  limitPrice?: Money | null;
  idempotencyKey: string;
}

export interface CardReportRequest {
  customerId: string;
  cardId: string;
  reason: 'lost' | 'stolen';
  /** Order a replacement card too (needs PIN verification). */
  replace: boolean;
  idempotencyKey: string;
}

export interface CardReportResult {
  card: Card;
  replacement: Card | null;
}

export interface PinStatus {
  set: boolean;
  locked: boolean;
  failures: number;
}

export interface OtpDelivery {
  /** The phone it went to, masked. */
  sentTo: string;
  expiresAt: number;
}

/**
 * The core-banking port: everything Teller asks of the bank. The built-in simulator
 * (`StoreBank`) implements it on Teller's own store; a bank plugs its core system in behind
 * the same interface. Money-moving operations take an idempotency key: a retry with the same
 * key never moves money twice and returns the first outcome (result or rejection). Every
 * customer operation checks the verification level it declares (`operationLevels`).
 * Nothing here ever returns a PIN, a one-time code or a full card number.
 */
export interface CoreBanking {
  // -- verification --
  verifyCallerNumber(customerId: string, callerNumber: string, ctx: OperationContext): Promise<Verification>;
  verifyPin(customerId: string, pin: string, ctx: OperationContext): Promise<Verification>;
  sendOtp(verificationId: string, ctx: OperationContext): Promise<OtpDelivery>;
  verifyOtp(verificationId: string, code: string, ctx: OperationContext): Promise<Verification>;
  pinStatus(customerId: string): Promise<PinStatus>;
  /** Lifts a PIN lock (an agent or admin, after identifying the customer another way); may set a new PIN. */
  resetPin(customerId: string, ctx: OperationContext, newPin?: string): Promise<PinStatus>;

  // -- staff reads (the CRM view; no customer verification, the caller audits the access) --
  accountsOf(customerId: string): Promise<Account[]>;
  cardsOf(customerId: string): Promise<Card[]>;
  findCustomerByAccountNumber(number: string): Promise<CustomerId | undefined>;
  findCustomerByCardNumber(cardNumber: string): Promise<CustomerId | undefined>;

  // -- customer operations --
  balance(ctx: OperationContext, customerId: string, accountId?: string): Promise<Account[]>;
  history(
    ctx: OperationContext,
    customerId: string,
    accountId: string,
    query?: HistoryQuery,
  ): Promise<Page<LedgerLine>>;
  recentTransactions(ctx: OperationContext, customerId: string, limit?: number): Promise<LedgerLine[]>;
  paymentRecords(
    ctx: OperationContext,
    customerId: string,
    query?: { limit?: number; cursor?: string | null },
  ): Promise<Page<BillPaymentRecord>>;
  payees(ctx: OperationContext, customerId: string): Promise<Payee[]>;
  billerRegistrations(ctx: OperationContext, customerId: string): Promise<BillerRegistration[]>;
  cards(ctx: OperationContext, customerId: string): Promise<Card[]>;
  transferOwn(ctx: OperationContext, request: OwnTransferRequest): Promise<TransferResult>;
  transferToPayee(ctx: OperationContext, request: PayeeTransferRequest): Promise<TransferResult>;
  payBill(ctx: OperationContext, request: BillPaymentRequest): Promise<BillPaymentResult>;
  requestCheque(ctx: OperationContext, request: ChequeRequest): Promise<Cheque>;
  cheques(ctx: OperationContext, customerId: string): Promise<Cheque[]>;
  quoteFx(ctx: OperationContext, request: FxQuoteRequest): Promise<FxQuote>;
  convertFx(ctx: OperationContext, request: FxConversionRequest): Promise<FxConversionResult>;
  placeOrder(ctx: OperationContext, request: OrderRequest): Promise<Order>;
  cancelOrder(ctx: OperationContext, customerId: string, orderId: string): Promise<Order>;
  orders(ctx: OperationContext, customerId: string): Promise<Order[]>;
  positions(ctx: OperationContext, customerId: string): Promise<Position[]>;
  reportCard(ctx: OperationContext, request: CardReportRequest): Promise<CardReportResult>;

  // -- back office --
  updateChequeStatus(chequeId: string, to: ChequeStatus, ctx: OperationContext): Promise<Cheque>;

  // -- public information (no verification) --
  depositRates(): DepositRate[];
  fxBoard(): FxBoard;
  stockQuotes(symbols?: readonly string[]): StockQuote[];
  billers(): Promise<Biller[]>;
}
