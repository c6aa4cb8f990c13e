import { describe, expect, it } from 'vitest';
import { MarketSimulator } from './market';

// 2025-06-02 is a Monday. China time is UTC+8.
const china = (y: number, mo: number, d: number, h: number, mi: number) => Date.UTC(y, mo - 1, d, h - 8, mi);

describe('simulated market', () => {
  const market = new MarketSimulator('seed');

  it('is open only in the two weekday sessions, China time', () => {
    expect(market.isOpen(china(2025, 6, 2, 9, 29))).toBe(false);
    expect(market.isOpen(china(2025, 6, 2, 9, 30))).toBe(true);
    expect(market.isOpen(china(2025, 6, 2, 11, 29))).toBe(true);
    expect(market.isOpen(china(2025, 6, 2, 12, 0))).toBe(false);
    expect(market.isOpen(china(2025, 6, 2, 13, 0))).toBe(true);
    expect(market.isOpen(china(2025, 6, 2, 15, 0))).toBe(false);
    expect(market.isOpen(china(2025, 6, 7, 10, 0))).toBe(false); // Saturday
    expect(new MarketSimulator('seed', 'always').isOpen(china(2025, 6, 7, 3, 0))).toBe(true);
  });

  it('keeps every price inside the limit band of the previous close, over months of minutes', () => {
    for (const symbol of ['600519', '688981', '601398']) {
      for (let day = 0; day < 90; day++) {
        for (let minute = 0; minute < 24 * 60; minute += 17) {
          const q = market.quote(symbol, china(2025, 3, 1, 0, 0) + day * 86_400_000 + minute * 60_000);
          expect(q.price).toBeGreaterThanOrEqual(q.limitDown);
          expect(q.price).toBeLessThanOrEqual(q.limitUp);
          expect(Number.isInteger(q.price)).toBe(true);
        }
      }
    }
  });

  it("moves during the session, holds still outside it, and closes at the next day's previous close", () => {
    const prices = new Set<number>();
    for (let m = 0; m < 120; m += 5) prices.add(market.quote('600036', china(2025, 6, 2, 9, 30 + m)).price);
    expect(prices.size).toBeGreaterThan(5);
    const lunchA = market.quote('600036', china(2025, 6, 2, 11, 45)).price;
    const lunchB = market.quote('600036', china(2025, 6, 2, 12, 55)).price;
    expect(lunchA).toBe(lunchB);
    const mondayClose = market.quote('600036', china(2025, 6, 2, 16, 0)).price;
    expect(market.quote('600036', china(2025, 6, 3, 9, 0)).previousClose).toBe(mondayClose);
    const fridayClose = market.quote('600036', china(2025, 6, 6, 15, 30)).price;
    expect(market.quote('600036', china(2025, 6, 7, 10, 0)).price).toBe(fridayClose);
    expect(market.quote('600036', china(2025, 6, 9, 9, 35)).previousClose).toBe(fridayClose);
  });

  it('uses a 20% band on the STAR board and 10% on the main board', () => {
    const star = market.quote('688981', china(2025, 6, 2, 10, 0));
    expect(star.limitUp).toBe(Math.round(star.previousClose * 1.2));
    const main = market.quote('601318', china(2025, 6, 2, 10, 0));
    expect(main.limitUp).toBe(Math.round(main.previousClose * 1.1));
  });
});
