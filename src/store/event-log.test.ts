import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshStore } from '../../test/support/stores';
import { asId, EventBus, type EventId, RealClock } from '../core/index';
import { EventLog } from './event-log';
import type { Store } from './store';

const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function newEvent(n: number) {
  return {
    id: asId<EventId>(`e-${n}-${Math.random()}`),
    type: 'test.step',
    at: 1000 + n,
    audience: 'all' as const,
    subjectUserId: null,
    actor: null,
    payload: { n },
  };
}

describe.each(dialects)('event log batched appends on %s', (dialect) => {
  async function store(): Promise<Store> {
    const s = await freshStore(dialect);
    open.push(s);
    return s;
  }

  it('writes emitted events through enqueue, batched ones with the next ordinary event, in emit order', async () => {
    const log = new EventLog(await store(), 60_000);
    const bus = new EventBus<Record<string, { n: number }>>(log, new RealClock(), (error) => {
      throw error;
    });
    const heard: [number, number][] = [];
    bus.onAny((e) => heard.push([e.payload.n, e.seq]));
    bus.emit('test.step', { n: 0 }, { batched: true });
    bus.emit('test.step', { n: 1 }, { batched: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
    bus.emit('test.end', { n: 2 });
    await bus.settled();
    expect(heard).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect((await log.readAfter(0)).map((e) => [e.type, e.seq])).toEqual([
      ['test.step', 1],
      ['test.step', 2],
      ['test.end', 3],
    ]);
  });

  it('holds batched events back until an ordinary append takes them along, numbered and settled in append order', async () => {
    const log = new EventLog(await store(), 60_000);
    const written: number[] = [];
    const batched = [0, 1, 2].map((n) =>
      log.append(newEvent(n), { batched: true }).then((seq) => {
        written.push(n);
        return seq;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toEqual([]);
    expect(await log.lastSeq()).toBe(0);

    const ordinary = await log.append(newEvent(3)).then((seq) => {
      written.push(3);
      return seq;
    });
    expect(await Promise.all(batched)).toEqual([1, 2, 3]);
    expect(ordinary).toBe(4);
    // Whoever waits on an append (the bus, then its listeners) hears of them in sequence order.
    expect(written).toEqual([0, 1, 2, 3]);
    const stored = await log.readAfter(0);
    expect(stored.map((e) => (e.payload as { n: number }).n)).toEqual([0, 1, 2, 3]);
  });

  it('writes batched events on its own once the window has passed, and at once on flush', async () => {
    const log = new EventLog(await store(), 20);
    const seqs = await Promise.all([0, 1, 2].map((n) => log.append(newEvent(n), { batched: true })));
    expect(seqs).toEqual([1, 2, 3]);

    const slow = new EventLog(await store(), 60_000);
    const late = slow.append(newEvent(9), { batched: true });
    await slow.flush();
    expect(await late).toBe(1);
    expect((await slow.readAfter(0)).map((e) => e.payload)).toEqual([{ n: 9 }]);
  });
});

describe('event log on SQLite', () => {
  it('writes its batch only once a transaction open on the store has committed, numbered after its rows', async () => {
    const store = await freshStore('sqlite');
    open.push(store);
    const log = new EventLog(store, 60_000);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const other = store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('events')
        .values({
          id: 'other',
          type: 'test.other',
          at: 1,
          audience: 'all',
          subject_user_id: null,
          actor: null,
          payload: '{}',
        })
        .execute();
      await held;
    });
    const appended = log.append(newEvent(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await other;
    expect(await appended).toBe(2);
    expect((await log.readAfter(0)).map((e) => e.type)).toEqual(['test.other', 'test.step']);
  });

  it('rejects every event of a batch that cannot be written, and writes none of them', async () => {
    const store = await freshStore('sqlite');
    open.push(store);
    const log = new EventLog(store, 60_000);
    // A payload JSON cannot hold fails the second insert, after the first one was made.
    const results = await Promise.allSettled([
      log.append(newEvent(1), { batched: true }),
      log.append({ ...newEvent(2), payload: { amount: 10n } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await log.lastSeq()).toBe(0);
  });
});
