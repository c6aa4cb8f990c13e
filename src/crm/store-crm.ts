import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type CoreBanking, normalizePhone, type Page } from '../banking/index';
import type { Clock, EventMeta } from '../core/index';
import type { AuditEntry, Db, Store } from '../store/index';
import type { CrmEvents } from './events';
import {
  filterCondition,
  type Language,
  type Product,
  productCondition,
  products,
  type SegmentFilter,
  segmentFilterSchema,
  type Tier,
} from './filters';
import {
  type Actor,
  type Case,
  type CaseDetail,
  type CasePatch,
  type CasePriority,
  type CaseStatus,
  type ContactChannel,
  type Customer360,
  type CustomerProfile,
  type CustomerSearch,
  type CustomerSummary,
  caseTransition,
  crmError,
  type NewCase,
  type NewTimelineEntry,
  type Note,
  type Offer,
  type ProfilePatch,
  type Segment,
  type SegmentMembers,
  slaHours,
  type TimelineEntry,
} from './model';
import type { Crm, OfferInput, SegmentInput } from './port';

export type CrmPublish = <K extends keyof CrmEvents>(
  type: K,
  payload: CrmEvents[K],
  meta: EventMeta,
) => Promise<unknown>;

export interface StoreCrmOptions {
  store: Store;
  clock: Clock;
  bank: CoreBanking;
  audit: { record(entry: AuditEntry): Promise<unknown> };
  publish: CrmPublish;
}

const tagPattern = /^[a-z0-9][a-z0-9-]{0,39}$/;
const cjk = /[\u3400-\u9fff]/;
const highest = '\u{10FFFF}';

function cursorOf(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function readCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string')
      return [value[0], value[1]];
  } catch {
    // not one of ours: the error below says so
  }
  throw crmError('CRM_INVALID', 'the cursor is not one this API returned');
}

function isUniqueViolation(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function text(value: string, field: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max)
    throw crmError('CRM_INVALID', `${field} must be 1–${max} characters`);
  return trimmed;
}

type CaseRow = {
  id: string;
  customer_id: string;
  subject: string;
  category: string;
  status: string;
  priority: string;
  sla_due_at: number;
  assignee: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
};

/**
 * The built-in CRM on Teller's store. Segments and offer rules are evaluated as SQL
 * (filters.ts); accounts, cards and the PIN state come through the core-banking port.
 */
export class StoreCrm implements Crm {
  private readonly db: Db;

  constructor(private readonly o: StoreCrmOptions) {
    this.db = o.store.db;
  }

  private now(): number {
    return this.o.clock.now();
  }

  private async audit(
    action: string,
    actor: Actor,
    target: string | null,
    details: Record<string, unknown> = {},
  ) {
    await this.o.audit.record({
      actor: actor.id,
      action: `crm.${action}`,
      target,
      outcome: 'success',
      ip: actor.ip ?? null,
      details: { interactionId: actor.interactionId ?? null, ...details },
    });
  }

  private emit<K extends keyof CrmEvents>(type: K, payload: CrmEvents[K], actor: Actor) {
    return this.o.publish(type, payload, { audience: 'all', actor: actor.id });
  }

  private async requireCustomer(customerId: string): Promise<void> {
    const row = await this.db
      .selectFrom('customers')
      .select('id')
      .where('id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_CUSTOMER_NOT_FOUND', `no customer ${customerId}`);
  }

  // ---------------------------------------------------------------- customers

