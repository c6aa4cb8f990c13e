import { type Clock, newId, TellerError } from '../core/index';
import { type Db, GroupCommit, type Tx } from '../store/index';

export const dispositions = ['answered', 'busy', 'no-answer', 'cancelled', 'rejected', 'failed'] as const;
export type Disposition = (typeof dispositions)[number];

export interface CallRecord {
  id: string;
  sipCallId: string;
  caller: string;
  callee: string;
  route: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  disposition: Disposition | null;
  endedBy: 'caller' | 'callee' | 'system' | null;
  recordingPath: string | null;
  /** The interaction the call became, once an application handed it to a queue. */
  interactionId: string | null;
}

/** One write to a call record, queued behind the record's earlier writes. */
type RecordWrite =
  | { kind: 'start'; record: CallRecord }
  | { kind: 'answered'; id: string; answeredAt: number; recordingPath: string | null }
  | { kind: 'interaction'; id: string; interactionId: string }
  | {
      kind: 'ended';
      id: string;
      endedAt: number;
      disposition: Disposition;
      endedBy: CallRecord['endedBy'];
    };

/** A committed write, or the error that kept it out of the store. */
type WriteOutcome = typeof ok | { error: unknown };
const ok = 'committed' as const;

/** Where a failed write is reported (besides rejecting its caller), e.g. the logger. */
type RecordErrorReport = (error: unknown, context: string) => void;

/**
 * Call detail records in the store: written at the start, the answer and the end of every call.
 *
 * Writes go through a group commit: the writes of every call submitted in the same turn of the
 * event loop (or while the previous batch commits) share one transaction, and so one fsync,
 * instead of paying one each. The queue is first in, first out, so a record's writes reach the
 * store in the order they were made (`ended` after `start`), and each caller's promise settles
 * once its own batch has committed. A batch that fails is reported and written again one write
 * per transaction, so one bad write rejects only its own caller.
 */
export class CallRecords {
  private readonly commits = new GroupCommit<RecordWrite, WriteOutcome>((writes) => this.writeBatch(writes));

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly report: RecordErrorReport = () => undefined,
  ) {}

  async start(input: {
    sipCallId: string;
    caller: string;
    callee: string;
    route: string;
  }): Promise<CallRecord> {
    const record: CallRecord = {
      id: newId(),
      ...input,
      startedAt: this.clock.now(),
      answeredAt: null,
      endedAt: null,
      disposition: null,
      endedBy: null,
      recordingPath: null,
      interactionId: null,
    };
    await this.submit({ kind: 'start', record: { ...record } });
    return record;
  }

  async answered(record: CallRecord, recordingPath: string | null): Promise<void> {
    record.answeredAt = this.clock.now();
    record.recordingPath = recordingPath;
    await this.submit({ kind: 'answered', id: record.id, answeredAt: record.answeredAt, recordingPath });
  }

  /** The contact this call became (an interaction handed to a queue). */
  async linkInteraction(record: CallRecord, interactionId: string): Promise<void> {
    record.interactionId = interactionId;
    await this.submit({ kind: 'interaction', id: record.id, interactionId });
  }

  async ended(record: CallRecord, disposition: Disposition, endedBy: CallRecord['endedBy']): Promise<void> {
    record.endedAt = this.clock.now();
    record.disposition = disposition;
    record.endedBy = endedBy;
    await this.submit({ kind: 'ended', id: record.id, endedAt: record.endedAt, disposition, endedBy });
  }

  /** Settles once every write submitted so far has been committed (or has failed and been reported). */
  flush(): Promise<void> {
    return this.commits.flush();
  }

  /**
   * A batch in one transaction. If it fails, each write again in its own transaction, so a bad
   * write fails alone: its outcome carries its error, and `submit` rejects only its caller.
   */
  private async writeBatch(writes: RecordWrite[]): Promise<WriteOutcome[]> {
    try {
      await this.db.transaction().execute(async (tx) => {
        for (const write of writes) await this.apply(tx, write);
      });
      return writes.map(() => ok);
    } catch (error) {
      if (writes.length === 1) {
        this.report(error, `call record ${describe(writes[0]!)} not written`);
        return [{ error }];
      }
      this.report(error, `a batch of ${writes.length} call-record writes failed; writing them one by one`);
    }
    const outcomes: WriteOutcome[] = [];
    for (const write of writes) {
      try {
        await this.db.transaction().execute((tx) => this.apply(tx, write));
        outcomes.push(ok);
      } catch (error) {
        this.report(error, `call record ${describe(write)} not written`);
        outcomes.push({ error });
      }
    }
    return outcomes;
  }

  private async submit(write: RecordWrite): Promise<void> {
    const outcome = await this.commits.submit(write);
    if (outcome !== ok) throw outcome.error;
  }

  private async apply(tx: Tx, write: RecordWrite): Promise<void> {
    if (write.kind === 'start') {
      const { record } = write;
      await tx
        .insertInto('call_records')
        .values({
          id: record.id,
          sip_call_id: record.sipCallId,
          caller: record.caller,
          callee: record.callee,
          route: record.route,
          started_at: record.startedAt,
          answered_at: null,
          ended_at: null,
          disposition: null,
          ended_by: null,
          recording_path: null,
          interaction_id: null,
        })
        .execute();
      return;
    }
    const update = tx.updateTable('call_records');
    const set =
      write.kind === 'answered'
        ? update.set({ answered_at: write.answeredAt, recording_path: write.recordingPath })
        : write.kind === 'interaction'
          ? update.set({ interaction_id: write.interactionId })
          : update.set({ ended_at: write.endedAt, disposition: write.disposition, ended_by: write.endedBy });
    const result = await set.where('id', '=', write.id).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new TellerError(
        'CALL_RECORD_MISSING',
        'internal',
        `no call record ${write.id} to update (${write.kind})`,
      );
    }
  }

  async list(limit = 100): Promise<CallRecord[]> {
    const rows = await this.db
      .selectFrom('call_records')
      .selectAll()
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      sipCallId: r.sip_call_id,
      caller: r.caller,
      callee: r.callee,
      route: r.route,
      startedAt: Number(r.started_at),
      answeredAt: r.answered_at === null ? null : Number(r.answered_at),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
      disposition: r.disposition as Disposition | null,
      endedBy: r.ended_by as CallRecord['endedBy'],
      recordingPath: r.recording_path,
      interactionId: r.interaction_id,
    }));
  }

  /** Calls left open by a process that died: closed as failed, ended by the system. */
  async closeDangling(): Promise<number> {
    const result = await this.db
      .updateTable('call_records')
      .set({ ended_at: this.clock.now(), disposition: 'failed', ended_by: 'system' })
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function describe(write: RecordWrite): string {
  return write.kind === 'start' ? `${write.record.id} (start)` : `${write.id} (${write.kind})`;
}
