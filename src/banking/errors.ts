import { type ErrorKind, type FieldIssue, TellerError } from '../core/index';

/**
 * Every error the banking module raises, with its stable code and the kind each transport maps
 * (HTTP status, IVR prompt). Codes are never reused for another meaning.
 */
export const bankErrors = {
  BANK_CUSTOMER_NOT_FOUND: 'not-found',
  BANK_ACCOUNT_NOT_FOUND: 'not-found',
  BANK_CARD_NOT_FOUND: 'not-found',
  BANK_PAYEE_NOT_FOUND: 'not-found',
  BANK_BILLER_NOT_FOUND: 'not-found',
  BANK_QUOTE_NOT_FOUND: 'not-found',
  BANK_ORDER_NOT_FOUND: 'not-found',
  BANK_CHEQUE_NOT_FOUND: 'not-found',
  BANK_SYMBOL_UNKNOWN: 'not-found',
  BANK_INVALID_AMOUNT: 'invalid',
  BANK_CURRENCY_MISMATCH: 'invalid',
  BANK_SAME_ACCOUNT: 'invalid',
  BANK_UNBALANCED_POSTING: 'internal',
  BANK_LOT_SIZE: 'invalid',
  BANK_BILL_REFERENCE_INVALID: 'invalid',
  BANK_PIN_FORMAT: 'invalid',
  BANK_IDEMPOTENCY_KEY_INVALID: 'invalid',
  BANK_IDEMPOTENCY_KEY_REUSED: 'conflict',
  BANK_INSUFFICIENT_FUNDS: 'limit',
  BANK_INSUFFICIENT_POSITION: 'limit',
  BANK_LIMIT_EXCEEDED: 'limit',
  BANK_PRICE_OUTSIDE_LIMITS: 'limit',
  BANK_ACCOUNT_FROZEN: 'conflict',
  BANK_ACCOUNT_CLOSED: 'conflict',
  BANK_ACCOUNT_KIND: 'conflict',
  BANK_MARKET_CLOSED: 'conflict',
  BANK_QUOTE_EXPIRED: 'conflict',
  BANK_QUOTE_USED: 'conflict',
  BANK_ILLEGAL_TRANSITION: 'conflict',
  BANK_CARD_NOT_ACTIVE: 'conflict',
  BANK_PIN_NOT_SET: 'conflict',
  BANK_PIN_INVALID: 'forbidden',
  BANK_PIN_LOCKED: 'forbidden',
  BANK_OTP_INVALID: 'forbidden',
  BANK_OTP_EXPIRED: 'forbidden',
  BANK_CALLER_NUMBER_MISMATCH: 'forbidden',
  BANK_VERIFICATION_REQUIRED: 'forbidden',
  BANK_VERIFICATION_EXPIRED: 'forbidden',
  BANK_CURSOR_INVALID: 'invalid',
  BANK_IDEMPOTENCY_LOST: 'internal',
  BANK_FAULT_INJECTED: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type BankErrorCode = keyof typeof bankErrors;

export function bankError(code: BankErrorCode, message: string, fields?: FieldIssue[]): TellerError {
  return new TellerError(code, bankErrors[code], message, fields ? { fields } : undefined);
}

/**
 * A rejection that is the operation's answer, not an accident: it is stored under the
 * idempotency key and replayed to every retry. Transient failures (store down, injected
 * faults) and missing verification are not: the caller fixes them and retries the same key.
 */
export function isFinalRejection(error: unknown): error is TellerError {
  if (!(error instanceof TellerError) || !error.code.startsWith('BANK_')) return false;
  return (
    error.kind === 'limit' ||
    error.kind === 'conflict' ||
    error.kind === 'invalid' ||
    error.kind === 'not-found'
  );
}
