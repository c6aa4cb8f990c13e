import { z } from 'zod';
import { type CurrencyCode, currencies, type Money, moneyToJson, parseMoney } from '../core/index';
import { depositTerms } from './fx';
import {
  accountStatuses,
  billerCategories,
  cardKinds,
  cardStatuses,
  chequeStatuses,
  customerAccountKinds,
  orderSides,
  orderStatuses,
  orderTypes,
  transactionKinds,
} from './model';
import { verificationLevels } from './verification';

/** The wire forms of the banking types: money as `{"amount": "100.00", "currency": "CNY"}`. */
const currencyCodes = Object.keys(currencies) as [CurrencyCode, ...CurrencyCode[]];

export const moneyJsonSchema = z
  .object({
    amount: z.string().describe('decimal string, never a float'),
    currency: z.enum(currencyCodes),
  })
  .meta({ id: 'BankMoney' });

/** Money in a request: a positive decimal with at most the currency's decimals. */
export const moneyInputSchema = z.strictObject({
  amount: z.string().regex(/^\d{1,15}(\.\d{1,2})?$/, 'a decimal string such as "100.00"'),
  currency: z.enum(currencyCodes),
});

export function moneyOf(input: z.infer<typeof moneyInputSchema>): Money {
  return parseMoney(input.amount, input.currency);
}

function isMoney(value: unknown): value is Money {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 2 &&
    typeof (value as Money).minor === 'number' &&
    typeof (value as Money).currency === 'string'
  );
}

type Jsonified<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Money
    ? ReturnType<typeof moneyToJson>
    : T extends readonly (infer E)[]
      ? Jsonified<E>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/** The value with every Money replaced by its JSON form, for the reply. */
export function jsonMoney<T>(value: T): Jsonified<T> {
  if (isMoney(value)) return moneyToJson(value) as Jsonified<T>;
  if (Array.isArray(value)) return value.map((v) => jsonMoney(v)) as Jsonified<T>;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonMoney(v)])) as Jsonified<T>;
  }
  return value as Jsonified<T>;
}

const money = moneyJsonSchema;

export const accountSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    number: z.string(),
    kind: z.enum(customerAccountKinds),
    currency: z.enum(currencyCodes),
    status: z.enum(accountStatuses),
    name: z.string(),
    balance: money,
    held: money,
    available: money,
    limit: money.describe('how far below zero the balance may go'),
    openedAt: z.number().int(),
  })
  .meta({ id: 'Account' });

export const cardSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    accountId: z.string(),
    kind: z.enum(cardKinds),
    maskedNumber: z.string().describe('all but the last four digits masked'),
    last4: z.string(),
    status: z.enum(cardStatuses),
    holderName: z.string(),
    expires: z.string(),
    replacesCardId: z.string().nullable(),
    issuedAt: z.number().int(),
    statusChangedAt: z.number().int(),
  })
  .meta({ id: 'Card' });

export const ledgerLineSchema = z
  .object({
    entryId: z.number().int(),
    transactionId: z.string(),
    accountId: z.string(),
    at: z.number().int(),
    kind: z.enum(transactionKinds),
    description: z.string(),
    channel: z.string(),
    amount: money.describe('negative for a debit'),
    balanceAfter: money,
  })
  .meta({ id: 'LedgerLine' });

export const pinStatusSchema = z
  .object({ set: z.boolean(), locked: z.boolean(), failures: z.number().int() })
  .meta({ id: 'PinStatus' });

export const verificationSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    level: z.enum(verificationLevels),
    channel: z.string(),
    expiresAt: z.number().int(),
  })
  .meta({ id: 'Verification' });

export const transferSchema = z
  .object({
    transactionId: z.string(),
    at: z.number().int(),
    amount: money,
    fromAccountId: z.string(),
    fromBalance: money,
    toAccountId: z.string().nullable(),
    toBalance: money.nullable(),
    payeeId: z.string().nullable(),
  })
  .meta({ id: 'TransferResult' });

const billerSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    nameZh: z.string(),
    nameEn: z.string(),
    category: z.enum(billerCategories),
    currency: z.enum(currencyCodes),
  })
  .meta({ id: 'Biller' });

export const billerSchemaList = z.object({ billers: z.array(billerSchema) });

export const registrationSchema = z
  .object({ id: z.string(), biller: billerSchema, reference: z.string(), nickname: z.string() })
  .meta({ id: 'BillerRegistration' });

export const billPaymentSchema = z
  .object({
    transactionId: z.string(),
    paymentId: z.string(),
    at: z.number().int(),
    amount: money,
    fromAccountId: z.string(),
    fromBalance: money,
    billerCode: z.string(),
    reference: z.string(),
  })
  .meta({ id: 'BillPaymentResult' });

export const paymentRecordSchema = z
  .object({
    id: z.string(),
    transactionId: z.string(),
    registrationId: z.string(),
    biller: billerSchema,
    reference: z.string(),
    accountId: z.string(),
    amount: money,
    at: z.number().int(),
  })
  .meta({ id: 'BillPaymentRecord' });

export const payeeSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    bankName: z.string(),
    accountNumber: z.string().describe('masked to the last four digits'),
    currency: z.enum(currencyCodes),
  })
  .meta({ id: 'Payee' });

export const chequeSchema = z
  .object({
    id: z.string(),
    chequeNumber: z.string(),
    accountId: z.string(),
    payeeName: z.string(),
    amount: money,
    fee: money,
    status: z.enum(chequeStatuses),
    transactionId: z.string(),
    requestedAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Cheque' });

export const fxQuoteSchema = z
  .object({
    id: z.string(),
    fromAccountId: z.string(),
    toAccountId: z.string(),
    sell: money,
    buy: money,
    rate: z.string().describe('units bought per unit sold, 8 decimals'),
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .meta({ id: 'FxQuote' });

export const fxConversionSchema = z
  .object({
    transactionId: z.string(),
    quoteId: z.string(),
    at: z.number().int(),
    sold: money,
    bought: money,
    rate: z.string(),
    fromBalance: money,
    toBalance: money,
  })
  .meta({ id: 'FxConversion' });

export const fxBoardSchema = z
  .object({
    at: z.number().int(),
    base: z.literal('CNY'),
    rows: z.array(
      z.object({
        currency: z.enum(currencyCodes),
        mid: z.string(),
        bankBuys: z.string(),
        bankSells: z.string(),
        spreadBp: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'FxBoard' });

export const depositRatesSchema = z
  .object({
    rates: z.array(
      z.object({
        currency: z.enum(currencyCodes),
        term: z.enum(depositTerms),
        months: z.number().int(),
        ratePercent: z.string(),
      }),
    ),
  })
  .meta({ id: 'DepositRates' });

export const stockQuoteSchema = z
  .object({
    symbol: z.string(),
    nameZh: z.string(),
    nameEn: z.string(),
    price: money,
    previousClose: money,
    change: money,
    changePercent: z.string(),
    limitUp: money,
    limitDown: money,
    marketOpen: z.boolean(),
    at: z.number().int(),
  })
  .meta({ id: 'StockQuote' });

export const orderSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    symbol: z.string(),
    side: z.enum(orderSides),
    type: z.enum(orderTypes),
    quantity: z.number().int(),
    limitPrice: money.nullable(),
    status: z.enum(orderStatuses),
    fillPrice: money.nullable(),
    commission: money,
    transactionId: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Order' });

export const positionSchema = z
  .object({
    accountId: z.string(),
    symbol: z.string(),
    name: z.string(),
    quantity: z.number().int(),
    cost: money,
    price: money,
    marketValue: money,
  })
  .meta({ id: 'Position' });

export const cardReportSchema = z
  .object({ card: cardSchema, replacement: cardSchema.nullable() })
  .meta({ id: 'CardReport' });
