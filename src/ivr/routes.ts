import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOnly, authErrors, problemSchema, requireSession, supervisorUp } from '../api/index';
import { isTellerError } from '../core/index';
import type { AuditEntry, Store } from '../store/index';
import { activationActions, type FlowRepository, type StoredFlow } from './repository';
import { readContainment } from './store-flows';
import { flowInvalid } from './validate';

export interface IvrRoutesDeps {
  flows: FlowRepository;
  audit: { record(entry: AuditEntry): Promise<unknown> };
  /** The store whose event log holds the `ivr.session.ended` events of the containment report. */
  store: Store;
}

const flowId = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter')
  .describe('the flow id');
const flowParams = z.strictObject({ id: flowId });
const versionParams = z.strictObject({ id: flowId, version: z.coerce.number().int().min(1) });
const errors = { ...authErrors, 404: problemSchema, 409: problemSchema };

const flowDocument = z
  .record(z.string(), z.unknown())
  .describe('a flow document (JSON), as described by docs/ivr-flow.schema.json; YAML is not accepted');
const anyDocument = z.unknown().describe('the validated flow document');

const summarySchema = z
  .object({
    flowId: z.string(),
    name: z.string(),
    latest: z.number().int().describe('the newest version'),
    active: z.number().int().nullable().describe('the live version; null before the first activation'),
  })
  .meta({ id: 'IvrFlowSummary' });

const versionSchema = z.object({
  version: z.number().int(),
  name: z.string(),
  savedAt: z.number().int(),
  savedBy: z.string(),
  live: z.boolean(),
});

const activationSchema = z
  .object({
    flowId: z.string(),
    version: z.number().int(),
    action: z.enum(activationActions),
    at: z.number().int(),
    by: z.string(),
  })
  .meta({ id: 'IvrFlowActivation' });

const stepCount = z.object({ step: z.string(), count: z.number().int() });
const containmentRow = z
  .object({
    flowId: z.string(),
    calls: z.number().int(),
    selfService: z.number().int(),
    agent: z.number().int(),
    callback: z.number().int(),
    hangUp: z.number().int(),
    failed: z.number().int(),
    containmentRate: z.number().describe('share of calls finished in self-service, 0–1'),
    agentRate: z.number().describe('share handed to a person, now or by a callback, 0–1'),
    leftAt: z.array(stepCount).describe('where callers who hung up unserved, or whom the line failed, were'),
    agentFrom: z.array(stepCount).describe('where callers asked for a person'),
  })
  .meta({ id: 'IvrContainmentRow' });

function versionView(stored: StoredFlow, live: number | null) {
  return {
    version: stored.version,
    name: stored.flow.name,
    savedAt: stored.savedAt,
    savedBy: stored.savedBy,
    live: stored.version === live,
  };
}

/**
 * IVR flows over HTTP, for administrators (changes) and supervisors (reading): list, read a
 * flow with its versions and activation log, validate a document (a 400 problem names each
 * step path at fault), upload a new version, activate one, roll back to the version live
 * before; and the containment report from the event log. Every change is audited with the
 * user who made it.
 */
