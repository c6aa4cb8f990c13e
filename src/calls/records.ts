import { type Clock, newId } from '../core/index';
import type { Db } from '../store/index';

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

/** Call detail records in the store: written at the start, the answer and the end of every call. */
export class CallRecords {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
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
    await this.db
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
    return record;
  }

  async answered(record: CallRecord, recordingPath: string | null): Promise<void> {
    record.answeredAt = this.clock.now();
    record.recordingPath = recordingPath;
    await this.db
      .updateTable('call_records')
      .set({ answered_at: record.answeredAt, recording_path: recordingPath })
      .where('id', '=', record.id)
      .execute();
  }

  /** The contact this call became (an interaction handed to a queue). */
  async linkInteraction(record: CallRecord, interactionId: string): Promise<void> {
    record.interactionId = interactionId;
    await this.db
      .updateTable('call_records')
      .set({ interaction_id: interactionId })
      .where('id', '=', record.id)
      .execute();
  }

  async ended(record: CallRecord, disposition: Disposition, endedBy: CallRecord['endedBy']): Promise<void> {
    record.endedAt = this.clock.now();
    record.disposition = disposition;
    record.endedBy = endedBy;
    await this.db
      .updateTable('call_records')
      .set({ ended_at: record.endedAt, disposition, ended_by: endedBy })
      .where('id', '=', record.id)
      .execute();
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
