import { type CurrencyCode, divideHalfEven, minorDigits } from '../core/index';
import { bankError } from './errors';
import { hash32, hashedOffset } from './random';

/**
 * The FX rate board and the arithmetic of a conversion, all in bigint decimals.
 *
 * Rates are CNY per one unit of the foreign currency. The feed moves each mid rate over time
 * within a stated band around its base: knots at fixed periods (a hashed offset of at most
 * `bandBp`), linear between knots, plus a per-minute jitter of at most 2 bp — so the rate at
 * any instant is a pure function of (seed, currency, time) and the band is never left.
 * The bank buys foreign currency at mid·(1 − spread) and sells at mid·(1 + spread); both are
 * rounded half-even to 6 decimals, the precision the board shows and quotes use.
 *
 * Stated rounding: a customer's rate (units of the bought currency per unit sold) is computed
 * to 8 decimals, half-even; the converted amount is rounded half-even to the minor units of
 * its currency (banker's rounding, core's divideHalfEven).
 */
export const rateDecimals = 8;
export const rateScale = 10n ** BigInt(rateDecimals);
const boardDecimals = 6;
const jitterBp = 2;

export interface FxCurrencyConfig {
  currency: CurrencyCode;
  /** Base mid rate, CNY per unit, as a decimal string. */
  base: string;
  /** Half the buy/sell spread, in basis points of the mid. */
  spreadBp: number;
  /** How far (basis points) the mid may wander from the base, jitter aside. */
  bandBp: number;
}

export const defaultFxCurrencies: readonly FxCurrencyConfig[] = [
  { currency: 'USD', base: '7.1800', spreadBp: 30, bandBp: 150 },
  { currency: 'HKD', base: '0.9190', spreadBp: 30, bandBp: 150 },
  { currency: 'EUR', base: '7.8200', spreadBp: 40, bandBp: 250 },
  { currency: 'GBP', base: '9.1500', spreadBp: 45, bandBp: 250 },
  { currency: 'JPY', base: '0.0478', spreadBp: 50, bandBp: 300 },
  { currency: 'SGD', base: '5.3400', spreadBp: 45, bandBp: 200 },
  { currency: 'AUD', base: '4.7100', spreadBp: 50, bandBp: 300 },
  { currency: 'CAD', base: '5.2300', spreadBp: 50, bandBp: 250 },
  { currency: 'CHF', base: '8.1200', spreadBp: 50, bandBp: 250 },
];

