import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ticker, type TickInfo } from './ticker';

describe('ticker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts every tick on the 20 ms grid although each tick takes a different time (no drift)', () => {
    const starts: number[] = [];
    const base = performance.now();
    const costs = [0, 7, 15, 3, 19, 1];
    const ticker = new Ticker(20, () => {
      starts.push(performance.now() - base);
      vi.advanceTimersByTime(costs[starts.length % costs.length]!); // the tick's own work
    });
    ticker.start();
    vi.advanceTimersByTime(1000);
    ticker.stop();
    // (the fake clock moved further than 1000 ms: the ticks' own work advanced it too)
    expect(starts.length).toBeGreaterThanOrEqual(50);
    expect(starts.every((s, i) => Math.abs(s - 20 * (i + 1)) < 1e-6)).toBe(true);
    expect(ticker.skippedTicks).toBe(0);
  });

  it('skips a backlog instead of replaying it, and reports how many ticks it skipped', () => {
    const ticks: TickInfo[] = [];
    const ticker = new Ticker(
      20,
      (t) => {
        ticks.push(t);
        if (ticks.length === 2) vi.advanceTimersByTime(200); // the thread stalls in this tick
      },
      3,
    );
    ticker.start();
    vi.advanceTimersByTime(400);
    ticker.stop();
    const third = ticks[2]!;
    expect(third.skipped).toBe(9);
    expect(ticker.skippedTicks).toBe(9);
    expect(ticks.slice(3).every((t) => t.skipped === 0 && t.lateMs < 1)).toBe(true);
  });

  it('counts a tick that starts 40 ms or more after its deadline as late, and only that one', () => {
    const ticks: TickInfo[] = [];
    const ticker = new Ticker(20, (t) => {
      ticks.push(t);
      if (ticks.length === 2) vi.advanceTimersByTime(70); // a stall shorter than the skip limit
    });
    ticker.start();
    vi.advanceTimersByTime(300);
    ticker.stop();
    // The third tick (due at 60 ms) starts at 110 ms: 50 ms late; the fourth 30 ms, the fifth 10 ms.
    expect(ticks.slice(2, 5).map((t) => Math.round(t.lateMs))).toEqual([50, 30, 10]);
    expect(ticker.lateTicks).toBe(1);
    expect(ticker.skippedTicks).toBe(0);
  });

  it('stops for good when stopped from inside a tick', () => {
    let count = 0;
    const ticker = new Ticker(20, () => {
      count++;
      if (count === 3) ticker.stop();
    });
    ticker.start();
    vi.advanceTimersByTime(1000);
    expect(count).toBe(3);
    expect(ticker.running).toBe(false);
  });

  it('with a phase, ticks when the wall clock modulo the period equals it', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    vi.setSystemTime(1_000_003); // 3 ms into a 20 ms period
    const walls: number[] = [];
    const ticker = new Ticker(20, () => walls.push(Date.now()));
    ticker.start(10);
    vi.advanceTimersByTime(100);
    ticker.stop();
    expect(walls.slice(0, 3)).toEqual([1_000_010, 1_000_030, 1_000_050]);
    expect(walls.every((w) => w % 20 === 10)).toBe(true);
  });
});
