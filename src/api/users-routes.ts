import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TellerError } from '../core/index';
import { requireSession } from './auth';
import { adminOnly, anyRole } from './roles';
import { authErrors, idParams, newUserSchema, problemSchema, userPatchSchema, userSchema } from './schemas';
import type { Users } from './users';

export async function usersRoutes(app: FastifyInstance, { users }: { users: Users }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { ...authErrors, 404: problemSchema, 409: problemSchema };

  r.get('/users', {
    config: { access: adminOnly },
    schema: {
      tags: ['users'],
      summary: 'List users',
      response: { 200: z.object({ users: z.array(userSchema) }), ...errors },
    },
    handler: async () => ({ users: await users.list() }),
  });

  r.post('/users', {
    config: { access: adminOnly },
    schema: {
      tags: ['users'],
      summary: 'Create a user',
      body: newUserSchema,
      response: { 201: userSchema, ...errors },
    },
    handler: async (request, reply) => {
      const user = await users.create(request.body, requireSession(request).user.id);
      return reply.code(201).send(user);
    },
  });

  r.get('/users/:id', {
    config: { access: anyRole },
    schema: {
      tags: ['users'],
      summary: 'One user (admins: anyone; others: themselves)',
      params: idParams,
      response: { 200: userSchema, ...errors },
    },
    handler: async (request) => {
      const session = requireSession(request);
      if (session.user.role !== 'admin' && session.user.id !== request.params.id) {
        throw new TellerError('API_FORBIDDEN', 'forbidden', 'only admins can read other users');
      }
      return users.get(request.params.id);
    },
  });

  r.patch('/users/:id', {
    config: { access: adminOnly },
    schema: {
      tags: ['users'],
      summary: 'Change a user',
      params: idParams,
      body: userPatchSchema,
      response: { 200: userSchema, ...errors },
    },
    handler: async (request) =>
      users.update(request.params.id, request.body, requireSession(request).user.id),
  });

  r.delete('/users/:id', {
    config: { access: adminOnly },
    schema: {
      tags: ['users'],
      summary: 'Delete a user',
      params: idParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      const session = requireSession(request);
      if (session.user.id === request.params.id) {
        throw new TellerError('API_SELF_DELETE', 'conflict', 'an admin cannot delete their own account');
      }
      await users.remove(request.params.id, session.user.id);
      return reply.code(204).send(null);
    },
  });

  r.delete('/users/:id/sessions', {
    config: { access: adminOnly },
    schema: {
      tags: ['users'],
      summary: "Revoke all of a user's sessions",
      params: idParams,
      response: { 200: z.object({ revoked: z.number().int() }), ...errors },
    },
    handler: async (request) => {
      await users.get(request.params.id);
      return { revoked: await users.revokeAll(request.params.id, requireSession(request).user.id) };
    },
  });
}
