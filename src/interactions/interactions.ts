import { asId, type Clock, type CustomerId, type InteractionId, newId, TellerError } from '../core/index';
import type { Db } from '../store/index';

export const interactionChannels = ['voice', 'video', 'chat', 'email', 'sms'] as const;
export type InteractionChannel = (typeof interactionChannels)[number];

/**
 * Channels whose contact lives in a socket or a media stream of this process: when the process
 * dies, so does the contact. The others (chat transcripts, e-mail, SMS) are data and survive a
 * restart, and so does a callback request that is still waiting (it is a promise to call, not a call).
 */
export const ephemeralChannels: ReadonlySet<InteractionChannel> = new Set(['voice', 'video']);

export const interactionStates = ['open', 'closed'] as const;
export type InteractionState = (typeof interactionStates)[number];

export interface Interaction {
  id: InteractionId;
  channel: InteractionChannel;
  direction: 'inbound' | 'outbound';
  state: InteractionState;
  customerId: CustomerId | null;
  queueId: string | null;
  agentId: string | null;
  /** Attached data: IVR path, verification level, intent, subject line… (never secrets). */
  data: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closeReason: string | null;
}

export interface InteractionEvents {
  'interaction.created': { interaction: Interaction };
  'interaction.updated': {
    interactionId: InteractionId;
    changes: Partial<Pick<Interaction, 'customerId' | 'queueId' | 'agentId' | 'data'>>;
  };
  'interaction.closed': {
    interactionId: InteractionId;
    channel: InteractionChannel;
    reason: string;
    durationMs: number;
  };
}

declare module '../core/index' {
  interface DomainEvents extends InteractionEvents {}
}

/**
 * Where the events go. `meta.subjectUserId` is the agent the interaction is with, if any: the
 * event is for supervisors and for that agent (see `canSee` in the api module).
 */
export type InteractionPublisher = <K extends keyof InteractionEvents>(
  type: K,
  payload: InteractionEvents[K],
  meta?: { subjectUserId?: string },
) => Promise<unknown>;

/**
 * Keys of attached data that are secrets (a PIN or code a caller keyed, a card number): a channel
 * must not attach them, and if one does they are dropped from events and API answers. Compared
 * without case, dashes and underscores.
 */
const secretKeys: ReadonlySet<string> = new Set([
  'pin',
  'newpin',
  'pinblock',
  'otp',
  'password',
  'passcode',
  'secret',
  'token',
  'cvv',
  'cvc',
  'pan',
  'cardnumber',
  'ha1',
]);

/**
 * Keys of attached data that are capabilities rather than secrets: the bank's id of the
 * caller's PIN verification lets whoever holds it act for the customer until it expires. The
 * API gives it to those who may read the interaction (its agent, supervisors); events, which
 * go to every supervisor's screen and into the event log, never carry it.
 */
const capabilityKeys: ReadonlySet<string> = new Set(['verificationid']);
const eventHiddenKeys: ReadonlySet<string> = new Set([...secretKeys, ...capabilityKeys]);

function withoutKeys(data: Record<string, unknown>, hidden: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (hidden.has(key.toLowerCase().replaceAll(/[-_]/g, ''))) continue;
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? withoutKeys(value as Record<string, unknown>, hidden)
        : value;
  }
  return out;
}

/** `data` without its secret keys, at any depth. */
export function withoutSecrets(data: Record<string, unknown>): Record<string, unknown> {
  return withoutKeys(data, secretKeys);
}

/** The interaction as it may leave the process: attached data without secrets. */
export function publicInteraction(interaction: Interaction): Interaction {
  return { ...interaction, data: withoutSecrets(interaction.data) };
}

/** The interaction as events carry it: without secrets and without capabilities. */
function eventInteraction(interaction: Interaction): Interaction {
  return { ...interaction, data: withoutKeys(interaction.data, eventHiddenKeys) };
}

/** Who has the interaction now (offered to, connected to or in wrap-up with), or null. */
export type HolderLookup = (interactionId: string) => string | null;

type Row = {
  id: string;
  channel: string;
  direction: string;
  state: string;
  customer_id: string | null;
  queue_id: string | null;
  agent_id: string | null;
  data: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  close_reason: string | null;
};

function toInteraction(row: Row): Interaction {
  return {
    id: asId<InteractionId>(row.id),
    channel: row.channel as InteractionChannel,
    direction: row.direction as Interaction['direction'],
    state: row.state as InteractionState,
    customerId: row.customer_id === null ? null : asId<CustomerId>(row.customer_id),
    queueId: row.queue_id,
    agentId: row.agent_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    closeReason: row.close_reason,
  };
}

/**
 * Every contact on every channel, from its arrival to its close, with the data attached on the
 * way. It is the record the ACD, the agent desktop and the reports share; it does not route.
 */
