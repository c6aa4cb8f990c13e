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
 * Where events are persisted before anyone hears of them (the store's event log, or memory in
 * tests). Sequence numbers follow the order of `append` calls, batched or not.
 */
export interface EventSink {
  append(event: NewEvent, options?: AppendOptions): Promise<number>;
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
    const event: NewEvent = {
      id: newId<EventId>(),
      type,
      at: this.clock.now(),
      audience: meta.audience ?? 'all',
      subjectUserId: meta.subjectUserId ?? null,
      actor: meta.actor ?? null,
      payload,
    };
    const seq = await this.sink.append(event, meta.batched ? batchedAppend : undefined);
    // The sink is done with the object once it has answered: it becomes the stored event.
    const stored = event as StoredEvent;
    stored.seq = seq;
    this.deliver(stored);
    return stored as EventOf<M, K>;
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
