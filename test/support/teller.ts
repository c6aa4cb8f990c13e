import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { startTeller, type Teller } from '../../src/app/index';
import { loadConfig } from '../../src/config/index';
import { createLogger } from '../../src/core/index';
import { createTestDatabase } from './postgres';
import type { TestDialect } from './stores';

export interface TestTeller extends Teller {
  /** Signs in over HTTP and returns the bearer token. */
  login(username: string, password?: string): Promise<string>;
  /** fetch() against the test server with an optional bearer token and JSON body. */
  call(
    method: string,
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** A whole Teller on a temp data dir and a free port, seeded with the demo users. */
export async function startTestTeller(
  options: { dialect?: TestDialect; dataDir?: string; env?: Record<string, string> } = {},
): Promise<TestTeller> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'teller-test-'));
  const env: Record<string, string> = {
    TELLER_DATA_DIR: dataDir,
    TELLER_HTTP_PORT: '0',
    TELLER_SIP_PORT: '0',
    TELLER_DEMO_CUSTOMERS: '200',
    TELLER_HTTP_HOST: '127.0.0.1',
    TELLER_LOG_LEVEL: 'silent',
    ...options.env,
  };
  if (options.dialect === 'postgres') env.TELLER_DATABASE_URL = await createTestDatabase(inject('pgUrl'));
  const teller = await startTeller(loadConfig(env), {
    logger: createLogger('silent'),
    loginPerAddressPerMinute: 10_000,
  });
  const call: TestTeller['call'] = (method, url, o = {}) =>
    fetch(`${teller.httpUrl}${url}`, {
      method,
      headers: {
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
    });
  return Object.assign(teller, {
    call,
    async login(username: string, password = 'teller-demo') {
      const response = await call('POST', '/api/v1/auth/login', { body: { username, password } });
      if (response.status !== 200)
        throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
  });
}