export class Interactions {
  private holderOf: HolderLookup = () => null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly publish: InteractionPublisher,
  ) {}

  /**
   * Tells the interactions who holds each one (the ACD knows): `interaction.updated` then also
   * goes to that agent, who has it on screen.
   */
  trackHolders(lookup: HolderLookup): void {
    this.holderOf = lookup;
  }

  async create(input: {
    channel: InteractionChannel;
    direction?: Interaction['direction'];
    customerId?: CustomerId | null;
    queueId?: string | null;
    data?: Record<string, unknown>;
    id?: InteractionId;
  }): Promise<Interaction> {
    const now = this.clock.now();
    const row: Row = {
      id: input.id ?? newId<InteractionId>(),
      channel: input.channel,
      direction: input.direction ?? 'inbound',
      state: 'open',
      customer_id: input.customerId ?? null,
      queue_id: input.queueId ?? null,
      agent_id: null,
      data: JSON.stringify(input.data ?? {}),
      created_at: now,
      updated_at: now,
      closed_at: null,
      close_reason: null,
    };
    await this.db.insertInto('interactions').values(row).execute();
    const interaction = toInteraction(row);
    await this.publish('interaction.created', { interaction: eventInteraction(interaction) });
    return interaction;
  }

  async get(id: string): Promise<Interaction> {
    const row = await this.db.selectFrom('interactions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new TellerError('INTERACTIONS_NOT_FOUND', 'not-found', `no interaction ${id}`);
    return toInteraction(row);
  }

  /** Changes who and what the interaction is about; `data` is merged key by key. */
  async update(
    id: string,
    changes: {
      customerId?: CustomerId | null;
      queueId?: string | null;
      agentId?: string | null;
      data?: Record<string, unknown>;
    },
  ): Promise<Interaction> {
    const current = await this.get(id);
    if (current.state === 'closed')
      throw new TellerError('INTERACTIONS_CLOSED', 'conflict', `interaction ${id} is closed`);
    const set: Partial<Row> = { updated_at: this.clock.now() };
    if (changes.customerId !== undefined) set.customer_id = changes.customerId;
    if (changes.queueId !== undefined) set.queue_id = changes.queueId;
    if (changes.agentId !== undefined) set.agent_id = changes.agentId;
    if (changes.data !== undefined) set.data = JSON.stringify({ ...current.data, ...changes.data });
    await this.db.updateTable('interactions').set(set).where('id', '=', id).execute();
    await this.announceUpdate(current.id, changes);
    return this.get(id);
  }

  /**
   * Adds to the attached data of an interaction whether it is open or closed: what comes after
   * the contact (the agent's wrap-up code) belongs on its record too.
   */
  async attach(id: string, data: Record<string, unknown>): Promise<Interaction> {
    const current = await this.get(id);
    await this.db
      .updateTable('interactions')
      .set({ data: JSON.stringify({ ...current.data, ...data }), updated_at: this.clock.now() })
      .where('id', '=', id)
      .execute();
    await this.announceUpdate(current.id, { data });
    return this.get(id);
  }

  private async announceUpdate(
    interactionId: InteractionId,
    changes: InteractionEvents['interaction.updated']['changes'],
  ): Promise<void> {
    const shown =
      changes.data === undefined ? changes : { ...changes, data: withoutKeys(changes.data, eventHiddenKeys) };
    const holder = this.holderOf(interactionId) ?? changes.agentId ?? null;
    await this.publish(
      'interaction.updated',
      { interactionId, changes: shown },
      holder === null ? {} : { subjectUserId: holder },
    );
  }

  /** Closes an open interaction; closing a closed one is refused, so a close is recorded once. */
  async close(id: string, reason: string): Promise<Interaction> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('interactions')
      .set({ state: 'closed', closed_at: now, close_reason: reason, updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      await this.get(id);
      throw new TellerError('INTERACTIONS_CLOSED', 'conflict', `interaction ${id} is already closed`);
    }
    const closed = await this.get(id);
    await this.publish('interaction.closed', {
      interactionId: closed.id,
      channel: closed.channel,
      reason,
      durationMs: now - closed.createdAt,
    });
    return closed;
  }

  async listOpen(filter: { channel?: InteractionChannel; queueId?: string } = {}): Promise<Interaction[]> {
    let query = this.db
      .selectFrom('interactions')
      .selectAll()
      .where('state', '=', 'open')
      .orderBy('created_at');
    if (filter.channel) query = query.where('channel', '=', filter.channel);
    if (filter.queueId) query = query.where('queue_id', '=', filter.queueId);
    return (await query.execute()).map(toInteraction);
  }

  async listForCustomer(customerId: string, limit = 50): Promise<Interaction[]> {
    const rows = await this.db
      .selectFrom('interactions')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toInteraction);
  }

  /**
   * After a restart: closes every open interaction whose contact died with the process (voice
   * and video, unless `survives` says otherwise, as for a waiting callback request), with the
   * given reason; returns the ids it closed.
   */
  async closeEphemeral(
    reason = 'process-restart',
    survives: (i: Interaction) => boolean = () => false,
  ): Promise<InteractionId[]> {
    const open = await this.listOpen();
    const closed: InteractionId[] = [];
    for (const interaction of open) {
      if (!ephemeralChannels.has(interaction.channel) || survives(interaction)) continue;
      await this.close(interaction.id, reason);
      closed.push(interaction.id);
    }
    return closed;
  }
}
