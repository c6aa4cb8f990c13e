import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TellerError } from '../core/index';
import type { AuditTrail } from '../store/index';
import type { Access, Role } from './roles';
import type { Session, Users } from './users';

export const sessionCookie = 'teller_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every route must say (checked when routes are registered). */
    access?: Access;
  }
  interface FastifyRequest {
    session: Session | null;
  }
}

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return request.cookies[sessionCookie];
}

export interface AuthPluginOptions {
  users: Users;
  audit: AuditTrail;
}

/**
 * Authentication and authorization for every route. A route without a declared `access`
 * refuses to register, so no route is open by accident. Runs in `onRequest`, before the
 * body is parsed: a caller without a session learns nothing about the route's input.
 */
export const authPlugin = fp<AuthPluginOptions>(async (app: FastifyInstance, { users, audit }) => {
  app.decorateRequest('session', null);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs') && !route.config?.access) {
      route.config = { ...route.config, access: 'public' };
    }
    if (!route.config?.access) throw new Error(`route ${route.method} ${route.url} declares no access`);
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      // Unknown URL: let Fastify answer 404 — but only to a signed-in caller or for non-API paths.
      return;
    }
    const token = tokenOf(request);
    const session = token ? await users.sessionFor(token) : undefined;
    request.session = session ?? null;
    if (access === 'public') return;
    if (!session) {
      throw new TellerError(
        'API_UNAUTHENTICATED',
        'unauthenticated',
        token ? 'the session has expired or was revoked' : 'sign in first',
      );
    }
    if (!(access as readonly Role[]).includes(session.user.role)) {
      await audit.record({
        actor: session.user.id,
        action: 'access.denied',
        target: `${request.method} ${request.routeOptions.url ?? request.url}`,
        outcome: 'denied',
        ip: request.ip,
        details: { role: session.user.role, needed: [...access] },
      });
      throw new TellerError('API_FORBIDDEN', 'forbidden', `this needs the role ${access.join(' or ')}`);
    }
  });
});

/** The session of a route that requires one. */
export function requireSession(request: FastifyRequest): Session {
  if (!request.session) throw new TellerError('API_UNAUTHENTICATED', 'unauthenticated', 'sign in first');
  return request.session;
}
