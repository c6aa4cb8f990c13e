import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, storeHealth } from '../src/api/index';
import { type DomainEvents, type EventBus, RealClock } from '../src/core/index';
import {
  FlowRepository,
  harnessEpoch,
  ivrRoutes,
  promptText,
  StoreFlowStorage,
  seedFlows,
  simulateIvr,
} from '../src/ivr/index';
import { startTestTeller, type TestTeller } from './support/teller';

const flowsDir = path.resolve(import.meta.dirname, '..', 'flows');
const phoneBanking = JSON.parse(readFileSync(path.join(flowsDir, 'phone-banking.json'), 'utf8')) as Record<
  string,
  unknown
> & { steps: Record<string, Record<string, unknown>> };

interface Reply {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

/**
 * The admin API against a whole Teller (its store, users, audit trail and event log). Until
 * the composition root mounts `ivrRoutes`, the suite builds the API with them on the same
 * parts; once it does, it uses Teller's own.
 */
describe('IVR flows and containment through the admin API', () => {
  let teller: TestTeller;
  let api: FastifyInstance;
  let ownApi: FastifyInstance | null = null;
  let admin: string;
  let supervisor: string;
  let agent: string;

  async function call(
    method: 'GET' | 'POST',
    url: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const response = await api.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return {
      status: response.statusCode,
      type: String(response.headers['content-type'] ?? ''),
      body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {},
    };
  }

  beforeAll(async () => {
    teller = await startTestTeller();
    const flows = new FlowRepository(new StoreFlowStorage(teller.store), new RealClock(), {
      promptExists: (id) => promptText(id) !== undefined,
      publish: (type, payload) => teller.bus.publish(type, payload, { audience: 'supervisor' }),
    });
    await seedFlows(flows, flowsDir);
    if (teller.api.hasRoute({ method: 'GET', url: '/api/v1/ivr/flows' })) {
      api = teller.api;
    } else {
      ownApi = await buildApi({
        logger: teller.logger,
        clock: new RealClock(),
        users: teller.users,
        audit: teller.audit,
        eventLog: teller.eventLog,
        bus: teller.bus as EventBus<object>,
        checks: [storeHealth(teller.store)],
        plugins: [ivrRoutes({ flows, audit: teller.audit, store: teller.store })],
        loginPerAddressPerMinute: 10_000,
      });
      api = ownApi;
    }
    const login = async (username: string) => {
      const reply = await call('POST', '/api/v1/auth/login', undefined, {
        username,
        password: 'teller-demo',
      });
      if (reply.status !== 200) throw new Error(`login ${username}: ${reply.status}`);
      return reply.body.token as string;
    };
    admin = await login('admin');
    supervisor = await login('super01');
    agent = await login('agent01');
  });

  afterAll(async () => {
    await ownApi?.close();
    await teller?.close();
  });

  it('lets supervisors and admins read flows, nobody else, and only admins change them', async () => {
    expect((await call('GET', '/api/v1/ivr/flows')).status).toBe(401);
    expect((await call('GET', '/api/v1/ivr/flows', agent)).status).toBe(403);
    expect((await call('GET', '/api/v1/ivr/containment', agent)).status).toBe(403);
    expect((await call('POST', '/api/v1/ivr/flows/validate', agent, phoneBanking)).status).toBe(403);
    expect((await call('POST', '/api/v1/ivr/flows', supervisor, phoneBanking)).status).toBe(403);
    expect(
      (await call('POST', '/api/v1/ivr/flows/phone-banking/activate', supervisor, { version: 1 })).status,
    ).toBe(403);
    expect((await call('POST', '/api/v1/ivr/flows/phone-banking/rollback', supervisor)).status).toBe(403);
    const listed = await call('GET', '/api/v1/ivr/flows', supervisor);
    expect(listed.status).toBe(200);
    expect(listed.body.flows).toEqual([
      { flowId: 'agent-verification', name: 'Verification for an agent', latest: 1, active: 1 },
      { flowId: 'authenticate', name: 'Telephone-banking authentication', latest: 1, active: 1 },
      { flowId: 'phone-banking', name: 'Teller Bank telephone banking (8888)', latest: 1, active: 1 },
    ]);
    const denied = await teller.audit.list({ action: 'access.denied' });
    expect(denied.map((entry) => entry.target)).toEqual(
      expect.arrayContaining(['POST /api/v1/ivr/flows', 'POST /api/v1/ivr/flows/:id/activate']),
    );
  });

  it('shows a flow with its live document, its versions and its activation log', async () => {
    const reply = await call('GET', '/api/v1/ivr/flows/phone-banking', admin);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      flowId: 'phone-banking',
      latest: 1,
      active: 1,
      flow: { id: 'phone-banking', version: 1, start: 'identify' },
      versions: [{ version: 1, savedBy: 'system', live: true }],
      activations: [{ flowId: 'phone-banking', version: 1, action: 'activate', by: 'system' }],
    });
    const version = await call('GET', '/api/v1/ivr/flows/authenticate/versions/1', supervisor);
    expect(version.body).toMatchObject({
      flowId: 'authenticate',
      version: 1,
      live: true,
      flow: { id: 'authenticate' },
    });
    const missing = await call('GET', '/api/v1/ivr/flows/no-such-flow', supervisor);
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect(missing.body.code).toBe('IVR_FLOW_NOT_FOUND');
    expect((await call('GET', '/api/v1/ivr/flows/phone-banking/versions/9', supervisor)).body.code).toBe(
      'IVR_FLOW_VERSION_NOT_FOUND',
    );
  });

