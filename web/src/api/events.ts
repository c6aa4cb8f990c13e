/**
 * The live events WebSocket (`/api/v1/events`): the session cookie authenticates it, `types`
 * filters on the server, and a reconnect resumes with `?after=<last seq>` so nothing is missed
 * or seen twice (the server replays the gap from its event log).
 */
import { useEffect, useRef, useState } from 'react';
import type { TellerEvent } from './types';

export type StreamStatus = 'connecting' | 'open' | 'closed';

export interface EventStreamOptions {
  /** Event types or prefixes ending in "." (`acd.`, `user.created`). */
  types: readonly string[];
  /** Replay from this sequence number first (0: the whole log) instead of starting live. */
  after?: number;
  onEvent(event: TellerEvent): void;
  onStatus?(status: StreamStatus): void;
}

export class EventStream {
  private socket: WebSocket | undefined;
  private lastSeq: number | undefined;
  private closed = false;
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: EventStreamOptions) {
    this.lastSeq = options.after;
    this.connect();
  }

  private url(): string {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ types: this.options.types.join(',') });
    if (this.lastSeq !== undefined) params.set('after', String(this.lastSeq));
    return `${scheme}://${location.host}/api/v1/events?${params.toString()}`;
  }

  private connect(): void {
    if (this.closed) return;
    this.options.onStatus?.('connecting');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      this.options.onStatus?.('open');
    };
    socket.onmessage = (message: MessageEvent<string>) => {
      let event: TellerEvent;
      try {
        event = JSON.parse(message.data) as TellerEvent;
      } catch (error) {
        console.error('event stream: a frame that is not JSON', error);
        return;
      }
      if (this.lastSeq !== undefined && event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
      try {
        this.options.onEvent(event);
      } catch (error) {
        console.error(`event stream: the handler of ${event.type} failed`, error);
      }
    };
    socket.onclose = () => {
      this.options.onStatus?.('closed');
      if (this.closed) return;
      // The server's log fills the gap when we come back with ?after=lastSeq.
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000, 'done');
  }
}

/**
 * Subscribes a component to live events for as long as it is mounted. The handler may change
 * between renders (it is read through a ref); the types and `after` are fixed at mount.
 */
export function useEventStream(
  types: readonly string[],
  onEvent: (event: TellerEvent) => void,
  after?: number,
): StreamStatus {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const key = types.join(',');
  useEffect(() => {
    const stream = new EventStream({
      types: key.split(','),
      ...(after !== undefined ? { after } : {}),
      onEvent: (event) => handler.current(event),
      onStatus: setStatus,
    });
    return () => stream.close();
  }, [key, after]);
  return status;
}
