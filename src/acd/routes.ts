import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOnly, anyRole, authErrors, problemSchema, requireSession, supervisorUp } from '../api/index';
import type { AcdEngine } from './engine';
import { AcdError } from './errors';
import type { AcdEvents } from './events';
import {
  type AgentConfigInput,
  agentConfigSchema,
  enqueueRequestSchema,
  type QueueConfigInput,
  queueConfigSchema,
} from './types';

/** One stored ACD event of a queue, as the history is counted from. */
export type QueueEvent = {
  [K in
    | 'acd.interaction.queued'
    | 'acd.interaction.connected'
    | 'acd.interaction.abandoned'
    | 'acd.interaction.max-wait'
    | 'acd.interaction.completed'
    | 'acd.queue.statistics']: { type: K; payload: AcdEvents[K] };
}[
  | 'acd.interaction.queued'
  | 'acd.interaction.connected'
  | 'acd.interaction.abandoned'
  | 'acd.interaction.max-wait'
  | 'acd.interaction.completed'
  | 'acd.queue.statistics'];

export interface AgentName {
  username: string;
  displayName: string;
  extension: string | null;
}

/** What the supervisor's board and charts read besides the engine: names and the event log. */
export interface AcdDeskPort {
  /** Display name, username and phone extension per user id (agents are users). */
  agentNames(): Promise<ReadonlyMap<string, AgentName>>;
  /** The queue's stored ACD events with `from <= at < to`, in order. */
  queueEvents(queueId: string, from: number, to: number): Promise<QueueEvent[]>;
}

/** One bucket of a queue's history. */
export interface QueueHistoryBucket {
  /** Start of the bucket (epoch ms); it covers [start, start + bucketMs). */
  start: number;
  arrivals: number;
  answered: number;
  answeredWithinTarget: number;
  abandoned: number;
  maxWaitExpired: number;
  handled: number;
  /** answeredWithinTarget / (answered + abandoned + max-wait); null without an outcome. */
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  /** Contacts waiting at the last statistics snapshot in the bucket; null without one. */
  waiting: number | null;
  /** The longest wait any snapshot in the bucket saw; null without one. */
  longestWaitMs: number | null;
}

/**
 * Counts a queue's stored events into buckets. Every answered contact counts towards the
 * service level here (the live statistics leave callbacks and short abandons out; the log
 * does not say which contacts were callbacks).
 */
export function queueHistory(
  events: readonly QueueEvent[],
  o: { from: number; to: number; bucketMs: number; serviceLevelWithinMs: number },
): QueueHistoryBucket[] {
  const buckets: QueueHistoryBucket[] = [];
  const waits: number[] = [];
  const handles: number[] = [];
  for (let start = o.from; start < o.to; start += o.bucketMs) {
    buckets.push({
      start,
      arrivals: 0,
      answered: 0,
      answeredWithinTarget: 0,
      abandoned: 0,
      maxWaitExpired: 0,
      handled: 0,
      serviceLevel: null,
      asaMs: null,
      ahtMs: null,
      waiting: null,
      longestWaitMs: null,
    });
    waits.push(0);
    handles.push(0);
  }
  for (const event of events) {
    const at = event.payload.at;
    const index = Math.floor((at - o.from) / o.bucketMs);
    const b = buckets[index];
    if (b === undefined) continue;
    switch (event.type) {
      case 'acd.interaction.queued':
        b.arrivals++;
        break;
      case 'acd.interaction.connected':
        b.answered++;
        if (event.payload.waitedMs <= o.serviceLevelWithinMs) b.answeredWithinTarget++;
        waits[index]! += event.payload.waitedMs;
        break;
      case 'acd.interaction.abandoned':
        b.abandoned++;
        break;
      case 'acd.interaction.max-wait':
        b.maxWaitExpired++;
        break;
      case 'acd.interaction.completed':
        b.handled++;
        handles[index]! += event.payload.handleMs + event.payload.wrapUpMs;
        break;
      case 'acd.queue.statistics':
        b.waiting = event.payload.waiting;
        b.longestWaitMs = Math.max(b.longestWaitMs ?? 0, event.payload.longestWaitMs);
        break;
    }
  }
  buckets.forEach((b, index) => {
    const outcomes = b.answered + b.abandoned + b.maxWaitExpired;
    b.serviceLevel = outcomes > 0 ? b.answeredWithinTarget / outcomes : null;
    b.asaMs = b.answered > 0 ? waits[index]! / b.answered : null;
    b.ahtMs = b.handled > 0 ? handles[index]! / b.handled : null;
  });
  return buckets;
}

export interface AcdRoutesOptions {
  engine: AcdEngine;
  /** Names for the agents' board and the queues' history; without it neither is offered. */
  desk?: AcdDeskPort;
  saveQueue(config: QueueConfigInput): Promise<void>;
  saveAgent(config: AgentConfigInput): Promise<void>;
  /** Records a supervisor's intervention (forcing an agent's state) in the audit trail. */
  audit(entry: {
    actor: string;
    action: string;
    target: string;
    details: Record<string, unknown>;
  }): Promise<void>;
}

