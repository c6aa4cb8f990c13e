import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { EventBus, StoredEvent } from '../core/index';
import type { EventLog } from '../store/index';
import { requireSession } from './auth';
import { anyRole, type Role } from './roles';

/** Whether a user of `role` (id `userId`) may see `event` on the live stream. */
export function canSee(event: StoredEvent, role: Role, userId: string): boolean {
  if (event.subjectUserId === userId) return true;
  switch (event.audience) {
    case 'all':
      return true;
    case 'supervisor':
      return role === 'supervisor' || role === 'admin';
    case 'admin':
      return role === 'admin';
  }
}

const query = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('resume: replay events with a sequence number above this first'),
  types: z
    .string()
    .max(2000)
    .optional()
    .describe('comma-separated event types or prefixes ending in ".", e.g. "user.,acd.queue"'),
});

export interface EventsStreamOptions {
  bus: EventBus<object>;
  eventLog: EventLog;
}

/**
 * `GET /api/v1/events` as a WebSocket: the domain events the user may see, as JSON text
 * frames, each with its `seq`. With `?after=N` the stream first replays the log from N, then
 * goes live without a gap or a duplicate (live events that arrive during the replay are held
 * and released in order after it).
 */
export async function eventsStream(
  app: FastifyInstance,
  { bus, eventLog }: EventsStreamOptions,
): Promise<void> {
  app.get(
    '/events',
    {
      websocket: true,
      config: { access: anyRole },
      schema: {
        tags: ['events'],
        summary: 'Live domain events (WebSocket), resumable with ?after=seq',
        querystring: query,
      },
    },
    (socket: WebSocket, request) => {
      const session = requireSession(request);
      const { after, types } = request.query as z.infer<typeof query>;
      const filters = types
        ? types
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : [];
      const wanted = (event: StoredEvent) =>
        canSee(event, session.user.role, session.user.id) &&
        (filters.length === 0 ||
          filters.some((f) => (f.endsWith('.') ? event.type.startsWith(f) : event.type === f)));

      // Without ?after the stream starts live; with it, the cursor starts at N and the replay moves it.
      let cursor = after ?? 0;
      let replaying = after !== undefined;
      const held: StoredEvent[] = [];
      const send = (event: StoredEvent) => {
        if (event.seq <= cursor) return;
        cursor = event.seq;
        if (wanted(event) && socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
      };
      const unsubscribe = bus.onAny((event) => (replaying ? held.push(event) : send(event)));
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      if (after !== undefined) {
        eventLog
          .replay(after, (event) => send(event))
          .then(() => {
            replaying = false;
            for (const event of held.splice(0)) send(event);
          })
          .catch((error: unknown) => {
            request.log.error({ err: error }, 'event replay failed');
            socket.close(1011, 'replay failed');
          });
      }
    },
  );
}
