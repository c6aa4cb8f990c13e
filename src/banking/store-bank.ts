import { createHash, randomInt, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  type AccountId,
  asId,
  type Clock,
  type CurrencyCode,
  type CustomerId,
  divideHalfEven,
  type EventMeta,
  formatMoney,
  isCurrencyCode,
  type Money,
  maskNumber,
  money,
  moneyToJson,
  TellerError,
  type TimerHandle,
} from '../core/index';
import type { AuditEntry, Db, Store, Tx } from '../store/index';
import { bankError, isFinalRejection } from './errors';
import type { BankingEvents } from './events';
import {
  convertBuy,
  convertSell,
  type DepositRate,
  depositRates,
  type FxBoard,
  FxFeed,
  formatDecimal,
  rateDecimals,
} from './fx';
import { billerAccountId, consumeLimit, ensureLedgerAccounts, hold, ledgerAccountId, post } from './ledger';
import { MarketSimulator, type TradingHours } from './market';
import {
  type Account,
  type Biller,
  type BillerRegistration,
  type BillPaymentRecord,
  type Card,
  type CardStatus,
  type Channel,
  type Cheque,
  type ChequeStatus,
  cardMachine,
  chequeMachine,
  type HistoryQuery,
  type LedgerLine,
  type Order,
  type OrderStatus,
  orderMachine,
  type Page,
  type Payee,
  type Position,
  type TransactionKind,
} from './model';
import type {
  BillPaymentRequest,
  BillPaymentResult,
  CardReportRequest,
  CardReportResult,
  ChequeRequest,
  CoreBanking,
  FxConversionRequest,
  FxConversionResult,
  FxQuote,
  FxQuoteRequest,
  OperationContext,
  OrderRequest,
  OtpDelivery,
  OwnTransferRequest,
  PayeeTransferRequest,
  PinStatus,
  StockQuote,
  TransferResult,
} from './port';
import {
  type AccountRow,
  accountColumns,
  cardColumns,
  type OrderRow,
  toAccount,
  toBiller,
  toCard,
  toCheque,
  toOrder,
  toPayee,
} from './rows';
import {
  assertPinFormat,
  defaultPanKey,
  hashPin,
  isCardNumber,
  newOtp,
  otpDigest,
  otpMatches,
  panDigest,
  pinMatches,
} from './secrets';
import {
  type BankOperation,
  levelAtLeast,
  requireLevel,
  type Verification,
  type VerificationLevel,
} from './verification';

/** Where one-time codes go: an SMS gateway in production, the simulator's outbox otherwise. */
export interface OtpMessage {
  customerId: string;
  /** The full phone number to deliver to. */
  phone: string;
  code: string;
  expiresAt: number;
}

export interface OtpSender {
  send(message: OtpMessage): Promise<void>;
}

/**
 * The simulator's SMS: keeps the last code sent to each customer, as the customer's phone
 * would show it. The demo page and tests read it; nothing logs it.
 */
export class SimulatorOtpOutbox implements OtpSender {
  private readonly last = new Map<string, OtpMessage>();

  async send(message: OtpMessage): Promise<void> {
    this.last.set(message.customerId, message);
  }

  lastCode(customerId: string): string | undefined {
    return this.last.get(customerId)?.code;
  }
}

/** Outgoing payments allowed per customer, channel, currency and bank day, in minor units. */
export type DailyLimits = Record<Channel, Partial<Record<CurrencyCode, number>>>;

/** Self-service (IVR) is allowed a tenth of what an agent-assisted call is. */
export const defaultDailyLimits: DailyLimits = {
  ivr: { CNY: 50_000_00, USD: 7_000_00, HKD: 55_000_00, EUR: 6_500_00 },
  agent: { CNY: 500_000_00, USD: 70_000_00, HKD: 550_000_00, EUR: 65_000_00 },
};

/** Fee for a certified cheque, per currency, minor units. */
export const defaultChequeFees: Partial<Record<CurrencyCode, number>> = {
  CNY: 10_00,
  USD: 2_00,
  HKD: 15_00,
  EUR: 2_00,
};

export type FaultPoint = 'before-commit' | 'after-commit';
/**
 * A hook for failure testing: called inside the database transaction just before it
 * commits, and after the commit just before the result is returned. Throwing from it rolls
 * the work back (before-commit) or loses the reply on its way to the caller (after-commit).
 */
export type FaultInjector = (point: FaultPoint, operation: BankOperation) => void;

export type BankingPublish = <K extends keyof BankingEvents>(
  type: K,
  payload: BankingEvents[K],
  meta: EventMeta,
) => Promise<unknown>;

export interface StoreBankOptions {
  store: Store;
  clock: Clock;
  audit: { record(entry: AuditEntry): Promise<unknown> };
  publish: BankingPublish;
  /** Seed of the simulated market and FX feed. */
  seed?: string;
  otpSender?: OtpSender;
  limits?: DailyLimits;
  chequeFees?: Partial<Record<CurrencyCode, number>>;
  /** Key of the card-number hash (HMAC-SHA256). */
  panKey?: string;
  tradingHours?: TradingHours;
  maxPinFailures?: number;
  verificationTtlMs?: number;
  otpTtlMs?: number;
  quoteTtlMs?: number;
  faults?: FaultInjector;
  /** Errors of background work (matching open orders) that have no caller to throw to. */
  reportError?: (error: unknown, context: string) => void;
}

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; kind: string; message: string } };

/** Thrown inside a transaction that lost the race for its idempotency key. */
class KeyTaken extends Error {}

function isUniqueViolation(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

const idempotencyKeyPattern = /^[\w.:-]{8,128}$/;
const maxOtpAttempts = 5;
const lotSize = 100;

function checkAmount(amount: Money, field = 'amount'): void {
  if (!isCurrencyCode(amount.currency) || !Number.isSafeInteger(amount.minor) || amount.minor <= 0) {
    throw bankError('BANK_INVALID_AMOUNT', `${field} must be a positive amount in a known currency`, [
      { field, message: 'must be positive' },
    ]);
  }
}

function sameCurrency(account: AccountRow, amount: Money): void {
  if (account.currency !== amount.currency) {
    throw bankError(
      'BANK_CURRENCY_MISMATCH',
      `account ${maskNumber(account.number)} is in ${account.currency}, the amount in ${amount.currency}`,
    );
  }
}

function moneyText(value: Money): string {
  return `${formatMoney(value)} ${value.currency}`;
}

/** Digits only, without the +86 / 0086 country prefix. */
export function normalizePhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.startsWith('0086')) return digits.slice(4);
  if (digits.startsWith('86') && digits.length === 13) return digits.slice(2);
  return digits;
}

function encodeCursor(at: number, id: number | string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, number | string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number') {
      return [value[0], value[1] as number | string];
    }
  } catch {
    // fall through to the error below: a cursor we did not make
  }
  throw bankError('BANK_CURSOR_INVALID', 'the cursor is not one this API returned', [
    { field: 'cursor', message: 'unknown cursor' },
  ]);
}

function commissionOf(gross: number): number {
  // 0.025% of the traded amount, at least 5.00 CNY, half-even to the fen.
  return Math.max(5_00, Number(divideHalfEven(BigInt(gross) * 25n, 100_000n)));
}

/**
 * The built-in simulator bank on Teller's store. It behaves like a core-banking system:
 * a double-entry ledger (see ledger.ts), idempotent money movement, daily limits per channel,
 * PIN verification with lockout, FX at quoted rates and a simulated stock market. Every
 * operation is audited with its channel, actor and interaction; every change is published
 * after it has committed.
 */
export class StoreBank implements CoreBanking {
  private readonly db: Db;
  private readonly fx: FxFeed;
  private readonly market: MarketSimulator;
  private readonly limits: DailyLimits;
  private readonly chequeFees: Partial<Record<CurrencyCode, number>>;
  private readonly panKey: string;
  private readonly maxPinFailures: number;
  private readonly verificationTtlMs: number;
  private readonly otpTtlMs: number;
  private readonly quoteTtlMs: number;
  private readonly otpSender: OtpSender;
  private initialized: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private matching: Promise<void> = Promise.resolve();

  constructor(private readonly o: StoreBankOptions) {
    this.db = o.store.db;
    const seed = o.seed ?? 'teller';
    this.fx = new FxFeed(seed);
    this.market = new MarketSimulator(seed, o.tradingHours ?? 'exchange');
    this.limits = o.limits ?? defaultDailyLimits;
    this.chequeFees = o.chequeFees ?? defaultChequeFees;
    this.panKey = o.panKey ?? defaultPanKey;
    this.maxPinFailures = o.maxPinFailures ?? 3;
    this.verificationTtlMs = o.verificationTtlMs ?? 15 * 60_000;
    this.otpTtlMs = o.otpTtlMs ?? 5 * 60_000;
    this.quoteTtlMs = o.quoteTtlMs ?? 60_000;
    this.otpSender = o.otpSender ?? new SimulatorOtpOutbox();
  }

