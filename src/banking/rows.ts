import {
  type AccountId,
  asId,
  type CurrencyCode,
  type CustomerId,
  type Money,
  maskNumber,
  money,
} from '../core/index';
import type {
  Account,
  AccountStatus,
  Biller,
  BillerCategory,
  Card,
  CardKind,
  CardStatus,
  Cheque,
  ChequeStatus,
  CustomerAccountKind,
  Order,
  OrderSide,
  OrderStatus,
  OrderType,
  Payee,
} from './model';

/** Row shapes as selected from the store, and their mapping to the port's types. */

export interface AccountRow {
  id: string;
  customer_id: string | null;
  number: string;
  kind: string;
  currency: string;
  status: string;
  name: string;
  balance: number;
  held: number;
  overdraft_limit: number | null;
  opened_at: number;
}

export const accountColumns = [
  'id',
  'customer_id',
  'number',
  'kind',
  'currency',
  'status',
  'name',
  'balance',
  'held',
  'overdraft_limit',
  'opened_at',
] as const;

export function toAccount(row: AccountRow): Account {
  const currency = row.currency as CurrencyCode;
  const balance = Number(row.balance);
  const held = Number(row.held);
  const limit = Number(row.overdraft_limit ?? 0);
  return {
    id: asId<AccountId>(row.id),
    customerId: asId<CustomerId>(row.customer_id ?? ''),
    number: row.number,
    kind: row.kind as CustomerAccountKind,
    currency,
    status: row.status as AccountStatus,
    name: row.name,
    balance: money(balance, currency),
    held: money(held, currency),
    available: money(balance - held + limit, currency),
    limit: money(limit, currency),
    openedAt: Number(row.opened_at),
  };
}

interface CardRow {
  id: string;
  customer_id: string;
  account_id: string;
  kind: string;
  last4: string;
  status: string;
  holder_name: string;
  expires: string;
  replaces_card_id: string | null;
  issued_at: number;
  status_changed_at: number;
}

export const cardColumns = [
  'id',
  'customer_id',
  'account_id',
  'kind',
  'last4',
  'status',
  'holder_name',
  'expires',
  'replaces_card_id',
  'issued_at',
  'status_changed_at',
] as const;

function maskedCard(last4: string): string {
  return `************${last4}`;
}

export function toCard(row: CardRow): Card {
  return {
    id: row.id,
    customerId: asId<CustomerId>(row.customer_id),
    accountId: asId<AccountId>(row.account_id),
    kind: row.kind as CardKind,
    maskedNumber: maskedCard(row.last4),
    last4: row.last4,
    status: row.status as CardStatus,
    holderName: row.holder_name,
    expires: row.expires,
    replacesCardId: row.replaces_card_id,
    issuedAt: Number(row.issued_at),
    statusChangedAt: Number(row.status_changed_at),
  };
}

export function toPayee(row: {
  id: string;
  name: string;
  bank_name: string;
  account_number: string;
  currency: string;
}): Payee {
  return {
    id: row.id,
    name: row.name,
    bankName: row.bank_name,
    accountNumber: maskNumber(row.account_number),
    currency: row.currency as CurrencyCode,
  };
}

export function toBiller(row: {
  id: string;
  code: string;
  name_zh: string;
  name_en: string;
  category: string;
  currency: string;
}): Biller {
  return {
    id: row.id,
    code: row.code,
    nameZh: row.name_zh,
    nameEn: row.name_en,
    category: row.category as BillerCategory,
    currency: row.currency as CurrencyCode,
  };
}

interface ChequeRow {
  id: string;
  account_id: string;
  transaction_id: string;
  cheque_number: string;
  payee_name: string;
  amount: number;
  fee: number;
  currency: string;
  status: string;
  requested_at: number;
  updated_at: number;
}

export function toCheque(row: ChequeRow): Cheque {
  const currency = row.currency as CurrencyCode;
  return {
    id: row.id,
    chequeNumber: row.cheque_number,
    accountId: asId<AccountId>(row.account_id),
    payeeName: row.payee_name,
    amount: money(Number(row.amount), currency),
    fee: money(Number(row.fee), currency),
    status: row.status as ChequeStatus,
    transactionId: row.transaction_id,
    requestedAt: Number(row.requested_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface OrderRow {
  id: string;
  customer_id: string;
  account_id: string;
  symbol: string;
  side: string;
  type: string;
  quantity: number;
  limit_price: number | null;
  status: string;
  fill_price: number | null;
  commission: number;
  held: number;
  transaction_id: string | null;
  created_at: number;
  updated_at: number;
}

export function toOrder(row: OrderRow, currency: CurrencyCode = 'CNY'): Order {
  const price = (value: number | null): Money | null =>
    value === null ? null : money(Number(value), currency);
  return {
    id: row.id,
    accountId: asId<AccountId>(row.account_id),
    symbol: row.symbol,
    side: row.side as OrderSide,
    type: row.type as OrderType,
    quantity: Number(row.quantity),
    limitPrice: price(row.limit_price),
    status: row.status as OrderStatus,
    fillPrice: price(row.fill_price),
    commission: money(Number(row.commission), currency),
    transactionId: row.transaction_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