  async search(query: CustomerSearch): Promise<CustomerSummary[]> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    let ids: string[];
    if (query.phone) {
      // The hot path of a screen pop: the caller's number straight to their summary.
      const rows = await this.db
        .selectFrom('customer_phones as q')
        .innerJoin('customers as c', 'c.id', 'q.customer_id')
        .leftJoin('customer_phones as p', (join) =>
          join.onRef('p.customer_id', '=', 'c.id').on('p.is_primary', '=', 1),
        )
        .select(['c.id', 'c.cif', 'c.name_zh', 'c.name_latin', 'c.tier', 'c.language', 'p.phone'])
        .where('q.phone', '=', normalizePhone(query.phone))
        .limit(limit)
        .execute();
      return this.toSummaries(rows);
    } else if (query.cardNumber) {
      const id = await this.o.bank.findCustomerByCardNumber(query.cardNumber);
      ids = id ? [id] : [];
    } else if (query.accountNumber) {
      const id = await this.o.bank.findCustomerByAccountNumber(query.accountNumber);
      ids = id ? [id] : [];
    } else if (query.cif) {
      const row = await this.db
        .selectFrom('customers')
        .select('id')
        .where('cif', '=', query.cif.trim())
        .executeTakeFirst();
      ids = row ? [row.id] : [];
    } else if (query.name && query.name.trim().length > 0) {
      const name = query.name.trim();
      // A prefix range on an index column (byte order on both dialects: see migration 002).
      const column = cjk.test(name) ? 'name_zh' : 'search_name';
      const prefix = column === 'name_zh' ? name : name.toLowerCase().replace(/\s+/g, ' ');
      const rows = await this.db
        .selectFrom('customers')
        .select('id')
        .where(column, '>=', prefix)
        .where(column, '<', prefix + highest)
        .orderBy(column)
        .orderBy('id')
        .limit(limit)
        .execute();
      ids = rows.map((r) => r.id);
    } else {
      throw crmError(
        'CRM_SEARCH_EMPTY',
        'search by phone, name, account number, card number or customer number',
      );
    }
    return this.summaries([...new Set(ids)]);
  }

  private async summaries(ids: string[]): Promise<CustomerSummary[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('customers as c')
      .leftJoin('customer_phones as p', (join) =>
        join.onRef('p.customer_id', '=', 'c.id').on('p.is_primary', '=', 1),
      )
      .select(['c.id', 'c.cif', 'c.name_zh', 'c.name_latin', 'c.tier', 'c.language', 'p.phone'])
      .where('c.id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.toSummaries(ids.flatMap((id) => byId.get(id) ?? []));
  }

  private async toSummaries(
    rows: Array<{
      id: string;
      cif: string;
      name_zh: string;
      name_latin: string;
      tier: string;
      language: string;
      phone: string | null;
    }>,
  ): Promise<CustomerSummary[]> {
    const out: CustomerSummary[] = [];
    for (const r of rows) {
      const cards = await this.o.bank.cardsOf(r.id);
      out.push({
        id: r.id,
        cif: r.cif,
        nameZh: r.name_zh,
        nameLatin: r.name_latin,
        tier: r.tier as Tier,
        language: r.language as Language,
        primaryPhone: r.phone ?? null,
        cards: cards.map((c) => c.maskedNumber),
      });
    }
    return out;
  }

  async profile(customerId: string): Promise<CustomerProfile> {
    const row = await this.db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_CUSTOMER_NOT_FOUND', `no customer ${customerId}`);
    const phones = await this.db
      .selectFrom('customer_phones')
      .select(['phone', 'label', 'is_primary'])
      .where('customer_id', '=', customerId)
      .orderBy('is_primary', 'desc')
      .orderBy('phone')
      .execute();
    const tags = await this.db
      .selectFrom('crm_tags')
      .select('tag')
      .where('customer_id', '=', customerId)
      .orderBy('tag')
      .execute();
    return {
      id: row.id,
      cif: row.cif,
      nameZh: row.name_zh,
      nameLatin: row.name_latin,
      language: row.language as Language,
      tier: row.tier as Tier,
      phones: phones.map((p) => ({ number: p.phone, label: p.label, primary: p.is_primary === 1 })),
      emails: JSON.parse(row.emails) as string[],
      consent: { voice: row.consent_voice === 1, sms: row.consent_sms === 1, email: row.consent_email === 1 },
      doNotCall: row.do_not_call === 1,
      tags: tags.map((t) => t.tag),
      lastContactAt: row.last_contact_at === null ? null : Number(row.last_contact_at),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  async updateProfile(customerId: string, patch: ProfilePatch, actor: Actor): Promise<CustomerProfile> {
    const before = await this.profile(customerId);
    const set: Record<string, string | number> = {};
    const changed: string[] = [];
    if (patch.language !== undefined && patch.language !== before.language) {
      set.language = patch.language;
      changed.push('language');
    }
    if (patch.tier !== undefined && patch.tier !== before.tier) {
      set.tier = patch.tier;
      changed.push('tier');
    }
    if (patch.emails !== undefined) {
      set.emails = JSON.stringify(patch.emails);
      changed.push('emails');
    }
    for (const channel of ['voice', 'sms', 'email'] as const) {
      const value = patch.consent?.[channel];
      if (value !== undefined && value !== before.consent[channel]) {
        set[`consent_${channel}`] = value ? 1 : 0;
        changed.push(`consent.${channel}`);
      }
    }
    if (patch.doNotCall !== undefined && patch.doNotCall !== before.doNotCall) {
      set.do_not_call = patch.doNotCall ? 1 : 0;
      changed.push('doNotCall');
    }
    if (changed.length === 0) return before;
    await this.db
      .updateTable('customers')
      .set({ ...set, updated_at: this.now() })
      .where('id', '=', customerId)
      .execute();
    // Consent and do-not-call changes are compliance evidence: the audit keeps old and new.
    await this.audit('customer.update', actor, customerId, {
      changed,
      consentBefore: before.consent,
      doNotCallBefore: before.doNotCall,
    });
    await this.emit('crm.customer.updated', { customerId, changed }, actor);
    return this.profile(customerId);
  }

  async products(customerId: string): Promise<Product[]> {
    const row = await this.db
      .selectFrom('customers')
      .select((eb) =>
        products.map((p) => sql<number>`case when ${productCondition(eb, p)} then 1 else 0 end`.as(p)),
      )
      .where('customers.id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_CUSTOMER_NOT_FOUND', `no customer ${customerId}`);
    const flags = row as Record<string, unknown>;
    return products.filter((p) => Number(flags[p]) === 1);
  }

  async view(customerId: string, actor: Actor): Promise<Customer360> {
    const profile = await this.profile(customerId);
    const [held, accounts, cards, pin, timeline, openCases, notes, offers] = await Promise.all([
      this.products(customerId),
      this.o.bank.accountsOf(customerId),
      this.o.bank.cardsOf(customerId),
      this.o.bank.pinStatus(customerId),
      this.timeline(customerId, { limit: 10 }),
      this.cases({ customerId, statuses: ['new', 'open', 'pending'] }),
      this.notes(customerId, 5),
      this.offersFor(customerId),
    ]);
    await this.audit('customer.view', actor, customerId);
    return {
      profile,
      products: held,
      accounts,
      cards,
      pin,
      timeline: timeline.items,
      openCases,
      notes,
      offers,
    };
  }

  // ---------------------------------------------------------------- timeline, notes, tags

  async timeline(
    customerId: string,
    query: { limit?: number; cursor?: string | null } = {},
  ): Promise<Page<TimelineEntry>> {
    await this.requireCustomer(customerId);
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
    let q = this.db.selectFrom('crm_interactions').selectAll().where('customer_id', '=', customerId);
    if (query.cursor) {
      const [at, id] = readCursor(query.cursor);
      q = q.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(
      (r): TimelineEntry => ({
        id: r.id,
        channel: r.channel as ContactChannel,
        direction: r.direction as 'inbound' | 'outbound',
        at: Number(r.at),
        interactionId: r.interaction_id,
        agentId: r.agent_id,
        summary: r.summary,
        outcome: r.outcome,
      }),
    );
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? cursorOf(last.at, last.id) : null };
  }

  async logInteraction(customerId: string, entry: NewTimelineEntry, actor: Actor): Promise<TimelineEntry> {
    await this.requireCustomer(customerId);
    const at = entry.at ?? this.now();
    const row: TimelineEntry = {
      id: randomUUID(),
      channel: entry.channel,
      direction: entry.direction,
      at,
      interactionId: entry.interactionId ?? actor.interactionId ?? null,
      agentId: actor.id === 'system' ? null : actor.id,
      summary: text(entry.summary, 'summary', 500),
      outcome: entry.outcome ?? null,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('crm_interactions')
        .values({
          id: row.id,
          customer_id: customerId,
          channel: row.channel,
          direction: row.direction,
          at,
          interaction_id: row.interactionId,
          agent_id: row.agentId,
          summary: row.summary,
          outcome: row.outcome,
        })
        .execute();
      await tx
        .updateTable('customers')
        .set({ last_contact_at: at })
        .where('id', '=', customerId)
        .where((eb) => eb.or([eb('last_contact_at', 'is', null), eb('last_contact_at', '<', at)]))
        .execute();
    });
    await this.emit(
      'crm.interaction.logged',
      {
        customerId,
        entryId: row.id,
        channel: row.channel,
        direction: row.direction,
        interactionId: row.interactionId,
      },
      actor,
    );
    return row;
  }

  async notes(customerId: string, limit = 20): Promise<Note[]> {
    await this.requireCustomer(customerId);
    const rows = await this.db
      .selectFrom('crm_notes')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(limit, 1), 200))
      .execute();
    return rows.map((r) => ({
      id: r.id,
      caseId: r.case_id,
      author: r.author,
      body: r.body,
      at: Number(r.at),
    }));
  }

  async addNote(
    customerId: string,
    input: { body: string; caseId?: string | null },
    actor: Actor,
  ): Promise<Note> {
    await this.requireCustomer(customerId);
    const caseId = input.caseId ?? null;
    if (caseId) {
      const owner = await this.db
        .selectFrom('crm_cases')
        .select('customer_id')
        .where('id', '=', caseId)
        .executeTakeFirst();
      if (!owner || owner.customer_id !== customerId) {
        throw crmError('CRM_CASE_NOT_FOUND', `the customer has no case ${caseId}`);
      }
    }
    const note: Note = {
      id: randomUUID(),
      caseId,
      author: actor.id,
      body: text(input.body, 'body', 2000),
      at: this.now(),
    };
    await this.db
      .insertInto('crm_notes')
      .values({
        id: note.id,
        customer_id: customerId,
        case_id: caseId,
        author: note.author,
        body: note.body,
        at: note.at,
      })
      .execute();
    await this.emit('crm.note.added', { customerId, noteId: note.id, caseId }, actor);
    return note;
  }

  async tag(customerId: string, tag: string, actor: Actor): Promise<string[]> {
    await this.requireCustomer(customerId);
    if (!tagPattern.test(tag))
      throw crmError('CRM_INVALID', 'a tag is 1–40 lower-case letters, digits and dashes');
    const result = await this.db
      .insertInto('crm_tags')
      .values({ customer_id: customerId, tag })
      .onConflict((oc) => oc.columns(['customer_id', 'tag']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) {
      await this.emit('crm.tag.changed', { customerId, tag, added: true }, actor);
    }
    return (await this.profile(customerId)).tags;
  }

  async untag(customerId: string, tag: string, actor: Actor): Promise<string[]> {
    await this.requireCustomer(customerId);
    const result = await this.db
      .deleteFrom('crm_tags')
      .where('customer_id', '=', customerId)
      .where('tag', '=', tag)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) > 0)
      await this.emit('crm.tag.changed', { customerId, tag, added: false }, actor);
    return (await this.profile(customerId)).tags;
  }

  // ---------------------------------------------------------------- cases

  private toCase(r: CaseRow): Case {
    const status = r.status as CaseStatus;
    const slaDueAt = Number(r.sla_due_at);
    return {
      id: r.id,
      customerId: r.customer_id,
      subject: r.subject,
      category: r.category,
      status,
      priority: r.priority as CasePriority,
      slaDueAt,
      breached: status !== 'resolved' && status !== 'closed' && this.now() > slaDueAt,
      assignee: r.assignee,
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    };
  }

  async cases(query: {
    customerId?: string;
    assignee?: string;
    statuses?: CaseStatus[];
    limit?: number;
  }): Promise<Case[]> {
    let q = this.db.selectFrom('crm_cases').selectAll();
    if (query.customerId) q = q.where('customer_id', '=', query.customerId);
    if (query.assignee) q = q.where('assignee', '=', query.assignee);
    if (query.statuses && query.statuses.length > 0) q = q.where('status', 'in', query.statuses);
    const rows = await q
      .orderBy('sla_due_at')
      .orderBy('id')
      .limit(Math.min(Math.max(query.limit ?? 50, 1), 200))
      .execute();
    return rows.map((r) => this.toCase(r));
  }

  async getCase(caseId: string): Promise<CaseDetail> {
    const row = await this.db.selectFrom('crm_cases').selectAll().where('id', '=', caseId).executeTakeFirst();
    if (!row) throw crmError('CRM_CASE_NOT_FOUND', `no case ${caseId}`);
    const history = await this.db
      .selectFrom('crm_case_history')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('id')
      .execute();
    const notes = await this.db
      .selectFrom('crm_notes')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return {
      ...this.toCase(row),
      history: history.map((h) => ({
        at: Number(h.at),
        actor: h.actor,
        action: h.action,
        from: h.from_value,
        to: h.to_value,
        note: h.note,
      })),
      notes: notes.map((n) => ({
        id: n.id,
        caseId: n.case_id,
        author: n.author,
        body: n.body,
        at: Number(n.at),
      })),
    };
  }

  async openCase(customerId: string, input: NewCase, actor: Actor): Promise<CaseDetail> {
    await this.requireCustomer(customerId);
    const now = this.now();
    const row: CaseRow = {
      id: randomUUID(),
      customer_id: customerId,
      subject: text(input.subject, 'subject', 200),
      category: text(input.category, 'category', 40),
      status: 'new',
      priority: input.priority,
      sla_due_at: now + slaHours[input.priority] * 3_600_000,
      assignee: input.assignee ?? null,
      created_by: actor.id,
      created_at: now,
      updated_at: now,
      resolved_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('crm_cases').values(row).execute();
      await tx
        .insertInto('crm_case_history')
        .values({
          case_id: row.id,
          at: now,
          actor: actor.id,
          action: 'created',
          from_value: null,
          to_value: 'new',
          note: null,
        })
        .execute();
      if (input.note) {
        await tx
          .insertInto('crm_notes')
          .values({
            id: randomUUID(),
            customer_id: customerId,
            case_id: row.id,
            author: actor.id,
            body: text(input.note, 'note', 2000),
            at: now,
          })
          .execute();
      }
    });
    await this.audit('case.open', actor, customerId, { caseId: row.id, priority: row.priority });
    await this.emit(
      'crm.case.opened',
      {
        caseId: row.id,
        customerId,
        priority: input.priority,
        slaDueAt: row.sla_due_at,
        assignee: row.assignee,
      },
      actor,
    );
    return this.getCase(row.id);
  }

  async updateCase(caseId: string, patch: CasePatch, actor: Actor): Promise<CaseDetail> {
    const changes: Array<{ field: string; from: string | null; to: string | null }> = [];
    const result = await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('crm_cases').selectAll().where('id', '=', caseId).executeTakeFirst();
      if (!row) throw crmError('CRM_CASE_NOT_FOUND', `no case ${caseId}`);
      const now = this.now();
      const set: Partial<CaseRow> = { updated_at: now };
      const from = row.status as CaseStatus;
      if (patch.status !== undefined && patch.status !== from) {
        set.status = caseTransition(from, patch.status);
        if (patch.status === 'resolved') set.resolved_at = now;
        if (from === 'resolved' && patch.status === 'open') set.resolved_at = null;
        changes.push({ field: 'status', from, to: patch.status });
      }
      if (patch.priority !== undefined && patch.priority !== row.priority) {
        set.priority = patch.priority;
        // The SLA runs from when the case was opened, at the new priority's allowance.
        set.sla_due_at = Number(row.created_at) + slaHours[patch.priority] * 3_600_000;
        changes.push({ field: 'priority', from: row.priority, to: patch.priority });
      }
      if (patch.assignee !== undefined && patch.assignee !== row.assignee) {
        set.assignee = patch.assignee;
        changes.push({ field: 'assignee', from: row.assignee, to: patch.assignee });
      }
      const updated = await tx
        .updateTable('crm_cases')
        .set(set)
        .where('id', '=', caseId)
        .where('status', '=', from)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        throw crmError('CRM_ILLEGAL_TRANSITION', 'the case changed meanwhile; reload it');
      }
      for (const change of changes) {
        await tx
          .insertInto('crm_case_history')
          .values({
            case_id: caseId,
            at: now,
            actor: actor.id,
            action: change.field,
            from_value: change.from,
            to_value: change.to,
            note: null,
          })
          .execute();
      }
      if (patch.note) {
        const body = text(patch.note, 'note', 2000);
        await tx
          .insertInto('crm_notes')
          .values({
            id: randomUUID(),
            customer_id: row.customer_id,
            case_id: caseId,
            author: actor.id,
            body,
            at: now,
          })
          .execute();
        await tx
          .insertInto('crm_case_history')
          .values({
            case_id: caseId,
            at: now,
            actor: actor.id,
            action: 'note',
            from_value: null,
            to_value: null,
            note: body,
          })
          .execute();
      }
      return { customerId: row.customer_id, status: (set.status ?? from) as CaseStatus };
    });
    if (changes.length > 0 || patch.note) {
      await this.audit('case.update', actor, result.customerId, { caseId, changes });
      await this.emit(
        'crm.case.updated',
        { caseId, customerId: result.customerId, status: result.status, changes },
        actor,
      );
    }
    return this.getCase(caseId);
  }

  // ---------------------------------------------------------------- segments and offers

  private toSegment(r: {
    id: string;
    name: string;
    description: string;
    filter: string;
    created_by: string;
    created_at: number;
    updated_at: number;
  }): Segment {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      filter: segmentFilterSchema.parse(JSON.parse(r.filter)),
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  async segments(): Promise<Segment[]> {
    const rows = await this.db.selectFrom('crm_segments').selectAll().orderBy('name').execute();
    return rows.map((r) => this.toSegment(r));
  }

  async segment(segmentId: string): Promise<Segment> {
    const row = await this.db
      .selectFrom('crm_segments')
      .selectAll()
      .where('id', '=', segmentId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_SEGMENT_NOT_FOUND', `no segment ${segmentId}`);
    return this.toSegment(row);
  }

  async saveSegment(input: SegmentInput, actor: Actor, segmentId?: string): Promise<Segment> {
    const filter = segmentFilterSchema.parse(input.filter);
    const now = this.now();
    const values = {
      name: text(input.name, 'name', 100),
      description: input.description.trim().slice(0, 500),
      filter: JSON.stringify(filter),
      updated_at: now,
    };
    const id = segmentId ?? randomUUID();
    try {
      if (segmentId) {
        const result = await this.db
          .updateTable('crm_segments')
          .set(values)
          .where('id', '=', segmentId)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0)
          throw crmError('CRM_SEGMENT_NOT_FOUND', `no segment ${segmentId}`);
      } else {
        await this.db
          .insertInto('crm_segments')
          .values({ id, ...values, created_by: actor.id, created_at: now })
          .execute();
      }
    } catch (error) {
      if (isUniqueViolation(error))
        throw crmError('CRM_SEGMENT_EXISTS', `a segment named "${values.name}" exists`);
      throw error;
    }
    await this.audit('segment.save', actor, id, { name: values.name });
    await this.emit('crm.segment.changed', { segmentId: id, name: values.name, deleted: false }, actor);
    return this.segment(id);
  }

  async deleteSegment(segmentId: string, actor: Actor): Promise<void> {
    const segment = await this.segment(segmentId);
    await this.db.deleteFrom('crm_segments').where('id', '=', segmentId).execute();
    await this.audit('segment.delete', actor, segmentId, { name: segment.name });
    await this.emit('crm.segment.changed', { segmentId, name: segment.name, deleted: true }, actor);
  }

  async members(
    segment: { segmentId: string } | { filter: SegmentFilter },
    page: { limit?: number; cursor?: string | null } = {},
  ): Promise<SegmentMembers> {
    const filter =
      'segmentId' in segment
        ? (await this.segment(segment.segmentId)).filter
        : segmentFilterSchema.parse(segment.filter);
    const now = this.now();
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 100);
    const count = await this.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => filterCondition(eb, filter, now))
      .executeTakeFirstOrThrow();
    let q = this.db
      .selectFrom('customers')
      .select('customers.id')
      .where((eb) => filterCondition(eb, filter, now));
    if (page.cursor) q = q.where('customers.id', '>', page.cursor);
    const rows = await q
      .orderBy('customers.id')
      .limit(limit + 1)
      .execute();
    const ids = rows.slice(0, limit).map((r) => r.id);
    return {
      count: Number(count.n),
      customers: await this.summaries(ids),
      nextCursor: rows.length > limit ? (ids.at(-1) ?? null) : null,
    };
  }

  private toOffer(r: {
    id: string;
    code: string;
    name: string;
    pitch: string;
    priority: number;
    conditions: string;
    active: number;
    created_at: number;
    updated_at: number;
  }): Offer {
    return {
      id: r.id,
      code: r.code,
      name: r.name,
      pitch: r.pitch,
      priority: r.priority,
      conditions: segmentFilterSchema.parse(JSON.parse(r.conditions)),
      active: r.active === 1,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  async offers(): Promise<Offer[]> {
    const rows = await this.db
      .selectFrom('crm_offers')
      .selectAll()
      .orderBy('priority', 'desc')
      .orderBy('code')
      .execute();
    return rows.map((r) => this.toOffer(r));
  }

  private async offer(offerId: string): Promise<Offer> {
    const row = await this.db
      .selectFrom('crm_offers')
      .selectAll()
      .where('id', '=', offerId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_OFFER_NOT_FOUND', `no offer ${offerId}`);
    return this.toOffer(row);
  }

  async saveOffer(input: OfferInput, actor: Actor, offerId?: string): Promise<Offer> {
    const conditions = segmentFilterSchema.parse(input.conditions);
    const now = this.now();
    const values = {
      code: text(input.code, 'code', 40),
      name: text(input.name, 'name', 100),
      pitch: text(input.pitch, 'pitch', 1000),
      priority: Math.trunc(input.priority),
      conditions: JSON.stringify(conditions),
      active: input.active ? 1 : 0,
      updated_at: now,
    };
    const id = offerId ?? randomUUID();
    try {
      if (offerId) {
        const result = await this.db
          .updateTable('crm_offers')
          .set(values)
          .where('id', '=', offerId)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw crmError('CRM_OFFER_NOT_FOUND', `no offer ${offerId}`);
      } else {
        await this.db
          .insertInto('crm_offers')
          .values({ id, ...values, created_at: now })
          .execute();
      }
    } catch (error) {
      if (isUniqueViolation(error))
        throw crmError('CRM_OFFER_EXISTS', `an offer with code ${values.code} exists`);
      throw error;
    }
    await this.audit('offer.save', actor, id, { code: values.code });
    await this.emit('crm.offer.changed', { offerId: id, code: values.code, deleted: false }, actor);
    return this.offer(id);
  }

  async deleteOffer(offerId: string, actor: Actor): Promise<void> {
    const offer = await this.offer(offerId);
    await this.db.deleteFrom('crm_offers').where('id', '=', offerId).execute();
    await this.audit('offer.delete', actor, offerId, { code: offer.code });
    await this.emit('crm.offer.changed', { offerId, code: offer.code, deleted: true }, actor);
  }

  async offersFor(customerId: string): Promise<Offer[]> {
    const active = (await this.offers()).filter((o) => o.active);
    if (active.length === 0) return [];
    const now = this.now();
    // One query: a 0/1 column per rule, each rule's filter evaluated by the database.
    const row = await this.db
      .selectFrom('customers')
      .select((eb) =>
        active.map((offer, i) =>
          sql<number>`case when ${filterCondition(eb, offer.conditions, now)} then 1 else 0 end`.as(`o${i}`),
        ),
      )
      .where('customers.id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw crmError('CRM_CUSTOMER_NOT_FOUND', `no customer ${customerId}`);
    const flags = row as Record<string, unknown>;
    return active.filter((_, i) => Number(flags[`o${i}`]) === 1);
  }
}
