import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { anyRole, authErrors, problemSchema, requireSession, supervisorUp, type Users } from '../api/index';
import { CallError, type CallManager, type RingOutcome } from '../calls/index';
import { TellerError } from '../core/index';
import type { AuditTrail } from '../store/index';
import type { VoiceDesk } from './voice-desk';

export interface VoiceRoutesOptions {
  calls: CallManager;
  desk: VoiceDesk;
  users: Users;
  audit: AuditTrail;
}

const errors = { ...authErrors, 404: problemSchema, 409: problemSchema };
const anything = z.any();
const callParams = z.object({ id: z.string().min(1) });
const interactionParams = z.object({ id: z.string().min(1) });
/** On the INVITE that rings a supervisor into a call: the call's id and the mode asked for. */
const superviseHeader = 'X-Teller-Supervise';
/** Silent monitor (hears both, heard by nobody), whisper (heard by the agent only), barge (heard by both). */
const superviseModes = ['monitor', 'whisper', 'barge'] as const;

/** The phone of the signed-in user, who must have one to be rung. */
function phoneOf(request: FastifyRequest): string {
  const { user } = requireSession(request);
  if (!user.extension) {
    throw new TellerError('CALLS_NO_PHONE', 'conflict', `${user.username} has no extension to ring`);
  }
  return user.extension;
}

/** A ring that was not answered is a 409 naming the SIP status the phone gave. */
function answeredOrThrow(outcome: RingOutcome, who: string): void {
  if (outcome.kind === 'answered') return;
  throw new TellerError(
    'CALLS_NOT_ANSWERED',
    'conflict',
    `${who} did not answer: ${outcome.status} ${outcome.reason}`,
  );
}

/**
 * Voice operations of the desktop and the supervisor console: the live calls list, silent
 * monitor / whisper / barge (the supervisor's own phone is rung and mixed into the call), and an
 * agent's transfer of the caller to another queue or conference with another party. Each one is
 * audited.
 */
export function voiceRoutes(o: VoiceRoutesOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { calls, desk, users, audit } = o;

    /** The call a voice interaction is on, checked to be the asking agent's (or any, for a supervisor). */
    const callFor = (request: FastifyRequest, interactionId: string): string => {
      const { user } = requireSession(request);
      const callId = desk.callOf(interactionId);
      if (!callId) {
        throw new CallError('CALL_NOT_FOUND', `interaction ${interactionId} is not a connected call`);
      }
      const contact = desk.contactOn(callId);
      if (user.role === 'agent' && contact?.agentId !== user.id) {
        throw new TellerError('CALLS_NOT_YOURS', 'forbidden', `interaction ${interactionId} is not yours`);
      }
      return callId;
    };

    r.get('/calls', {
      config: { access: supervisorUp },
      schema: {
        tags: ['calls'],
        summary: 'Calls in progress: parties, who is ringing, who is listening in',
        response: { 200: anything, ...errors },
      },
      handler: async () => ({ calls: calls.list() }),
    });

    r.post('/calls/:id/supervise', {
      config: { access: supervisorUp },
      schema: {
        tags: ['calls'],
        summary:
          "Rings the supervisor's phone and joins it to the call: listen, whisper (to the agent) or barge",
        params: callParams,
        body: z.object({ mode: z.enum(superviseModes) }).strict(),
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        const extension = phoneOf(request);
        const { id } = request.params;
        const { mode } = request.body;
        // The header lets the supervisor's browser phone pick up a ring it asked for by itself.
        const outcome = await calls.join(id, extension, mode === 'monitor' ? 'listen' : mode, {
          headers: [[superviseHeader, `${id};mode=${mode}`]],
        });
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'call.supervise',
          target: id,
          outcome: outcome.kind === 'answered' ? 'success' : 'failure',
          ip: request.ip,
          details: { mode, extension },
        });
        answeredOrThrow(outcome, `extension ${extension}`);
        return { callId: id, mode, extension };
      },
    });

    r.delete('/calls/:id/supervise', {
      config: { access: supervisorUp },
      schema: {
        tags: ['calls'],
        summary: "Takes the supervisor's phone out of the call",
        params: callParams,
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        const extension = phoneOf(request);
        await calls.leave(request.params.id, extension);
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'call.supervise-end',
          target: request.params.id,
          outcome: 'success',
          ip: request.ip,
        });
        return { callId: request.params.id, extension };
      },
    });

    r.post('/interactions/:id/transfer', {
      config: { access: anyRole },
      schema: {
        tags: ['calls'],
        summary: 'Transfers a connected caller to another queue; the agent goes to wrap-up',
        params: interactionParams,
        body: z.object({ queueId: z.string().min(1) }).strict(),
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        callFor(request, request.params.id);
        const actor = requireSession(request).user.id;
        const result = await desk.transferToQueue(request.params.id, request.body.queueId, actor);
        await audit.record({
          actor,
          action: 'interaction.transfer',
          target: request.params.id,
          outcome: 'success',
          ip: request.ip,
          details: { queueId: request.body.queueId, newInteractionId: result.interactionId },
        });
        return result;
      },
    });

    r.post('/interactions/:id/verification', {
      config: { access: anyRole },
      schema: {
        tags: ['calls'],
        summary:
          "Sends the connected caller to the IVR to key their PIN (the agent hears hold music, never the keys) and back; the interaction's verificationState follows",
        params: interactionParams,
        body: z
          .object({
            level: z.literal('pin').optional().describe('the level asked for; the PIN is the one there is'),
          })
          .strict()
          .nullish(),
        response: { 202: anything, ...errors },
      },
      handler: async (request, reply) => {
        callFor(request, request.params.id);
        const result = await desk.verify(request.params.id);
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'interaction.verification',
          target: request.params.id,
          outcome: 'success',
          ip: request.ip,
          details: {},
        });
        return reply.code(202).send(result);
      },
    });

    r.post('/interactions/:id/conference', {
      config: { access: anyRole },
      schema: {
        tags: ['calls'],
        summary: 'Rings another agent (by user id or username) or an extension and adds them to the call',
        params: interactionParams,
        body: z.object({ kind: z.enum(['agent', 'number']), target: z.string().min(1).max(64) }).strict(),
        response: { 200: anything, ...errors },
      },
      handler: async (request) => {
        const callId = callFor(request, request.params.id);
        const { kind, target } = request.body;
        let extension = target;
        if (kind === 'agent') {
          const user = (await users.list()).find((u) => u.id === target || u.username === target);
          if (!user) throw new TellerError('CALLS_UNKNOWN_AGENT', 'not-found', `no agent ${target}`);
          if (!user.extension) {
            throw new TellerError('CALLS_NO_PHONE', 'conflict', `${user.username} has no extension to ring`);
          }
          extension = user.extension;
        } else if (!/^[0-9*#+]{1,32}$/.test(target)) {
          throw new TellerError('CALLS_BAD_NUMBER', 'invalid', `${target} is not a number to dial`, {
            fields: [{ field: 'body.target', message: 'digits, *, # or + only' }],
          });
        }
        const outcome = await calls.join(callId, extension, 'participant');
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'interaction.conference',
          target: request.params.id,
          outcome: outcome.kind === 'answered' ? 'success' : 'failure',
          ip: request.ip,
          details: { kind, extension },
        });
        answeredOrThrow(outcome, extension);
        return { callId, extension };
      },
    });
  };
}
