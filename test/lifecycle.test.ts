import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/ports';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'teller.js');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `teller serve` as its own process and waits until /healthz answers 200. */
async function serve(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      ...process.env,
      TELLER_DATA_DIR: dataDir,
      TELLER_HTTP_PORT: String(port),
      TELLER_SIP_PORT: '0',
      TELLER_DEMO_CUSTOMERS: '200',
      TELLER_HTTP_HOST: '127.0.0.1',
      TELLER_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error(`teller exited ${child.exitCode}: ${text}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { child, url, output: () => text, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`teller did not become healthy: ${text}`);
}

async function login(url: string, username = 'admin', password = 'teller-demo'): Promise<Response> {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

async function token(url: string): Promise<string> {
  return ((await (await login(url)).json()) as { token: string }).token;
}

describe('process lifecycle', { timeout: 120_000 }, () => {
  it('stops with exit code 2 and one line naming the key on a bad configuration', () => {
    const result = spawnSync(process.execPath, [bin, 'serve'], {
      env: {
        ...process.env,
        TELLER_HTTP_PORT: 'eighty',
        TELLER_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'teller-bad-')),
      },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/TELLER_HTTP_PORT/);
  });

  it('seeds on the first start only, prints the demo logins, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-life-'));
    const first = await serve(dataDir);
    expect(first.output()).toContain('demo data seeded');
    expect(first.output()).toContain('teller-demo');
    expect(first.output()).toMatch(/agent01…agent20/);
    // A request in flight when SIGTERM arrives still gets its answer.
    const inFlight = login(first.url);
    await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    expect(await first.exited).toBe(0);

    const second = await serve(dataDir);
    expect(second.output()).not.toContain('demo data seeded');
    const admin = await token(second.url);
    const users = (await (
      await fetch(`${second.url}/api/v1/users`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as { users: unknown[] };
    expect(users.users).toHaveLength(22);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('keeps every acknowledged write, a verifying audit chain and account locks across kill -9', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-kill-'));
    const run = await serve(dataDir);
    const admin = await token(run.url);
    for (let i = 0; i < 5; i++) await login(run.url, 'agent20', 'wrong-password');
    expect((await login(run.url, 'agent20')).status).toBe(403);

    const acknowledged: string[] = [];
    let stop = false;
    let n = 0;
    const writer = async () => {
      while (!stop) {
        const username = `user${n++}`;
        try {
          const r = await fetch(`${run.url}/api/v1/users`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
            body: JSON.stringify({
              username,
              displayName: username,
              role: 'agent',
              password: 'long-enough-pw',
            }),
          });
          if (r.status === 201) acknowledged.push(username);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [writer(), writer(), writer(), writer()];
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await run.exited;

    const again = await serve(dataDir);
    const admin2 = await token(again.url);
    const list = (await (
      await fetch(`${again.url}/api/v1/users`, { headers: { authorization: `Bearer ${admin2}` } })
    ).json()) as {
      users: { username: string }[];
    };
    const present = new Set(list.users.map((u) => u.username));
    expect(acknowledged.filter((u) => !present.has(u))).toEqual([]);
    expect((await login(again.url, 'agent20')).status).toBe(403);
    again.child.kill('SIGTERM');
    await again.exited;

    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify'], {
      env: { ...process.env, TELLER_DATA_DIR: dataDir, TELLER_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    expect(verify.stdout).toMatch(/audit trail intact: \d+ entries/);
    expect(verify.status).toBe(0);
  });

  it('`teller audit verify` exits 1 and names the entry when the trail was tampered with', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teller-tamper-'));
    const env = { ...process.env, TELLER_DATA_DIR: dataDir, TELLER_LOG_LEVEL: 'warn' };
    expect(spawnSync(process.execPath, [bin, 'seed'], { env, encoding: 'utf8' }).status).toBe(0);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dataDir, 'teller.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3").run();
    db.close();
    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify'], { env, encoding: 'utf8' });
    expect(verify.stdout).toMatch(/BROKEN at entry 3: entry 3 was altered/);
    expect(verify.status).toBe(1);
  });
});
