import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asId, type CurrencyCode, type EventId } from '../src/core/index';
import { zhAmount } from '../src/ivr/index';
import { EventLog, openStore } from '../src/store/index';

const root = path.resolve(import.meta.dirname, '..');
const phoneBanking = JSON.parse(readFileSync(path.join(root, 'flows', 'phone-banking.json'), 'utf8')) as {
  name: string;
  steps: Record<string, { choices?: Record<string, { goto: string }> }>;
};
const temp = mkdtempSync(path.join(tmpdir(), 'teller-ivr-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `teller …` as a user would (bin/teller.js), on its own data folder, typing `lines` on stdin. */
function teller(dataDir: string, args: string[], lines: string[] = []): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('TELLER_')) env[key] = value;
  }
  env.TELLER_DATA_DIR = dataDir;
  env.TELLER_LOG_LEVEL = 'silent';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'teller.js'), ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    for (const line of lines) child.stdin.write(`${line}\n`);
    child.stdin.end();
  });
}

describe('teller ivr on the command line', () => {
  it('simulates the live demo line from the store on the in-memory bank, keys typed on stdin', {
    timeout: 200_000,
  }, async () => {
    const data = path.join(temp, 'simulate');
    const run = await teller(
      data,
      ['ivr', 'simulate', 'phone-banking', '--lang', 'zh', '--memory-bank'],
      ['1', '1', '123456', '9'],
    );
    expect(run.stderr).toContain('seeded the flows authenticate, agent-verification, phone-banking');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('flow phone-banking v1 (Teller Bank telephone banking (8888))');
    expect(run.stdout).toContain('♪ 请输入六位电话银行密码。');
    expect(run.stdout).toContain('(recording paused while the secret is keyed)');
    expect(run.stdout).toMatch(/♪ 尾号三七零幺的人民币活期账户余额五万二千三百四十五元六角七分/);
    expect(run.stdout).toMatch(/Call ended: self-service — identify → .* → authenticate\/pin → .* → balance/);
    expect(run.stdout).not.toContain('123456');

    const unknown = await teller(data, ['ivr', 'simulate', 'no-such-flow']);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no flow no-such-flow') });
    const badLang = await teller(data, ['ivr', 'simulate', 'phone-banking', '--lang', 'fr']);
    expect(badLang).toMatchObject({ code: 2, stderr: expect.stringContaining('--lang must be zh or en') });
  });

  it('simulates on the bank in the store: the balance from the ledger, three wrong PINs lock the customer there', {
    timeout: 400_000,
  }, async () => {
    const data = path.join(temp, 'real-bank');
    expect((await teller(data, ['seed', '--customers', '2'])).code).toBe(0);
    const store = await openStore({ sqlitePath: path.join(data, 'teller.db') });
    let zhang: { customer_id: string | null; balance: number };
    try {
      const phone = await store.db
        .selectFrom('customer_phones')
        .select('customer_id')
        .where('phone', '=', '13800000001')
        .executeTakeFirstOrThrow();
      zhang = await store.db
        .selectFrom('bank_accounts')
        .select(['customer_id', 'balance'])
        .where('customer_id', '=', phone.customer_id)
        .where('kind', '=', 'current')
        .where('currency', '=', 'CNY')
        .executeTakeFirstOrThrow();
    } finally {
      await store.close();
    }
    // Zhang Wei's language is on his CRM profile: no language menu. 1 balance, the PIN, 9 to end.
    const served = await teller(data, ['ivr', 'simulate', 'phone-banking'], ['1', '123456', '9']);
    expect(served.code).toBe(0);
    expect(served.stdout).toContain('♪ 身份验证成功。');
    expect(served.stdout).toContain(
      `人民币活期账户余额${zhAmount({ minor: Number(zhang.balance), currency: 'CNY' as CurrencyCode }).text}`,
    );
    expect(served.stdout).toContain('Call ended: self-service');

    const locked = await teller(
      data,
      ['ivr', 'simulate', 'phone-banking'],
      ['1', '000000', '000001', '000002'],
    );
    expect(locked.stdout).toContain('→ handed to queue general');
    expect(locked.stdout).toContain('Call ended: agent');
    const again = await teller(data, ['ivr', 'simulate', 'phone-banking'], ['1', '123456']);
    expect(again.stdout).not.toContain('身份验证成功');
    expect(again.stdout).toContain('Call ended: agent');

    const after = await openStore({ sqlitePath: path.join(data, 'teller.db') });
    try {
      const credentials = await after.db
        .selectFrom('bank_credentials')
        .select(['pin_failures', 'pin_locked'])
        .where('customer_id', '=', zhang.customer_id!)
        .executeTakeFirstOrThrow();
      expect(credentials).toEqual({ pin_failures: 3, pin_locked: 1 });
    } finally {
      await after.close();
    }
  });

  it('validates, uploads, simulates a version before it is live, activates and rolls back', {
    timeout: 180_000,
  }, async () => {
    const data = path.join(temp, 'flows');
    const broken = path.join(temp, 'broken.json');
    const menu = phoneBanking.steps['main-menu']!;
    writeFileSync(
      broken,
      JSON.stringify({
        ...phoneBanking,
        steps: {
          ...phoneBanking.steps,
          'main-menu': { ...menu, choices: { ...menu.choices, 1: { goto: 'want-balanse' } } },
        },
      }),
    );
    const invalid = await teller(data, ['ivr', 'flows', 'validate', broken]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe(
      'steps.main-menu.choices.1.goto: unknown step "want-balanse" (did you mean "want-balance"?)\n',
    );
    const yaml = path.join(temp, 'flow.yaml');
    writeFileSync(yaml, 'format: 1\nid: line\n');
    expect(await teller(data, ['ivr', 'flows', 'validate', yaml])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is not JSON'),
    });

    const v2 = path.join(temp, 'v2.json');
    writeFileSync(v2, JSON.stringify({ ...phoneBanking, name: 'Phone banking v2' }));
    expect(await teller(data, ['ivr', 'flows', 'validate', v2])).toMatchObject({
      code: 0,
      stdout: `${v2}: flow phone-banking is valid\n`,
    });
    expect((await teller(data, ['ivr', 'flows', 'upload', v2])).stdout).toBe(
      'phone-banking: saved version 2\n',
    );
    expect((await teller(data, ['ivr', 'flows', 'upload', v2])).stdout).toBe(
      'phone-banking: unchanged, the same as version 2\n',
    );

    const trial = await teller(
      data,
      ['ivr', 'simulate', 'phone-banking', '--version', '2', '--lang', 'en', '--caller', 'none'],
      ['2', 'h'],
    );
    expect(trial.code).toBe(0);
    expect(trial.stdout).toContain('flow phone-banking v2 (Phone banking v2)');
    expect(trial.stdout).toContain('Call ended: hang-up — identify → choose-language');

    expect((await teller(data, ['ivr', 'flows', 'activate', 'phone-banking', '2'])).stdout).toBe(
      'phone-banking: version 2 is live (was 1)\n',
    );
    const listed = await teller(data, ['ivr', 'flows', 'list']);
    expect(listed.stdout.split('\n')).toEqual([
      'FLOW                LATEST  LIVE  NAME',
      'agent-verification       1     1  Verification for an agent',
      'authenticate             1     1  Telephone-banking authentication',
      'phone-banking            2     2  Phone banking v2',
      '',
    ]);
    expect((await teller(data, ['ivr', 'flows', 'rollback', 'phone-banking'])).stdout).toBe(
      'phone-banking: rolled back to version 1 (was 2)\n',
    );
    expect(await teller(data, ['ivr', 'flows', 'rollback', 'phone-banking'])).toMatchObject({
      code: 1,
      stderr: 'teller: flow phone-banking has no earlier live version\n',
    });
    expect(await teller(data, ['ivr', 'flows', 'activate', 'phone-banking', '9'])).toMatchObject({
      code: 1,
      stderr: 'teller: flow phone-banking has no version 9\n',
    });

    const store = await openStore({ sqlitePath: path.join(data, 'teller.db') });
    try {
      const audit = await store.db
        .selectFrom('audit_log')
        .select(['action', 'target', 'details'])
        .where('action', 'like', 'ivr.flow.%')
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => [a.action, a.target, JSON.parse(a.details).version])).toEqual([
        ['ivr.flow.upload', 'phone-banking', 2],
        ['ivr.flow.upload', 'phone-banking', 2],
        ['ivr.flow.activate', 'phone-banking', 2],
        ['ivr.flow.rollback', 'phone-banking', 1],
      ]);
      expect(JSON.parse(audit[0]!.details).via).toMatch(/^cli/);
      const versions = await store.db
        .selectFrom('ivr_flow_versions')
        .select(['version', 'created_by'])
        .where('flow_id', '=', 'phone-banking')
        .orderBy('version')
        .execute();
      expect(versions.map((v) => v.created_by)).toEqual(['system', expect.stringMatching(/^cli/)]);
    } finally {
      await store.close();
    }
  });

  it('prints the containment report from the event log as a table or JSON', {
    timeout: 120_000,
  }, async () => {
    const data = path.join(temp, 'containment');
    expect((await teller(data, ['ivr', 'containment'])).stdout).toBe(
      'no IVR calls in the event log for this period\n',
    );
    const store = await openStore({ sqlitePath: path.join(data, 'teller.db') });
    try {
      const log = new EventLog(store);
      const exits = [
        ['self-service', 'goodbye', null],
        ['self-service', 'goodbye', null],
        ['self-service', 'goodbye', null],
        ['agent', 'agent-queue', 'agent-queue'],
        ['hang-up', 'authenticate/pin', null],
      ] as const;
      await Promise.all(
        exits.map(([outcome, lastStep, handedOverAt], i) =>
          log.append({
            id: asId<EventId>(`cli-ended-${i}`),
            type: 'ivr.session.ended',
            at: Date.UTC(2025, 5, 2, 2, i),
            audience: 'supervisor',
            subjectUserId: null,
            actor: null,
            payload: {
              sessionId: `s${i}`,
              callId: `c${i}`,
              flowId: 'phone-banking',
              flowVersion: 1,
              outcome,
              lastStep,
              handedOverAt,
              path: [],
              services: [],
              durationMs: 1,
              endedBy: 'caller',
            },
          }),
        ),
      );
    } finally {
      await store.close();
    }
    const shown = await teller(data, ['ivr', 'containment']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')).toEqual([
      'FLOW           CALLS  SELF-SERVICE  AGENT  CALLBACK  HANG-UP  FAILED  CONTAINED  TO AGENT  LEFT AT',
      'phone-banking      5             3      1         0        1       0     60.0 %    20.0 %  authenticate/pin (1)',
      '',
    ]);
    const json = await teller(data, ['ivr', 'containment', '--json', '--from', '2025-06-02T02:01:00Z']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      from: Date.UTC(2025, 5, 2, 2, 1),
      to: null,
      calls: 4,
      flows: [
        {
          flowId: 'phone-banking',
          selfService: 2,
          agent: 1,
          hangUp: 1,
          agentFrom: [{ step: 'agent-queue', count: 1 }],
        },
      ],
    });
    expect(await teller(data, ['ivr', 'containment', '--to', 'tomorrow'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--to must be an ISO date or epoch milliseconds'),
    });
  });
});
