import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { EventLog, Store } from '../store/index';

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

const componentSchema = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  components: z.record(z.string(), componentSchema),
});

/** `GET /healthz`: 200 with each component's status when all are up, 503 when any is down. */
export async function healthRoutes(
  app: FastifyInstance,
  { checks }: { checks: HealthCheck[] },
): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get('/healthz', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      summary: 'Health of every component',
      response: { 200: healthSchema, 503: healthSchema },
    },
    handler: async (_request, reply) => {
      const components: Record<string, z.infer<typeof componentSchema>> = {};
      await Promise.all(
        checks.map(async ({ name, check }) => {
          const started = performance.now();
          try {
            await Promise.race([
              check(),
              new Promise((_, reject) =>
                setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref(),
              ),
            ]);
            components[name] = {
              status: 'up',
              latencyMs: Math.round((performance.now() - started) * 100) / 100,
            };
          } catch (error) {
            components[name] = {
              status: 'down',
              latencyMs: Math.round((performance.now() - started) * 100) / 100,
              error: (error as Error).message,
            };
          }
        }),
      );
      const down = Object.values(components).some((c) => c.status === 'down');
      return reply.code(down ? 503 : 200).send({ status: down ? 'degraded' : 'ok', components });
    },
  });
}

export function storeHealth(store: Store): HealthCheck {
  return { name: 'store', check: () => store.ping() };
}

/**
 * `GET /metrics` in Prometheus text: process figures, HTTP request durations by route and
 * status, and the event log's appends and head. Wrapped with fastify-plugin so its timing
 * hook sees every route, not only its own.
 */
export const metricsRoutes = fp<{ eventLog: EventLog }>(async (app: FastifyInstance, { eventLog }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'teller_' });
  const http = new Histogram({
    name: 'teller_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Counter({
    name: 'teller_events_appended_total',
    help: 'Domain events appended to the event log by this process',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(eventLog.appendedCount);
    },
  });
  new Gauge({
    name: 'teller_event_log_head_seq',
    help: 'Sequence number of the newest event in the log',
    registers: [registry],
    async collect() {
      this.set(await eventLog.lastSeq());
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
});
