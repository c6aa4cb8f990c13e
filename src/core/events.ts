import type { EventId } from './ids';
import { newId } from './ids';

/**
 * Who may read an event on the live stream: everyone signed in, supervisors and admins,
 * or admins only. An event tied to one user (`subjectUserId`) is also visible to that user.
 */
export const audiences = ['all', 'supervisor', 'admin'] as const;
export type Audience = (typeof audiences)[number];

export interface EventMeta {
  audience?: Audience;
  subjectUserId?: string;
  /** The user or system part that caused the change. */
  actor?: string;
  /**
   * The event may wait up to the sink's batch window (up to a second) to share one
   * commit with others, and is delivered once written, like any event. For high-rate telemetry
   * (an IVR's steps and prompts, several per key press) where a commit — an fsync — per turn
   * would cost more than the event is worth. An event published without it takes every
   * waiting batched event with it, in publish order. See docs/adr/011-ivr-event-persistence.md.
   */
  batched?: boolean;
}

/** An event as it stands in the log: `seq` rises by one with every append and is never reused. */
export interface StoredEvent<Type extends string = string, Payload = unknown> {
  seq: number;
  id: EventId;
  type: Type;
  at: number;
  audience: Audience;
  subjectUserId: string | null;
  actor: string | null;
  payload: Payload;
}

export type NewEvent = Omit<StoredEvent, 'seq'>;

const batchedAppend: AppendOptions = { batched: true };

export interface AppendOptions {
  /** The sink may hold the event back for a short while to write it with others (`EventMeta.batched`). */
  batched?: boolean;
}

/**
 * An append nobody awaits (`EventBus.emit`): the sink settles it by calling its methods once the
 * event is written or has failed, so a telemetry event costs one object, not a chain of promises.
 */
export interface SettleAppend {
  readonly item: NewEvent;
  resolve(seq: number): void;
  reject(error: unknown): void;
}

/**
 * Where events are persisted before anyone hears of them (the store's event log, or memory in
 * tests). Sequence numbers follow the order of `append` and `enqueue` calls, batched or not.
 */
export interface EventSink {
  append(event: NewEvent, options?: AppendOptions): Promise<number>;
  /** `append` without a promise, for a sink that can settle `pending` itself. */
  enqueue?(pending: SettleAppend, options?: AppendOptions): void;
}

export class MemoryEventSink implements EventSink {
  readonly events: StoredEvent[] = [];
  async append(event: NewEvent): Promise<number> {
    const seq = this.events.length + 1;
    this.events.push({ ...event, seq });
    return seq;
  }
}

export type EventListener<E extends StoredEvent = StoredEvent> = (event: E) => void;

interface EmitTarget {
  written(event: StoredEvent): void;
  failed(event: NewEvent, error: unknown): void;
}

/** An emitted event on its way through the sink (`SettleAppend`), settled into its bus. */
class Emitted implements SettleAppend {
  constructor(
    readonly item: NewEvent,
    private readonly target: EmitTarget,
  ) {}

  resolve(seq: number): void {
    const stored = this.item as StoredEvent;
    stored.seq = seq;
    this.target.written(stored);
  }

  reject(error: unknown): void {
    this.target.failed(this.item, error);
  }
}

type EventOf<M, K extends keyof M & string> = StoredEvent<K, M[K]>;
type AnyEventOf<M> = { [K in keyof M & string]: EventOf<M, K> }[keyof M & string];

export type ErrorReporter = (error: unknown, context: string) => void;

/**
 * The typed event bus. `publish` first appends the event to the sink (so it has its sequence
 * number and survives a crash), then tells the listeners; a `batched` event may wait a little
 * for company before it is written, and so before it is heard. A listener that throws is reported
 * and does not stop the others.
 */
export class EventBus<M extends object> {
  private readonly byType = new Map<string, Set<EventListener>>();
  private readonly everything = new Set<EventListener>();
  /** Emitted events not yet written or failed, and who waits for there to be none. */
  private emitting = 0;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly sink: EventSink,
    private readonly clock: { now(): number },
    private readonly reportError: ErrorReporter,
  ) {}

  async publish<K extends keyof M & string>(
    type: K,
    payload: M[K],
    meta: EventMeta = {},
  ): Promise<EventOf<M, K>> {
    const event = this.newEvent(type, payload, meta);
    const seq = await this.sink.append(event, meta.batched ? batchedAppend : undefined);
    // The sink is done with the object once it has answered: it becomes the stored event.
    const stored = event as StoredEvent;
    stored.seq = seq;
    this.deliver(stored);
    return stored as EventOf<M, K>;
  }

  /**
   * `publish` for an event nobody waits on (the IVR's telemetry, several per key on every call):
   * written and then delivered the same way, in the same order, but without a promise per event.
   * A failure to write it goes to the error reporter. `settled` waits for every emitted event.
   */
  emit<K extends keyof M & string>(type: K, payload: M[K], meta: EventMeta = {}): void {
    const event = this.newEvent(type, payload, meta);
    const options = meta.batched ? batchedAppend : undefined;
    const pending = new Emitted(event, this.emitted);
    this.emitting++;
    if (this.sink.enqueue) this.sink.enqueue(pending, options);
    else
      this.sink.append(event, options).then(
        (seq) => pending.resolve(seq),
        (error: unknown) => pending.reject(error),
      );
  }

  /** Resolves once every event emitted so far has been written (or has failed and been reported). */
  settled(): Promise<void> {
    if (this.emitting === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Where an emitted event's settlement lands: one object for the bus, shared by all of them. */
  private readonly emitted: EmitTarget = {
    written: (event) => {
      this.deliver(event);
      this.emitDone();
    },
    failed: (event, error) => {
      this.reportError(error, `event ${event.type} not written`);
      this.emitDone();
    },
  };

  private emitDone(): void {
    this.emitting--;
    if (this.emitting === 0) for (const wake of this.idle.splice(0)) wake();
  }

  private newEvent(type: string, payload: unknown, meta: EventMeta): NewEvent {
    return {
      id: newId<EventId>(),
      type,
      at: this.clock.now(),
      audience: meta.audience ?? 'all',
      subjectUserId: meta.subjectUserId ?? null,
      actor: meta.actor ?? null,
      payload,
    };
  }

  on<K extends keyof M & string>(type: K, listener: EventListener<EventOf<M, K>>): () => void {
    let set = this.byType.get(type);
    if (!set) {
      set = new Set();
      this.byType.set(type, set);
    }
    set.add(listener as EventListener);
    return () => set.delete(listener as EventListener);
  }

  onAny(listener: EventListener<AnyEventOf<M>>): () => void {
    this.everything.add(listener as EventListener);
    return () => this.everything.delete(listener as EventListener);
  }

  private deliver(event: StoredEvent): void {
    // The listeners as they stand now: one may subscribe or unsubscribe others while it is told.
    const typed = this.byType.get(event.type);
    const some = typed && typed.size > 0 ? [...typed] : null;
    const any = this.everything.size > 0 ? [...this.everything] : null;
    if (some) for (const listener of some) this.tell(listener, event);
    if (any) for (const listener of any) this.tell(listener, event);
  }

  private tell(listener: EventListener, event: StoredEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.reportError(error, `listener of ${event.type} #${event.seq}`);
    }
  }
}
