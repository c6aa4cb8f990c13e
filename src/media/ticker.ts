/**
 * The one clock of a media worker: a callback every `periodMs`, scheduled against absolute
 * deadlines (start + n·period) so that timer slop does not accumulate into drift — the nth
 * tick is due at the same instant however late the previous ones ran. A tick that starts
 * more than `maxBehindTicks` periods late does not replay the backlog (that would send a
 * burst of packets); the missed ticks are reported to the callback, which advances RTP
 * timestamps over them, and the schedule resumes from now. Time is the global monotonic
 * `performance.now()`, read through `globalThis` so that tests can fake it.
 */
export interface TickInfo {
  /** Monotonic time of this tick's deadline, ms. */
  deadline: number;
  /** How late the tick started, ms. */
  lateMs: number;
  /** Ticks skipped just before this one. */
  skipped: number;
}

export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  ticks = 0;
  skippedTicks = 0;
  /** Ticks that started two periods or more after their deadline (a receiver sees their packets 40 ms late). */
  lateTicks = 0;
  maxLateMs = 0;
  workMs = 0;
  /** The longest tick so far, ms. */
  maxWorkMs = 0;

  constructor(
    private readonly periodMs: number,
    private readonly onTick: (tick: TickInfo) => void,
    private readonly maxBehindTicks = 3,
  ) {}

  /**
   * Starts ticking one period from now or, with `phaseMs`, at the next instant when the wall
   * clock modulo the period equals it: workers of one process given phases spread over the
   * period tick in turn instead of all at once (they share the cores).
   */
  start(phaseMs?: number): void {
    if (this.timer) return;
    let delay = this.periodMs;
    if (phaseMs !== undefined) {
      delay = (((phaseMs - Date.now()) % this.periodMs) + this.periodMs) % this.periodMs;
      if (delay < 1) delay += this.periodMs;
    }
    this.next = performance.now() + delay;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.run(), Math.max(0, this.next - performance.now()));
  }

  private run(): void {
    const now = performance.now();
    let lateMs = now - this.next;
    let skipped = 0;
    if (lateMs > this.periodMs * this.maxBehindTicks) {
      skipped = Math.floor(lateMs / this.periodMs);
      this.next += skipped * this.periodMs;
      this.skippedTicks += skipped;
      lateMs = now - this.next;
    }
    if (lateMs > this.maxLateMs) this.maxLateMs = lateMs;
    if (lateMs >= 2 * this.periodMs) this.lateTicks++;
    this.ticks++;
    try {
      this.onTick({ deadline: this.next, lateMs, skipped });
    } finally {
      const work = performance.now() - now;
      this.workMs += work;
      if (work > this.maxWorkMs) this.maxWorkMs = work;
      this.next += this.periodMs;
      if (this.timer) this.schedule();
    }
  }
}