  /** Matches open limit orders once a minute (and expires them at the close) until `stop`. */
  start(intervalMs = 60_000): void {
    const tick = () => {
      this.timer = this.o.clock.setTimeout(() => {
        this.runMarket()
          .catch((error: unknown) => this.o.reportError?.(error, 'matching open orders'))
          .finally(() => {
            if (this.timer) tick();
          });
      }, intervalMs);
    };
    if (!this.timer) tick();
  }

  async stop(): Promise<void> {
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.matching;
  }

  private init(): Promise<void> {
    this.initialized ??= ensureLedgerAccounts(this.db, this.o.clock.now()).catch((error: unknown) => {
      this.initialized = undefined;
      throw error;
    });
    return this.initialized;
  }

  // ---------------------------------------------------------------- plumbing

  private async audit(
    action: string,
    ctx: OperationContext,
    customerId: string | null,
    outcome: 'success' | 'failure' | 'denied',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.o.audit.record({
      actor: ctx.actor,
      action: `banking.${action}`,
      target: customerId,
      outcome,
      ip: ctx.ip ?? null,
      details: { channel: ctx.channel, interactionId: ctx.interactionId ?? null, ...details },
    });
  }

  private async auditError(action: string, ctx: OperationContext, customerId: string | null, error: unknown) {
    const code = error instanceof TellerError ? error.code : 'INTERNAL';
    const outcome = error instanceof TellerError && error.kind === 'forbidden' ? 'denied' : 'failure';
    await this.audit(action, ctx, customerId, outcome, { code });
  }

  private emit<K extends keyof BankingEvents>(
    type: K,
    payload: BankingEvents[K],
    ctx: OperationContext | null,
  ) {
    return this.o.publish(type, payload, { audience: 'supervisor', ...(ctx ? { actor: ctx.actor } : {}) });
  }

  /** The verification level `ctx` carries for `customerId`, checked against what `operation` declares. */
  private async checkLevel(
    operation: BankOperation,
    ctx: OperationContext,
    customerId: string,
  ): Promise<VerificationLevel> {
    const level = await this.levelOf(ctx, customerId);
    requireLevel(operation, level);
    return level;
  }

  private async levelOf(ctx: OperationContext, customerId: string): Promise<VerificationLevel> {
    if (!ctx.verificationId) return 'none';
    const row = await this.db
      .selectFrom('bank_verifications')
      .select(['customer_id', 'level', 'expires_at'])
      .where('id', '=', ctx.verificationId)
      .executeTakeFirst();
    if (!row || row.customer_id !== customerId) return 'none';
    if (Number(row.expires_at) <= this.o.clock.now()) {
      throw bankError('BANK_VERIFICATION_EXPIRED', 'the verification has expired; verify the customer again');
    }
    return row.level as VerificationLevel;
  }

  /** A read or a change that moves no money: verification, then the work, audited either way. */
  private async customerOp<T>(
    operation: BankOperation,
    ctx: OperationContext,
    customerId: string,
    work: (level: VerificationLevel) => Promise<T>,
    details: (value: T) => Record<string, unknown> = () => ({}),
  ): Promise<T> {
    await this.init();
    let value: T;
    try {
      value = await work(await this.checkLevel(operation, ctx, customerId));
    } catch (error) {
      await this.auditError(operation, ctx, customerId, error);
      throw error;
    }
    await this.audit(operation, ctx, customerId, 'success', details(value));
    return value;
  }

  /**
   * The frame of every money-moving operation. The idempotency record is inserted first in
   * the same transaction as the money movement, so on PostgreSQL a concurrent retry with the
   * same key waits on it and then replays the committed outcome; a final rejection (no
   * funds, limit, closed market…) is stored too, and replayed. Events and the audit entry
   * follow the commit; a replay is audited but not announced again.
   */
  private async moneyOp<T>(
    operation: BankOperation,
    ctx: OperationContext,
    customerId: string,
    idempotencyKey: string,
    request: unknown,
    execute: (tx: Tx, at: number, scope: string, level: VerificationLevel) => Promise<T>,
    announce: (value: T) => Promise<unknown>,
    details: (value: T) => Record<string, unknown>,
  ): Promise<T> {
    await this.init();
    const scope = `${customerId}:${idempotencyKey}`;
    const requestHash = createHash('sha256')
      .update(JSON.stringify([operation, request]))
      .digest('hex');
    let value: T;
    let replayed = false;
    try {
      if (!idempotencyKeyPattern.test(idempotencyKey)) {
        throw bankError(
          'BANK_IDEMPOTENCY_KEY_INVALID',
          'the idempotency key must be 8–128 letters, digits or ._:-',
          [{ field: 'idempotencyKey', message: 'invalid' }],
        );
      }
      const level = await this.checkLevel(operation, ctx, customerId);
      // No read first: the insert of the idempotency record finds a used key (and, on
      // PostgreSQL, waits for a concurrent holder of it to finish).
      try {
        value = await this.db.transaction().execute(async (tx) => {
          const at = this.o.clock.now();
          try {
            await tx
              .insertInto('bank_idempotency')
              .values({ scope, operation, request_hash: requestHash, outcome: '', created_at: at })
              .execute();
          } catch (error) {
            if (isUniqueViolation(error)) throw new KeyTaken();
            throw error;
          }
          const result = await execute(tx, at, scope, level);
          const outcome: Outcome = { ok: true, value: result };
          await tx
            .updateTable('bank_idempotency')
            .set({ outcome: JSON.stringify(outcome) })
            .where('scope', '=', scope)
            .execute();
          this.o.faults?.('before-commit', operation);
          return result;
        });
      } catch (error) {
        if (error instanceof KeyTaken) {
          replayed = true;
          value = this.replay<T>(await this.storedOutcome(scope), operation, requestHash);
        } else if (isFinalRejection(error)) {
          await this.storeRejection(scope, operation, requestHash, error);
          // Whatever is stored now is the answer: this rejection, or a concurrent attempt's
          // outcome that got there first.
          replayed = true;
          value = this.replay<T>(await this.storedOutcome(scope), operation, requestHash);
        } else {
          throw error;
        }
      }
    } catch (error) {
      await this.auditError(operation, ctx, customerId, error);
      throw error;
    }
    if (!replayed) await announce(value);
    await this.audit(operation, ctx, customerId, 'success', { ...details(value), replay: replayed });
    this.o.faults?.('after-commit', operation);
    return value;
  }

  private async storedOutcome(scope: string) {
    const row = await this.db
      .selectFrom('bank_idempotency')
      .select(['operation', 'request_hash', 'outcome'])
      .where('scope', '=', scope)
      .executeTakeFirst();
    return row && row.outcome !== '' ? row : undefined;
  }

  private replay<T>(
    stored: { operation: string; request_hash: string; outcome: string } | undefined,
    operation: BankOperation,
    requestHash: string,
  ): T {
    if (!stored) throw bankError('BANK_IDEMPOTENCY_LOST', 'the idempotency record vanished');
    if (stored.operation !== operation || stored.request_hash !== requestHash) {
      throw bankError(
        'BANK_IDEMPOTENCY_KEY_REUSED',
        'this idempotency key was already used for a different request; use a new key',
      );
    }
    const outcome = JSON.parse(stored.outcome) as Outcome;
    if (outcome.ok) return outcome.value as T;
    throw new TellerError(
      outcome.error.code,
      outcome.error.kind as TellerError['kind'],
      outcome.error.message,
    );
  }

  private async storeRejection(scope: string, operation: string, requestHash: string, error: TellerError) {
    const outcome: Outcome = {
      ok: false,
      error: { code: error.code, kind: error.kind, message: error.message },
    };
    await this.db
      .insertInto('bank_idempotency')
      .values({
        scope,
        operation,
        request_hash: requestHash,
        outcome: JSON.stringify(outcome),
        created_at: this.o.clock.now(),
      })
      .onConflict((oc) => oc.column('scope').doNothing())
      .execute();
  }

