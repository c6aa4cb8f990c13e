import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock';
import { EventBus, MemoryEventSink } from './events';

interface TestEvents {
  'thing.made': { n: number };
  'thing.gone': { reason: string };
}

describe('EventBus', () => {
  it('persists before delivering, numbers events in order, and delivers by type', async () => {
    const sink = new MemoryEventSink();
    const bus = new EventBus<TestEvents>(sink, new VirtualClock(42), () => undefined);
    const seen: string[] = [];
    bus.on('thing.made', (e) => seen.push(`made ${e.payload.n} #${e.seq} stored=${sink.events.length}`));
    bus.onAny((e) => seen.push(`any ${e.type}`));
    await bus.publish('thing.made', { n: 1 });
    await bus.publish('thing.gone', { reason: 'x' }, { audience: 'admin', actor: 'u1' });
    expect(seen).toEqual(['made 1 #1 stored=1', 'any thing.made', 'any thing.gone']);
    expect(sink.events[1]).toMatchObject({
      seq: 2,
      type: 'thing.gone',
      at: 42,
      audience: 'admin',
      actor: 'u1',
    });
  });

  it('asks the sink to batch an event published as batched, and only that one', async () => {
    const asked: [string, boolean][] = [];
    const bus = new EventBus<TestEvents>(
      {
        append: async (event, options) => {
          asked.push([event.type, options?.batched === true]);
          return asked.length;
        },
      },
      new VirtualClock(),
      () => undefined,
    );
    const seen: number[] = [];
    bus.onAny((e) => seen.push(e.seq));
    await bus.publish('thing.made', { n: 1 }, { batched: true });
    await bus.publish('thing.gone', { reason: 'x' });
    expect(asked).toEqual([
      ['thing.made', true],
      ['thing.gone', false],
    ]);
    expect(seen).toEqual([1, 2]);
  });

  it('reports a throwing listener and still tells the others', async () => {
    const errors: string[] = [];
    const bus = new EventBus<TestEvents>(new MemoryEventSink(), new VirtualClock(), (error, context) =>
      errors.push(`${(error as Error).message} in ${context}`),
    );
    let reached = false;
    bus.on('thing.made', () => {
      throw new Error('boom');
    });
    bus.on('thing.made', () => {
      reached = true;
    });
    await bus.publish('thing.made', { n: 1 });
    expect(reached).toBe(true);
    expect(errors).toEqual(['boom in listener of thing.made #1']);
  });

  it('stops delivering after unsubscribe, and delivers nothing when the sink fails', async () => {
    const bus = new EventBus<TestEvents>(
      { append: async () => Promise.reject(new Error('disk full')) },
      new VirtualClock(),
      () => undefined,
    );
    let count = 0;
    const off = bus.onAny(() => count++);
    await expect(bus.publish('thing.made', { n: 1 })).rejects.toThrow('disk full');
    off();
    expect(count).toBe(0);
  });

  it('emits without a promise: written, then delivered in order with published events; settled waits for them', async () => {
    const sink = new MemoryEventSink();
    const bus = new EventBus<TestEvents>(sink, new VirtualClock(7), () => undefined);
    const seen: string[] = [];
    bus.onAny((e) => seen.push(`${e.type} #${e.seq} stored=${sink.events.length >= e.seq}`));
    bus.emit('thing.made', { n: 1 }, { batched: true });
    const published = bus.publish('thing.gone', { reason: 'r' });
    bus.emit('thing.made', { n: 2 });
    expect(seen).toEqual([]);
    await bus.settled();
    await published;
    expect(seen).toEqual([
      'thing.made #1 stored=true',
      'thing.gone #2 stored=true',
      'thing.made #3 stored=true',
    ]);
    await bus.settled();
  });

  it('reports an emitted event the sink could not write, delivers nothing, and still settles', async () => {
    const errors: string[] = [];
    const bus = new EventBus<TestEvents>(
      { append: async () => Promise.reject(new Error('disk full')) },
      new VirtualClock(),
      (error, context) => errors.push(`${(error as Error).message} (${context})`),
    );
    let count = 0;
    bus.onAny(() => count++);
    bus.emit('thing.made', { n: 1 });
    await bus.settled();
    expect(count).toBe(0);
    expect(errors).toEqual(['disk full (event thing.made not written)']);
  });
});
