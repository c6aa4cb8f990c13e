import {
  type AcdDeskPort,
  AcdEngine,
  type AcdRecordPort,
  type AgentConfigInput,
  type InteractionRecord,
  type QueueConfigInput,
  type QueueEvent,
} from '../acd/index';
import {
  type Clock,
  type DomainEvents,
  type EventBus,
  type InteractionId,
  isTellerError,
  type Logger,
} from '../core/index';
import { holderOf, type Interactions } from '../interactions/index';
import type { Db } from '../store/index';

/**
 * The ACD's records, written behind: the engine calls `put`/`delete` synchronously on every
 * change; the latest state of each interaction is flushed to `acd_records` in one transaction
 * per turn of the event loop. `flush()` waits for everything written so far.
 */
export class AcdRecordStore implements AcdRecordPort {
  private readonly pending = new Map<string, InteractionRecord | null>();
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  put(record: InteractionRecord): void {
    this.pending.set(record.interactionId, record);
    this.schedule();
  }

  delete(interactionId: InteractionId): void {
    this.pending.set(interactionId, null);
    this.schedule();
  }

  async load(): Promise<InteractionRecord[]> {
    const rows = await this.db.selectFrom('acd_records').select('record').execute();
    return rows.map((r) => JSON.parse(r.record) as InteractionRecord);
  }

  flush(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(() =>
      this.db
        .transaction()
        .execute(async (tx) => {
          const now = this.clock.now();
          for (const [id, record] of batch) {
            if (record === null) {
              await tx.deleteFrom('acd_records').where('interaction_id', '=', id).execute();
              continue;
            }
            const value = JSON.stringify(record);
            await tx
              .insertInto('acd_records')
              .values({ interaction_id: id, record: value, updated_at: now })
              .onConflict((oc) => oc.column('interaction_id').doUpdateSet({ record: value, updated_at: now }))
              .execute();
          }
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'ACD records not written')),
    );
    return this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }
}

/** The demo contact center's queues: general service, cards (lost cards jump the line), wealth, chat. */
export const demoQueues: QueueConfigInput[] = [
  {
    id: 'general',
    name: 'General banking',
    channel: 'voice',
    skills: [{ skill: 'banking', minProficiency: 1 }],
    serviceLevel: { percent: 80, withinMs: 20_000 },
    wrapUpMs: 30_000,
    callbackOfferMs: 120_000,
    overflow: [{ afterMs: 60_000, addQueues: ['cards'] }],
  },
  {
    id: 'cards',
    name: 'Cards and fraud',
    channel: 'voice',
    priority: 10,
    skills: [{ skill: 'cards', minProficiency: 2 }],
    serviceLevel: { percent: 90, withinMs: 10_000 },
    wrapUpMs: 30_000,
    overflow: [{ afterMs: 30_000, minProficiency: 1 }],
  },
  {
    id: 'wealth',
    name: 'Wealth and private banking',
    channel: 'voice',
    priority: 5,
    skills: [{ skill: 'wealth', minProficiency: 3 }],
    wrapUpMs: 60_000,
    strategy: 'last-agent',
    lastAgentWithinMs: 30_000,
  },
  {
    id: 'chat',
    name: 'Web chat',
    channel: 'chat',
    skills: [{ skill: 'banking', minProficiency: 1 }],
    serviceLevel: { percent: 80, withinMs: 60_000 },
    wrapUpMs: 10_000,
  },
];

/**
 * The contact center's wrap-up codes: an agent ends a contact with one of these (the desktop
 * shows them, web/src/agent/reasons.ts; the ACD refuses any other).
 */
export const demoWrapUpCodes = [
  'resolved',
  'balance-inquiry',
  'transfer-done',
  'card-issue',
  'complaint',
  'sale',
  'follow-up',
  'wrong-number',
] as const;

/** The ACD events a queue's history is counted from (the statistics snapshots give the waiting). */
const historyEventTypes = [
  'acd.interaction.queued',
  'acd.interaction.connected',
  'acd.interaction.abandoned',
  'acd.interaction.max-wait',
  'acd.interaction.completed',
  'acd.queue.statistics',
] as const;

/** Skills of the demo agents: everyone banks; some do cards, some wealth; all take three chats. */
export function demoAgent(userId: string, index: number): AgentConfigInput {
  const skills: Record<string, number> = { banking: 3 + (index % 3) };
  if (index % 2 === 0) skills.cards = 2 + (index % 4);
  if (index % 5 === 0) skills.wealth = 4;
  return {
    id: userId,
    team: index < 10 ? 'team-a' : 'team-b',
    skills,
    capacity: { voice: 1, chat: 3, email: 5 },
  };
}

