import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { acdRoutes } from '../acd/index';
import { buildApi, storeHealth, Users } from '../api/index';
import { bankingRoutes, StoreBank } from '../banking/index';
import { CallManager, CallRecords, TestLine } from '../calls/index';
import type { TellerConfig } from '../config/index';
import { createLogger, type DomainEvents, EventBus, type Logger, RealClock } from '../core/index';
import { crmRoutes, StoreCrm, seedDemoBank } from '../crm/index';
import { Interactions, interactionRoutes } from '../interactions/index';
import { ivrRoutes, type LiveFlows } from '../ivr/index';
import { MediaEngine } from '../media/index';
import { SipServer } from '../sip/index';
import { AuditTrail, EventLog, getMeta, openStore, type Store, setMeta } from '../store/index';
import { WebRtcGateway } from '../webrtc/index';
import { type AcdSetup, seedAcdConfig, startAcd } from './acd';
import { seedDemoUsers } from './demo';
import type { IvrLine } from './ivr-line';
import { agentVerificationFlow, promptsDir, startPhoneBanking } from './phone-banking';
import { VoiceDesk } from './voice-desk';
import { voiceRoutes } from './voice-routes';

export interface Teller {
  config: TellerConfig;
  logger: Logger;
  store: Store;
  eventLog: EventLog;
  audit: AuditTrail;
  bus: EventBus<DomainEvents>;
  users: Users;
  bank: StoreBank;
  crm: StoreCrm;
  interactions: Interactions;
  acd: AcdSetup;
  sip: SipServer;
  media: MediaEngine;
  calls: CallManager;
  /** Voice contacts between the ACD and the agents' phones (ring on offer, bridge, wrap-up on hang-up). */
  voice: VoiceDesk;
  /** The phone-banking line on the service number, and the flows it runs. */
  ivr: IvrLine;
  flows: LiveFlows;
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
  /** How long the IVR waits for the bank, CRM or ACD before a step fails (10 s); a test on a loaded machine raises it. */
  ivrPortTimeoutMs?: number;
}

