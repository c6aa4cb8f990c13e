import type { TestProject } from 'vitest/node';
import { startTempPostgres } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the PostgreSQL server for the store suites. */
    pgUrl: string;
  }
}

/**
 * Once per test run: a PostgreSQL server for the suites that run on both dialects. CI (and a
 * developer) may point TELLER_TEST_DATABASE_URL at a running server; otherwise one is started
 * from the Debian packages and stopped at the end.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.TELLER_TEST_DATABASE_URL;
  if (given) {
    project.provide('pgUrl', given);
    return () => undefined;
  }
  const server = await startTempPostgres();
  project.provide('pgUrl', server.url);
  return () => server.stop();
}
