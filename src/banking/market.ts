import { divideHalfEven } from '../core/index';
import { bankError } from './errors';
import { hashedOffset } from './random';

/**
 * A simulated stock exchange in the manner of Shanghai/Shenzhen: trading sessions 09:30–11:30
 * and 13:00–15:00 China time (UTC+8, no daylight saving) on weekdays (public holidays are not
 * modelled); each stock's price is limited to ±10% of the previous close (±20% on the STAR and
 * ChiNext boards); prices move by 0.01 CNY ticks.
 *
 * Prices are a pure function of (seed, symbol, instant): each calendar day has an anchor close
 * (knots every ten days, ±25% around the base price, linear between), and within the day the
 * price follows a random walk of hashed per-minute steps, bridged from the previous close to
 * the day's anchor and clamped to the limit band. So every node and every restart sees the
 * same market, and tests can pick the instant they need.
 */
export interface ListedStock {
  symbol: string;
  nameZh: string;
  nameEn: string;
  /** Base price in fen. */
  base: number;
  /** Limit up/down, percent of the previous close. */
  limitPercent: 10 | 20;
  /** Largest per-minute step, basis points. */
  stepBp: number;
}

export const listedStocks: readonly ListedStock[] = [
  {
    symbol: '600519',
    nameZh: '贵州茅台',
    nameEn: 'Kweichow Moutai',
    base: 165_000,
    limitPercent: 10,
    stepBp: 12,
  },
  { symbol: '601398', nameZh: '工商银行', nameEn: 'ICBC', base: 620, limitPercent: 10, stepBp: 8 },
  {
    symbol: '600036',
    nameZh: '招商银行',
    nameEn: 'China Merchants Bank',
    base: 3_850,
    limitPercent: 10,
    stepBp: 12,
  },
  { symbol: '000001', nameZh: '平安银行', nameEn: 'Ping An Bank', base: 1_120, limitPercent: 10, stepBp: 12 },
  {
    symbol: '000858',
    nameZh: '五粮液',
    nameEn: 'Wuliangye Yibin',
    base: 13_500,
    limitPercent: 10,
    stepBp: 15,
  },
  {
    symbol: '601318',
    nameZh: '中国平安',
    nameEn: 'Ping An Insurance',
    base: 5_230,
    limitPercent: 10,
    stepBp: 12,
  },
  { symbol: '300750', nameZh: '宁德时代', nameEn: 'CATL', base: 21_000, limitPercent: 20, stepBp: 25 },
  { symbol: '688981', nameZh: '中芯国际', nameEn: 'SMIC', base: 8_800, limitPercent: 20, stepBp: 60 },
];

export type TradingHours = 'exchange' | 'always';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const chinaOffsetMs = 8 * hourMs;
/** Minutes after local midnight at which each session opens, and its length. */
const sessions = [
  { opens: 9 * 60 + 30, minutes: 120 },
  { opens: 13 * 60, minutes: 120 },
] as const;
const sessionMinutes = 240;
const anchorKnotDays = 10;
const anchorBandBp = 2_500;

interface MarketClock {
  /** Local (China) calendar day number since the epoch. */
  day: number;
  tradingDay: boolean;
  open: boolean;
  /** Minutes of trading elapsed today, 0…240. */
  elapsed: number;
}

export interface StockQuoteData {
  symbol: string;
  nameZh: string;
  nameEn: string;
  /** Fen. */
  price: number;
  previousClose: number;
  limitUp: number;
  limitDown: number;
  open: boolean;
  at: number;
}

function isWeekday(day: number): boolean {
  // Day 0 (1970-01-01) was a Thursday.
  const weekday = (day + 4) % 7;
  return weekday >= 1 && weekday <= 5;
}

export class MarketSimulator {
  private readonly stocks: Map<string, ListedStock>;
  private readonly pathCache = new Map<string, number[]>();

  constructor(
    private readonly seed: string,
    private readonly hours: TradingHours = 'exchange',
    stocks: readonly ListedStock[] = listedStocks,
  ) {
    this.stocks = new Map(stocks.map((s) => [s.symbol, s]));
  }

  listed(): ListedStock[] {
    return [...this.stocks.values()];
  }

  stock(symbol: string): ListedStock {
    const stock = this.stocks.get(symbol);
    if (!stock) throw bankError('BANK_SYMBOL_UNKNOWN', `no listed stock ${symbol}`);
    return stock;
  }

