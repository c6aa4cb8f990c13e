import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOnly, anyRole, authErrors, problemSchema, requireSession, supervisorUp } from '../api/index';
import type { AcdEngine } from './engine';
import {
  type AgentConfigInput,
  agentConfigSchema,
  enqueueRequestSchema,
  type QueueConfigInput,
  queueConfigSchema,
} from './types';

export interface AcdRoutesOptions {
  engine: AcdEngine;
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
    handler: async () => ({ agents: engine.agentIds().map((id) => engine.agentStatistics(id)) }),
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

  for (const action of ['accept', 'decline', 'release'] as const) {
    r.post(`/acd/interactions/:id/${action}`, {
      config: { access: anyRole },
      schema: {
        tags: ['acd'],
        summary: `${action} an interaction offered to or held by me`,
        params: interactionParams,
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        const agent = me(request);
        if (action === 'accept') engine.accept(agent, request.params.id);
        else if (action === 'decline') engine.decline(agent, request.params.id);
        else engine.release(agent, request.params.id);
        return engine.agentStatistics(agent);
      },
    });
  }

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
      summary: 'Finish after-call work now',
      params: interactionParams,
      response: { 200: anything, ...errors },
    },
    handler: async (request) => {
      engine.endWrapUp(me(request), request.params.id);
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
