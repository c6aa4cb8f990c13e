import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTeller, type TestTeller } from './support/teller';

describe('bad input gets a 4xx problem+json and writes nothing', () => {
  let teller: TestTeller;
  let admin: string;
  const userCount = async () =>
    (
      await teller.store.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  beforeAll(async () => {
    teller = await startTestTeller();
    admin = await teller.login('admin');
  });
  afterAll(() => teller.close());

  async function expectProblem(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as { code: string; errors?: { field: string; message: string }[] };
    expect(body.code).toBe(code);
    return body;
  }

  it('malformed JSON → 400 naming the body', async () => {
    const before = await userCount();
    const body = await expectProblem(
      await teller.call('POST', '/api/v1/users', { token: admin, body: '{"username": "x",' }),
      400,
      'API_MALFORMED_JSON',
    );
    expect(body.errors?.[0]?.field).toBe('body');
    expect(await userCount()).toEqual(before);
  });

  it('a body over 1 MiB → 413 problem+json', async () => {
    const before = await userCount();
    const huge = JSON.stringify({
      username: 'agent77',
      displayName: 'x'.repeat(1024 * 1024 + 10),
      role: 'agent',
      password: 'long-enough-pw',
    });
    const body = await expectProblem(
      await teller.call('POST', '/api/v1/users', { token: admin, body: huge }),
      413,
      'API_BODY_TOO_LARGE',
    );
    expect(body.errors?.[0]?.field).toBe('body');
    expect(await userCount()).toEqual(before);
  });

  it('an unknown field → 400 naming it', async () => {
    const before = await userCount();
    const body = await expectProblem(
      await teller.call('POST', '/api/v1/users', {
        token: admin,
        body: {
          username: 'agent78',
          displayName: 'X',
          role: 'agent',
          password: 'long-enough-pw',
          isRoot: true,
        },
      }),
      400,
      'API_INVALID_REQUEST',
    );
    expect(body.errors).toEqual([{ field: 'body.isRoot', message: 'unknown field' }]);
    expect(await userCount()).toEqual(before);
  });

  it('a wrongly typed field → 400 naming it', async () => {
    const before = await userCount();
    const body = await expectProblem(
      await teller.call('POST', '/api/v1/users', {
        token: admin,
        body: { username: 'agent79', displayName: 'X', role: 'boss', password: 12345678901 },
      }),
      400,
      'API_INVALID_REQUEST',
    );
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['body.password', 'body.role']);
    expect(await userCount()).toEqual(before);
  });

  it('a bad query parameter and an unknown route are problems too', async () => {
    await expectProblem(
      await teller.call('GET', '/api/v1/audit?limit=abc', { token: admin }),
      400,
      'API_INVALID_REQUEST',
    );
    await expectProblem(
      await teller.call('GET', '/api/v1/nothing-here', { token: admin }),
      404,
      'API_NOT_FOUND',
    );
  });

  it('checks auth before the body: no session → 401 even for a bad body', async () => {
    await expectProblem(
      await teller.call('POST', '/api/v1/users', { body: '{oops' }),
      401,
      'API_UNAUTHENTICATED',
    );
  });
});

describe('operations endpoints', () => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller();
  });
  afterAll(() => teller.close());

  it('serves the OpenAPI document with the routes of the API', async () => {
    const response = await teller.call('GET', '/api/docs/json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/login', '/api/v1/users', '/api/v1/users/{id}', '/healthz']),
    );
  });

  it('exposes Prometheus metrics: process, HTTP and event log', async () => {
    await teller.call('GET', '/healthz');
    const text = await (await teller.call('GET', '/metrics')).text();
    expect(text).toMatch(/^teller_process_cpu_user_seconds_total /m);
    expect(text).toMatch(
      /^teller_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} [1-9]/m,
    );
    expect(text).toMatch(/^teller_events_appended_total [1-9]/m);
    expect(text).toMatch(/^teller_event_log_head_seq [1-9]/m);
  });

  it('reports health 200 with the store up, and 503 when the store is down', async () => {
    const up = await teller.call('GET', '/healthz');
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: 'ok', components: { store: { status: 'up' } } });
    await teller.store.close();
    const down = await teller.call('GET', '/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      status: 'degraded',
      components: { store: { status: 'down' } },
    });
  });
});
