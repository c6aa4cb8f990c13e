import path from 'node:path';
import type { AcdEngine } from '../acd/index';
import type { CoreBanking } from '../banking/index';
import type { Clock, DomainEvents, EventBus, Logger } from '../core/index';
import type { Crm } from '../crm/index';
import type { Interactions } from '../interactions/index';
import {
  type FlowRepository,
  HolidayCalendar,
  type IvrEventMap,
  type IvrEventSink,
  type IvrEventType,
  ivrStepEvents,
  type LiveFlows,
  openStoreFlows,
} from '../ivr/index';
import type { Store } from '../store/index';
import { demoBankHolidays } from './holidays';
import { BankIvrBanking } from './ivr-banking';
import { IvrLine } from './ivr-line';
import { AcdIvrQueue, CrmIvrCustomers, FetchIvrHttp, ivrActor, LoggingIvrSms } from './ivr-ports';

const root = path.resolve(import.meta.dirname, '..', '..');
export const promptsDir = path.join(root, 'prompts');
export const flowsDir = path.join(root, 'flows');

/** The flow the service number runs. */
export const phoneBankingFlow = 'phone-banking';
/** The flow an agent sends a connected caller to for their PIN (POST /interactions/{id}/verification). */
export const agentVerificationFlow = 'agent-verification';

/** Queues the demo flows name that the demo ACD calls otherwise (src/app/acd.ts). */
const queueAliases = { 'cards-priority': 'cards' } as const;

export interface PhoneBankingDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  bus: EventBus<DomainEvents>;
  bank: CoreBanking;
  /** The bank's PIN lockout threshold, as the bank was configured with it. */
  maxPinFailures: number;
  crm: Crm;
  acd: AcdEngine;
  interactions: Interactions;
  /** How long a session waits for a port (the IVR's default, 10 s, when absent). */
  portTimeoutMs?: number;
}

export interface PhoneBanking {
  line: IvrLine;
  /** The flows in the store (versions, activations: the admin API's) and the live ones the line runs. */
  repository: FlowRepository;
  flows: LiveFlows;
}

/**
 * The phone-banking line wired to the real modules: the bank (channel `ivr`), the CRM, the ACD
 * with interactions, SMS receipts to the log, `fetch` for http steps, the demo holiday calendar,
 * and IVR events onto the event bus for supervisors (the IVR masks PINs and card numbers before
 * anything leaves it; its per-step events are written batched, ADR 011). Flows live in the store; `flows/` seeds a store that has none, and an
 * activation through the repository (the admin API) is live for the next call.
 */
export async function startPhoneBanking(deps: PhoneBankingDeps): Promise<PhoneBanking> {
  const { clock, logger, bus } = deps;
  const { repository, live: flows } = await openStoreFlows({
    store: deps.store,
    clock,
    dir: flowsDir,
    publish: (type, payload) =>
      bus.publish(type, payload as DomainEvents[typeof type], { audience: 'supervisor' }),
    reportError: (error, context) => logger.error({ err: error }, context),
  });
  const customers = new CrmIvrCustomers(deps.crm);
  // Emitted, not published: nobody waits on an IVR event, and a promise chain per event was a
  // good part of the line's main-thread time. The line's drain waits for them before the store closes.
  const events: IvrEventSink & { drain(): Promise<void> } = {
    emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]) {
      bus.emit(type, payload as DomainEvents[K], {
        audience: 'supervisor',
        actor: ivrActor,
        batched: ivrStepEvents.has(type),
      });
    },
    drain: () => bus.settled(),
  };
  const line = new IvrLine({
    flowId: phoneBankingFlow,
    flows,
    promptsDir,
    clock,
    logger,
    events,
    banking: new BankIvrBanking({
      bank: deps.bank,
      maxPinFailures: deps.maxPinFailures,
      customerOf: (customerId) => customers.byId(customerId),
    }),
    customers,
    queue: new AcdIvrQueue({ acd: deps.acd, interactions: deps.interactions, aliases: queueAliases }),
    sms: new LoggingIvrSms(logger),
    http: new FetchIvrHttp(),
    calendar: new HolidayCalendar(demoBankHolidays()),
    ...(deps.portTimeoutMs ? { portTimeoutMs: deps.portTimeoutMs } : {}),
  });
  return { line, repository, flows };
}