export interface AcdSetup {
  engine: AcdEngine;
  records: AcdRecordStore;
  /** Agents' names and queues' stored events, for the supervisor's board and day charts. */
  desk: AcdDeskPort;
  saveQueue(config: QueueConfigInput): Promise<void>;
  saveAgent(config: AgentConfigInput): Promise<void>;
}

/**
 * Builds the ACD from the store: queue and agent configuration, then the interactions that were
 * waiting when the process stopped — back in their queues at their old places; the ones whose
 * channel died with the process (live calls) closed with a reason, here and in `interactions`.
 */
export async function startAcd(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  bus: EventBus<DomainEvents>;
  interactions: Interactions;
}): Promise<AcdSetup> {
  const { db, clock, logger, bus } = deps;
  const records = new AcdRecordStore(db, clock, logger);
  const engine = new AcdEngine({
    clock,
    records,
    statisticsIntervalMs: 5_000,
    publish: (type, payload) => {
      bus
        .publish(type, payload as DomainEvents[typeof type], { audience: 'all' })
        .catch((error: unknown) => logger.error({ err: error }, `ACD event ${type} not logged`));
    },
    reportError: (error, context) => logger.error({ err: error }, `ACD: ${context}`),
    wrapUpCodes: demoWrapUpCodes,
  });
  // interaction.updated also goes to the agent the ACD has the interaction with.
  deps.interactions.trackHolders((id) => holderOf(engine, id));
  // The wrap-up code goes on the interaction's record (there is none for a contact queued by id only).
  bus.on('acd.interaction.completed', ({ payload }) => {
    if (payload.wrapUpCode === null) return;
    deps.interactions
      .attach(payload.interactionId, { wrapUpCode: payload.wrapUpCode })
      .catch((error: unknown) => {
        if (!(isTellerError(error) && error.code === 'INTERACTIONS_NOT_FOUND'))
          logger.error({ err: error }, `wrap-up code of ${payload.interactionId} not recorded`);
      });
  });
  for (const row of await db.selectFrom('acd_queues').select('config').orderBy('id').execute()) {
    engine.defineQueue(JSON.parse(row.config) as QueueConfigInput);
  }
  for (const row of await db.selectFrom('acd_agents').select('config').orderBy('user_id').execute()) {
    engine.addAgent(JSON.parse(row.config) as AgentConfigInput);
  }
  const restored = engine.restore(await records.load());
  for (const { interactionId, reason } of restored.closed) {
    await deps.interactions.close(interactionId, reason).catch(() => undefined);
  }
  await deps.interactions.closeEphemeral('process-restart', (i) => restored.requeued.includes(i.id));
  await records.flush();
  const now = () => clock.now();
  return {
    engine,
    records,
    desk: {
      async agentNames() {
        const rows = await db
          .selectFrom('users')
          .select(['id', 'username', 'display_name', 'extension'])
          .execute();
        return new Map(
          rows.map((r) => [
            r.id,
            { username: r.username, displayName: r.display_name, extension: r.extension },
          ]),
        );
      },
      async queueEvents(queueId, from, to) {
        const rows = await db
          .selectFrom('events')
          .select(['type', 'payload'])
          .where('type', 'in', [...historyEventTypes])
          .where('at', '>=', from)
          .where('at', '<', to)
          .orderBy('seq')
          .execute();
        const events: QueueEvent[] = [];
        for (const row of rows) {
          const payload = JSON.parse(row.payload) as { queueId?: string };
          if (payload.queueId === queueId) events.push({ type: row.type, payload } as QueueEvent);
        }
        return events;
      },
    },
    async saveQueue(config) {
      const value = JSON.stringify(config);
      await db
        .insertInto('acd_queues')
        .values({ id: config.id, config: value, updated_at: now() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ config: value, updated_at: now() }))
        .execute();
    },
    async saveAgent(config) {
      const value = JSON.stringify(config);
      await db
        .insertInto('acd_agents')
        .values({ user_id: config.id, config: value, updated_at: now() })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ config: value, updated_at: now() }))
        .execute();
    },
  };
}

/** Writes the demo queues and one agent profile per demo agent (first start only). */
export async function seedAcdConfig(db: Db, clock: Clock, agentUserIds: readonly string[]): Promise<void> {
  const now = clock.now();
  for (const queue of demoQueues) {
    await db
      .insertInto('acd_queues')
      .values({ id: queue.id, config: JSON.stringify(queue), updated_at: now })
      .execute();
  }
  for (const [index, id] of agentUserIds.entries()) {
    await db
      .insertInto('acd_agents')
      .values({ user_id: id, config: JSON.stringify(demoAgent(id, index)), updated_at: now })
      .execute();
  }
}
