import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApi, storeHealth, Users } from '../api/index';
import type { TellerConfig } from '../config/index';
import { createLogger, type DomainEvents, EventBus, type Logger, RealClock } from '../core/index';
import { AuditTrail, EventLog, getMeta, openStore, type Store, setMeta } from '../store/index';
import { seedDemoUsers } from './demo';

export interface Teller {
  config: TellerConfig;
  logger: Logger;
  store: Store;
  eventLog: EventLog;
  audit: AuditTrail;
  bus: EventBus<DomainEvents>;
  users: Users;
  api: FastifyInstance;
  /** The base URL the HTTP server listens on (with the real port when 0 was asked for). */
  httpUrl: string;
  /** True when this start seeded the demo data (first start on an empty store). */
  seeded: boolean;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Login attempts per minute per address; tests that log in often raise it. */
  loginPerAddressPerMinute?: number;
}

export interface TellerCore {
  logger: Logger;
  clock: RealClock;
  store: Store;
  eventLog: EventLog;
  audit: AuditTrail;
  bus: EventBus<DomainEvents>;
  users: Users;
}

/** Opens the store and wires the parts every command needs (serve, seed, audit verify). */
export async function openCore(config: TellerConfig, logger: Logger): Promise<TellerCore> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  const clock = new RealClock();
  const eventLog = new EventLog(store);
  const bus = new EventBus<DomainEvents>(eventLog, clock, (error, context) =>
    logger.error({ err: error }, `event ${context} failed`),
  );
  const audit = new AuditTrail(store, clock);
  const users = new Users({
    db: store.db,
    audit,
    clock,
    publish: (type, payload, meta) => bus.publish(type, payload, meta),
    sessionTtlMs: config.sessionTtlMinutes * 60_000,
    maxFailures: config.loginMaxFailures,
    lockMs: config.loginLockMinutes * 60_000,
  });
  return { logger, clock, store, eventLog, audit, bus, users };
}

/**
 * The composition root: opens the store, wires the event log, audit trail and modules,
 * seeds the demo bank on first start and starts listening. `close` undoes it in reverse.
 */
export async function startTeller(config: TellerConfig, options: StartOptions = {}): Promise<Teller> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const { clock, store, eventLog, audit, bus, users } = await openCore(config, logger);

  let seeded = false;
  if (config.seedDemo && (await getMeta(store.db, 'demo_seeded')) === undefined) {
    await seedDemoUsers(users);
    await setMeta(store.db, 'demo_seeded', String(clock.now()));
    seeded = true;
  }

  let api: FastifyInstance;
  try {
    api = await buildApi({
      logger,
      clock,
      users,
      audit,
      eventLog,
      bus: bus as EventBus<object>,
      checks: [storeHealth(store)],
      ...(options.loginPerAddressPerMinute
        ? { loginPerAddressPerMinute: options.loginPerAddressPerMinute }
        : {}),
    });
    await api.listen({ host: config.httpHost, port: config.httpPort });
  } catch (error) {
    await store.close();
    throw error;
  }
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    eventLog,
    audit,
    bus,
    users,
    api,
    httpUrl: `http://${host}:${port}`,
    seeded,
    close() {
      closing ??= (async () => {
        // Keep-alive connections that finish an in-flight request after close() began would
        // otherwise hold the server open until their idle timeout; sweep them as they go idle.
        const sweep = setInterval(() => api.server.closeIdleConnections(), 50);
        try {
          await api.close();
        } finally {
          clearInterval(sweep);
        }
        await store.close();
      })();
      return closing;
    },
  };
}