/** Parses a non-negative decimal string into a bigint scaled by 10^decimals (exact, or refuses). */
export function parseDecimal(text: string, decimals: number): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw bankError('BANK_INVALID_AMOUNT', `"${text}" is not a decimal number`);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    throw bankError('BANK_INVALID_AMOUNT', `"${text}" has more than ${decimals} decimals`);
  }
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** The decimal string of a bigint scaled by 10^decimals, with exactly `decimals` places. */
export function formatDecimal(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

export interface FxBoardRow {
  currency: CurrencyCode;
  /** CNY per unit, 6 decimals. */
  mid: string;
  /** The bank buys the currency from the customer at this rate. */
  bankBuys: string;
  /** The bank sells the currency to the customer at this rate. */
  bankSells: string;
  spreadBp: number;
}

export interface FxBoard {
  at: number;
  base: 'CNY';
  rows: FxBoardRow[];
}

interface Side {
  mid: bigint;
  bid: bigint;
  ask: bigint;
}

export class FxFeed {
  private readonly byCurrency: Map<CurrencyCode, FxCurrencyConfig & { baseScaled: bigint }>;

  constructor(
    private readonly seed: string,
    currencies: readonly FxCurrencyConfig[] = defaultFxCurrencies,
    private readonly knotPeriodMs = 30 * 60_000,
  ) {
    this.byCurrency = new Map(
      currencies.map((c) => [c.currency, { ...c, baseScaled: parseDecimal(c.base, rateDecimals) }]),
    );
  }

  currencies(): CurrencyCode[] {
    return ['CNY', ...this.byCurrency.keys()];
  }

  has(currency: CurrencyCode): boolean {
    return currency === 'CNY' || this.byCurrency.has(currency);
  }

  /** The offset of the mid from its base at `now`, in basis points (within ±(band + 2)). */
  offsetBp(currency: CurrencyCode, now: number): number {
    const config = this.byCurrency.get(currency);
    if (!config) return 0;
    const knot = Math.floor(now / this.knotPeriodMs);
    const into = now - knot * this.knotPeriodMs;
    const a = hashedOffset(config.bandBp, this.seed, 'fx', currency, knot);
    const b = hashedOffset(config.bandBp, this.seed, 'fx', currency, knot + 1);
    const along = Math.trunc(((b - a) * into) / this.knotPeriodMs);
    const jitter =
      (hash32(this.seed, 'fx-jitter', currency, Math.floor(now / 60_000)) % (2 * jitterBp + 1)) - jitterBp;
    return a + along + jitter;
  }

  private side(currency: CurrencyCode, now: number): Side {
    if (currency === 'CNY') return { mid: rateScale, bid: rateScale, ask: rateScale };
    const config = this.byCurrency.get(currency);
    if (!config) throw bankError('BANK_CURRENCY_MISMATCH', `the bank does not deal in ${currency}`);
    const mid = divideHalfEven(config.baseScaled * BigInt(10_000 + this.offsetBp(currency, now)), 10_000n);
    const quantum = 10n ** BigInt(rateDecimals - boardDecimals);
    const round = (value: bigint) => divideHalfEven(value, quantum) * quantum;
    return {
      mid: round(mid),
      bid: round(divideHalfEven(mid * BigInt(10_000 - config.spreadBp), 10_000n)),
      ask: round(divideHalfEven(mid * BigInt(10_000 + config.spreadBp), 10_000n)),
    };
  }

  board(now: number): FxBoard {
    const show = (value: bigint) =>
      formatDecimal(value / 10n ** BigInt(rateDecimals - boardDecimals), boardDecimals);
    return {
      at: now,
      base: 'CNY',
      rows: [...this.byCurrency.values()].map((c) => {
        const s = this.side(c.currency, now);
        return {
          currency: c.currency,
          mid: show(s.mid),
          bankBuys: show(s.bid),
          bankSells: show(s.ask),
          spreadBp: c.spreadBp,
        };
      }),
    };
  }

  /**
   * The customer's rate selling `from` for `to`, scaled by 10^8: the bank buys `from` at its
   * bid and sells `to` at its ask (a cross goes through CNY).
   */
  customerRate(from: CurrencyCode, to: CurrencyCode, now: number): bigint {
    if (from === to) throw bankError('BANK_CURRENCY_MISMATCH', 'a conversion needs two different currencies');
    const bid = this.side(from, now).bid;
    const ask = this.side(to, now).ask;
    return divideHalfEven(bid * rateScale, ask);
  }
}

/** Minor units of `to` bought by selling `fromMinor` of `from` at `rate` (scaled 10^8), half-even. */
export function convertSell(fromMinor: number, rate: bigint, from: CurrencyCode, to: CurrencyCode): number {
  const numerator = BigInt(fromMinor) * rate * 10n ** BigInt(minorDigits(to));
  const denominator = rateScale * 10n ** BigInt(minorDigits(from));
  return Number(divideHalfEven(numerator, denominator));
}

/** Minor units of `from` to sell to buy `toMinor` of `to` at `rate` (scaled 10^8), half-even. */
export function convertBuy(toMinor: number, rate: bigint, from: CurrencyCode, to: CurrencyCode): number {
  const numerator = BigInt(toMinor) * rateScale * 10n ** BigInt(minorDigits(from));
  const denominator = rate * 10n ** BigInt(minorDigits(to));
  return Number(divideHalfEven(numerator, denominator));
}

// ---- deposit rates ----

export const depositTerms = ['demand', '3m', '6m', '1y', '2y', '3y', '5y'] as const;
export type DepositTerm = (typeof depositTerms)[number];

export interface DepositRate {
  currency: CurrencyCode;
  term: DepositTerm;
  /** 0 for demand deposits. */
  months: number;
  /** Annual rate in percent, a decimal string. */
  ratePercent: string;
}

const termMonths: Record<DepositTerm, number> = {
  demand: 0,
  '3m': 3,
  '6m': 6,
  '1y': 12,
  '2y': 24,
  '3y': 36,
  '5y': 60,
};

const depositTable: Record<'CNY' | 'USD' | 'HKD' | 'EUR', Partial<Record<DepositTerm, string>>> = {
  CNY: { demand: '0.10', '3m': '0.85', '6m': '1.05', '1y': '1.10', '2y': '1.20', '3y': '1.50', '5y': '1.55' },
  USD: { demand: '0.05', '3m': '3.20', '6m': '3.40', '1y': '3.50', '2y': '3.00' },
  HKD: { demand: '0.01', '3m': '2.80', '6m': '2.90', '1y': '3.00' },
  EUR: { demand: '0.01', '3m': '1.20', '6m': '1.35', '1y': '1.50' },
};

/** The bank's time-deposit rate table by currency and term. */
export function depositRates(): DepositRate[] {
  return Object.entries(depositTable).flatMap(([currency, terms]) =>
    depositTerms
      .filter((term) => terms[term] !== undefined)
      .map((term) => ({
        currency: currency as CurrencyCode,
        term,
        months: termMonths[term],
        ratePercent: terms[term]!,
      })),
  );
}