  it('validates a document and names the step path of each error', async () => {
    const good = await call('POST', '/api/v1/ivr/flows/validate', supervisor, phoneBanking);
    expect(good).toMatchObject({ status: 200, body: { valid: true, flowId: 'phone-banking', warnings: [] } });

    const mainMenu = phoneBanking.steps['main-menu'] as { choices: Record<string, { goto: string }> };
    const broken = {
      ...phoneBanking,
      steps: {
        ...phoneBanking.steps,
        'main-menu': { ...mainMenu, choices: { ...mainMenu.choices, 1: { goto: 'want-balanse' } } },
        'no-such-prompt': { type: 'play', prompts: ['menu/nothing-here'], next: 'main-menu' },
      },
    };
    const bad = await call('POST', '/api/v1/ivr/flows/validate', supervisor, broken);
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.body.code).toBe('IVR_FLOW_INVALID');
    expect(bad.body.errors).toEqual([
      {
        field: 'steps.main-menu.choices.1.goto',
        message: 'unknown step "want-balanse" (did you mean "want-balance"?)',
      },
      { field: 'steps.no-such-prompt.prompts.0', message: 'no prompt "zh/menu/nothing-here"' },
    ]);
    expect(String(bad.body.detail)).toContain('steps.main-menu.choices.1.goto');

    const notAFlow = await call('POST', '/api/v1/ivr/flows/validate', supervisor, { format: 1, id: 'x' });
    expect(notAFlow.status).toBe(400);
    expect((notAFlow.body.errors as { field: string }[]).map((e) => e.field)).toEqual(
      expect.arrayContaining(['name', 'defaultLanguage', 'start', 'steps']),
    );
    const yaml = await call('POST', '/api/v1/ivr/flows/validate', supervisor, 'format: 1\nid: x\n', {
      'content-type': 'application/yaml',
    });
    expect(yaml).toMatchObject({ status: 415, body: { code: 'API_UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('uploads a version, activates it, rolls back, and audits each change', async () => {
    const v2 = { ...phoneBanking, name: 'Teller Bank telephone banking, v2' };
    const uploaded = await call('POST', '/api/v1/ivr/flows', admin, v2);
    expect(uploaded).toMatchObject({
      status: 201,
      body: { flowId: 'phone-banking', version: 2, created: true, live: false, savedBy: 'admin' },
    });
    const again = await call('POST', '/api/v1/ivr/flows', admin, v2);
    expect(again).toMatchObject({ status: 200, body: { version: 2, created: false } });
    const invalid = await call('POST', '/api/v1/ivr/flows', admin, { ...v2, start: 'identfy' });
    expect(invalid).toMatchObject({
      status: 400,
      body: {
        code: 'IVR_FLOW_INVALID',
        errors: [{ field: 'start', message: 'unknown step "identfy" (did you mean "identify"?)' }],
      },
    });
    expect((await call('GET', '/api/v1/ivr/flows/phone-banking', admin)).body).toMatchObject({
      latest: 2,
      active: 1,
    });

    const activated = await call('POST', '/api/v1/ivr/flows/phone-banking/activate', admin, { version: 2 });
    expect(activated).toMatchObject({
      status: 200,
      body: { flowId: 'phone-banking', version: 2, action: 'activate', previous: 1, by: 'admin' },
    });
    const live = await call('GET', '/api/v1/ivr/flows/phone-banking', supervisor);
    expect(live.body).toMatchObject({
      active: 2,
      flow: { name: 'Teller Bank telephone banking, v2', version: 2 },
    });

    const rolled = await call('POST', '/api/v1/ivr/flows/phone-banking/rollback', admin);
    expect(rolled).toMatchObject({ status: 200, body: { version: 1, action: 'rollback', previous: 2 } });
    expect((await call('GET', '/api/v1/ivr/flows', supervisor)).body.flows).toContainEqual({
      flowId: 'phone-banking',
      name: 'Teller Bank telephone banking, v2',
      latest: 2,
      active: 1,
    });
    const nothing = await call('POST', '/api/v1/ivr/flows/phone-banking/rollback', admin);
    expect(nothing).toMatchObject({ status: 409, body: { code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK' } });
    expect(
      (await call('POST', '/api/v1/ivr/flows/phone-banking/activate', admin, { version: 7 })).status,
    ).toBe(404);
    const badBody = await call('POST', '/api/v1/ivr/flows/phone-banking/activate', admin, { version: 'two' });
    expect(badBody.status).toBe(400);
    expect((badBody.body.errors as { field: string }[])[0]!.field).toBe('body.version');

    const adminUser = (await teller.users.findByUsername('admin'))!;
    const uploads = await teller.audit.list({ action: 'ivr.flow.upload' });
    expect(uploads.map((e) => [e.outcome, e.actor, e.target, e.details])).toEqual([
      ['failure', adminUser.id, 'phone-banking', { code: 'IVR_FLOW_INVALID' }],
      ['success', adminUser.id, 'phone-banking', { version: 2, created: false, name: v2.name }],
      ['success', adminUser.id, 'phone-banking', { version: 2, created: true, name: v2.name }],
    ]);
    expect(
      (await teller.audit.list({ action: 'ivr.flow.activate' })).map((e) => [e.outcome, e.details]),
    ).toEqual([
      ['failure', { code: 'IVR_FLOW_VERSION_NOT_FOUND' }],
      ['success', { version: 2, previous: 1 }],
    ]);
    expect(
      (await teller.audit.list({ action: 'ivr.flow.rollback' })).map((e) => [e.outcome, e.details]),
    ).toEqual([
      ['failure', { code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK' }],
      ['success', { version: 1, previous: 2 }],
    ]);
    const verified = await teller.audit.verify();
    expect(verified.ok).toBe(true);

    const events = await teller.eventLog.readAfter(0, 10_000);
    const changes = events
      .filter((e) => e.type === 'ivr.flow.activated')
      .map((e) => e.payload as { flowId: string; version: number; action: string; previous: number | null })
      .filter((p) => p.flowId === 'phone-banking');
    expect(changes.slice(-2)).toEqual([
      { flowId: 'phone-banking', version: 2, action: 'activate', previous: 1, by: 'admin' },
      { flowId: 'phone-banking', version: 1, action: 'rollback', previous: 2, by: 'admin' },
    ]);
  });

  it('reports containment per flow from the IVR events in the event log', async () => {
    const before = await call('GET', '/api/v1/ivr/containment', supervisor);
    expect(before).toMatchObject({ status: 200, body: { calls: 0, flows: [] } });

    // Real sessions through the interpreter (the demo bank's ports), their events published on Teller's bus.
    const walk = async (lines: string[], callerNumber: string | null = '13800000001') => {
      const input = new PassThrough();
      const output = new PassThrough();
      output.resume();
      const run = simulateIvr({
        flowPath: path.join(flowsDir, 'phone-banking.json'),
        input,
        output,
        start: harnessEpoch,
        callerNumber,
      });
      for (const line of lines) input.write(`${line}\n`);
      input.end();
      const result = await run;
      for (const event of result.events) {
        await teller.bus.publish(event.type, event.payload as DomainEvents[typeof event.type], {
          audience: 'supervisor',
        });
      }
      return result.outcome;
    };
    const since = Date.now();
    expect(await walk(['1', '1', '123456', '9'])).toBe('self-service');
    expect(await walk(['1', '1', '123456', '9'])).toBe('self-service');
    expect(await walk(['2', '0'])).toBe('agent');
    expect(await walk(['1', '1', 'h'])).toBe('hang-up');

    const report = await call('GET', '/api/v1/ivr/containment', supervisor);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ from: null, to: null, calls: 4 });
    const [row] = report.body.flows as Record<string, unknown>[];
    expect(row).toMatchObject({
      flowId: 'phone-banking',
      calls: 4,
      selfService: 2,
      agent: 1,
      callback: 0,
      hangUp: 1,
      failed: 0,
      containmentRate: 0.5,
      agentRate: 0.25,
      agentFrom: [{ step: 'agent-queue', count: 1 }],
    });
    expect((row!.leftAt as { step: string }[])[0]!.step).toMatch(/^authenticate\//);

    const none = await call('GET', `/api/v1/ivr/containment?to=${since}`, admin);
    expect(none.body).toMatchObject({ to: since, calls: 0, flows: [] });
    const windowed = await call('GET', `/api/v1/ivr/containment?from=${since}&flowId=phone-banking`, admin);
    expect(windowed.body).toMatchObject({ from: since, calls: 4 });
    const bad = await call('GET', '/api/v1/ivr/containment?from=yesterday', admin);
    expect(bad).toMatchObject({ status: 400, body: { code: 'API_INVALID_REQUEST' } });
  });
});
