import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Clock, TellerError } from '../core/index';
import { requireSession, sessionCookie } from './auth';
import { SlidingWindowLimiter } from './rate-limit';
import { anyRole } from './roles';
import { authErrors, loginSchema, problemSchema, userSchema } from './schemas';
import type { Users } from './users';

export interface AuthRoutesOptions {
  users: Users;
  clock: Clock;
  /** Attempts per minute allowed from one address, and for one username. */
  perAddressPerMinute?: number;
  perUserPerMinute?: number;
}

export async function authRoutes(app: FastifyInstance, options: AuthRoutesOptions): Promise<void> {
  const { users } = options;
  const byAddress = new SlidingWindowLimiter(options.perAddressPerMinute ?? 30, 60_000, options.clock);
  const byUser = new SlidingWindowLimiter(options.perUserPerMinute ?? 10, 60_000, options.clock);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/auth/login', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'],
      summary: 'Sign in; returns a bearer token and sets an HTTP-only session cookie',
      body: loginSchema,
      response: {
        200: z.object({ token: z.string(), expiresAt: z.number().int(), user: userSchema }),
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
        429: problemSchema,
      },
    },
    handler: async (request, reply) => {
      const wait = Math.max(byAddress.take(request.ip), byUser.take(request.body.username.toLowerCase()));
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new TellerError(
          'API_LOGIN_RATE_LIMITED',
          'rate-limited',
          'too many sign-in attempts; try again later',
        );
      }
      const { token, session } = await users.login(
        request.body.username,
        request.body.password,
        request.ip,
        request.headers['user-agent'] ?? null,
      );
      reply.setCookie(sessionCookie, token, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: request.protocol === 'https',
        expires: new Date(session.expiresAt),
      });
      return { token, expiresAt: session.expiresAt, user: session.user };
    },
  });

  r.post('/auth/logout', {
    config: { access: anyRole },
    schema: {
      tags: ['auth'],
      summary: 'End the current session',
      response: { 204: z.null(), ...authErrors },
    },
    handler: async (request, reply) => {
      await users.logout(requireSession(request), request.ip);
      reply.clearCookie(sessionCookie, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  r.get('/auth/me', {
    config: { access: anyRole },
    schema: {
      tags: ['auth'],
      summary: 'The signed-in user',
      response: { 200: z.object({ user: userSchema, expiresAt: z.number().int() }), ...authErrors },
    },
    handler: async (request) => {
      const session = requireSession(request);
      return { user: session.user, expiresAt: session.expiresAt };
    },
  });
}
