import type { Selectable } from 'kysely';
import {
  type AccountId,
  asId,
  type CurrencyCode,
  type CustomerId,
  type Money,
  maskNumber,
  money,
} from '../core/index';
import type { Database } from '../store/index';
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

/** Row shapes as selected from the store (the store's schema, narrowed to the columns read), and their mapping to the port's types. */
type Row<
  T extends keyof Database,
  K extends keyof Selectable<Database[T]> = keyof Selectable<Database[T]>,
> = Pick<Selectable<Database[T]>, K>;

export type AccountRow = Row<'bank_accounts', (typeof accountColumns)[number]>;

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

type CardRow = Row<'bank_cards', (typeof cardColumns)[number]>;

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

export function toPayee(
  row: Row<'bank_payees', 'id' | 'name' | 'bank_name' | 'account_number' | 'currency'>,
): Payee {
  return {
    id: row.id,
    name: row.name,
    bankName: row.bank_name,
    accountNumber: maskNumber(row.account_number),
    currency: row.currency as CurrencyCode,
  };
}

export function toBiller(
  row: Row<'bank_billers', 'id' | 'code' | 'name_zh' | 'name_en' | 'category' | 'currency'>,
): Biller {
  return {
    id: row.id,
    code: row.code,
    nameZh: row.name_zh,
    nameEn: row.name_en,
    category: row.category as BillerCategory,
    currency: row.currency as CurrencyCode,
  };
}

export function toCheque(row: Row<'bank_cheques'>): Cheque {
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

export type OrderRow = Row<'bank_orders'>;

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
