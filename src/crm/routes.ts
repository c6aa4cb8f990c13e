import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOnly, anyRole, authErrors, problemSchema, requireSession } from '../api/index';
import { accountSchema, cardSchema, isCardNumber, jsonMoney, pinStatusSchema } from '../banking/index';
import type { AuditEntry } from '../store/index';
import { languages, products, segmentFilterSchema, tiers } from './filters';
import { type Actor, casePriorities, caseStatuses, contactChannels, crmError } from './model';
import type { Crm } from './port';

export interface CrmRoutesDeps {
  crm: Crm;
  audit: { record(entry: AuditEntry): Promise<unknown> };
}

const id = z.string().min(1).max(64);
const params = z.strictObject({ id });
const interactionId = z.string().min(1).max(128).optional().describe('the contact this happens in (audited)');
const errors = { ...authErrors, 404: problemSchema, 409: problemSchema, 422: problemSchema };

const summarySchema = z
  .object({
    id: z.string(),
    cif: z.string(),
    nameZh: z.string(),
    nameLatin: z.string(),
    tier: z.enum(tiers),
    language: z.enum(languages),
    primaryPhone: z.string().nullable(),
    cards: z.array(z.string()).describe('masked to the last four digits'),
  })
  .meta({ id: 'CustomerSummary' });

const profileSchema = z
  .object({
    id: z.string(),
    cif: z.string(),
    nameZh: z.string(),
    nameLatin: z.string(),
    language: z.enum(languages),
    tier: z.enum(tiers),
    phones: z.array(z.object({ number: z.string(), label: z.string(), primary: z.boolean() })),
    emails: z.array(z.string()),
    consent: z.object({ voice: z.boolean(), sms: z.boolean(), email: z.boolean() }),
    doNotCall: z.boolean(),
    tags: z.array(z.string()),
    lastContactAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'CustomerProfile' });

const timelineEntrySchema = z
  .object({
    id: z.string(),
    channel: z.enum(contactChannels),
    direction: z.enum(['inbound', 'outbound']),
    at: z.number().int(),
    interactionId: z.string().nullable(),
    agentId: z.string().nullable(),
    summary: z.string(),
    outcome: z.string().nullable(),
  })
  .meta({ id: 'TimelineEntry' });

const noteSchema = z
  .object({
    id: z.string(),
    caseId: z.string().nullable(),
    author: z.string(),
    body: z.string(),
    at: z.number().int(),
  })
  .meta({ id: 'Note' });

const caseSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    subject: z.string(),
    category: z.string(),
    status: z.enum(caseStatuses),
    priority: z.enum(casePriorities),
    slaDueAt: z.number().int(),
    breached: z.boolean().describe('unresolved past its SLA'),
    assignee: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    resolvedAt: z.number().int().nullable(),
  })
  .meta({ id: 'Case' });

const caseDetailSchema = caseSchema
  .extend({
    history: z.array(
      z.object({
        at: z.number().int(),
        actor: z.string(),
        action: z.string(),
        from: z.string().nullable(),
        to: z.string().nullable(),
        note: z.string().nullable(),
      }),
    ),
    notes: z.array(noteSchema),
  })
  .meta({ id: 'CaseDetail' });

const offerSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    pitch: z.string(),
    priority: z.number().int(),
    conditions: segmentFilterSchema,
    active: z.boolean(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Offer' });

const segmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    filter: segmentFilterSchema,
    createdBy: z.string(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Segment' });

const membersSchema = z
  .object({ count: z.number().int(), customers: z.array(summarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SegmentMembers' });

const view360Schema = z
  .object({
    profile: profileSchema,
    products: z.array(z.enum(products)),
    accounts: z.array(accountSchema),
    cards: z.array(cardSchema),
    pin: pinStatusSchema,
    timeline: z.array(timelineEntrySchema),
    openCases: z.array(caseSchema),
    notes: z.array(noteSchema),
    offers: z.array(offerSchema).describe('next-best offers, best first'),
  })
  .meta({ id: 'Customer360' });

const segmentInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(500).default(''),
  filter: segmentFilterSchema,
});

const offerInput = z.strictObject({
  code: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,39}$/, 'upper-case letters, digits and dashes'),
  name: z.string().trim().min(1).max(100),
  pitch: z.string().trim().min(1).max(1000),
  priority: z.number().int().min(0).max(1000),
  conditions: segmentFilterSchema,
  active: z.boolean().default(true),
});

function actorOf(request: FastifyRequest, interaction?: string | null): Actor {
  return { id: requireSession(request).user.id, interactionId: interaction ?? null, ip: request.ip };
}

/**
 * The CRM over HTTP. For agents: customer search (by phone, name, account, card or customer
 * number; cards masked to the last four digits), the 360° view, profile and consent changes,
 * timeline, notes, tags and cases. For admins: segments and next-best-offer rules.
 */
export function crmRoutes(deps: CrmRoutesDeps): FastifyPluginAsync {
  const { crm, audit } = deps;
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['customers'];

    r.get('/customers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary:
          'Find customers by phone, name (prefix, Latin or Chinese), account number, card number or customer number',
        querystring: z.strictObject({
          phone: z.string().min(3).max(32).optional(),
          name: z.string().min(1).max(100).optional(),
          account: z.string().min(4).max(40).optional(),
          card: z.string().min(12).max(23).optional(),
          cif: z.string().min(1).max(20).optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
          interactionId,
        }),
        response: { 200: z.object({ customers: z.array(summarySchema) }), ...errors },
      },
      handler: async (request) => {
        const q = request.query;
        if (q.card && !isCardNumber(q.card.replace(/[\s-]+/g, ''))) {
          throw crmError('CRM_INVALID', 'a card number is 12–19 digits');
        }
        const customers = await crm.search({
          ...(q.phone ? { phone: q.phone } : {}),
          ...(q.name ? { name: q.name } : {}),
          ...(q.account ? { accountNumber: q.account } : {}),
          ...(q.card ? { cardNumber: q.card } : {}),
          ...(q.cif ? { cif: q.cif } : {}),
          ...(q.limit ? { limit: q.limit } : {}),
        });
        // What was searched by is audited, never the value: a card number must not reach the trail.
        const by = q.phone ? 'phone' : q.card ? 'card' : q.account ? 'account' : q.cif ? 'cif' : 'name';
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'crm.customer.search',
          target: null,
          outcome: 'success',
          ip: request.ip,
          details: { by, results: customers.length, interactionId: q.interactionId ?? null },
        });
        return { customers };
      },
    });

    r.get('/customers/:id', {
      config: { access: anyRole },
      schema: {
        tags,
        summary:
          'The 360° view: profile, products, accounts, cards, timeline, cases, notes, next-best offers',
        params,
        querystring: z.strictObject({ interactionId }),
        response: { 200: view360Schema, ...errors },
      },
      handler: async (request) =>
        jsonMoney(await crm.view(request.params.id, actorOf(request, request.query.interactionId))),
    });

    r.patch('/customers/:id', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Change the profile: language, tier, e-mails, marketing consent, do-not-call (audited)',
        params,
        body: z.strictObject({
          language: z.enum(languages).optional(),
          tier: z.enum(tiers).optional(),
          emails: z.array(z.email()).max(5).optional(),
          consent: z
            .strictObject({
              voice: z.boolean().optional(),
              sms: z.boolean().optional(),
              email: z.boolean().optional(),
            })
            .optional(),
          doNotCall: z.boolean().optional(),
          interactionId,
        }),
        response: { 200: profileSchema, ...errors },
      },
      handler: async (request) => {
        const { interactionId: interaction, ...patch } = request.body;
        return crm.updateProfile(request.params.id, patch, actorOf(request, interaction));
      },
    });

    r.get('/customers/:id/offers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Next-best offers the customer qualifies for, best first',
        params,
        response: { 200: z.object({ offers: z.array(offerSchema) }), ...errors },
      },
      handler: async (request) => ({ offers: await crm.offersFor(request.params.id) }),
    });

    r.get('/customers/:id/timeline', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Contacts across channels, newest first',
        params,
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(200).optional(),
          cursor: z.string().max(200).optional(),
        }),
        response: {
          200: z.object({ items: z.array(timelineEntrySchema), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
      handler: async (request) =>
        crm.timeline(request.params.id, {
          ...(request.query.limit ? { limit: request.query.limit } : {}),
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    });

    r.post('/customers/:id/timeline', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Log a contact on the timeline',
        params,
        body: z.strictObject({
          channel: z.enum(contactChannels),
          direction: z.enum(['inbound', 'outbound']),
          summary: z.string().min(1).max(500),
          outcome: z.string().max(100).optional(),
          at: z.number().int().optional(),
          interactionId,
        }),
        response: { 201: timelineEntrySchema, ...errors },
      },
      handler: async (request, reply) => {
        const b = request.body;
        const entry = await crm.logInteraction(
          request.params.id,
          {
            channel: b.channel,
            direction: b.direction,
            summary: b.summary,
            outcome: b.outcome ?? null,
            ...(b.at !== undefined ? { at: b.at } : {}),
            interactionId: b.interactionId ?? null,
          },
          actorOf(request, b.interactionId),
        );
        return reply.code(201).send(entry);
      },
    });

    r.get('/customers/:id/notes', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Notes, newest first',
        params,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional() }),
        response: { 200: z.object({ notes: z.array(noteSchema) }), ...errors },
      },
      handler: async (request) => ({ notes: await crm.notes(request.params.id, request.query.limit) }),
    });

    r.post('/customers/:id/notes', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Add a note (optionally on one of the customer’s cases)',
        params,
        body: z.strictObject({ body: z.string().min(1).max(2000), caseId: id.optional(), interactionId }),
        response: { 201: noteSchema, ...errors },
      },
      handler: async (request, reply) => {
        const note = await crm.addNote(
          request.params.id,
          { body: request.body.body, caseId: request.body.caseId ?? null },
          actorOf(request, request.body.interactionId),
        );
        return reply.code(201).send(note);
      },
    });

    const tagParams = z.strictObject({ id, tag: z.string().min(1).max(40) });
    r.put('/customers/:id/tags/:tag', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Tag the customer',
        params: tagParams,
        response: { 200: z.object({ tags: z.array(z.string()) }), ...errors },
      },
      handler: async (request) => ({
        tags: await crm.tag(request.params.id, request.params.tag, actorOf(request)),
      }),
    });

    r.delete('/customers/:id/tags/:tag', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Remove a tag',
        params: tagParams,
        response: { 200: z.object({ tags: z.array(z.string()) }), ...errors },
      },
      handler: async (request) => ({
        tags: await crm.untag(request.params.id, request.params.tag, actorOf(request)),
      }),
    });

    // ---- cases ----
    r.get('/customers/:id/cases', {
      config: { access: anyRole },
      schema: {
        tags: ['cases'],
        summary: "The customer's cases, soonest SLA first",
        params,
        response: { 200: z.object({ cases: z.array(caseSchema) }), ...errors },
      },
      handler: async (request) => ({ cases: await crm.cases({ customerId: request.params.id }) }),
    });

    r.post('/customers/:id/cases', {
      config: { access: anyRole },
      schema: {
        tags: ['cases'],
        summary: 'Open a case; its SLA follows from the priority',
        params,
        body: z.strictObject({
          subject: z.string().min(1).max(200),
          category: z.string().min(1).max(40),
          priority: z.enum(casePriorities),
          assignee: id.nullable().optional(),
          note: z.string().min(1).max(2000).optional(),
          interactionId,
        }),
        response: { 201: caseDetailSchema, ...errors },
      },
      handler: async (request, reply) => {
        const { interactionId: interaction, ...input } = request.body;
        const created = await crm.openCase(request.params.id, input, actorOf(request, interaction));
        return reply.code(201).send(created);
      },
    });

    r.get('/cases', {
      config: { access: anyRole },
      schema: {
        tags: ['cases'],
        summary: 'Cases by assignee ("me" for the caller) and status, soonest SLA first',
        querystring: z.strictObject({
          assignee: z.string().max(64).optional(),
          status: z
            .string()
            .max(100)
            .optional()
            .describe(`comma-separated: ${caseStatuses.join(', ')}`),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
        response: { 200: z.object({ cases: z.array(caseSchema) }), ...errors },
      },
      handler: async (request) => {
        const q = request.query;
        const statuses = q.status?.split(',').map((s) => s.trim());
        for (const s of statuses ?? []) {
          if (!(caseStatuses as readonly string[]).includes(s))
            throw crmError('CRM_INVALID', `unknown case status ${s}`);
        }
        const assignee = q.assignee === 'me' ? requireSession(request).user.id : q.assignee;
        return {
          cases: await crm.cases({
            ...(assignee ? { assignee } : {}),
            ...(statuses ? { statuses: statuses as (typeof caseStatuses)[number][] } : {}),
            ...(q.limit ? { limit: q.limit } : {}),
          }),
        };
      },
    });

    r.get('/cases/:id', {
      config: { access: anyRole },
      schema: {
        tags: ['cases'],
        summary: 'A case with its history and notes',
        params,
        response: { 200: caseDetailSchema, ...errors },
      },
      handler: async (request) => crm.getCase(request.params.id),
    });

    r.patch('/cases/:id', {
      config: { access: anyRole },
      schema: {
        tags: ['cases'],
        summary: 'Change status (along the case life), priority, assignee, or add a note',
        params,
        body: z.strictObject({
          status: z.enum(caseStatuses).optional(),
          priority: z.enum(casePriorities).optional(),
          assignee: id.nullable().optional(),
          note: z.string().min(1).max(2000).optional(),
          interactionId,
        }),
        response: { 200: caseDetailSchema, ...errors },
      },
      handler: async (request) => {
        const { interactionId: interaction, ...patch } = request.body;
        return crm.updateCase(request.params.id, patch, actorOf(request, interaction));
      },
    });

    // ---- admin: segments and offers ----
    r.get('/segments', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'Saved segments',
        response: { 200: z.object({ segments: z.array(segmentSchema) }), ...errors },
      },
      handler: async () => ({ segments: await crm.segments() }),
    });

    r.post('/segments', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'Save a segment (a filter evaluated by the database)',
        body: segmentInput,
        response: { 201: segmentSchema, ...errors },
      },
      handler: async (request, reply) =>
        reply.code(201).send(await crm.saveSegment(request.body, actorOf(request))),
    });

    r.post('/segments/preview', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'Count and list the customers an unsaved filter matches',
        body: z.strictObject({
          filter: segmentFilterSchema,
          limit: z.number().int().min(1).max(100).optional(),
        }),
        response: { 200: membersSchema, ...errors },
      },
      handler: async (request) =>
        crm.members({ filter: request.body.filter }, request.body.limit ? { limit: request.body.limit } : {}),
    });

    r.get('/segments/:id', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'A saved segment',
        params,
        response: { 200: segmentSchema, ...errors },
      },
      handler: async (request) => crm.segment(request.params.id),
    });

    r.put('/segments/:id', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'Change a saved segment',
        params,
        body: segmentInput,
        response: { 200: segmentSchema, ...errors },
      },
      handler: async (request) => crm.saveSegment(request.body, actorOf(request), request.params.id),
    });

    r.delete('/segments/:id', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: 'Delete a segment',
        params,
        response: { 204: z.null(), ...errors },
      },
      handler: async (request, reply) => {
        await crm.deleteSegment(request.params.id, actorOf(request));
        return reply.code(204).send(null);
      },
    });

    r.get('/segments/:id/members', {
      config: { access: adminOnly },
      schema: {
        tags: ['segments'],
        summary: "A segment's customers: the count and a page, by id",
        params,
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(100).optional(),
          cursor: z.string().max(64).optional(),
        }),
        response: { 200: membersSchema, ...errors },
      },
      handler: async (request) =>
        crm.members(
          { segmentId: request.params.id },
          {
            ...(request.query.limit ? { limit: request.query.limit } : {}),
            ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
          },
        ),
    });

    r.get('/offers', {
      config: { access: adminOnly },
      schema: {
        tags: ['offers'],
        summary: 'Next-best-offer rules, highest priority first',
        response: { 200: z.object({ offers: z.array(offerSchema) }), ...errors },
      },
      handler: async () => ({ offers: await crm.offers() }),
    });

    r.post('/offers', {
      config: { access: adminOnly },
      schema: {
        tags: ['offers'],
        summary: 'Add an offer rule: who qualifies (a filter) and what to offer',
        body: offerInput,
        response: { 201: offerSchema, ...errors },
      },
      handler: async (request, reply) =>
        reply.code(201).send(await crm.saveOffer(request.body, actorOf(request))),
    });

    r.put('/offers/:id', {
      config: { access: adminOnly },
      schema: {
        tags: ['offers'],
        summary: 'Change an offer rule',
        params,
        body: offerInput,
        response: { 200: offerSchema, ...errors },
      },
      handler: async (request) => crm.saveOffer(request.body, actorOf(request), request.params.id),
    });

    r.delete('/offers/:id', {
      config: { access: adminOnly },
      schema: {
        tags: ['offers'],
        summary: 'Delete an offer rule',
        params,
        response: { 204: z.null(), ...errors },
      },
      handler: async (request, reply) => {
        await crm.deleteOffer(request.params.id, actorOf(request));
        return reply.code(204).send(null);
      },
    });
  };
}
