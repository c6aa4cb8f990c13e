import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import { type CurrencyCode, currencies, parseMoney } from '../core/index';
import type { Database } from '../store/index';

/**
 * Segments and offer rules are saved filters over customers, written as data (JSON) and
 * evaluated by the database as one SQL condition — never by loading customers into memory.
 * Every field narrows the set; an empty filter is everyone.
 */
export const tiers = ['mass', 'affluent', 'private'] as const;
export type Tier = (typeof tiers)[number];

export const languages = ['zh-CN', 'zh-HK', 'en'] as const;
export type Language = (typeof languages)[number];

/**
 * Products a customer can hold: the first group comes from the core-banking accounts and
 * cards, the second from the CRM's own holdings (products sold by the bank outside the
 * deposit ledger).
 */
export const bankProducts = [
  'current-account',
  'savings-account',
  'fx-account',
  'credit-card',
  'debit-card',
  'brokerage',
] as const;
export const holdingProducts = [
  'wealth-management',
  'insurance',
  'mortgage',
  'fund',
  'time-deposit',
] as const;
export const products = [...bankProducts, ...holdingProducts] as const;
export type Product = (typeof products)[number];

const currencyCodes = Object.keys(currencies) as [CurrencyCode, ...CurrencyCode[]];
const moneySchema = z.strictObject({
  amount: z.string().regex(/^\d{1,15}(\.\d{1,2})?$/, 'a decimal string such as "500000.00"'),
  currency: z.enum(currencyCodes),
});

export const segmentFilterSchema = z
  .strictObject({
    tiers: z.array(z.enum(tiers)).min(1).optional(),
    languages: z.array(z.enum(languages)).min(1).optional(),
    tagsAll: z.array(z.string().min(1).max(40)).min(1).optional().describe('has every one of these tags'),
    tagsAny: z.array(z.string().min(1).max(40)).min(1).optional().describe('has at least one of these tags'),
    tagsNone: z.array(z.string().min(1).max(40)).min(1).optional().describe('has none of these tags'),
    productsHeld: z.array(z.enum(products)).min(1).optional().describe('holds every one of these'),
    productsNotHeld: z.array(z.enum(products)).min(1).optional().describe('holds none of these'),
    minBalance: moneySchema
      .optional()
      .describe('total of current and savings balances in that currency is at least this'),
    maxBalance: moneySchema
      .optional()
      .describe('total of current and savings balances in that currency is at most this'),
    lastContactWithinDays: z.number().int().min(1).max(3650).optional(),
    noContactForDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('no contact for this many days, or never'),
    consent: z
      .strictObject({
        voice: z.boolean().optional(),
        sms: z.boolean().optional(),
        email: z.boolean().optional(),
      })
      .optional(),
    doNotCall: z.boolean().optional(),
  })
  .meta({ id: 'SegmentFilter' });

export type SegmentFilter = z.infer<typeof segmentFilterSchema>;

type CustomersEb = ExpressionBuilder<Database, 'customers'>;

const dayMs = 86_400_000;

export function productCondition(eb: CustomersEb, product: Product): Expression<SqlBool> {
  const accounts = eb
    .selectFrom('bank_accounts as pa')
    .select(sql<number>`1`.as('one'))
    .whereRef('pa.customer_id', '=', 'customers.id')
    .where('pa.status', '<>', 'closed');
  switch (product) {
    case 'current-account':
      return eb.exists(accounts.where('pa.kind', '=', 'current').where('pa.currency', '=', 'CNY'));
    case 'savings-account':
      return eb.exists(accounts.where('pa.kind', '=', 'savings').where('pa.currency', '=', 'CNY'));
    case 'fx-account':
      return eb.exists(
        accounts.where('pa.kind', 'in', ['current', 'savings']).where('pa.currency', '<>', 'CNY'),
      );
    case 'credit-card':
      return eb.exists(accounts.where('pa.kind', '=', 'credit-card'));
    case 'brokerage':
      return eb.exists(accounts.where('pa.kind', '=', 'brokerage'));
    case 'debit-card':
      return eb.exists(
        eb
          .selectFrom('bank_cards as pc')
          .select(sql<number>`1`.as('one'))
          .whereRef('pc.customer_id', '=', 'customers.id')
          .where('pc.kind', '=', 'debit')
          .where('pc.status', 'in', ['active', 'pending', 'blocked']),
      );
    default:
      return eb.exists(
        eb
          .selectFrom('crm_holdings as ph')
          .select(sql<number>`1`.as('one'))
          .whereRef('ph.customer_id', '=', 'customers.id')
          .where('ph.product', '=', product),
      );
  }
}

function hasTag(eb: CustomersEb, tag: string): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('crm_tags as t')
      .select(sql<number>`1`.as('one'))
      .whereRef('t.customer_id', '=', 'customers.id')
      .where('t.tag', '=', tag),
  );
}

function depositTotal(eb: CustomersEb, currency: CurrencyCode) {
  return eb
    .selectFrom('bank_accounts as ba')
    .select((e) => e.fn.coalesce(e.fn.sum<number>('ba.balance'), sql<number>`0`).as('total'))
    .whereRef('ba.customer_id', '=', 'customers.id')
    .where('ba.kind', 'in', ['current', 'savings'])
    .where('ba.currency', '=', currency);
}

/** The SQL condition of a filter on the `customers` table, at time `now`. */
export function filterCondition(eb: CustomersEb, filter: SegmentFilter, now: number): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  if (filter.tiers) parts.push(eb('customers.tier', 'in', filter.tiers));
  if (filter.languages) parts.push(eb('customers.language', 'in', filter.languages));
  for (const tag of filter.tagsAll ?? []) parts.push(hasTag(eb, tag));
  if (filter.tagsAny) parts.push(eb.or(filter.tagsAny.map((tag) => hasTag(eb, tag))));
  for (const tag of filter.tagsNone ?? []) parts.push(eb.not(hasTag(eb, tag)));
  for (const product of filter.productsHeld ?? []) parts.push(productCondition(eb, product));
  for (const product of filter.productsNotHeld ?? []) parts.push(eb.not(productCondition(eb, product)));
  if (filter.minBalance) {
    const { minor, currency } = parseMoney(filter.minBalance.amount, filter.minBalance.currency);
    parts.push(eb(depositTotal(eb, currency), '>=', minor));
  }
  if (filter.maxBalance) {
    const { minor, currency } = parseMoney(filter.maxBalance.amount, filter.maxBalance.currency);
    parts.push(eb(depositTotal(eb, currency), '<=', minor));
  }
  if (filter.lastContactWithinDays !== undefined) {
    parts.push(eb('customers.last_contact_at', '>=', now - filter.lastContactWithinDays * dayMs));
  }
  if (filter.noContactForDays !== undefined) {
    parts.push(
      eb.or([
        eb('customers.last_contact_at', 'is', null),
        eb('customers.last_contact_at', '<', now - filter.noContactForDays * dayMs),
      ]),
    );
  }
  const consent = filter.consent ?? {};
  if (consent.voice !== undefined) parts.push(eb('customers.consent_voice', '=', consent.voice ? 1 : 0));
  if (consent.sms !== undefined) parts.push(eb('customers.consent_sms', '=', consent.sms ? 1 : 0));
  if (consent.email !== undefined) parts.push(eb('customers.consent_email', '=', consent.email ? 1 : 0));
  if (filter.doNotCall !== undefined) parts.push(eb('customers.do_not_call', '=', filter.doNotCall ? 1 : 0));
  return eb.and(parts);
}
