/**
 * A sliding-window counter per key (an address, a username). In memory: it protects one
 * node; the persistent account lock in the users table is what holds across restarts.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: { now(): number },
  ) {}

  /** Counts one attempt; returns 0 when allowed, or the milliseconds until the next one would be. */
  take(key: string): number {
    const now = this.clock.now();
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.limit) {
      this.hits.set(key, list);
      return list[0]! + this.windowMs - now;
    }
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 10_000) this.prune(since);
    return 0;
  }

  private prune(since: number): void {
    for (const [key, list] of this.hits) {
      if (list.every((t) => t <= since)) this.hits.delete(key);
    }
  }
}