  private async ownedAccount(db: Db | Tx, customerId: string, accountId: string): Promise<AccountRow> {
    const row = await db
      .selectFrom('bank_accounts')
      .select(accountColumns)
      .where('id', '=', accountId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw bankError('BANK_ACCOUNT_NOT_FOUND', `the customer has no account ${accountId}`);
    return row;
  }

  private limitFor(channel: Channel, currency: CurrencyCode): number {
    return this.limits[channel]?.[currency] ?? 0;
  }

  // ---------------------------------------------------------------- verification

  private async upgrade(
    customerId: string,
    level: VerificationLevel,
    method: 'caller-number' | 'pin' | 'otp',
    ctx: OperationContext,
  ): Promise<Verification> {
    const now = this.o.clock.now();
    const expiresAt = now + this.verificationTtlMs;
    if (ctx.verificationId) {
      const existing = await this.db
        .selectFrom('bank_verifications')
        .select(['id', 'customer_id', 'level', 'expires_at'])
        .where('id', '=', ctx.verificationId)
        .executeTakeFirst();
      if (existing && existing.customer_id === customerId && Number(existing.expires_at) > now) {
        const have = existing.level as VerificationLevel;
        const next = levelAtLeast(have, level) ? have : level;
        await this.db
          .updateTable('bank_verifications')
          .set({ level: next, expires_at: expiresAt })
          .where('id', '=', existing.id)
          .execute();
        const verification = { id: existing.id, customerId, level: next, channel: ctx.channel, expiresAt };
        await this.emit(
          'banking.verification.changed',
          { customerId, verificationId: existing.id, level: next, method, channel: ctx.channel },
          ctx,
        );
        return verification;
      }
    }
    const id = randomUUID();
    await this.db
      .insertInto('bank_verifications')
      .values({
        id,
        customer_id: customerId,
        level,
        channel: ctx.channel,
        actor: ctx.actor,
        created_at: now,
        expires_at: expiresAt,
        otp_hash: null,
        otp_expires_at: null,
        otp_attempts: 0,
      })
      .execute();
    await this.emit(
      'banking.verification.changed',
      { customerId, verificationId: id, level, method, channel: ctx.channel },
      ctx,
    );
    return { id, customerId, level, channel: ctx.channel, expiresAt };
  }

  private async requireCustomer(customerId: string): Promise<void> {
    const row = await this.db
      .selectFrom('customers')
      .select('id')
      .where('id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw bankError('BANK_CUSTOMER_NOT_FOUND', `no customer ${customerId}`);
  }

  async verifyCallerNumber(
    customerId: string,
    callerNumber: string,
    ctx: OperationContext,
  ): Promise<Verification> {
    await this.init();
    try {
      await this.requireCustomer(customerId);
      const phone = normalizePhone(callerNumber);
      const match = await this.db
        .selectFrom('customer_phones')
        .select('phone')
        .where('customer_id', '=', customerId)
        .where('phone', '=', phone)
        .executeTakeFirst();
      if (!match) {
        throw bankError(
          'BANK_CALLER_NUMBER_MISMATCH',
          "the calling number is not one of the customer's phones",
        );
      }
      const verification = await this.upgrade(customerId, 'caller-number', 'caller-number', ctx);
      await this.audit('verify-caller-number', ctx, customerId, 'success', { level: verification.level });
      return verification;
    } catch (error) {
      await this.auditError('verify-caller-number', ctx, customerId, error);
      throw error;
    }
  }

  async verifyPin(customerId: string, pin: string, ctx: OperationContext): Promise<Verification> {
    await this.init();
    try {
      const credentials = await this.db
        .selectFrom('bank_credentials')
        .select(['pin_hash', 'pin_locked'])
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      if (!credentials) {
        await this.requireCustomer(customerId);
        throw bankError('BANK_PIN_NOT_SET', 'the customer has no telephone PIN');
      }
      if (credentials.pin_hash === null)
        throw bankError('BANK_PIN_NOT_SET', 'the customer has no telephone PIN');
      if (credentials.pin_locked === 1) {
        throw bankError('BANK_PIN_LOCKED', 'the telephone PIN is locked; an agent must reset it');
      }
      if (!(await pinMatches(pin, credentials.pin_hash))) {
        await this.pinFailed(customerId, ctx);
      }
      const cleared = await this.db
        .updateTable('bank_credentials')
        .set({ pin_failures: 0 })
        .where('customer_id', '=', customerId)
        .where('pin_locked', '=', 0)
        .returning('customer_id')
        .executeTakeFirst();
      // Locked by concurrent failures while this (correct) PIN was being checked.
      if (!cleared) throw bankError('BANK_PIN_LOCKED', 'the telephone PIN is locked; an agent must reset it');
      const verification = await this.upgrade(customerId, 'pin', 'pin', ctx);
      await this.audit('verify-pin', ctx, customerId, 'success', { level: verification.level });
      return verification;
    } catch (error) {
      await this.auditError('verify-pin', ctx, customerId, error);
      throw error;
    }
  }

  private async pinFailed(customerId: string, ctx: OperationContext): Promise<never> {
    const now = this.o.clock.now();
    const max = this.maxPinFailures;
    // One statement, so concurrent wrong PINs each count and the lock lands on exactly the
    // failure that reaches the maximum.
    const row = await this.db
      .updateTable('bank_credentials')
      .set({
        pin_failures: sql<number>`pin_failures + 1`,
        pin_locked: sql<number>`case when pin_failures + 1 >= ${max} then 1 else 0 end`,
        pin_locked_at: sql<
          number | null
        >`case when pin_failures + 1 >= ${max} then cast(${now} as bigint) else null end`,
      })
      .where('customer_id', '=', customerId)
      .where('pin_locked', '=', 0)
      .returning(['pin_failures', 'pin_locked'])
      .executeTakeFirst();
    if (!row) throw bankError('BANK_PIN_LOCKED', 'the telephone PIN is locked; an agent must reset it');
    await this.emit(
      'banking.pin.failed',
      { customerId, failures: row.pin_failures, channel: ctx.channel },
      ctx,
    );
    if (row.pin_locked === 1) {
      await this.emit('banking.pin.locked', { customerId, channel: ctx.channel }, ctx);
      throw bankError(
        'BANK_PIN_LOCKED',
        `${max} wrong PINs: the telephone PIN is locked until an agent resets it`,
      );
    }
    const left = max - row.pin_failures;
    throw bankError('BANK_PIN_INVALID', `wrong PIN; ${left} attempt${left === 1 ? '' : 's'} left`);
  }

  async sendOtp(verificationId: string, ctx: OperationContext): Promise<OtpDelivery> {
    await this.init();
    let customerId: string | null = null;
    try {
      const now = this.o.clock.now();
      const v = await this.liveVerification(verificationId, now);
      customerId = v.customer_id;
      if (!levelAtLeast(v.level as VerificationLevel, 'pin')) {
        throw bankError(
          'BANK_VERIFICATION_REQUIRED',
          'a one-time code is sent only after the PIN was verified',
        );
      }
      const phone = await this.db
        .selectFrom('customer_phones')
        .select('phone')
        .where('customer_id', '=', v.customer_id)
        .orderBy('is_primary', 'desc')
        .orderBy('phone')
        .executeTakeFirst();
      if (!phone) throw bankError('BANK_CUSTOMER_NOT_FOUND', 'the customer has no phone to send a code to');
      const code = newOtp();
      const expiresAt = now + this.otpTtlMs;
      await this.db
        .updateTable('bank_verifications')
        .set({ otp_hash: otpDigest(verificationId, code), otp_expires_at: expiresAt, otp_attempts: 0 })
        .where('id', '=', verificationId)
        .execute();
      await this.otpSender.send({ customerId: v.customer_id, phone: phone.phone, code, expiresAt });
      const sentTo = maskNumber(phone.phone);
      await this.emit('banking.otp.sent', { customerId: v.customer_id, verificationId, sentTo }, ctx);
      await this.audit('send-otp', ctx, customerId, 'success', { verificationId, sentTo });
      return { sentTo, expiresAt };
    } catch (error) {
      await this.auditError('send-otp', ctx, customerId, error);
      throw error;
    }
  }

  private async liveVerification(verificationId: string, now: number) {
    const v = await this.db
      .selectFrom('bank_verifications')
      .selectAll()
      .where('id', '=', verificationId)
      .executeTakeFirst();
    if (!v) throw bankError('BANK_VERIFICATION_REQUIRED', 'no such verification; verify the customer first');
    if (Number(v.expires_at) <= now) {
      throw bankError('BANK_VERIFICATION_EXPIRED', 'the verification has expired; verify the customer again');
    }
    return v;
  }

  async verifyOtp(verificationId: string, code: string, ctx: OperationContext): Promise<Verification> {
    await this.init();
    let customerId: string | null = null;
    try {
      const now = this.o.clock.now();
      const v = await this.liveVerification(verificationId, now);
      customerId = v.customer_id;
      if (!v.otp_hash || v.otp_expires_at === null) {
        throw bankError('BANK_OTP_INVALID', 'no one-time code was sent for this verification');
      }
      if (Number(v.otp_expires_at) <= now)
        throw bankError('BANK_OTP_EXPIRED', 'the one-time code has expired');
      if (!otpMatches(verificationId, code, v.otp_hash)) {
        const attempts = v.otp_attempts + 1;
        const spent = attempts >= maxOtpAttempts;
        await this.db
          .updateTable('bank_verifications')
          .set(
            spent
              ? { otp_attempts: attempts, otp_hash: null, otp_expires_at: null }
              : { otp_attempts: attempts },
          )
          .where('id', '=', verificationId)
          .execute();
        throw bankError(
          'BANK_OTP_INVALID',
          spent ? 'wrong one-time code too often; send a new one' : 'wrong one-time code',
        );
      }
      await this.db
        .updateTable('bank_verifications')
        .set({ otp_hash: null, otp_expires_at: null, otp_attempts: 0 })
        .where('id', '=', verificationId)
        .execute();
      const verification = await this.upgrade(v.customer_id, 'pin-otp', 'otp', {
        ...ctx,
        verificationId,
      });
      await this.audit('verify-otp', ctx, customerId, 'success', { level: verification.level });
      return verification;
    } catch (error) {
      await this.auditError('verify-otp', ctx, customerId, error);
      throw error;
    }
  }

  async pinStatus(customerId: string): Promise<PinStatus> {
    const row = await this.db
      .selectFrom('bank_credentials')
      .select(['pin_hash', 'pin_locked', 'pin_failures'])
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (!row) {
      await this.requireCustomer(customerId);
      return { set: false, locked: false, failures: 0 };
    }
    return { set: row.pin_hash !== null, locked: row.pin_locked === 1, failures: row.pin_failures };
  }

  async resetPin(customerId: string, ctx: OperationContext, newPin?: string): Promise<PinStatus> {
    await this.init();
    try {
      await this.requireCustomer(customerId);
      if (newPin !== undefined) assertPinFormat(newPin);
      const now = this.o.clock.now();
      const pinHash = newPin === undefined ? undefined : await hashPin(newPin);
      await this.db
        .insertInto('bank_credentials')
        .values({
          customer_id: customerId,
          pin_hash: pinHash ?? null,
          pin_failures: 0,
          pin_locked: 0,
          pin_locked_at: null,
          pin_updated_at: pinHash ? now : null,
        })
        .onConflict((oc) =>
          oc.column('customer_id').doUpdateSet({
            pin_failures: 0,
            pin_locked: 0,
            pin_locked_at: null,
            ...(pinHash ? { pin_hash: pinHash, pin_updated_at: now } : {}),
          }),
        )
        .execute();
      await this.emit('banking.pin.reset', { customerId, newPinSet: pinHash !== undefined }, ctx);
      await this.audit('pin-reset', ctx, customerId, 'success', { newPinSet: pinHash !== undefined });
      return this.pinStatus(customerId);
    } catch (error) {
      await this.auditError('pin-reset', ctx, customerId, error);
      throw error;
    }
  }

  // ---------------------------------------------------------------- staff reads

  async accountsOf(customerId: string): Promise<Account[]> {
    const rows = await this.db
      .selectFrom('bank_accounts')
      .select(accountColumns)
      .where('customer_id', '=', customerId)
      .orderBy('opened_at')
      .orderBy('number')
      .execute();
    return rows.map(toAccount);
  }

  async cardsOf(customerId: string): Promise<Card[]> {
    const rows = await this.db
      .selectFrom('bank_cards')
      .select(cardColumns)
      .where('customer_id', '=', customerId)
      .orderBy('issued_at')
      .orderBy('id')
      .execute();
    return rows.map(toCard);
  }

  async findCustomerByAccountNumber(number: string): Promise<CustomerId | undefined> {
    const row = await this.db
      .selectFrom('bank_accounts')
      .select('customer_id')
      .where('number', '=', number.replace(/\s+/g, ''))
      .executeTakeFirst();
    return row?.customer_id ? asId<CustomerId>(row.customer_id) : undefined;
  }

  async findCustomerByCardNumber(cardNumber: string): Promise<CustomerId | undefined> {
    const pan = cardNumber.replace(/[\s-]+/g, '');
    if (!isCardNumber(pan)) return undefined;
    const row = await this.db
      .selectFrom('bank_cards')
      .select('customer_id')
      .where('pan_hash', '=', panDigest(pan, this.panKey))
      .executeTakeFirst();
    return row ? asId<CustomerId>(row.customer_id) : undefined;
  }

  // ---------------------------------------------------------------- customer reads

  balance(ctx: OperationContext, customerId: string, accountId?: string): Promise<Account[]> {
    return this.customerOp(
      'balance',
      ctx,
      customerId,
      async () => {
        if (accountId) return [toAccount(await this.ownedAccount(this.db, customerId, accountId))];
        return this.accountsOf(customerId);
      },
      (accounts) => ({ accounts: accounts.length }),
    );
  }

  history(
    ctx: OperationContext,
    customerId: string,
    accountId: string,
    query: HistoryQuery = {},
  ): Promise<Page<LedgerLine>> {
    return this.customerOp(
      'history',
      ctx,
      customerId,
      async () => {
        await this.ownedAccount(this.db, customerId, accountId);
        return this.ledgerLines([accountId], query);
      },
      (page) => ({ accountId, lines: page.items.length }),
    );
  }

  recentTransactions(ctx: OperationContext, customerId: string, limit = 10): Promise<LedgerLine[]> {
    return this.customerOp(
      'recent-transactions',
      ctx,
      customerId,
      async () => {
        const accounts = await this.accountsOf(customerId);
        if (accounts.length === 0) return [];
        const page = await this.ledgerLines(
          accounts.map((a) => a.id),
          { limit },
        );
        return page.items;
      },
      (lines) => ({ lines: lines.length }),
    );
  }

  private async ledgerLines(accountIds: string[], query: HistoryQuery): Promise<Page<LedgerLine>> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
    let q = this.db
      .selectFrom('bank_entries as e')
      .innerJoin('bank_transactions as t', 't.id', 'e.transaction_id')
      .select([
        'e.id',
        'e.transaction_id',
        'e.account_id',
        'e.at',
        'e.amount',
        'e.currency',
        'e.balance_after',
        't.kind',
        't.description',
        't.channel',
      ])
      .where('e.account_id', 'in', accountIds);
    if (query.from !== undefined) q = q.where('e.at', '>=', query.from);
    if (query.to !== undefined) q = q.where('e.at', '<', query.to);
    if (query.kinds && query.kinds.length > 0) q = q.where('t.kind', 'in', [...query.kinds]);
    if (query.direction === 'debit') q = q.where('e.amount', '<', 0);
    if (query.direction === 'credit') q = q.where('e.amount', '>', 0);
    if (query.minAmount !== undefined)
      q = q.where(sql<number>`abs(${sql.ref('e.amount')})`, '>=', query.minAmount);
    if (query.maxAmount !== undefined)
      q = q.where(sql<number>`abs(${sql.ref('e.amount')})`, '<=', query.maxAmount);
    if (query.cursor) {
      const [at, id] = decodeCursor(query.cursor);
      const entryId = Number(id);
      q = q.where((eb) =>
        eb.or([eb('e.at', '<', at), eb.and([eb('e.at', '=', at), eb('e.id', '<', entryId)])]),
      );
    }
    const rows = await q
      .orderBy('e.at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(
      (r): LedgerLine => ({
        entryId: Number(r.id),
        transactionId: r.transaction_id,
        accountId: asId<AccountId>(r.account_id),
        at: Number(r.at),
        kind: r.kind as TransactionKind,
        description: r.description,
        channel: r.channel,
        amount: money(Number(r.amount), r.currency as CurrencyCode),
        balanceAfter: money(Number(r.balance_after), r.currency as CurrencyCode),
      }),
    );
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.entryId) : null };
  }

  paymentRecords(
    ctx: OperationContext,
    customerId: string,
    query: { limit?: number; cursor?: string | null } = {},
  ): Promise<Page<BillPaymentRecord>> {
    return this.customerOp(
      'payment-records',
      ctx,
      customerId,
      async () => {
        const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
        let q = this.db
          .selectFrom('bank_bill_payments as p')
          .innerJoin('bank_billers as b', 'b.id', 'p.biller_id')
          .select([
            'p.id',
            'p.transaction_id',
            'p.registration_id',
            'p.account_id',
            'p.reference',
            'p.amount',
            'p.currency',
            'p.at',
            'b.id as biller_id',
            'b.code',
            'b.name_zh',
            'b.name_en',
            'b.category',
            'b.currency as biller_currency',
          ])
          .where('p.customer_id', '=', customerId);
        if (query.cursor) {
          const [at, id] = decodeCursor(query.cursor);
          q = q.where((eb) =>
            eb.or([eb('p.at', '<', at), eb.and([eb('p.at', '=', at), eb('p.id', '<', String(id))])]),
          );
        }
        const rows = await q
          .orderBy('p.at', 'desc')
          .orderBy('p.id', 'desc')
          .limit(limit + 1)
          .execute();
        const items = rows.slice(0, limit).map(
          (r): BillPaymentRecord => ({
            id: r.id,
            transactionId: r.transaction_id,
            registrationId: r.registration_id,
            biller: toBiller({
              id: r.biller_id,
              code: r.code,
              name_zh: r.name_zh,
              name_en: r.name_en,
              category: r.category,
              currency: r.biller_currency,
            }),
            reference: r.reference,
            accountId: asId<AccountId>(r.account_id),
            amount: money(Number(r.amount), r.currency as CurrencyCode),
            at: Number(r.at),
          }),
        );
        const last = items.at(-1);
        return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null };
      },
      (page) => ({ records: page.items.length }),
    );
  }

  payees(ctx: OperationContext, customerId: string): Promise<Payee[]> {
    return this.customerOp('payees', ctx, customerId, async () => {
      const rows = await this.db
        .selectFrom('bank_payees')
        .select(['id', 'name', 'bank_name', 'account_number', 'currency'])
        .where('customer_id', '=', customerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toPayee);
    });
  }

  billerRegistrations(ctx: OperationContext, customerId: string): Promise<BillerRegistration[]> {
    return this.customerOp('billers', ctx, customerId, async () => {
      const rows = await this.db
        .selectFrom('bank_biller_registrations as r')
        .innerJoin('bank_billers as b', 'b.id', 'r.biller_id')
        .select([
          'r.id',
          'r.reference',
          'r.nickname',
          'b.id as biller_id',
          'b.code',
          'b.name_zh',
          'b.name_en',
        ])
        .select(['b.category', 'b.currency'])
        .where('r.customer_id', '=', customerId)
        .orderBy('r.created_at')
        .orderBy('r.id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        reference: r.reference,
        nickname: r.nickname,
        biller: toBiller({ ...r, id: r.biller_id }),
      }));
    });
  }

  cards(ctx: OperationContext, customerId: string): Promise<Card[]> {
    return this.customerOp('cards', ctx, customerId, () => this.cardsOf(customerId));
  }

  async billers(): Promise<Biller[]> {
    const rows = await this.db
      .selectFrom('bank_billers')
      .selectAll()
      .orderBy('category')
      .orderBy('code')
      .execute();
    return rows.map(toBiller);
  }

  // ---------------------------------------------------------------- money

  transferOwn(ctx: OperationContext, r: OwnTransferRequest): Promise<TransferResult> {
    return this.moneyOp(
      'own-transfer',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { from: r.fromAccountId, to: r.toAccountId, amount: r.amount, memo: r.memo ?? null },
      async (tx, at, scope) => {
        checkAmount(r.amount);
        if (r.fromAccountId === r.toAccountId) {
          throw bankError('BANK_SAME_ACCOUNT', 'a transfer needs two different accounts');
        }
        const from = await this.ownedAccount(tx, r.customerId, r.fromAccountId);
        const to = await this.ownedAccount(tx, r.customerId, r.toAccountId);
        sameCurrency(from, r.amount);
        sameCurrency(to, r.amount);
        const id = randomUUID();
        const balances = await post(tx, {
          id,
          customerId: r.customerId,
          kind: 'own-transfer',
          description: r.memo || `Transfer ${maskNumber(from.number)} → ${maskNumber(to.number)}`,
          channel: ctx.channel,
          actor: ctx.actor,
          interactionId: ctx.interactionId ?? null,
          idempotencyScope: scope,
          at,
          legs: [
            { accountId: from.id, amount: -r.amount.minor, currency: r.amount.currency },
            { accountId: to.id, amount: r.amount.minor, currency: r.amount.currency },
          ],
        });
        return {
          transactionId: id,
          at,
          amount: r.amount,
          fromAccountId: from.id,
          fromBalance: money(balances.get(from.id)!, r.amount.currency),
          toAccountId: to.id,
          toBalance: money(balances.get(to.id)!, r.amount.currency),
          payeeId: null,
        };
      },
      (t) =>
        this.emit(
          'banking.transfer.completed',
          {
            transactionId: t.transactionId,
            customerId: r.customerId,
            kind: 'own',
            fromAccountId: t.fromAccountId,
            toAccountId: t.toAccountId,
            payeeId: null,
            amount: moneyToJson(t.amount),
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (t) => ({ transactionId: t.transactionId, amount: moneyText(t.amount) }),
    );
  }

  transferToPayee(ctx: OperationContext, r: PayeeTransferRequest): Promise<TransferResult> {
    return this.moneyOp(
      'payee-transfer',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { from: r.fromAccountId, payee: r.payeeId, amount: r.amount, memo: r.memo ?? null },
      async (tx, at, scope) => {
        checkAmount(r.amount);
        const from = await this.ownedAccount(tx, r.customerId, r.fromAccountId);
        const payee = await tx
          .selectFrom('bank_payees')
          .select(['id', 'name', 'account_number', 'currency'])
          .where('id', '=', r.payeeId)
          .where('customer_id', '=', r.customerId)
          .executeTakeFirst();
        if (!payee)
          throw bankError('BANK_PAYEE_NOT_FOUND', `the customer has no registered payee ${r.payeeId}`);
        sameCurrency(from, r.amount);
        if (payee.currency !== r.amount.currency) {
          throw bankError('BANK_CURRENCY_MISMATCH', `the payee's account is in ${payee.currency}`);
        }
        await consumeLimit(tx, {
          customerId: r.customerId,
          channel: ctx.channel,
          currency: r.amount.currency,
          amount: r.amount.minor,
          limit: this.limitFor(ctx.channel, r.amount.currency),
          at,
        });
        const id = randomUUID();
        const balances = await post(tx, {
          id,
          customerId: r.customerId,
          kind: 'payee-transfer',
          description: r.memo || `Transfer to ${payee.name} ${maskNumber(payee.account_number)}`,
          channel: ctx.channel,
          actor: ctx.actor,
          interactionId: ctx.interactionId ?? null,
          idempotencyScope: scope,
          at,
          legs: [
            { accountId: from.id, amount: -r.amount.minor, currency: r.amount.currency },
            {
              accountId: ledgerAccountId('clearing', r.amount.currency),
              amount: r.amount.minor,
              currency: r.amount.currency,
            },
          ],
        });
        return {
          transactionId: id,
          at,
          amount: r.amount,
          fromAccountId: from.id,
          fromBalance: money(balances.get(from.id)!, r.amount.currency),
          toAccountId: null,
          toBalance: null,
          payeeId: payee.id,
        };
      },
      (t) =>
        this.emit(
          'banking.transfer.completed',
          {
            transactionId: t.transactionId,
            customerId: r.customerId,
            kind: 'payee',
            fromAccountId: t.fromAccountId,
            toAccountId: null,
            payeeId: t.payeeId,
            amount: moneyToJson(t.amount),
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (t) => ({ transactionId: t.transactionId, payeeId: t.payeeId, amount: moneyText(t.amount) }),
    );
  }

  payBill(ctx: OperationContext, r: BillPaymentRequest): Promise<BillPaymentResult> {
    return this.moneyOp(
      'bill-payment',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { from: r.fromAccountId, registration: r.registrationId, amount: r.amount },
      async (tx, at, scope) => {
        checkAmount(r.amount);
        const from = await this.ownedAccount(tx, r.customerId, r.fromAccountId);
        const registration = await tx
          .selectFrom('bank_biller_registrations as r')
          .innerJoin('bank_billers as b', 'b.id', 'r.biller_id')
          .select(['r.id', 'r.reference', 'b.id as biller_id', 'b.code', 'b.currency', 'b.name_en'])
          .where('r.id', '=', r.registrationId)
          .where('r.customer_id', '=', r.customerId)
          .executeTakeFirst();
        if (!registration) {
          throw bankError(
            'BANK_BILLER_NOT_FOUND',
            `the customer has no registered biller ${r.registrationId}`,
          );
        }
        sameCurrency(from, r.amount);
        if (registration.currency !== r.amount.currency) {
          throw bankError(
            'BANK_CURRENCY_MISMATCH',
            `${registration.name_en} bills in ${registration.currency}`,
          );
        }
        await consumeLimit(tx, {
          customerId: r.customerId,
          channel: ctx.channel,
          currency: r.amount.currency,
          amount: r.amount.minor,
          limit: this.limitFor(ctx.channel, r.amount.currency),
          at,
        });
        const id = randomUUID();
        const balances = await post(tx, {
          id,
          customerId: r.customerId,
          kind: 'bill-payment',
          description: `${registration.name_en} ${registration.reference}`,
          channel: ctx.channel,
          actor: ctx.actor,
          interactionId: ctx.interactionId ?? null,
          idempotencyScope: scope,
          at,
          legs: [
            { accountId: from.id, amount: -r.amount.minor, currency: r.amount.currency },
            {
              accountId: billerAccountId(registration.code),
              amount: r.amount.minor,
              currency: r.amount.currency,
            },
          ],
        });
        const paymentId = randomUUID();
        await tx
          .insertInto('bank_bill_payments')
          .values({
            id: paymentId,
            transaction_id: id,
            customer_id: r.customerId,
            registration_id: registration.id,
            biller_id: registration.biller_id,
            account_id: from.id,
            reference: registration.reference,
            amount: r.amount.minor,
            currency: r.amount.currency,
            at,
          })
          .execute();
        return {
          transactionId: id,
          paymentId,
          at,
          amount: r.amount,
          fromAccountId: from.id,
          fromBalance: money(balances.get(from.id)!, r.amount.currency),
          billerCode: registration.code,
          reference: registration.reference,
        };
      },
      (p) =>
        this.emit(
          'banking.bill.paid',
          {
            transactionId: p.transactionId,
            customerId: r.customerId,
            billerCode: p.billerCode,
            amount: moneyToJson(p.amount),
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (p) => ({ transactionId: p.transactionId, billerCode: p.billerCode, amount: moneyText(p.amount) }),
    );
  }

  requestCheque(ctx: OperationContext, r: ChequeRequest): Promise<Cheque> {
    return this.moneyOp(
      'cheque-request',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { account: r.accountId, payee: r.payeeName, amount: r.amount },
      async (tx, at, scope) => {
        checkAmount(r.amount);
        const payeeName = r.payeeName.trim();
        if (payeeName.length === 0 || payeeName.length > 100) {
          throw bankError('BANK_INVALID_AMOUNT', 'the payee name must be 1–100 characters', [
            { field: 'payeeName', message: '1–100 characters' },
          ]);
        }
        const account = await this.ownedAccount(tx, r.customerId, r.accountId);
        if (account.kind !== 'current' && account.kind !== 'savings') {
          throw bankError('BANK_ACCOUNT_KIND', 'certified cheques are drawn on current or savings accounts');
        }
        sameCurrency(account, r.amount);
        const currency = r.amount.currency;
        const fee = this.chequeFees[currency];
        if (fee === undefined)
          throw bankError('BANK_CURRENCY_MISMATCH', `no certified cheques in ${currency}`);
        await consumeLimit(tx, {
          customerId: r.customerId,
          channel: ctx.channel,
          currency,
          amount: r.amount.minor,
          limit: this.limitFor(ctx.channel, currency),
          at,
        });
        const id = randomUUID();
        await post(tx, {
          id,
          customerId: r.customerId,
          kind: 'cheque',
          description: `Certified cheque to ${payeeName}`,
          channel: ctx.channel,
          actor: ctx.actor,
          interactionId: ctx.interactionId ?? null,
          idempotencyScope: scope,
          at,
          legs: [
            { accountId: account.id, amount: -r.amount.minor, currency },
            { accountId: ledgerAccountId('cheques', currency), amount: r.amount.minor, currency },
            ...(fee > 0
              ? [
                  { accountId: account.id, amount: -fee, currency },
                  { accountId: ledgerAccountId('fees', currency), amount: fee, currency },
                ]
              : []),
          ],
        });
        const chequeId = randomUUID();
        const row = {
          id: chequeId,
          customer_id: r.customerId,
          account_id: account.id,
          transaction_id: id,
          cheque_number: String(Number.parseInt(chequeId.replaceAll('-', '').slice(0, 12), 16)).padStart(
            15,
            '0',
          ),
          payee_name: payeeName,
          amount: r.amount.minor,
          fee,
          currency,
          status: 'requested',
          requested_at: at,
          updated_at: at,
        };
        await tx.insertInto('bank_cheques').values(row).execute();
        return toCheque(row);
      },
      (c) =>
        this.emit(
          'banking.cheque.requested',
          {
            chequeId: c.id,
            customerId: r.customerId,
            amount: moneyToJson(c.amount),
            fee: moneyToJson(c.fee),
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (c) => ({
        chequeId: c.id,
        transactionId: c.transactionId,
        amount: moneyText(c.amount),
        fee: moneyText(c.fee),
      }),
    );
  }

  cheques(ctx: OperationContext, customerId: string): Promise<Cheque[]> {
    return this.customerOp('cheques', ctx, customerId, async () => {
      const rows = await this.db
        .selectFrom('bank_cheques')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('requested_at', 'desc')
        .execute();
      return rows.map(toCheque);
    });
  }

  async updateChequeStatus(chequeId: string, to: ChequeStatus, ctx: OperationContext): Promise<Cheque> {
    await this.init();
    let customerId: string | null = null;
    try {
      const { cheque, from } = await this.db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('bank_cheques')
          .selectAll()
          .where('id', '=', chequeId)
          .executeTakeFirst();
        if (!row) throw bankError('BANK_CHEQUE_NOT_FOUND', `no cheque ${chequeId}`);
        customerId = row.customer_id;
        const from = row.status as ChequeStatus;
        chequeMachine.transition(from, to);
        const at = this.o.clock.now();
        const claimed = await tx
          .updateTable('bank_cheques')
          .set({ status: to, updated_at: at })
          .where('id', '=', chequeId)
          .where('status', '=', from)
          .returningAll()
          .executeTakeFirst();
        if (!claimed) throw bankError('BANK_ILLEGAL_TRANSITION', `the cheque changed while moving to ${to}`);
        if (to === 'cancelled') {
          const currency = row.currency as CurrencyCode;
          await post(tx, {
            id: randomUUID(),
            customerId: row.customer_id,
            kind: 'cheque-refund',
            description: `Certified cheque ${row.cheque_number} cancelled`,
            channel: ctx.channel,
            actor: ctx.actor,
            interactionId: ctx.interactionId ?? null,
            idempotencyScope: null,
            at,
            legs: [
              { accountId: ledgerAccountId('cheques', currency), amount: -Number(row.amount), currency },
              { accountId: row.account_id, amount: Number(row.amount), currency },
            ],
          });
        }
        return { cheque: toCheque(claimed), from };
      });
      await this.emit('banking.cheque.changed', { chequeId, customerId: customerId ?? '', from, to }, ctx);
      await this.audit('cheque-status', ctx, customerId, 'success', { chequeId, from, to });
      return cheque;
    } catch (error) {
      await this.auditError('cheque-status', ctx, customerId, error);
      throw error;
    }
  }

  // ---------------------------------------------------------------- FX

  depositRates(): DepositRate[] {
    return depositRates();
  }

  fxBoard(): FxBoard {
    return this.fx.board(this.o.clock.now());
  }

  quoteFx(ctx: OperationContext, r: FxQuoteRequest): Promise<FxQuote> {
    return this.customerOp(
      'fx-quote',
      ctx,
      r.customerId,
      async () => {
        if ((r.sell === undefined) === (r.buy === undefined)) {
          throw bankError('BANK_INVALID_AMOUNT', 'give either the amount to sell or the amount to buy', [
            { field: 'sell', message: 'exactly one of sell and buy' },
          ]);
        }
        const from = await this.ownedAccount(this.db, r.customerId, r.fromAccountId);
        const to = await this.ownedAccount(this.db, r.customerId, r.toAccountId);
        const fromCurrency = from.currency as CurrencyCode;
        const toCurrency = to.currency as CurrencyCode;
        if (fromCurrency === toCurrency) {
          throw bankError('BANK_CURRENCY_MISMATCH', 'both accounts are in the same currency; use a transfer');
        }
        if (!this.fx.has(fromCurrency) || !this.fx.has(toCurrency)) {
          throw bankError('BANK_CURRENCY_MISMATCH', `no FX between ${fromCurrency} and ${toCurrency}`);
        }
        const now = this.o.clock.now();
        const rate = this.fx.customerRate(fromCurrency, toCurrency, now);
        let sell: number;
        let buy: number;
        if (r.sell) {
          checkAmount(r.sell, 'sell');
          sameCurrency(from, r.sell);
          sell = r.sell.minor;
          buy = convertSell(sell, rate, fromCurrency, toCurrency);
        } else {
          checkAmount(r.buy!, 'buy');
          sameCurrency(to, r.buy!);
          buy = r.buy!.minor;
          sell = convertBuy(buy, rate, fromCurrency, toCurrency);
        }
        if (sell <= 0 || buy <= 0)
          throw bankError('BANK_INVALID_AMOUNT', 'the amount is too small to convert');
        const quote: FxQuote = {
          id: randomUUID(),
          fromAccountId: from.id,
          toAccountId: to.id,
          sell: money(sell, fromCurrency),
          buy: money(buy, toCurrency),
          rate: formatDecimal(rate, rateDecimals),
          createdAt: now,
          expiresAt: now + this.quoteTtlMs,
        };
        await this.db
          .insertInto('bank_fx_quotes')
          .values({
            id: quote.id,
            customer_id: r.customerId,
            from_account_id: from.id,
            to_account_id: to.id,
            from_currency: fromCurrency,
            to_currency: toCurrency,
            rate: quote.rate,
            from_amount: sell,
            to_amount: buy,
            created_at: now,
            expires_at: quote.expiresAt,
            transaction_id: null,
          })
          .execute();
        await this.emit(
          'banking.fx.quoted',
          {
            quoteId: quote.id,
            customerId: r.customerId,
            sell: moneyToJson(quote.sell),
            buy: moneyToJson(quote.buy),
            rate: quote.rate,
            expiresAt: quote.expiresAt,
          },
          ctx,
        );
        return quote;
      },
      (q) => ({ quoteId: q.id, sell: moneyText(q.sell), buy: moneyText(q.buy), rate: q.rate }),
    );
  }

  convertFx(ctx: OperationContext, r: FxConversionRequest): Promise<FxConversionResult> {
    return this.moneyOp(
      'fx-conversion',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { quote: r.quoteId },
      async (tx, at, scope) => {
        const quote = await tx
          .selectFrom('bank_fx_quotes')
          .selectAll()
          .where('id', '=', r.quoteId)
          .where('customer_id', '=', r.customerId)
          .executeTakeFirst();
        if (!quote) throw bankError('BANK_QUOTE_NOT_FOUND', `no quote ${r.quoteId} for this customer`);
        if (at >= Number(quote.expires_at)) {
          throw bankError('BANK_QUOTE_EXPIRED', 'the quote has expired; ask for a new one');
        }
        const id = randomUUID();
        const claimed = await tx
          .updateTable('bank_fx_quotes')
          .set({ transaction_id: id })
          .where('id', '=', quote.id)
          .where('transaction_id', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (!claimed) throw bankError('BANK_QUOTE_USED', 'this quote was already used');
        const fromCurrency = quote.from_currency as CurrencyCode;
        const toCurrency = quote.to_currency as CurrencyCode;
        const sell = Number(quote.from_amount);
        const buy = Number(quote.to_amount);
        const balances = await post(tx, {
          id,
          customerId: r.customerId,
          kind: 'fx-conversion',
          description: `FX ${fromCurrency}→${toCurrency} at ${quote.rate}`,
          channel: ctx.channel,
          actor: ctx.actor,
          interactionId: ctx.interactionId ?? null,
          idempotencyScope: scope,
          at,
          legs: [
            { accountId: quote.from_account_id, amount: -sell, currency: fromCurrency },
            { accountId: ledgerAccountId('fx-position', fromCurrency), amount: sell, currency: fromCurrency },
            { accountId: ledgerAccountId('fx-position', toCurrency), amount: -buy, currency: toCurrency },
            { accountId: quote.to_account_id, amount: buy, currency: toCurrency },
          ],
        });
        return {
          transactionId: id,
          quoteId: quote.id,
          at,
          sold: money(sell, fromCurrency),
          bought: money(buy, toCurrency),
          rate: quote.rate,
          fromBalance: money(balances.get(quote.from_account_id)!, fromCurrency),
          toBalance: money(balances.get(quote.to_account_id)!, toCurrency),
        };
      },
      (c) =>
        this.emit(
          'banking.fx.converted',
          {
            transactionId: c.transactionId,
            quoteId: c.quoteId,
            customerId: r.customerId,
            sold: moneyToJson(c.sold),
            bought: moneyToJson(c.bought),
            rate: c.rate,
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (c) => ({
        transactionId: c.transactionId,
        sold: moneyText(c.sold),
        bought: moneyText(c.bought),
        rate: c.rate,
      }),
    );
  }

  // ---------------------------------------------------------------- brokerage

  stockQuotes(symbols?: readonly string[]): StockQuote[] {
    const now = this.o.clock.now();
    const wanted = symbols && symbols.length > 0 ? symbols : this.market.listed().map((s) => s.symbol);
    return wanted.map((symbol) => {
      const q = this.market.quote(symbol, now);
      const change = q.price - q.previousClose;
      return {
        symbol: q.symbol,
        nameZh: q.nameZh,
        nameEn: q.nameEn,
        price: money(q.price, 'CNY'),
        previousClose: money(q.previousClose, 'CNY'),
        change: money(change, 'CNY'),
        changePercent: formatDecimal(divideHalfEven(BigInt(change) * 10_000n, BigInt(q.previousClose)), 2),
        limitUp: money(q.limitUp, 'CNY'),
        limitDown: money(q.limitDown, 'CNY'),
        marketOpen: q.open,
        at: now,
      };
    });
  }

  placeOrder(ctx: OperationContext, r: OrderRequest): Promise<Order> {
    const limitPrice = r.limitPrice ?? null;
    return this.moneyOp(
      'place-order',
      ctx,
      r.customerId,
      r.idempotencyKey,
      {
        account: r.accountId,
        symbol: r.symbol,
        side: r.side,
        type: r.type,
        quantity: r.quantity,
        limitPrice,
      },
      async (tx, at) => {
        const account = await this.ownedAccount(tx, r.customerId, r.accountId);
        if (account.kind !== 'brokerage')
          throw bankError('BANK_ACCOUNT_KIND', 'orders go through a brokerage account');
        const quote = this.market.quote(r.symbol, at);
        if (!quote.open)
          throw bankError(
            'BANK_MARKET_CLOSED',
            'the market is closed; it trades 09:30–11:30 and 13:00–15:00 China time on weekdays',
          );
        if (!Number.isSafeInteger(r.quantity) || r.quantity <= 0) {
          throw bankError('BANK_LOT_SIZE', 'the quantity must be a positive whole number of shares');
        }
        if (r.side === 'buy' && r.quantity % lotSize !== 0) {
          throw bankError('BANK_LOT_SIZE', `buy orders are in lots of ${lotSize} shares`);
        }
        let limit: number | null = null;
        if (r.type === 'limit') {
          if (!limitPrice) throw bankError('BANK_INVALID_AMOUNT', 'a limit order needs a limit price');
          checkAmount(limitPrice, 'limitPrice');
          sameCurrency(account, limitPrice);
          limit = limitPrice.minor;
          if (limit > quote.limitUp || limit < quote.limitDown) {
            throw bankError(
              'BANK_PRICE_OUTSIDE_LIMITS',
              `the price must lie between the limit-down ${formatMoney(money(quote.limitDown, 'CNY'))} and limit-up ${formatMoney(money(quote.limitUp, 'CNY'))}`,
            );
          }
        } else if (limitPrice) {
          throw bankError('BANK_INVALID_AMOUNT', 'a market order takes no limit price');
        }
        if (r.side === 'sell') await this.requireShares(tx, account.id, r.symbol, r.quantity);
        const row: OrderRow = {
          id: randomUUID(),
          customer_id: r.customerId,
          account_id: account.id,
          symbol: r.symbol,
          side: r.side,
          type: r.type,
          quantity: r.quantity,
          limit_price: limit,
          status: 'open',
          fill_price: null,
          commission: 0,
          held: 0,
          transaction_id: null,
          created_at: at,
          updated_at: at,
        };
        await tx.insertInto('bank_orders').values(row).execute();
        const crosses = limit === null || (r.side === 'buy' ? limit >= quote.price : limit <= quote.price);
        if (crosses) return toOrder(await this.fill(tx, row, quote.price, at, ctx));
        if (r.side === 'buy') {
          const gross = limit! * r.quantity;
          const reserve = gross + commissionOf(gross);
          await hold(tx, account.id, reserve, at);
          await tx.updateTable('bank_orders').set({ held: reserve }).where('id', '=', row.id).execute();
          row.held = reserve;
        }
        return toOrder(row);
      },
      async (order) => {
        await this.emit(
          'banking.order.placed',
          {
            orderId: order.id,
            customerId: r.customerId,
            symbol: order.symbol,
            side: order.side,
            type: order.type,
            quantity: order.quantity,
            status: order.status,
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        );
        if (order.status === 'filled') {
          await this.emit(
            'banking.order.changed',
            {
              orderId: order.id,
              customerId: r.customerId,
              from: 'open',
              to: 'filled',
              fillPrice: order.fillPrice ? moneyToJson(order.fillPrice) : null,
            },
            ctx,
          );
        }
      },
      (o) => ({ orderId: o.id, symbol: o.symbol, side: o.side, quantity: o.quantity, status: o.status }),
    );
  }

  /** Shares held minus those already promised to open sell orders. */
  private async requireShares(tx: Tx, accountId: string, symbol: string, quantity: number): Promise<void> {
    const position = await tx
      .selectFrom('bank_positions')
      .select('quantity')
      .where('account_id', '=', accountId)
      .where('symbol', '=', symbol)
      .executeTakeFirst();
    const pending = await tx
      .selectFrom('bank_orders')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('quantity'), sql<number>`0`).as('q'))
      .where('account_id', '=', accountId)
      .where('symbol', '=', symbol)
      .where('side', '=', 'sell')
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    if (Number(position?.quantity ?? 0) - Number(pending.q) < quantity) {
      throw bankError('BANK_INSUFFICIENT_POSITION', `not enough ${symbol} shares to sell ${quantity}`);
    }
  }

  /**
   * Fills an open order at `price` in the caller's transaction: claims it (so two matchers
   * never fill it twice), releases its reservation, moves the cash and the commission, and
   * updates the position (a sale takes the cost out pro rata, truncated to the fen).
   */
  private async fill(
    tx: Tx,
    order: OrderRow,
    price: number,
    at: number,
    ctx: OperationContext,
  ): Promise<OrderRow> {
    orderMachine.transition(order.status as OrderStatus, 'filled');
    const transactionId = randomUUID();
    const gross = price * Number(order.quantity);
    const commission = commissionOf(gross);
    const claimed = await tx
      .updateTable('bank_orders')
      .set({
        status: 'filled',
        fill_price: price,
        commission,
        held: 0,
        transaction_id: transactionId,
        updated_at: at,
      })
      .where('id', '=', order.id)
      .where('status', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    if (!claimed) throw bankError('BANK_ILLEGAL_TRANSITION', `order ${order.id} is no longer open`);
    if (Number(order.held) > 0) await hold(tx, order.account_id, -Number(order.held), at);
    const securities = ledgerAccountId('securities', 'CNY');
    const fees = ledgerAccountId('fees', 'CNY');
    const quantity = Number(order.quantity);
    const buy = order.side === 'buy';
    await post(tx, {
      id: transactionId,
      customerId: order.customer_id,
      kind: 'trade',
      description: `${buy ? 'Buy' : 'Sell'} ${quantity} ${order.symbol} @ ${formatMoney(money(price, 'CNY'))}`,
      channel: ctx.channel,
      actor: ctx.actor,
      interactionId: ctx.interactionId ?? null,
      idempotencyScope: null,
      at,
      legs: [
        { accountId: order.account_id, amount: buy ? -gross : gross, currency: 'CNY' },
        { accountId: securities, amount: buy ? gross : -gross, currency: 'CNY' },
        { accountId: order.account_id, amount: -commission, currency: 'CNY' },
        { accountId: fees, amount: commission, currency: 'CNY' },
      ],
    });
    if (buy) {
      await tx
        .insertInto('bank_positions')
        .values({ account_id: order.account_id, symbol: order.symbol, quantity, cost: gross })
        .onConflict((oc) =>
          oc.columns(['account_id', 'symbol']).doUpdateSet((eb) => ({
            quantity: eb('bank_positions.quantity', '+', eb.ref('excluded.quantity')),
            cost: eb('bank_positions.cost', '+', eb.ref('excluded.cost')),
          })),
        )
        .execute();
    } else {
      const left = await tx
        .updateTable('bank_positions')
        .set({
          cost: sql<number>`cost - (cost * ${quantity}) / quantity`,
          quantity: sql<number>`quantity - ${quantity}`,
        })
        .where('account_id', '=', order.account_id)
        .where('symbol', '=', order.symbol)
        .where('quantity', '>=', quantity)
        .returning('quantity')
        .executeTakeFirst();
      if (!left)
        throw bankError(
          'BANK_INSUFFICIENT_POSITION',
          `not enough ${order.symbol} shares to sell ${quantity}`,
        );
    }
    return claimed;
  }

  cancelOrder(ctx: OperationContext, customerId: string, orderId: string): Promise<Order> {
    return this.customerOp(
      'cancel-order',
      ctx,
      customerId,
      async () => {
        const order = await this.closeOrder(orderId, customerId, 'cancelled', ctx);
        return toOrder(order);
      },
      (o) => ({ orderId: o.id, status: o.status }),
    );
  }

  private async closeOrder(
    orderId: string,
    customerId: string | null,
    to: 'cancelled' | 'expired',
    ctx: OperationContext,
  ): Promise<OrderRow> {
    const order = await this.db.transaction().execute(async (tx) => {
      let q = tx.selectFrom('bank_orders').selectAll().where('id', '=', orderId);
      if (customerId) q = q.where('customer_id', '=', customerId);
      const row = await q.executeTakeFirst();
      if (!row) throw bankError('BANK_ORDER_NOT_FOUND', `no order ${orderId}`);
      orderMachine.transition(row.status as OrderStatus, to);
      const at = this.o.clock.now();
      const closed = await tx
        .updateTable('bank_orders')
        .set({ status: to, held: 0, updated_at: at })
        .where('id', '=', orderId)
        .where('status', '=', 'open')
        .returningAll()
        .executeTakeFirst();
      if (!closed) throw bankError('BANK_ILLEGAL_TRANSITION', `order ${orderId} is no longer open`);
      if (Number(row.held) > 0) await hold(tx, row.account_id, -Number(row.held), at);
      return closed;
    });
    await this.emit(
      'banking.order.changed',
      { orderId, customerId: order.customer_id, from: 'open', to, fillPrice: null },
      ctx,
    );
    return order;
  }

  orders(ctx: OperationContext, customerId: string): Promise<Order[]> {
    return this.customerOp('orders', ctx, customerId, async () => {
      const rows = await this.db
        .selectFrom('bank_orders')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute();
      return rows.map((r) => toOrder(r));
    });
  }

  positions(ctx: OperationContext, customerId: string): Promise<Position[]> {
    return this.customerOp('positions', ctx, customerId, async () => {
      const rows = await this.db
        .selectFrom('bank_positions as p')
        .innerJoin('bank_accounts as a', 'a.id', 'p.account_id')
        .select(['p.account_id', 'p.symbol', 'p.quantity', 'p.cost'])
        .where('a.customer_id', '=', customerId)
        .where('p.quantity', '>', 0)
        .orderBy('p.symbol')
        .execute();
      const now = this.o.clock.now();
      return rows.map((r) => {
        const quote = this.market.quote(r.symbol, now);
        const quantity = Number(r.quantity);
        return {
          accountId: asId<AccountId>(r.account_id),
          symbol: r.symbol,
          name: quote.nameZh,
          quantity,
          cost: money(Number(r.cost), 'CNY'),
          price: money(quote.price, 'CNY'),
          marketValue: money(quote.price * quantity, 'CNY'),
        };
      });
    });
  }

  /**
   * One pass of the matcher: fills open limit orders the price has crossed, and expires the
   * ones left from an earlier trading day (releasing their reservations).
   */
  runMarket(): Promise<void> {
    const run = this.matching.then(async () => {
      await this.init();
      const system: OperationContext = { channel: 'agent', actor: 'system:market' };
      const open = await this.db.selectFrom('bank_orders').selectAll().where('status', '=', 'open').execute();
      for (const order of open) {
        const now = this.o.clock.now();
        if (now >= this.market.endOfTradingDay(Number(order.created_at))) {
          await this.closeOrder(order.id, null, 'expired', system);
          continue;
        }
        const quote = this.market.quote(order.symbol, now);
        const limit = Number(order.limit_price);
        const crosses = order.side === 'buy' ? limit >= quote.price : limit <= quote.price;
        if (!quote.open || !crosses) continue;
        try {
          const filled = await this.db
            .transaction()
            .execute((tx) => this.fill(tx, order, quote.price, now, system));
          await this.emit(
            'banking.order.changed',
            {
              orderId: order.id,
              customerId: order.customer_id,
              from: 'open',
              to: 'filled',
              fillPrice: moneyToJson(money(Number(filled.fill_price), 'CNY')),
            },
            system,
          );
        } catch (error) {
          if (!isFinalRejection(error)) throw error;
          // The shares were sold meanwhile: the order cannot be filled any more.
          await this.closeOrder(order.id, null, 'cancelled', system);
        }
      }
    });
    this.matching = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- cards

  reportCard(ctx: OperationContext, r: CardReportRequest): Promise<CardReportResult> {
    let previous: CardStatus = 'active';
    return this.moneyOp(
      'card-block',
      ctx,
      r.customerId,
      r.idempotencyKey,
      { card: r.cardId, reason: r.reason, replace: r.replace },
      async (tx, at, _scope, level) => {
        if (r.replace) requireLevel('card-replacement', level);
        const card = await tx
          .selectFrom('bank_cards')
          .select(cardColumns)
          .where('id', '=', r.cardId)
          .where('customer_id', '=', r.customerId)
          .executeTakeFirst();
        if (!card) throw bankError('BANK_CARD_NOT_FOUND', `the customer has no card ${r.cardId}`);
        previous = card.status as CardStatus;
        const status = cardMachine.transition(previous, r.reason);
        await tx
          .updateTable('bank_cards')
          .set({ status, status_changed_at: at })
          .where('id', '=', card.id)
          .execute();
        let replacement: Card | null = null;
        if (r.replace) {
          // The new number goes to the card factory, never back to the caller: only its
          // last four digits are kept in the clear.
          const pan = `622202${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`;
          const date = new Date(at);
          const row = {
            id: randomUUID(),
            customer_id: card.customer_id,
            account_id: card.account_id,
            kind: card.kind,
            pan_hash: panDigest(pan, this.panKey),
            last4: pan.slice(-4),
            status: 'pending',
            holder_name: card.holder_name,
            expires: `${date.getUTCFullYear() + 5}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`,
            replaces_card_id: card.id,
            issued_at: at,
            status_changed_at: at,
          };
          await tx.insertInto('bank_cards').values(row).execute();
          replacement = toCard(row);
        }
        return { card: toCard({ ...card, status, status_changed_at: at }), replacement };
      },
      (result) =>
        this.emit(
          'banking.card.reported',
          {
            customerId: r.customerId,
            cardId: result.card.id,
            card: result.card.maskedNumber,
            from: previous,
            to: result.card.status,
            replacementCardId: result.replacement?.id ?? null,
            channel: ctx.channel,
            interactionId: ctx.interactionId ?? null,
          },
          ctx,
        ),
      (result) => ({
        cardId: result.card.id,
        card: result.card.maskedNumber,
        status: result.card.status,
        replacementCardId: result.replacement?.id ?? null,
      }),
    );
  }
}
