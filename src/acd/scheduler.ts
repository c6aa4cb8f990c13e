import type { Clock, TimerHandle } from '../core/index';
import { IndexedHeap } from './structures';

export interface ScheduledTask {
  readonly at: number;
  readonly seq: number;
  heapIndex: number;
  readonly run: () => void;
}

/** Node clamps longer timeouts to 1 ms; a far deadline is reached in hops of this size instead. */
const maxTimerDelayMs = 2_147_483_647;

/**
 * Deadlines of the ACD (ring-no-answer, wrap-up, overflow steps, maximum wait) kept in one
 * indexed heap, with a single clock timer armed for the earliest. Scheduling and cancelling are
 * O(log n) whatever the clock does inside, and tasks due at the same instant run in the order
 * they were scheduled, so a simulation stays reproducible for a seed.
 *
 * A task never runs before its `at`: if the clock wakes us early, we just re-arm.
 */
export class Scheduler {
  private readonly heap = new IndexedHeap<ScheduledTask>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  private nextSeq = 1;
  private armed: { handle: TimerHandle; at: number } | null = null;
  private firing = false;

  constructor(private readonly clock: Clock) {}

  get pending(): number {
    return this.heap.size;
  }

  at(at: number, run: () => void): ScheduledTask {
    const task: ScheduledTask = { at, seq: this.nextSeq++, heapIndex: -1, run };
    this.heap.push(task);
    if (!this.firing) this.arm();
    return task;
  }

  cancel(task: ScheduledTask | null): void {
    if (task === null) return;
    if (this.heap.remove(task) && !this.firing) this.arm();
  }

  /** Drops every task and the clock timer (engine shutdown). */
  clear(): void {
    while (this.heap.pop() !== undefined);
    this.disarm();
  }

  private arm(): void {
    const next = this.heap.peek();
    if (next === undefined) {
      this.disarm();
      return;
    }
    if (this.armed !== null && this.armed.at === next.at) return;
    this.disarm();
    const delay = Math.min(maxTimerDelayMs, Math.max(0, next.at - this.clock.now()));
    const handle = this.clock.setTimeout(() => this.fire(), delay);
    this.armed = { handle, at: next.at };
  }

  private disarm(): void {
    if (this.armed !== null) {
      this.clock.clearTimeout(this.armed.handle);
      this.armed = null;
    }
  }

  private fire(): void {
    this.armed = null;
    this.firing = true;
    try {
      for (;;) {
        const next = this.heap.peek();
        if (next === undefined || next.at > this.clock.now()) break;
        this.heap.remove(next);
        next.run();
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }
}
