import { TellerError } from './errors';

/**
 * Money is an integer count of the currency's minor units (fen, cents) with its ISO 4217 code.
 * There is no float anywhere in here: amounts cross the wire as decimal strings ("100.00")
 * and are parsed digit by digit.
 */
export interface Money {
  readonly minor: number;
  readonly currency: CurrencyCode;
}

/** ISO 4217 codes Teller knows, with their minor-unit exponent. */
export const currencies = {
  CNY: 2,
  USD: 2,
  HKD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  CHF: 2,
} as const;
export type CurrencyCode = keyof typeof currencies;

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(currencies, value);
}

export function minorDigits(currency: CurrencyCode): number {
  return currencies[currency];
}

function moneyError(message: string): TellerError {
  return new TellerError('CORE_MONEY_INVALID', 'invalid', message);
}

export function money(minor: number, currency: CurrencyCode): Money {
  if (!Number.isSafeInteger(minor)) throw moneyError(`amount ${minor} is not a whole number of minor units`);
  if (!isCurrencyCode(currency)) throw moneyError(`unknown currency ${String(currency)}`);
  return { minor, currency };
}

const decimalPattern = /^(-)?(\d{1,15})(?:\.(\d+))?$/;

/** Parses "1234.5" / "-0.07" in `currency` into minor units; refuses more decimals than the currency has. */
export function parseMoney(amount: string, currency: string): Money {
  if (!isCurrencyCode(currency)) throw moneyError(`unknown currency ${currency}`);
  const match = decimalPattern.exec(amount);
  if (!match) throw moneyError(`amount "${amount}" is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  const digits = minorDigits(currency);
  if (fraction.length > digits) {
    throw moneyError(`amount "${amount}" has more than ${digits} decimal places for ${currency}`);
  }
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) throw moneyError(`amount "${amount}" is too large`);
  return money(sign && minor !== 0 ? -minor : minor, currency);
}

/** The decimal string of an amount, with exactly the currency's number of decimals. */
export function formatMoney(value: Money): string {
  const digits = minorDigits(value.currency);
  const abs = Math.abs(value.minor);
  const sign = value.minor < 0 ? '-' : '';
  if (digits === 0) return `${sign}${abs}`;
  const text = String(abs).padStart(digits + 1, '0');
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** The JSON form used by the API: `{"amount": "100.00", "currency": "CNY"}`. */
export function moneyToJson(value: Money): { amount: string; currency: CurrencyCode } {
  return { amount: formatMoney(value), currency: value.currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new TellerError(
      'CORE_MONEY_CURRENCY_MISMATCH',
      'invalid',
      `cannot combine ${a.currency} with ${b.currency}`,
    );
  }
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor + b.minor, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor - b.minor, a.currency);
}

export function negateMoney(a: Money): Money {
  return money(a.minor === 0 ? 0 : -a.minor, a.currency);
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0;
}

/**
 * Divides `numerator` by `denominator` (both bigint) rounding half to even ("banker's rounding"),
 * the rounding Teller states for every decimal computation that lands on minor units.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new TellerError('CORE_DIVIDE_BY_ZERO', 'invalid', 'division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  const twice = (n % d) * 2n;
  if (twice > d || (twice === d && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}
