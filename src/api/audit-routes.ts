import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditTrail } from '../store/index';
import { adminOnly } from './roles';
import { authErrors } from './schemas';

const entrySchema = z.object({
  seq: z.number().int(),
  at: z.number().int(),
  actor: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export async function auditRoutes(app: FastifyInstance, { audit }: { audit: AuditTrail }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/audit', {
    config: { access: adminOnly },
    schema: {
      tags: ['audit'],
      summary: 'The audit trail, newest first',
      querystring: z.strictObject({
        action: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        before: z.coerce.number().int().min(1).optional(),
      }),
      response: { 200: z.object({ entries: z.array(entrySchema) }), ...authErrors },
    },
    handler: async (request) => ({
      entries: await audit.list({
        limit: request.query.limit,
        ...(request.query.action ? { action: request.query.action } : {}),
        ...(request.query.before ? { beforeSeq: request.query.before } : {}),
      }),
    }),
  });

  r.get('/audit/verify', {
    config: { access: adminOnly },
    schema: {
      tags: ['audit'],
      summary: 'Check the hash chain of the whole audit trail',
      response: {
        200: z.object({
          ok: z.boolean(),
          count: z.number().int(),
          seq: z.number().int().optional(),
          reason: z.string().optional(),
        }),
        ...authErrors,
      },
    },
    handler: async () => {
      const result = await audit.verify();
      return result.ok ? { ok: true, count: result.count } : result;
    },
  });
}