  clock(now: number): MarketClock {
    const local = now + chinaOffsetMs;
    const day = Math.floor(local / dayMs);
    const minute = Math.floor((local - day * dayMs) / 60_000);
    const tradingDay = this.hours === 'always' || isWeekday(day);
    if (this.hours === 'always') {
      // Around the clock: the day's 240 trading minutes are stretched over 24 hours.
      return { day, tradingDay, open: true, elapsed: Math.floor((minute * sessionMinutes) / 1440) };
    }
    let elapsed = 0;
    let open = false;
    for (const s of sessions) {
      if (minute >= s.opens + s.minutes) elapsed += s.minutes;
      else if (minute >= s.opens) {
        elapsed += minute - s.opens;
        open = true;
      }
    }
    return { day, tradingDay, open: open && tradingDay, elapsed: tradingDay ? elapsed : 0 };
  }

  isOpen(now: number): boolean {
    return this.clock(now).open;
  }

  /** The start of the trading day after the one `now` falls in, for expiring day orders. */
  endOfTradingDay(now: number): number {
    const { day } = this.clock(now);
    return (day + 1) * dayMs - chinaOffsetMs;
  }

  private anchor(stock: ListedStock, day: number): number {
    const knot = Math.floor(day / anchorKnotDays);
    const into = day - knot * anchorKnotDays;
    const a = hashedOffset(anchorBandBp, this.seed, 'anchor', stock.symbol, knot);
    const b = hashedOffset(anchorBandBp, this.seed, 'anchor', stock.symbol, knot + 1);
    const bp = a + Math.trunc(((b - a) * into) / anchorKnotDays);
    return Number(divideHalfEven(BigInt(stock.base) * BigInt(10_000 + bp), 10_000n));
  }

  private lastTradingDayBefore(day: number): number {
    let d = day - 1;
    while (this.hours === 'exchange' && !isWeekday(d)) d--;
    return d;
  }

  private band(previousClose: number, stock: ListedStock): { up: number; down: number } {
    const p = BigInt(previousClose);
    return {
      up: Number(divideHalfEven(p * BigInt(100 + stock.limitPercent), 100n)),
      down: Number(divideHalfEven(p * BigInt(100 - stock.limitPercent), 100n)),
    };
  }

  /** The close of a trading day: the last point of its path. */
  private close(stock: ListedStock, day: number): number {
    return this.path(stock, day).at(-1)!;
  }

  /**
   * Prices at each of the day's 241 trading minutes (0 = the open). The previous close is the
   * previous trading day's anchor clamped to that day's band; the path is a Brownian bridge
   * in basis points of the previous close, clamped to today's band.
   */
  private path(stock: ListedStock, day: number): number[] {
    const key = `${stock.symbol}:${day}`;
    const cached = this.pathCache.get(key);
    if (cached) return cached;
    const previousClose = this.previousClose(stock, day);
    const { up, down } = this.band(previousClose, stock);
    const target = Math.min(up, Math.max(down, this.anchor(stock, day)));
    const drift = Math.trunc(((target - previousClose) * 10_000) / previousClose);
    const walk = [0];
    for (let m = 0; m < sessionMinutes; m++) {
      walk.push(walk[m]! + hashedOffset(stock.stepBp, this.seed, 'step', stock.symbol, day, m));
    }
    const end = walk[sessionMinutes]!;
    const prices = walk.map((x, m) => {
      const bp = x - Math.trunc((m * end) / sessionMinutes) + Math.trunc((m * drift) / sessionMinutes);
      const price = Number(divideHalfEven(BigInt(previousClose) * BigInt(10_000 + bp), 10_000n));
      return Math.min(up, Math.max(down, price));
    });
    // The bridge ends on the anchor up to the truncation of basis points; pin it exactly, so
    // today's close is tomorrow's previous close.
    prices[sessionMinutes] = target;
    if (this.pathCache.size > 4096) this.pathCache.clear();
    this.pathCache.set(key, prices);
    return prices;
  }

  private previousClose(stock: ListedStock, day: number): number {
    // The previous close comes from the anchor directly (not the previous path) so that
    // computing one day never recurses through all of history.
    const before = this.lastTradingDayBefore(day);
    const beforeThat = this.lastTradingDayBefore(before);
    const { up, down } = this.band(this.anchor(stock, beforeThat), stock);
    return Math.min(up, Math.max(down, this.anchor(stock, before)));
  }

  quote(symbol: string, now: number): StockQuoteData {
    const stock = this.stock(symbol);
    const clock = this.clock(now);
    const day = clock.tradingDay ? clock.day : this.lastTradingDayBefore(clock.day);
    const previousClose = this.previousClose(stock, day);
    const { up, down } = this.band(previousClose, stock);
    const price = clock.tradingDay ? this.path(stock, day)[clock.elapsed]! : this.close(stock, day);
    return {
      symbol,
      nameZh: stock.nameZh,
      nameEn: stock.nameEn,
      price,
      previousClose,
      limitUp: up,
      limitDown: down,
      open: clock.open,
      at: now,
    };
  }
}
