import path from 'node:path';
import type { AcdEngine } from '../acd/index';
import type { CoreBanking } from '../banking/index';
import type { Clock, DomainEvents, EventBus, Logger } from '../core/index';
import type { Crm } from '../crm/index';
import type { Interactions } from '../interactions/index';
import {
  HolidayCalendar,
  type IvrEventMap,
  type IvrEventSink,
  type IvrEventType,
  type LiveFlows,
} from '../ivr/index';
import { demoBankHolidays } from './holidays';
import { BankIvrBanking } from './ivr-banking';
import { openFlows } from './ivr-flows';
import { IvrLine } from './ivr-line';
import { AcdIvrQueue, CrmIvrCustomers, FetchIvrHttp, ivrActor, LoggingIvrSms } from './ivr-ports';

const root = path.resolve(import.meta.dirname, '..', '..');
export const promptsDir = path.join(root, 'prompts');
export const flowsDir = path.join(root, 'flows');

/** The flow the service number runs. */
export const phoneBankingFlow = 'phone-banking';

/** Queues the demo flows name that the demo ACD calls otherwise (src/app/acd.ts). */
const queueAliases = { 'cards-priority': 'cards' } as const;

export interface PhoneBankingDeps {
  clock: Clock;
  logger: Logger;
  bus: EventBus<DomainEvents>;
  bank: CoreBanking;
  /** The bank's PIN lockout threshold, as the bank was configured with it. */
  maxPinFailures: number;
  crm: Crm;
  acd: AcdEngine;
  interactions: Interactions;
}

export interface PhoneBanking {
  line: IvrLine;
  flows: LiveFlows;
}

/**
 * The phone-banking line wired to the real modules: the bank (channel `ivr`), the CRM, the ACD
 * with interactions, SMS receipts to the log, `fetch` for http steps, the demo holiday calendar,
 * and IVR events onto the event bus for supervisors (the IVR masks PINs and card numbers before
 * anything leaves it). Flows come from `flows/` through the flow repository.
 */
export async function startPhoneBanking(deps: PhoneBankingDeps): Promise<PhoneBanking> {
  const { clock, logger, bus } = deps;
  const flows = await openFlows(flowsDir, clock);
  const customers = new CrmIvrCustomers(deps.crm);
  const events: IvrEventSink = {
    emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]) {
      bus
        .publish(type, payload as DomainEvents[K], { audience: 'supervisor', actor: ivrActor })
        .catch((error: unknown) => logger.error({ err: error }, `IVR event ${type} not logged`));
    },
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
  });
  return { line, flows };
}