const queueParams = z.strictObject({ id: z.string().min(1).max(200) });
const interactionParams = z.strictObject({ id: z.string().min(1).max(200) });
const reasonBody = z.strictObject({ reason: z.string().min(1).max(100) });
const wrapUpBody = z
  .strictObject({
    wrapUpCode: z.string().min(1).max(100).optional().describe('one of GET /acd/wrap-up-codes'),
  })
  // The desktop sends no body when it has no code to give.
  .nullish();
const historyQuery = z.strictObject({
  from: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('epoch ms; default: midnight (server time) of `to`'),
  to: z.coerce.number().int().min(0).optional().describe('epoch ms; default: now'),
  bucket: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(86_400_000)
    .default(900_000)
    .describe('bucket length in ms (default 15 minutes)'),
});
/** At most this many buckets per history request. */
const maxBuckets = 2000;
const errors = { ...authErrors, 404: problemSchema, 409: problemSchema };
const anything = z.unknown();

/**
 * The ACD over HTTP: queues and their live statistics, agents' own state (log in, ready,
 * not ready with a reason, accept, decline, release, wrap-up), supervisors forcing a state,
 * and contacts entering a queue with their position and estimated wait.
 */
export async function acdRoutes(app: FastifyInstance, o: AcdRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { engine } = o;
  const me = (request: Parameters<typeof requireSession>[0]) => requireSession(request).user.id;

  r.get('/acd/queues', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'Queues with their configuration and live statistics',
      response: { 200: anything, ...errors },
    },
    handler: async () => ({
      queues: engine
        .queueIds()
        .map((id) => ({ config: engine.queueConfig(id), statistics: engine.queueStatistics(id) })),
    }),
  });

  r.put('/acd/queues/:id', {
    config: { access: adminOnly },
    schema: {
      tags: ['acd'],
      summary: 'Create or change a queue',
      params: queueParams,
      body: queueConfigSchema,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const input = { ...(request.body as QueueConfigInput), id: request.params.id };
      const config = engine.defineQueue(input);
      await o.saveQueue(input);
      return config;
    },
  });

  r.get('/acd/queues/:id/statistics', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: "A queue's real-time statistics",
      params: queueParams,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => engine.queueStatistics(request.params.id),
  });

  r.get('/acd/agents', {
    config: { access: supervisorUp },
    schema: {
      tags: ['acd'],
      summary: 'Every agent with state and statistics',
      response: { 200: anything, ...errors },
    },
    handler: async () => {
      const names = (await o.desk?.agentNames()) ?? new Map<string, AgentName>();
      return {
        agents: engine.agentIds().map((id) => ({
          ...engine.agentStatistics(id),
          username: names.get(id)?.username ?? null,
          displayName: names.get(id)?.displayName ?? null,
          extension: names.get(id)?.extension ?? null,
        })),
      };
    },
  });

  r.get('/acd/wrap-up-codes', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'The wrap-up codes an agent may end a contact with (null: any code)',
      response: { 200: z.object({ codes: z.array(z.string()).nullable() }), ...errors },
    },
    handler: async () => {
      const codes = engine.wrapUpCodes();
      return { codes: codes === null ? null : [...codes] };
    },
  });

  r.get('/acd/queues/:id/history', {
    config: { access: supervisorUp },
    schema: {
      tags: ['acd'],
      summary: "A queue's arrivals, outcomes, service level and waiting per time bucket, from the event log",
      params: queueParams,
      querystring: historyQuery,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const { id } = request.params;
      const config = engine.queueConfig(id);
      const to = request.query.to ?? engine.queueStatistics(id).at;
      const from = request.query.from ?? new Date(to).setHours(0, 0, 0, 0);
      const bucketMs = request.query.bucket;
      if (!(from < to) || Math.ceil((to - from) / bucketMs) > maxBuckets) {
        throw new AcdError(
          'ACD_INVALID_HISTORY_RANGE',
          `from must come before to, in at most ${maxBuckets} buckets`,
          { fields: [{ field: 'querystring.from', message: 'before to, at most 2000 buckets back' }] },
        );
      }
      if (!o.desk) throw new AcdError('ACD_NO_HISTORY', 'this ACD keeps no event history');
      const events = await o.desk.queueEvents(id, from, to);
      return {
        queueId: id,
        from,
        to,
        bucketMs,
        buckets: queueHistory(events, {
          from,
          to,
          bucketMs,
          serviceLevelWithinMs: config.serviceLevel.withinMs,
        }),
      };
    },
  });

  r.put('/acd/agents/:id', {
    config: { access: adminOnly },
    schema: {
      tags: ['acd'],
      summary: "Set an agent's skills, capacity and team",
      params: queueParams,
      body: agentConfigSchema,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const input = { ...(request.body as AgentConfigInput), id: request.params.id };
      const config = engine.agentIds().includes(input.id as never)
        ? engine.updateAgent(input)
        : engine.addAgent(input);
      await o.saveAgent(input);
      return config;
    },
  });

  r.post('/acd/agents/:id/state', {
    config: { access: supervisorUp },
    schema: {
      tags: ['acd'],
      summary: "Force an agent's state (supervisor)",
      params: queueParams,
      body: z.strictObject({
        state: z.enum(['ready', 'not-ready', 'logged-out']),
        reason: z.string().min(1).max(100).optional(),
      }),
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const { id } = request.params;
      const { state, reason } = request.body;
      if (state === 'logged-out') engine.logout(id, { force: true });
      else if (state === 'ready') {
        if (engine.agentState(id).state.kind === 'logged-out') engine.login(id, { ready: true });
        else engine.setReady(id);
      } else {
        if (engine.agentState(id).state.kind === 'logged-out') engine.login(id);
        engine.setNotReady(id, reason ?? 'supervisor');
      }
      await o.audit({
        actor: me(request),
        action: 'acd.force-state',
        target: id,
        details: { state, reason: reason ?? null },
      });
      return engine.agentStatistics(id);
    },
  });

  r.get('/acd/me', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'My state and statistics for today',
      response: { 200: anything, ...errors },
    },
    handler: async (request) => engine.agentStatistics(me(request)),
  });

  r.post('/acd/me/login', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'Log in to the ACD (not ready until I say ready)',
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      engine.login(me(request));
      return engine.agentStatistics(me(request));
    },
  });

  r.post('/acd/me/ready', {
    config: { access: anyRole },
    schema: { tags: ['acd'], summary: 'Ready for work', response: { 200: anything, ...errors } },
    handler: async (request) => {
      engine.setReady(me(request));
      return engine.agentStatistics(me(request));
    },
  });

  r.post('/acd/me/not-ready', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'Not ready, with a reason code',
      body: reasonBody,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      engine.setNotReady(me(request), request.body.reason);
      return engine.agentStatistics(me(request));
    },
  });

  r.post('/acd/me/logout', {
    config: { access: anyRole },
    schema: { tags: ['acd'], summary: 'Log out of the ACD', response: { 200: anything, ...errors } },
    handler: async (request) => {
      engine.logout(me(request));
      return engine.agentStatistics(me(request));
    },
  });

  r.post('/acd/interactions', {
    config: { access: supervisorUp },
    schema: {
      tags: ['acd'],
      summary: 'Put a contact in a queue',
      body: enqueueRequestSchema,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => engine.enqueue(request.body),
  });

  for (const action of ['accept', 'decline'] as const) {
    r.post(`/acd/interactions/:id/${action}`, {
      config: { access: anyRole },
      schema: {
        tags: ['acd'],
        summary: `${action} an interaction offered to me`,
        params: interactionParams,
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        const agent = me(request);
        if (action === 'accept') engine.accept(agent, request.params.id);
        else engine.decline(agent, request.params.id);
        return engine.agentStatistics(agent);
      },
    });
  }

  r.post('/acd/interactions/:id/release', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'End the conversation (wrap-up follows), optionally with the wrap-up code already',
      params: interactionParams,
      body: wrapUpBody,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const agent = me(request);
      const code = request.body?.wrapUpCode;
      engine.release(agent, request.params.id, code === undefined ? {} : { wrapUpCode: code });
      return engine.agentStatistics(agent);
    },
  });

  r.post('/acd/interactions/:id/wrap-up/extend', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'More time for after-call work',
      params: interactionParams,
      body: z.strictObject({
        byMs: z
          .number()
          .int()
          .min(1000)
          .max(30 * 60_000),
      }),
      response: { 200: z.object({ deadline: z.number() }), ...errors },
    },
    handler: async (request) => ({
      deadline: engine.extendWrapUp(me(request), request.params.id, request.body.byMs),
    }),
  });

  r.post('/acd/interactions/:id/wrap-up/end', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'Finish after-call work now, optionally with the wrap-up code',
      params: interactionParams,
      body: wrapUpBody,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      const code = request.body?.wrapUpCode;
      engine.endWrapUp(me(request), request.params.id, code === undefined ? {} : { wrapUpCode: code });
      return engine.agentStatistics(me(request));
    },
  });

  r.get('/acd/interactions/:id/estimate', {
    config: { access: anyRole },
    schema: {
      tags: ['acd'],
      summary: 'Position and estimated wait of a waiting contact',
      params: interactionParams,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => engine.estimate(request.params.id),
  });

  r.post('/acd/interactions/:id/abandon', {
    config: { access: supervisorUp },
    schema: {
      tags: ['acd'],
      summary: 'The contact left the queue',
      params: interactionParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      engine.abandon(request.params.id);
      return reply.code(204).send(null);
    },
  });
}