/** The demo service number (DESIGN.md): the phone-banking line. */
export const serviceNumber = '8888';
/** The line-test number: a prompt, then every key played back as its tone (ADR 008). */
export const testLineNumber = '8889';
/** Wrong telephone PINs in a row before the bank locks the PIN (the IVR tells the caller how many are left). */
const maxPinFailures = 3;

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
    publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
    sessionTtlMs: config.sessionTtlMinutes * 60_000,
    maxFailures: config.loginMaxFailures,
    lockMs: config.loginLockMinutes * 60_000,
    sipRealm: config.sipRealm,
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
    const agents = (await users.list()).filter((u) => u.role === 'agent').map((u) => u.id);
    await seedAcdConfig(store.db, clock, agents);
    const report = await seedDemoBank(store, { customers: config.demoCustomers, seed: 'teller-demo' });
    logger.info({ customers: config.demoCustomers, report }, 'demo bank seeded');
    await setMeta(store.db, 'demo_seeded', String(clock.now()));
    seeded = true;
  }

  const bank = new StoreBank({
    store,
    clock,
    audit,
    reportError: (error, context) => logger.error({ err: error }, `bank: ${context}`),
    publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
    maxPinFailures,
  });
  const crm = new StoreCrm({
    store,
    clock,
    bank,
    audit,
    publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
  });
  const interactions = new Interactions(store.db, clock, (type, payload, meta) =>
    bus.publish(type, payload as DomainEvents[typeof type], { audience: 'supervisor', ...meta }),
  );
  const acd = await startAcd({ db: store.db, clock, logger, bus, interactions });
  const phoneBanking = await startPhoneBanking({
    store,
    clock,
    logger,
    bus,
    bank,
    maxPinFailures,
    crm,
    acd: acd.engine,
    interactions,
    ...(options.ivrPortTimeoutMs ? { portTimeoutMs: options.ivrPortTimeoutMs } : {}),
  });
  const testLine = new TestLine(path.join(promptsDir, 'en', 'welcome.wav'), (error, context) =>
    logger.error({ err: error }, context),
  );
  // Media first: the SIP port opens only when calls can be taken.
  const media = await MediaEngine.start({
    portMin: config.rtpPortMin,
    portMax: config.rtpPortMax,
    realtimePriority: config.mediaRealtimePriority,
    logger,
  });
  if (config.mediaRealtimePriority > 0 && !process.execArgv.includes('--single-threaded-gc'))
    logger.info(
      'node was started without --single-threaded-gc: the realtime media workers may wait on V8 GC helper threads (ADR 017; `npm start` and bin/teller.js pass it)',
    );
  const sip = await startSip(config, { logger, clock, users, audit });
  bank.start();
  const records = new CallRecords(store.db, clock, (error, context) => logger.error({ err: error }, context));
  await records.closeDangling();
  // Browsers' WebRTC media ends here and is relayed as plain RTP to the media engine (ADR 010).
  const webrtc = new WebRtcGateway({ logger });
  const calls = new CallManager({
    server: sip,
    media,
    webrtc,
    records,
    clock,
    logger,
    recordingsDir: path.join(config.dataDir, 'recordings'),
    holdMusic: path.join(promptsDir, 'music', 'hold.wav'),
    ...(config.sipOutboundTrunk ? { outboundTrunk: config.sipOutboundTrunk } : {}),
    route: async (dialled) => {
      if (dialled === serviceNumber) return { kind: 'app', app: phoneBanking.line };
      if (dialled === testLineNumber) return { kind: 'app', app: testLine };
      const user = await users.findByExtension(dialled);
      return user?.extension ? { kind: 'extension', extension: user.extension } : { kind: 'none' };
    },
    publish: (type, record) => {
      bus
        .publish(type, record, { audience: 'supervisor' })
        .catch((error: unknown) => logger.error({ err: error }, `${type} not logged`));
    },
  });
  sip.core = calls;
  const voice = new VoiceDesk({
    bus,
    acd: acd.engine,
    calls,
    interactions,
    users,
    logger,
    verifier: phoneBanking.line,
    verificationFlow: agentVerificationFlow,
    callerId: serviceNumber,
  });
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
      rootPlugins: [sip.ws.plugin],
      plugins: [
        bankingRoutes({ bank, audit }),
        crmRoutes({ crm, audit }),
        ivrRoutes({ flows: phoneBanking.repository, audit, store }),
        voiceRoutes({ calls, desk: voice, users, audit }),
        async (app) => interactionRoutes(app, { interactions, acd: acd.engine }),
        async (app) =>
          acdRoutes(app, {
            engine: acd.engine,
            desk: acd.desk,
            saveQueue: acd.saveQueue,
            saveAgent: acd.saveAgent,
            audit: async (entry) => {
              await audit.record({ ...entry, outcome: 'success' });
            },
          }),
      ],
      ...(options.loginPerAddressPerMinute
        ? { loginPerAddressPerMinute: options.loginPerAddressPerMinute }
        : {}),
    });
    await api.listen({ host: config.httpHost, port: config.httpPort });
  } catch (error) {
    await sip.close();
    await webrtc.close();
    await media.close();
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
    bank,
    crm,
    interactions,
    acd,
    sip,
    media,
    calls,
    voice,
    ivr: phoneBanking.line,
    flows: phoneBanking.flows,
    api,
    httpUrl: `http://${host}:${port}`,
    seeded,
    close() {
      closing ??= (async () => {
        // Keep-alive connections that finish an in-flight request after close() began would
        // otherwise hold the server open until their idle timeout; sweep them as they go idle.
        voice.close();
        await calls.hangUpAll();
        await phoneBanking.line.drain();
        await voice.drain();
        await sip.close();
        await webrtc.close();
        await media.close();
        acd.engine.close();
        await bank.stop();
        await acd.records.flush();
        await records.flush();
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

/** The SIP server, authenticating against the users' SIP credentials and auditing attacks. */
async function startSip(
  config: TellerConfig,
  deps: { logger: Logger; clock: RealClock; users: Users; audit: AuditTrail },
): Promise<SipServer> {
  const { users, audit } = deps;
  return SipServer.start({
    host: config.sipHost,
    port: config.sipPort,
    realm: config.sipRealm,
    digestAlgorithms: config.sipDigestAlgorithms,
    clock: deps.clock,
    logger: deps.logger,
    security: { trustedAddresses: config.sipTrustedAddresses, maxFailures: config.sipBanAfterFailures },
    tcp: { maxConnectionsPerAddress: config.sipTcpMaxConnectionsPerAddress },
    lookupHa1: async (username, realm, algorithm) =>
      realm === config.sipRealm ? (await users.sipHa1(username, algorithm))?.ha1 : undefined,
    extensionOf: async (username) => (await users.sipHa1(username, 'MD5'))?.user.extension ?? undefined,
    onSecurityEvent: (event) => {
      audit
        .record({
          actor: null,
          action: `sip.${event.kind}`,
          outcome: event.kind === 'auth-failed' ? 'failure' : 'denied',
          ip: event.address,
          details: { method: event.method, ...(event.username ? { username: event.username } : {}) },
        })
        .catch((error: unknown) => deps.logger.error({ err: error }, 'audit of a SIP security event failed'));
    },
  });
}