export function ivrRoutes(deps: IvrRoutesDeps): FastifyPluginAsync {
  const { flows, audit, store } = deps;

  /** Runs a change and audits it, as done or as refused (with the error's code). */
  async function audited<T>(
    request: FastifyRequest,
    action: string,
    target: string | null,
    change: () => Promise<T>,
    details: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    const entry = { actor: requireSession(request).user.id, action, target, ip: request.ip };
    let result: T;
    try {
      result = await change();
    } catch (error) {
      await audit.record({
        ...entry,
        outcome: 'failure',
        details: { code: isTellerError(error) ? error.code : 'internal' },
      });
      throw error;
    }
    await audit.record({ ...entry, outcome: 'success', details: details(result) });
    return result;
  }

  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['ivr'];

    r.get('/ivr/flows', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary: 'IVR flows with their newest and live versions',
        response: { 200: z.object({ flows: z.array(summarySchema) }), ...errors },
      },
      handler: async () => ({ flows: await flows.list() }),
    });

    r.get('/ivr/flows/:id', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary: 'A flow: its live document, every version and the log of activations and rollbacks',
        params: flowParams,
        response: {
          200: z.object({
            flowId: z.string(),
            name: z.string(),
            latest: z.number().int(),
            active: z.number().int().nullable(),
            flow: anyDocument.describe('the live document; null before the first activation'),
            versions: z.array(versionSchema),
            activations: z.array(activationSchema),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const { versions, activations } = await flows.history(request.params.id);
        const live = await flows.activeVersion(request.params.id);
        const latest = versions[versions.length - 1]!;
        return {
          flowId: latest.flowId,
          name: latest.flow.name,
          latest: latest.version,
          active: live,
          flow: versions.find((v) => v.version === live)?.flow ?? null,
          versions: versions.map((v) => versionView(v, live)),
          activations,
        };
      },
    });

    r.get('/ivr/flows/:id/versions/:version', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary: 'One saved version of a flow, with its document',
        params: versionParams,
        response: {
          200: versionSchema.extend({ flowId: z.string(), flow: anyDocument }),
          ...errors,
        },
      },
      handler: async (request) => {
        const stored = await flows.get(request.params.id, request.params.version);
        const live = await flows.activeVersion(request.params.id);
        return { flowId: stored.flowId, ...versionView(stored, live), flow: stored.flow };
      },
    });

    r.post('/ivr/flows/validate', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary: 'Check a flow document without saving it (400 names every step path at fault)',
        body: flowDocument,
        response: {
          200: z.object({
            valid: z.literal(true),
            flowId: z.string(),
            warnings: z.array(z.string()).describe('such as steps no step leads to'),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const result = await flows.validate(request.body);
        if (!result.ok) throw flowInvalid(result.issues);
        return { valid: true as const, flowId: result.flow.id, warnings: result.warnings };
      },
    });

    r.post('/ivr/flows', {
      config: { access: adminOnly },
      schema: {
        tags,
        summary:
          'Upload a flow document as its next version (201); an identical document is not stored again (200). Not activated.',
        body: flowDocument,
        response: {
          200: versionSchema.extend({ flowId: z.string(), created: z.literal(false) }),
          201: versionSchema.extend({ flowId: z.string(), created: z.literal(true) }),
          ...errors,
        },
      },
      handler: async (request, reply) => {
        const target = typeof request.body.id === 'string' ? request.body.id : null;
        const saved = await audited(
          request,
          'ivr.flow.upload',
          target,
          () => flows.save(request.body, requireSession(request).user.username),
          (s) => ({ version: s.version, created: s.created, name: s.flow.name }),
        );
        const live = await flows.activeVersion(saved.flowId);
        const view = { flowId: saved.flowId, ...versionView(saved, live) };
        if (saved.created) return reply.code(201).send({ ...view, created: true as const });
        return reply.code(200).send({ ...view, created: false as const });
      },
    });

    r.post('/ivr/flows/:id/activate', {
      config: { access: adminOnly },
      schema: {
        tags,
        summary: 'Make a saved version live (every subflow it calls must be live already)',
        params: flowParams,
        body: z.strictObject({ version: z.number().int().min(1) }),
        response: { 200: activationSchema.extend({ previous: z.number().int().nullable() }), ...errors },
      },
      handler: async (request) => {
        const { id } = request.params;
        const previous = await flows.activeVersion(id);
        const activation = await audited(
          request,
          'ivr.flow.activate',
          id,
          () => flows.activate(id, request.body.version, requireSession(request).user.username),
          (a) => ({ version: a.version, previous }),
        );
        return { ...activation, previous };
      },
    });

    r.post('/ivr/flows/:id/rollback', {
      config: { access: adminOnly },
      schema: {
        tags,
        summary: 'Go back to the version that was live before the current one',
        params: flowParams,
        response: { 200: activationSchema.extend({ previous: z.number().int().nullable() }), ...errors },
      },
      handler: async (request) => {
        const { id } = request.params;
        const previous = await flows.activeVersion(id);
        const activation = await audited(
          request,
          'ivr.flow.rollback',
          id,
          () => flows.rollback(id, requireSession(request).user.username),
          (a) => ({ version: a.version, previous }),
        );
        return { ...activation, previous };
      },
    });

    r.get('/ivr/containment', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary:
          'Containment per flow from the event log: self-service, agent, callback, hang-up and failed calls, and the steps where callers left',
        querystring: z.strictObject({
          from: z.coerce.number().int().min(0).optional().describe('epoch ms, inclusive'),
          to: z.coerce.number().int().min(0).optional().describe('epoch ms, exclusive'),
          flowId: flowId.optional(),
        }),
        response: {
          200: z.object({
            from: z.number().int().nullable(),
            to: z.number().int().nullable(),
            calls: z.number().int(),
            flows: z.array(containmentRow),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const { from, to, flowId: only } = request.query;
        const report = await readContainment(store, { from, to, flowId: only });
        return { from: from ?? null, to: to ?? null, ...report };
      },
    });
  };
}
