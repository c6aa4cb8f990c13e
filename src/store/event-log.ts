import type { Database as SqliteDatabase } from 'better-sqlite3';
import { sql } from 'kysely';
import type { AppendOptions, EventSink, NewEvent, SettleAppend, StoredEvent } from '../core/index';
import { type Audience, asId, type EventId, TellerError } from '../core/index';
import { GroupCommit, type Pending } from './group-commit';
import type { Store } from './store';

// Any constant works; it only has to be the same for every Teller node on one database.
const eventLogLockKey = 7_201_001;

/**
 * How long a batched event may wait for company before it is written (see `EventMeta.batched`):
 * one commit a second for all the IVR's calls; each commit costs about half a millisecond of
 * CPU whatever it holds (docs/adr/014-ivr-events-one-commit-a-second.md).
 */
export const defaultBatchWindowMs = 1000;

/**
 * The persisted event log: every domain event, with a sequence number that rises by one per
 * append. Appends that arrive in the same turn of the event loop are written in one
 * transaction (group commit), one batch at a time, so sequence numbers are handed out in
 * commit order and a reader replaying "after seq N" never skips an event committed later.
 *
 * A batched append (high-rate telemetry) waits up to `batchWindowMs` so that many share one
 * commit; an ordinary append takes every waiting one with it, ahead of itself, so sequence
 * numbers still follow the order of the appends.
 */
export class EventLog implements EventSink {
  private readonly commits = new GroupCommit<NewEvent, number>(async (events) => {
    const seqs = await this.write(events);
    this.appended += events.length;
    return seqs;
  });
  private appended = 0;
  private waiting: Pending<NewEvent, number>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sqliteInsert: ((events: NewEvent[]) => number[]) | null = null;

  constructor(
    private readonly store: Store,
    private readonly batchWindowMs = defaultBatchWindowMs,
  ) {}

  /** How many events this process has appended since it started. */
  get appendedCount(): number {
    return this.appended;
  }

  append(event: NewEvent, options?: AppendOptions): Promise<number> {
    return new Promise<number>((resolve, reject) => this.enqueue({ item: event, resolve, reject }, options));
  }

  /** `append` for a caller that settles without a promise (`EventBus.emit`). */
  enqueue(pending: SettleAppend, options?: AppendOptions): void {
    this.waiting.push(pending);
    if (!options?.batched) this.release();
    else this.timer ??= setTimeout(() => this.release(), this.batchWindowMs);
  }

  /** Writes the batched events that are waiting now, and resolves once they are committed. */
  async flush(): Promise<void> {
    this.release();
    await this.commits.flush();
  }

  /**
   * Hands the waiting events to the group commit, in the order they were appended. Every
   * append, batched or not, settles through the same step here, so their callers hear of
   * them in sequence order too.
   */
  private release(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (const waiting of this.waiting) this.commits.enqueue(waiting);
    this.waiting = [];
  }

  private async write(events: NewEvent[]): Promise<number[]> {
    const { db, dialect, sqlite } = this.store;
    if (sqlite) return db.connection().execute(async () => this.writeSqlite(sqlite, events));
    return db.transaction().execute(async (tx) => {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${eventLogLockKey})`.execute(tx);
      const rows = await tx
        .insertInto('events')
        .values(
          events.map((e) => ({
            id: e.id,
            type: e.type,
            at: e.at,
            audience: e.audience,
            subject_user_id: e.subjectUserId,
            actor: e.actor,
            payload: JSON.stringify(e.payload),
          })),
        )
        .returning(['id', 'seq'])
        .execute();
      const byId = new Map(rows.map((r) => [r.id, Number(r.seq)]));
      return events.map((e) => byId.get(e.id)!);
    });
  }

  /**
   * The SQLite insert, with the caller holding the store's one connection: one prepared
   * statement, kept, run once per event inside one transaction. Through the query builder a
   * batch of n events was a new n-row statement to compile and prepare every time, and the
   * IVR writes a few of these a second at ~100 events each (ADR 011, bench/RESULTS.md "ivr").
   * `seq` is the table's integer primary key, so the row id is the sequence number.
   */
  private writeSqlite(sqlite: SqliteDatabase, events: NewEvent[]): number[] {
    // With the connection held no Kysely transaction can be open; if one were, better-sqlite3
    // would nest this one as a savepoint and the events would live or die with someone else's.
    if (sqlite.inTransaction)
      throw new TellerError(
        'STORE_EVENT_LOG_NESTED',
        'internal',
        'a transaction is open on the store connection',
      );
    if (!this.sqliteInsert) {
      const insert = sqlite.prepare(
        'insert into events (id, type, at, audience, subject_user_id, actor, payload) values (?, ?, ?, ?, ?, ?, ?)',
      );
      this.sqliteInsert = sqlite.transaction((batch: NewEvent[]) => {
        const seqs = new Array<number>(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const e = batch[i]!;
          const row = insert.run(
            e.id,
            e.type,
            e.at,
            e.audience,
            e.subjectUserId,
            e.actor,
            JSON.stringify(e.payload),
          );
          seqs[i] = Number(row.lastInsertRowid);
        }
        return seqs;
      });
    }
    return this.sqliteInsert(events);
  }

  /** Events with a sequence number above `afterSeq`, oldest first. */
  async readAfter(afterSeq: number, limit = 1000): Promise<StoredEvent[]> {
    const rows = await this.store.db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: asId<EventId>(r.id),
      type: r.type,
      at: Number(r.at),
      audience: r.audience as Audience,
      subjectUserId: r.subject_user_id,
      actor: r.actor,
      payload: JSON.parse(r.payload) as unknown,
    }));
  }

  /** Calls `visit` for every event after `afterSeq`, page by page, in order. */
  async replay(afterSeq: number, visit: (event: StoredEvent) => void | Promise<void>): Promise<number> {
    let last = afterSeq;
    for (;;) {
      const page = await this.readAfter(last, 1000);
      for (const event of page) {
        await visit(event);
        last = event.seq;
      }
      if (page.length < 1000) return last;
    }
  }

  async lastSeq(): Promise<number> {
    const row = await this.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('last'))
      .executeTakeFirst();
    return Number(row?.last ?? 0);
  }
}
