export interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items submitted while a write is in flight (or in the same turn of the event
 * loop) are written together by the next call of `write`, one batch at a time and in the
 * order they were submitted. Each submitter's promise settles when its own batch has
 * committed, so an acknowledged item is durable, but N concurrent submitters share one
 * transaction (and one fsync) instead of paying for N.
 */
export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  constructor(
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => this.enqueue({ item, resolve, reject }));
  }

  /** `submit` for a caller that already holds the settling functions (no second promise per item). */
  enqueue(pending: Pending<T, R>): void {
    this.queue.push(pending);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }

  /** Settles once everything submitted so far has been written (or has failed). */
  flush(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((p) => p.item));
        for (const [i, p] of batch.entries()) p.resolve(results[i]!);
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
