import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // As `npm start` runs Teller (ADR 017): the realtime media workers must not wait on V8's
    // parallel GC helper threads, which run on normal scheduling.
    execArgv: ['--single-threaded-gc'],
    reporters: ['default'],
  },
});
