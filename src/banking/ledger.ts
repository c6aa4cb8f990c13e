import { type CurrencyCode, currencies } from '../core/index';
import type { Db, Tx } from '../store/index';
import { bankError } from './errors';

/**
 * The double-entry ledger. Every movement is one `post`: a transaction row and its entries,
 * whose amounts sum to zero in each currency, written in the caller's database transaction.
 * Account balances are updated in the same statement order on every path — accounts sorted
 * by id — so concurrent postings on PostgreSQL wait for each other and never deadlock. Each
 * balance update is conditional on the result: a debit that would take the available
 * balance below the account's limit, or touch a frozen or closed account, fails and the
 * whole transaction rolls back.
 */

/** The bank's own accounts, one per purpose and currency. */
export const ledgerPurposes = [
  'opening',
  'clearing',
  'card-settlement',
  'fx-position',
  'fees',
  'cheques',
  'securities',
  'interest',
] as const;
export type LedgerPurpose = (typeof ledgerPurposes)[number];

export function ledgerAccountId(purpose: LedgerPurpose, currency: CurrencyCode): string {
  return `gl:${purpose}:${currency}`;
}

export function billerAccountId(code: string): string {
  return `gl:biller:${code}`;
}

/** Creates the bank's own accounts that are missing (idempotent). */
export async function ensureLedgerAccounts(db: Db | Tx, at: number): Promise<void> {
  const rows = ledgerPurposes.flatMap((purpose) =>
    (Object.keys(currencies) as CurrencyCode[]).map((currency) => ({
      id: ledgerAccountId(purpose, currency),
      customer_id: null,
      number: `GL-${purpose.toUpperCase()}-${currency}`,
      kind: 'internal',
      currency,
      status: 'active',
      name: `${purpose} ${currency}`,
      balance: 0,
      held: 0,
      overdraft_limit: null,
      opened_at: at,
      updated_at: at,
    })),
  );
  await db
    .insertInto('bank_accounts')
    .values(rows)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export interface Leg {
  accountId: string;
  /** Signed minor units: negative debits the account. */
  amount: number;
  currency: CurrencyCode;
}

interface Posting {
  id: string;
  customerId: string | null;
  kind: string;
  description: string;
  channel: string;
  actor: string | null;
  interactionId: string | null;
  idempotencyScope: string | null;
  at: number;
  legs: Leg[];
}

/** Balance of each touched account after the posting, in minor units. */
export type Balances = Map<string, number>;

export async function post(tx: Tx, posting: Posting): Promise<Balances> {
  const sums = new Map<string, number>();
  const net = new Map<string, number>();
  for (const leg of posting.legs) {
    if (!Number.isSafeInteger(leg.amount) || leg.amount === 0) {
      throw bankError('BANK_INVALID_AMOUNT', `an entry of ${leg.amount} minor units is not allowed`);
    }
    sums.set(leg.currency, (sums.get(leg.currency) ?? 0) + leg.amount);
    net.set(leg.accountId, (net.get(leg.accountId) ?? 0) + leg.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0)
      throw bankError('BANK_UNBALANCED_POSTING', `${posting.kind} leaves ${sum} ${currency} unbalanced`);
  }

  const after = new Map<string, number>();
  for (const accountId of [...net.keys()].sort()) {
    const delta = net.get(accountId)!;
    const row = await tx
      .updateTable('bank_accounts')
      .set((eb) => ({ balance: eb('balance', '+', delta), updated_at: posting.at }))
      .where('id', '=', accountId)
      .returning(['balance', 'held', 'overdraft_limit', 'status', 'currency', 'number'])
      .executeTakeFirst();
    if (!row) throw bankError('BANK_ACCOUNT_NOT_FOUND', `no account ${accountId}`);
    const currency = posting.legs.find((l) => l.accountId === accountId)!.currency;
    if (row.currency !== currency) {
      throw bankError(
        'BANK_CURRENCY_MISMATCH',
        `account ${accountId} is in ${row.currency}, not ${currency}`,
      );
    }
    if (row.status === 'closed') throw bankError('BANK_ACCOUNT_CLOSED', `account ${accountId} is closed`);
    if (delta < 0 && row.status === 'frozen') {
      throw bankError('BANK_ACCOUNT_FROZEN', `account ${accountId} is frozen: no money can leave it`);
    }
    const balance = Number(row.balance);
    if (
      delta < 0 &&
      row.overdraft_limit !== null &&
      balance - Number(row.held) < -Number(row.overdraft_limit)
    ) {
      throw bankError('BANK_INSUFFICIENT_FUNDS', `account ${accountId} does not have enough available funds`);
    }
    after.set(accountId, balance);
  }

  await tx
    .insertInto('bank_transactions')
    .values({
      id: posting.id,
      customer_id: posting.customerId,
      kind: posting.kind,
      description: posting.description,
      channel: posting.channel,
      actor: posting.actor,
      interaction_id: posting.interactionId,
      idempotency_scope: posting.idempotencyScope,
      at: posting.at,
    })
    .execute();

  // Entries carry the running balance: start from the balance before this posting and add
  // the legs in the order given.
  const running = new Map([...after].map(([id, balance]) => [id, balance - net.get(id)!]));
  await tx
    .insertInto('bank_entries')
    .values(
      posting.legs.map((leg) => {
        const balance = running.get(leg.accountId)! + leg.amount;
        running.set(leg.accountId, balance);
        return {
          transaction_id: posting.id,
          account_id: leg.accountId,
          amount: leg.amount,
          currency: leg.currency,
          balance_after: balance,
          at: posting.at,
        };
      }),
    )
    .execute();
  return after;
}

/** Reserves (positive) or releases (negative) part of an account's balance, refusing to over-reserve. */
export async function hold(tx: Tx, accountId: string, amount: number, at: number): Promise<void> {
  const row = await tx
    .updateTable('bank_accounts')
    .set((eb) => ({ held: eb('held', '+', amount), updated_at: at }))
    .where('id', '=', accountId)
    .returning(['balance', 'held', 'overdraft_limit', 'status'])
    .executeTakeFirst();
  if (!row) throw bankError('BANK_ACCOUNT_NOT_FOUND', `no account ${accountId}`);
  if (amount > 0) {
    if (row.status === 'frozen') throw bankError('BANK_ACCOUNT_FROZEN', `account ${accountId} is frozen`);
    if (row.status === 'closed') throw bankError('BANK_ACCOUNT_CLOSED', `account ${accountId} is closed`);
    const limit = row.overdraft_limit === null ? Number.POSITIVE_INFINITY : Number(row.overdraft_limit);
    if (Number(row.balance) - Number(row.held) < -limit) {
      throw bankError('BANK_INSUFFICIENT_FUNDS', `account ${accountId} does not have enough available funds`);
    }
  }
}

/** Whole days since the epoch in China time (UTC+8), the bank's business day for daily limits. */
export function bankDay(now: number): number {
  return Math.floor((now + 8 * 3_600_000) / 86_400_000);
}

/** Adds `amount` to the day's usage of a channel's limit, refusing to go over `limit`. */
export async function consumeLimit(
  tx: Tx,
  usage: {
    customerId: string;
    channel: string;
    currency: CurrencyCode;
    amount: number;
    limit: number;
    at: number;
  },
): Promise<void> {
  const row = await tx
    .insertInto('bank_limit_usage')
    .values({
      customer_id: usage.customerId,
      channel: usage.channel,
      day: bankDay(usage.at),
      currency: usage.currency,
      used: usage.amount,
    })
    .onConflict((oc) =>
      oc
        .columns(['customer_id', 'channel', 'day', 'currency'])
        .doUpdateSet((eb) => ({ used: eb('bank_limit_usage.used', '+', eb.ref('excluded.used')) })),
    )
    .returning('used')
    .executeTakeFirstOrThrow();
  if (Number(row.used) > usage.limit) {
    throw bankError(
      'BANK_LIMIT_EXCEEDED',
      `this would exceed the ${usage.channel} daily limit of ${usage.limit} minor units of ${usage.currency}`,
    );
  }
}
