import type { TellerError } from '../core/index';
import type { PromptKey } from './prompts';

/**
 * The IVR's answer to an error: each transport maps error codes to its own replies, and this
 * is the telephone's. Codes of other modules are matched by their stable strings (the IVR
 * does not import the bank); anything unknown falls back on its kind, then on "system busy".
 */
const byCode: Readonly<Record<string, PromptKey>> = {
  BANK_INSUFFICIENT_FUNDS: 'errors/insufficient-funds',
  BANK_LIMIT_EXCEEDED: 'errors/limit-exceeded',
  BANK_ACCOUNT_FROZEN: 'errors/account-unavailable',
  BANK_ACCOUNT_CLOSED: 'errors/account-unavailable',
  BANK_ACCOUNT_KIND: 'errors/account-unavailable',
  BANK_CURRENCY_MISMATCH: 'errors/account-unavailable',
  BANK_SAME_ACCOUNT: 'errors/account-unavailable',
  BANK_MARKET_CLOSED: 'errors/market-closed',
  BANK_QUOTE_EXPIRED: 'errors/quote-expired',
  BANK_QUOTE_USED: 'errors/quote-expired',
  BANK_VERIFICATION_REQUIRED: 'errors/not-verified',
  BANK_VERIFICATION_EXPIRED: 'errors/not-verified',
  IVR_VERIFICATION_REQUIRED: 'errors/not-verified',
  IVR_NOT_IDENTIFIED: 'errors/not-verified',
  BANK_INVALID_AMOUNT: 'errors/amount-invalid',
  IVR_AMOUNT_INVALID: 'errors/amount-invalid',
  BANK_CARD_NOT_ACTIVE: 'errors/card-inactive',
  BANK_PRICE_OUTSIDE_LIMITS: 'errors/price-limit',
  BANK_INSUFFICIENT_POSITION: 'errors/position',
  BANK_LOT_SIZE: 'errors/lot-size',
  BANK_SYMBOL_UNKNOWN: 'errors/not-found',
  BANK_PIN_LOCKED: 'auth/locked',
};

const byKind: Readonly<Partial<Record<TellerError['kind'], PromptKey>>> = {
  'not-found': 'errors/not-found',
  limit: 'errors/limit-exceeded',
  forbidden: 'errors/not-verified',
};

export function errorPrompt(error: TellerError): PromptKey {
  return byCode[error.code] ?? byKind[error.kind] ?? 'errors/system';
}
