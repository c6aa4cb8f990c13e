import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { anyRole, authErrors, problemSchema, requireSession, supervisorUp } from '../api/index';
import { asId, type CustomerId, TellerError } from '../core/index';
import { type Interactions, interactionChannels, publicInteraction, withoutSecrets } from './interactions';

/**
 * What the routes need of the ACD (the engine has this shape): who an interaction is with, so
 * an agent reads only the contacts offered to or held by them, and a queue to put a new one in.
 */
export interface InteractionAcdPort {
  hasInteraction(interactionId: string): boolean;
  interactionState(interactionId: string): { state: string; agentId: string | null };
  enqueue(request: {
    interactionId: string;
    queueId: string;
    customerId?: string;
    tier?: 'private' | 'affluent' | 'mass';
  }): unknown;
}

export interface InteractionRoutesOptions {
  interactions: Interactions;
  acd: InteractionAcdPort;
}

/** The ACD states in which an interaction is the agent's: ringing, connected, in after-contact work. */
const heldStates: ReadonlySet<string> = new Set(['offered', 'connected', 'wrap-up']);

/** The agent the ACD has the interaction with (offered, connected or in wrap-up), or null. */
export function holderOf(acd: InteractionAcdPort, interactionId: string): string | null {
  if (!acd.hasInteraction(interactionId)) return null;
  const { state, agentId } = acd.interactionState(interactionId);
  return heldStates.has(state) ? agentId : null;
}

const params = z.strictObject({ id: z.string().min(1).max(200) });
const errors = { ...authErrors, 404: problemSchema, 409: problemSchema };

const interactionSchema = z
  .object({
    id: z.string(),
    channel: z.enum(interactionChannels),
    direction: z.enum(['inbound', 'outbound']),
    state: z.enum(['open', 'closed']),
    customerId: z.string().nullable(),
    queueId: z.string().nullable(),
    agentId: z.string().nullable(),
    data: z
      .record(z.string(), z.unknown())
      .describe('attached data: IVR path, verification level, intent, wrap-up code… (never secrets)'),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    closedAt: z.number().int().nullable(),
    closeReason: z.string().nullable(),
  })
  .meta({ id: 'Interaction' });

const createSchema = z.strictObject({
  channel: z.enum(interactionChannels),
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
  customerId: z.string().min(1).max(64).optional(),
  data: z
    .record(z.string().max(100), z.unknown())
    .optional()
    .describe('attached data (subject line, intent…); secrets are refused'),
  queueId: z.string().min(1).max(200).optional().describe('put it in this ACD queue at once'),
  tier: z.enum(['private', 'affluent', 'mass']).optional(),
});

/**
 * The interaction record over HTTP. Supervisors and admins read any; an agent reads one only
 * while the ACD has it offered to or held by them (their screen-pop and the contact they work).
 * A channel gateway (chat, e-mail) creates one and may queue it in the same request.
 */
export async function interactionRoutes(app: FastifyInstance, o: InteractionRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/interactions/:id', {
    config: { access: anyRole },
    schema: {
      tags: ['interactions'],
      summary: 'An interaction with its attached data (agents: only one offered to or held by them)',
      params,
      response: { 200: interactionSchema, ...errors },
    },
    handler: async (request) => {
      const { user } = requireSession(request);
      const interaction = await o.interactions.get(request.params.id);
      if (user.role === 'agent' && holderOf(o.acd, interaction.id) !== user.id) {
        throw new TellerError(
          'INTERACTIONS_NOT_YOURS',
          'forbidden',
          `interaction ${interaction.id} is not offered to or held by you`,
        );
      }
      return publicInteraction(interaction);
    },
  });

  r.post('/interactions', {
    config: { access: supervisorUp },
    schema: {
      tags: ['interactions'],
      summary: 'Open an interaction (chat, e-mail…) and optionally put it in an ACD queue',
      body: createSchema,
      response: {
        201: z.object({ interaction: interactionSchema, routing: z.unknown().nullable() }),
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const data = body.data ?? {};
      const kept = withoutSecrets(data);
      const secrets = Object.keys(data).filter((key) => !(key in kept));
      if (secrets.length > 0) {
        throw new TellerError('INTERACTIONS_SECRET_DATA', 'invalid', 'attached data must not hold secrets', {
          fields: secrets.map((key) => ({ field: `body.data.${key}`, message: 'a secret' })),
        });
      }
      const interaction = await o.interactions.create({
        channel: body.channel,
        direction: body.direction,
        customerId: body.customerId === undefined ? null : asId<CustomerId>(body.customerId),
        queueId: body.queueId ?? null,
        data,
      });
      let routing: unknown = null;
      if (body.queueId !== undefined) {
        try {
          routing = o.acd.enqueue({
            interactionId: interaction.id,
            queueId: body.queueId,
            ...(body.customerId === undefined ? {} : { customerId: body.customerId }),
            ...(body.tier === undefined ? {} : { tier: body.tier }),
          });
        } catch (error) {
          // Not queued: the contact is not left open as if it were.
          await o.interactions.close(interaction.id, 'not-queued');
          throw error;
        }
      }
      return reply.code(201).send({ interaction: publicInteraction(interaction), routing });
    },
  });
}
