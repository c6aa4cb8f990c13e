import type { Clock, TimerHandle } from '../core/index';
import { IndexedHeap } from './structures';

/**
 * One deadline. The owner may keep the task and schedule it again and again (an interaction
 * keeps one for all its deadlines), so arming a deadline on the routing path allocates nothing.
 */
export class ScheduledTask {
  at = 0;
  seq = 0;
  heapIndex = -1;

  constructor(readonly run: () => void) {}

  get scheduled(): boolean {
    return this.heapIndex >= 0;
  }
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
  private armedHandle: TimerHandle | null = null;
  private armedAt = 0;
  private firing = false;
  private readonly onTimer = () => this.fire();

  constructor(private readonly clock: Clock) {}

  get pending(): number {
    return this.heap.size;
  }

  /** A new task for `run` at `at`. */
  at(at: number, run: () => void): ScheduledTask {
    const task = new ScheduledTask(run);
    this.schedule(task, at);
    return task;
  }

  /** (Re)schedules a task at `at`; one already pending moves, and counts as scheduled now. */
  schedule(task: ScheduledTask, at: number): void {
    if (task.heapIndex >= 0) this.heap.remove(task);
    task.at = at;
    task.seq = this.nextSeq++;
    this.heap.push(task);
    if (!this.firing) this.arm();
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
    if (this.armedHandle !== null && this.armedAt === next.at) return;
    this.disarm();
    const delay = Math.min(maxTimerDelayMs, Math.max(0, next.at - this.clock.now()));
    this.armedHandle = this.clock.setTimeout(this.onTimer, delay);
    this.armedAt = next.at;
  }

  private disarm(): void {
    if (this.armedHandle !== null) {
      this.clock.clearTimeout(this.armedHandle);
      this.armedHandle = null;
    }
  }

  private fire(): void {
    this.armedHandle = null;
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
