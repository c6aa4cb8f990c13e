import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Clock, EventBus, Logger } from '../core/index';
import type { AuditTrail, EventLog } from '../store/index';
import { auditRoutes } from './audit-routes';
import { authPlugin } from './auth';
import { authRoutes } from './auth-routes';
import { eventsStream } from './events-stream';
import { type HealthCheck, healthRoutes, metricsRoutes } from './health';
import { problem, problemHandler, sendProblem } from './problem';
import type { Users } from './users';
import { usersRoutes } from './users-routes';
import { webApp } from './web';

export interface ApiDeps {
  logger: Logger;
  clock: Clock;
  users: Users;
  audit: AuditTrail;
  eventLog: EventLog;
  bus: EventBus<object>;
  checks: HealthCheck[];
  /** Route plugins of other modules, mounted under /api/v1. */
  plugins?: FastifyPluginAsync[];
  /** Plugins mounted at the root (SIP over WebSocket at /sip, the web app at /). */
  rootPlugins?: FastifyPluginAsync[];
  /** Login attempts per minute per address (default 30). */
  loginPerAddressPerMinute?: number;
  version?: string;
}

export const bodyLimit = 1024 * 1024;

/**
 * Builds the HTTP edge: REST under /api/v1 (one Fastify plugin per module), the OpenAPI
 * document at /api/docs, the live event stream, /healthz and /metrics. Every error leaves
 * as RFC 9457 problem+json.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler(deps.logger));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      ...problem(404, 'API_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
      instance: request.url.split('?')[0],
    }),
  );

  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 64 * 1024,
      // RFC 7118 §4.1: a SIP client offers the "sip" subprotocol and the server must select it;
      // a client offering only protocols Teller does not speak is refused.
      handleProtocols: (protocols: Set<string>) => (protocols.has('sip') ? 'sip' : false),
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Teller API',
        version: deps.version ?? '0.1.0',
        description: 'Contact center for banks. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'teller_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  await app.register(authPlugin, { users: deps.users, audit: deps.audit });

  await app.register(healthRoutes, { checks: deps.checks });
  await app.register(metricsRoutes, { eventLog: deps.eventLog });
  await app.register(
    async (v1) => {
      await v1.register(authRoutes, {
        users: deps.users,
        clock: deps.clock,
        ...(deps.loginPerAddressPerMinute ? { perAddressPerMinute: deps.loginPerAddressPerMinute } : {}),
      });
      await v1.register(usersRoutes, { users: deps.users });
      await v1.register(auditRoutes, { audit: deps.audit });
      await v1.register(eventsStream, { bus: deps.bus, eventLog: deps.eventLog });
      for (const plugin of deps.plugins ?? []) await v1.register(plugin);
    },
    { prefix: '/api/v1' },
  );
  for (const plugin of deps.rootPlugins ?? []) await app.register(plugin);
  await app.register(webApp);
  if (!app.hasRoute({ method: 'GET', url: '/' })) {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.redirect('/api/docs'),
    );
  }
  return app as unknown as FastifyInstance;
}
