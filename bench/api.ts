/**
 * API benchmark: authenticated GET requests per second and p99 latency against a running
 * `teller serve` (its own process), beside a bare Fastify server answering the same route
 * shape in the same run (the ratio is what to compare across machines); then event-log
 * appends per second on SQLite and PostgreSQL.
 *
 *   npm run bench -- api [--duration 10] [--connections 32]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { asId, type EventId } from '../src/core/index';
import { EventLog, openStore, type Store } from '../src/store/index';
import { freePort } from '../test/support/ports';
import { startTempPostgres } from '../test/support/postgres';

const root = path.resolve(import.meta.dirname, '..');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** CPU seconds (user+system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became healthy`);
}

interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  serverCpuSeconds: number;
  generatorCpuSeconds: number;
}

async function load(
  url: string,
  headers: Record<string, string>,
  pid: number,
  duration: number,
  connections: number,
): Promise<LoadResult> {
  const serverBefore = cpuSeconds(pid);
  const genBefore = process.cpuUsage();
  const result = await autocannon({ url, headers, duration, connections, pipelining: 1 });
  const gen = process.cpuUsage(genBefore);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpuSeconds: Math.round((cpuSeconds(pid) - serverBefore) * 100) / 100,
    generatorCpuSeconds: Math.round(((gen.user + gen.system) / 1e6) * 100) / 100,
  };
}

const baselineServer = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/me', async () => ({ user: { id: 'x', username: 'admin', role: 'admin' }, expiresAt: 0 }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

async function appendRate(store: Store, total: number): Promise<number> {
  const log = new EventLog(store);
  const started = performance.now();
  const batch = 1000;
  for (let done = 0; done < total; done += batch) {
    await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        log.append({
          id: asId<EventId>(`bench-${done + i}-${Math.random()}`),
          type: 'bench.event',
          at: Date.now(),
          audience: 'all',
          subjectUserId: null,
          actor: null,
          payload: { i: done + i, note: 'an event of typical size with a few fields' },
        }),
      ),
    );
  }
  return Math.round(total / ((performance.now() - started) / 1000));
}

export default async function bench(args: string[]): Promise<unknown> {
  const duration = option(args, 'duration', 10);
  const connections = option(args, 'connections', 32);

  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-bench-'));
  const teller = spawn(process.execPath, [path.join(root, 'bin', 'teller.js'), 'serve'], {
    env: {
      ...process.env,
      TELLER_DATA_DIR: dataDir,
      TELLER_HTTP_PORT: String(port),
      TELLER_SIP_PORT: '0',
      TELLER_DEMO_CUSTOMERS: '200',
      TELLER_HTTP_HOST: '127.0.0.1',
      TELLER_LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const basePort = await freePort();
  const baseline = spawn(process.execPath, ['--input-type=module', '-e', baselineServer], {
    env: { ...process.env, PORT: String(basePort) },
    cwd: root,
    stdio: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(`${url}/healthz`, teller);
    await waitHealthy(`http://127.0.0.1:${basePort}/me`, baseline);
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'teller-demo' }),
    });
    const { token } = (await login.json()) as { token: string };
    process.stderr.write(`authenticated GET /api/v1/auth/me for ${duration} s…\n`);
    const tellerLoad = await load(
      `${url}/api/v1/auth/me`,
      { authorization: `Bearer ${token}` },
      teller.pid!,
      duration,
      connections,
    );
    process.stderr.write(`baseline bare Fastify GET /me for ${duration} s…\n`);
    const baseLoad = await load(`http://127.0.0.1:${basePort}/me`, {}, baseline.pid!, duration, connections);

    process.stderr.write('event log appends (SQLite)…\n');
    const sqlite = await openStore({ sqlitePath: path.join(dataDir, 'events-bench.db') });
    const sqliteRate = await appendRate(sqlite, 50_000);
    await sqlite.close();
    process.stderr.write('event log appends (PostgreSQL)…\n');
    const pgServer = await startTempPostgres();
    let pgRate: number | null = null;
    try {
      const pg = await openStore({ databaseUrl: pgServer.url });
      pgRate = await appendRate(pg, 50_000);
      await pg.close();
    } finally {
      pgServer.stop();
    }

    return {
      setup: { duration, connections, cores: 2, note: 'load generator shares the 2 cores with the server' },
      authenticatedGet: tellerLoad,
      baselineBareFastify: baseLoad,
      ratioToBaseline: Math.round((tellerLoad.requestsPerSecond / baseLoad.requestsPerSecond) * 1000) / 1000,
      eventsAppendedPerSecond: { sqlite: sqliteRate, postgres: pgRate },
    };
  } finally {
    teller.kill('SIGTERM');
    baseline.kill('SIGTERM');
  }
}
