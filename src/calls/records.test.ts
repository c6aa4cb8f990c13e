import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshStore } from '../../test/support/stores';
import { VirtualClock } from '../core/index';
import type { Store } from '../store/index';
import { CallRecords } from './records';

const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Makes the store refuse to insert a call record whose callee is `refused`, as a failing disk would. */
async function refuseCallee(store: Store): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql
      .raw(`CREATE FUNCTION refuse_call() RETURNS trigger AS $$ BEGIN
              IF NEW.callee = 'refused' THEN RAISE EXCEPTION 'refused by test'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql`)
      .execute(store.db);
    await sql
      .raw('CREATE TRIGGER refuse BEFORE INSERT ON call_records FOR EACH ROW EXECUTE FUNCTION refuse_call()')
      .execute(store.db);
  } else {
    await sql
      .raw(`CREATE TRIGGER refuse BEFORE INSERT ON call_records WHEN NEW.callee = 'refused'
            BEGIN SELECT RAISE(ABORT, 'refused by test'); END`)
      .execute(store.db);
  }
}

const call = (n: number, callee = '8889') => ({
  sipCallId: `c${n}@test`,
  caller: `100${n}`,
  callee,
  route: 'test',
});

describe.each(dialects)('call records on %s', (dialect) => {
  async function setUp() {
    const store = await freshStore(dialect);
    open.push(store);
    const clock = new VirtualClock(1_000);
    const reports: string[] = [];
    const records = new CallRecords(store.db, clock, (_error, context) => reports.push(context));
    return { store, clock, records, reports };
  }

  it("keeps each record's writes in order when many calls write in the same turn", async () => {
    const { clock, records, reports } = await setUp();
    // Every call starts, then answers, is linked and ends without waiting for the store between
    // them: all the updates of all the calls share batches.
    const calls = await Promise.all(Array.from({ length: 50 }, (_, n) => records.start(call(n))));
    clock.advance(500);
    const writes = calls.flatMap((record, n) => [
      records.answered(record, `/rec/${n}.wav`),
      records.linkInteraction(record, `ix-${n}`),
      records.ended(record, 'answered', n % 2 ? 'caller' : 'callee'),
    ]);
    await Promise.all(writes);
    const stored = await records.list(100);
    expect(stored).toHaveLength(50);
    for (const [n, record] of calls.entries()) {
      const row = stored.find((r) => r.id === record.id);
      expect(row).toEqual({
        ...record,
        startedAt: 1_000,
        answeredAt: 1_500,
        endedAt: 1_500,
        recordingPath: `/rec/${n}.wav`,
        interactionId: `ix-${n}`,
        disposition: 'answered',
        endedBy: n % 2 ? 'caller' : 'callee',
      });
    }
    expect(reports).toEqual([]);
  });

  it('a later write to the same record wins: batches keep submission order', async () => {
    const { records } = await setUp();
    const record = await records.start(call(1));
    const writes = [];
    for (let n = 0; n < 20; n++) {
      writes.push(records.linkInteraction(record, `ix-${n}`), records.answered(record, `/rec/${n}.wav`));
    }
    await Promise.all(writes);
    expect((await records.list())[0]).toMatchObject({ interactionId: 'ix-19', recordingPath: '/rec/19.wav' });
  });

  it('a failed batch is reported and only the bad write fails; the others commit', async () => {
    const { store, records, reports } = await setUp();
    await refuseCallee(store);
    const [first, refused, last] = await Promise.allSettled([
      records.start(call(1)),
      records.start(call(2, 'refused')),
      records.start(call(3)),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(last.status).toBe('fulfilled');
    expect(refused.status).toBe('rejected');
    expect(String((refused as PromiseRejectedResult).reason)).toContain('refused by test');
    expect(reports).toHaveLength(2);
    expect(reports[0]).toBe('a batch of 3 call-record writes failed; writing them one by one');
    expect(reports[1]).toMatch(/^call record \S+ \(start\) not written$/);
    expect((await records.list()).map((r) => r.sipCallId).sort()).toEqual(['c1@test', 'c3@test']);
  });

  it('an update to a record that never reached the store fails and is reported, not lost', async () => {
    const { records, reports } = await setUp();
    const ghost = { ...(await records.start(call(2))), id: 'never-written' };
    await expect(records.ended(ghost, 'failed', 'system')).rejects.toMatchObject({
      code: 'CALL_RECORD_MISSING',
    });
    expect(reports.at(-1)).toBe('call record never-written (ended) not written');
  });

  it('flush waits for writes nobody awaits', async () => {
    const { records } = await setUp();
    const record = await records.start(call(1));
    void records.answered(record, null);
    await records.flush();
    expect((await records.list())[0]?.answeredAt).toBe(1_000);
  });
});
