import type { AccountId, CurrencyCode, CustomerId, Money } from '../core/index';
import { bankError } from './errors';

/** The kinds of account a customer holds; `internal` are the bank's own ledger accounts. */
export const accountKinds = ['current', 'savings', 'credit-card', 'brokerage', 'internal'] as const;
export type AccountKind = (typeof accountKinds)[number];
export const customerAccountKinds = ['current', 'savings', 'credit-card', 'brokerage'] as const;
export type CustomerAccountKind = (typeof customerAccountKinds)[number];
/** The currencies the simulator bank keeps deposit accounts in. */
export const depositCurrencies = ['CNY', 'USD', 'HKD', 'EUR'] as const satisfies readonly CurrencyCode[];

export const accountStatuses = ['active', 'frozen', 'closed'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

/** Where a request comes from. Daily limits differ: self-service is trusted less than an agent. */
export const channels = ['ivr', 'agent'] as const;
export type Channel = (typeof channels)[number];

export const transactionKinds = [
  'opening',
  'salary',
  'card-purchase',
  'cash-withdrawal',
  'interest',
  'own-transfer',
  'payee-transfer',
  'bill-payment',
  'fx-conversion',
  'cheque',
  'cheque-refund',
  'fee',
  'trade',
] as const;
export type TransactionKind = (typeof transactionKinds)[number];

export interface Account {
  id: AccountId;
  customerId: CustomerId;
  number: string;
  kind: CustomerAccountKind;
  currency: CurrencyCode;
  status: AccountStatus;
  name: string;
  /** The ledger balance: the sum of the account's entries. Negative on a credit card means owed. */
  balance: Money;
  /** Reserved by open orders. */
  held: Money;
  /** What can be spent now: balance - held + limit. */
  available: Money;
  /** How far below zero the balance may go (credit limit, overdraft). */
  limit: Money;
  openedAt: number;
}

export interface LedgerLine {
  entryId: number;
  transactionId: string;
  accountId: AccountId;
  at: number;
  kind: TransactionKind;
  description: string;
  channel: string;
  /** Signed: negative is a debit. */
  amount: Money;
  balanceAfter: Money;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface HistoryQuery {
  limit?: number;
  cursor?: string | null;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  kinds?: readonly TransactionKind[];
  direction?: 'debit' | 'credit';
  /** Bounds on the absolute amount, in minor units. */
  minAmount?: number;
  maxAmount?: number;
}

// ---- cards ----

export const cardKinds = ['debit', 'credit'] as const;
export type CardKind = (typeof cardKinds)[number];

export const cardStatuses = ['pending', 'active', 'blocked', 'lost', 'stolen'] as const;
export type CardStatus = (typeof cardStatuses)[number];

export interface Card {
  id: string;
  customerId: CustomerId;
  accountId: AccountId;
  kind: CardKind;
  /** `************0001`: the full number never leaves the bank. */
  maskedNumber: string;
  last4: string;
  status: CardStatus;
  holderName: string;
  expires: string;
  replacesCardId: string | null;
  issuedAt: number;
  statusChangedAt: number;
}

/**
 * A closed set of states and the edges between them. `transition` returns the new state or
 * refuses an illegal edge with an error naming both states.
 */
export interface StateMachine<S extends string> {
  readonly name: string;
  transition(from: S, to: S): S;
  can(from: S, to: S): boolean;
}

export function stateMachine<S extends string>(
  name: string,
  edges: Readonly<Record<S, readonly S[]>>,
): StateMachine<S> {
  return {
    name,
    can: (from, to) => edges[from]?.includes(to) ?? false,
    transition(from, to) {
      if (!(edges[from]?.includes(to) ?? false)) {
        throw bankError('BANK_ILLEGAL_TRANSITION', `${name} cannot go from ${from} to ${to}`);
      }
      return to;
    },
  };
}

/**
 * A card's life. Lost and stolen are final: the card never works again, a replacement is a
 * new card that starts `pending` until the customer activates it.
 *
 *   pending ──► active ◄──► blocked
 *      │          │            │
 *      └──────────┴─────┬──────┘
 *                       ▼
 *                 lost | stolen
 */
export const cardMachine = stateMachine<CardStatus>('card', {
  pending: ['active', 'lost', 'stolen'],
  active: ['blocked', 'lost', 'stolen'],
  blocked: ['active', 'lost', 'stolen'],
  lost: [],
  stolen: [],
});

// ---- payees, billers ----

export interface Payee {
  id: string;
  name: string;
  bankName: string;
  /** Masked to the last four digits. */
  accountNumber: string;
  currency: CurrencyCode;
}

export const billerCategories = ['electricity', 'water', 'gas', 'telecom'] as const;
export type BillerCategory = (typeof billerCategories)[number];

export interface Biller {
  id: string;
  code: string;
  nameZh: string;
  nameEn: string;
  category: BillerCategory;
  currency: CurrencyCode;
}

/** A biller the customer registered, with their reference at that biller (meter, phone number). */
export interface BillerRegistration {
  id: string;
  biller: Biller;
  reference: string;
  nickname: string;
}

export interface BillPaymentRecord {
  id: string;
  transactionId: string;
  registrationId: string;
  biller: Biller;
  reference: string;
  accountId: AccountId;
  amount: Money;
  at: number;
}

// ---- certified cheques (保付支票) ----

export const chequeStatuses = ['requested', 'issued', 'collected', 'cancelled'] as const;
export type ChequeStatus = (typeof chequeStatuses)[number];

/**
 *   requested ──► issued ──► collected
 *        │           │
 *        └───────────┴──► cancelled   (the amount is refunded, the fee is not)
 */
export const chequeMachine = stateMachine<ChequeStatus>('certified cheque', {
  requested: ['issued', 'cancelled'],
  issued: ['collected', 'cancelled'],
  collected: [],
  cancelled: [],
});

export interface Cheque {
  id: string;
  chequeNumber: string;
  accountId: AccountId;
  payeeName: string;
  amount: Money;
  fee: Money;
  status: ChequeStatus;
  transactionId: string;
  requestedAt: number;
  updatedAt: number;
}

// ---- brokerage ----

export const orderSides = ['buy', 'sell'] as const;
export type OrderSide = (typeof orderSides)[number];
export const orderTypes = ['market', 'limit'] as const;
export type OrderType = (typeof orderTypes)[number];
export const orderStatuses = ['open', 'filled', 'cancelled', 'expired'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/**
 *   open ──► filled | cancelled | expired (at the close of the trading day)
 * A market order, or a limit order that crosses the price, is filled when placed.
 */
export const orderMachine = stateMachine<OrderStatus>('order', {
  open: ['filled', 'cancelled', 'expired'],
  filled: [],
  cancelled: [],
  expired: [],
});

export interface Order {
  id: string;
  accountId: AccountId;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: number;
  limitPrice: Money | null;
  status: OrderStatus;
  fillPrice: Money | null;
  commission: Money;
  transactionId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Position {
  accountId: AccountId;
  symbol: string;
  name: string;
  quantity: number;
  cost: Money;
  price: Money;
  marketValue: Money;
}
