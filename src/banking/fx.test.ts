import { describe, expect, it } from 'vitest';
import { convertBuy, convertSell, depositRates, FxFeed, formatDecimal, parseDecimal, rateScale } from './fx';

describe('FX feed', () => {
  const feed = new FxFeed('test-seed');

  it('keeps every mid rate within its stated band (plus 2 bp of jitter) over a month of minutes', () => {
    const start = Date.UTC(2025, 0, 1);
    for (let t = start; t < start + 30 * 86_400_000; t += 7 * 60_000) {
      for (const currency of ['USD', 'EUR', 'JPY'] as const) {
        const offset = feed.offsetBp(currency, t);
        const band = currency === 'USD' ? 150 : currency === 'EUR' ? 250 : 300;
        expect(Math.abs(offset)).toBeLessThanOrEqual(band + 2);
      }
    }
  });

  it('moves over time and is the same for the same seed and instant', () => {
    const t0 = Date.UTC(2025, 5, 2, 3, 0);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(feed.board(t0 + i * 3_600_000).rows[0]!.mid);
    expect(seen.size).toBeGreaterThan(5);
    expect(new FxFeed('test-seed').board(t0)).toEqual(feed.board(t0));
    expect(new FxFeed('other-seed').board(t0)).not.toEqual(feed.board(t0));
  });

  it('quotes the bank buying below the mid and selling above it', () => {
    for (const row of feed.board(Date.UTC(2025, 5, 2)).rows) {
      const mid = parseDecimal(row.mid, 6);
      expect(parseDecimal(row.bankBuys, 6)).toBeLessThan(mid);
      expect(parseDecimal(row.bankSells, 6)).toBeGreaterThan(mid);
    }
  });

  it('makes a round trip cost the customer the spread', () => {
    const t = Date.UTC(2025, 5, 2);
    const toUsd = feed.customerRate('CNY', 'USD', t);
    const back = feed.customerRate('USD', 'CNY', t);
    const usd = convertSell(1_000_000, toUsd, 'CNY', 'USD');
    const cny = convertSell(usd, back, 'USD', 'CNY');
    expect(cny).toBeLessThan(1_000_000);
    expect(cny).toBeGreaterThan(990_000);
  });
});

describe('conversion arithmetic', () => {
  it('rounds half to even onto minor units', () => {
    // 0.25 USD at 1.00000000 → JPY has 0 decimals: 0.25 → 0; 0.5 → 0 (even); 1.5 → 2
    const one = rateScale;
    expect(convertSell(25, one, 'USD', 'JPY')).toBe(0);
    expect(convertSell(50, one, 'USD', 'JPY')).toBe(0);
    expect(convertSell(150, one, 'USD', 'JPY')).toBe(2);
    expect(convertSell(250, one, 'USD', 'JPY')).toBe(2);
    // 100.00 CNY at 0.13888889 USD/CNY = 13.888889 → 13.89
    expect(convertSell(10_000, 13_888_889n, 'CNY', 'USD')).toBe(1_389);
  });

  it('computes what to sell for a wanted amount', () => {
    const rate = 13_888_889n; // USD per CNY
    const cny = convertBuy(100_000, rate, 'CNY', 'USD'); // buy 1000.00 USD
    expect(cny).toBe(720_000); // 1000 / 0.13888889 = 7199.99942… CNY → 7200.00
    expect(convertSell(cny, rate, 'CNY', 'USD')).toBe(100_000);
  });

  it('parses and formats decimals exactly', () => {
    expect(parseDecimal('7.18', 8)).toBe(718_000_000n);
    expect(formatDecimal(718_000_000n, 8)).toBe('7.18000000');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
    expect(() => parseDecimal('1.123456789', 8)).toThrow(/more than 8 decimals/);
  });
});

describe('deposit rates', () => {
  it('lists CNY terms from demand to five years, longer terms paying more', () => {
    const cny = depositRates().filter((r) => r.currency === 'CNY');
    expect(cny.map((r) => r.term)).toEqual(['demand', '3m', '6m', '1y', '2y', '3y', '5y']);
    const rates = cny.map((r) => parseDecimal(r.ratePercent, 2));
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
  });
});
