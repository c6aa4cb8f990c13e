/**
 * cli: the `teller` command. In: argv and the environment. Out: a running server (`serve`),
 * an up-to-date schema (`migrate`), demo data (`seed`), an audit check (`audit verify`), the
 * IVR's flows, simulator and containment report (`ivr …`). It parses and prints; the work
 * itself is done by the modules it calls.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { simulateAcdCommand } from '../acd/index';
import {
  BankIvrBanking,
  CrmIvrCustomers,
  demoBankHolidays,
  demoPassword,
  demoUsers,
  FetchIvrHttp,
  LoggingIvrSms,
  openCore,
  seedDemoUsers,
  startTeller,
  type Teller,
  type TellerCore,
} from '../app/index';
import { StoreBank } from '../banking/index';
import { ConfigError, loadConfig, type TellerConfig } from '../config/index';
import { createLogger, type DomainEvents, type EventMeta, isTellerError } from '../core/index';
import { StoreCrm, seedDemoBank } from '../crm/index';
import {
  type ContainmentRow,
  createDemoIvrPorts,
  type Flow,
  type FlowRepository,
  HolidayCalendar,
  type IvrPorts,
  isLang,
  ivrError,
  openStoreFlows,
  readContainment,
  simulateIvr,
} from '../ivr/index';
import { setMeta } from '../store/index';

/** Loads the configuration or stops with one line naming the bad key and exit code 2. */
function configOrExit(): TellerConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`teller: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function banner(teller: Teller): string {
  const { config } = teller;
  const agents = demoUsers.filter((u) => u.role === 'agent');
  const lines = [
    '',
    `Teller is running (${teller.store.describe})`,
    `  Web app      ${teller.httpUrl}/`,
    `  REST API     ${teller.httpUrl}/api/v1   (OpenAPI: ${teller.httpUrl}/api/docs)`,
    `  Health       ${teller.httpUrl}/healthz   Metrics: ${teller.httpUrl}/metrics`,
    `  Data         ${config.dataDir}${teller.seeded ? '   (demo data seeded on this first start)' : ''}`,
  ];
  if (config.seedDemo) {
    lines.push(
      '',
      `Demo logins (password "${demoPassword}" for every one):`,
      `  admin        administrator`,
      `  super01      supervisor`,
      `  ${agents[0]!.username}…${agents.at(-1)!.username}  agents (SIP extensions ${agents[0]!.extension}…${agents.at(-1)!.extension})`,
      '',
      'Demo customers (public demo data, see docs/demo.md):',
      '  张伟 Zhang Wei   phone 13800000001  card 6222020000000001  telephone PIN 123456  affluent',
      '  Li Na 李娜       phone 13800000002  card 6222020000000002  telephone PIN 654321  private',
      `  Service number  8888 (sip:8888@${teller.sip.advertisedHost}:${teller.sip.port}) phone banking, zh/en`,
      `  Line test       8889 (a prompt, your keys played back as tones, recorded)`,
    );
  }
  return `${lines.join('\n')}\n\n`;
}

async function serve(): Promise<void> {
  const config = configOrExit();
  const teller = await startTeller(config);
  process.stdout.write(banner(teller));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    teller.logger.info({ signal }, 'shutting down');
    teller
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        teller.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = new Command('teller')
  .description('Teller — the contact center for banks')
  .showHelpAfterError();

program.command('serve').description('start the whole contact center (what `npm start` runs)').action(serve);

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const config = configOrExit();
    const core = await openCore(config, createLogger(config.logLevel));
    process.stdout.write(`schema of ${core.store.describe} is up to date\n`);
    await core.store.close();
  });

program
  .command('seed')
  .description('create the demo data that is missing (runs by itself on the first start)')
  .option('--customers <n>', 'customers of the demo bank (default TELLER_DEMO_CUSTOMERS, 5000)')
  .option('--seed <seed>', 'seed of the demo bank', 'teller-demo')
  .action(async (options: { customers?: string; seed: string }) => {
    const config = configOrExit();
    const customers = options.customers === undefined ? config.demoCustomers : Number(options.customers);
    if (!Number.isSafeInteger(customers) || customers < 2) {
      process.stderr.write(
        `teller: --customers must be a whole number of at least 2 (got "${options.customers}")\n`,
      );
      process.exit(2);
    }
    const core = await openCore(config, createLogger(config.logLevel));
    const report = await seedDemoBank(core.store, {
      customers,
      seed: options.seed,
      onProgress: ({ phase, done, total }) => {
        process.stderr.write(`\rdemo bank (${phase}): ${done} of ${total} customers`);
      },
    });
    process.stderr.write('\n');
    process.stdout.write(`demo bank: ${JSON.stringify(report)}\n`);
    const created = await seedDemoUsers(core.users);
    await setMeta(core.store.db, 'demo_seeded', String(core.clock.now()));
    process.stdout.write(`demo users: ${created} created, ${demoUsers.length - created} already there\n`);
    await core.store.close();
  });

const audit = program.command('audit').description('the audit trail');
audit
  .command('verify')
  .description('check the hash chain of the audit trail; exit code 1 when it was tampered with')
  .action(async () => {
    const config = configOrExit();
    const core = await openCore(config, createLogger(config.logLevel));
    const result = await core.audit.verify((checked) => process.stderr.write(`\rchecked ${checked} entries`));
    process.stderr.write('\n');
    await core.store.close();
    if (result.ok) {
      process.stdout.write(
        `audit trail intact: ${result.count} entries, head ${result.headHash.slice(0, 16)}…\n`,
      );
    } else {
      process.stdout.write(
        `audit trail BROKEN at entry ${result.seq}: ${result.reason} (${result.count} entries verified before it)\n`,
      );
      process.exitCode = 1;
    }
  });

const sim = program.command('sim').description('simulations on virtual time');
sim
  .command('acd')
  .description(
    'run the real ACD engine on a scenario (see docs/acd-scenarios.md) and print per-queue results',
  )
  .requiredOption('--scenario <file>', 'scenario JSON file')
  .option('--seed <n>', 'random seed', '1')
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { scenario: string; seed: string; json?: boolean }) => {
    const seed = Number(options.seed);
    if (!Number.isSafeInteger(seed)) {
      process.stderr.write(`teller: --seed must be an integer (got "${options.seed}")\n`);
      process.exit(2);
    }
    try {
      const text = await simulateAcdCommand({
        scenarioPath: options.scenario,
        seed,
        format: options.json ? 'json' : 'table',
      });
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    } catch (error) {
      if (isTellerError(error)) {
        process.stderr.write(`teller: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
  });

// ---------------------------------------------------------------- ivr

/** The demo line's flow files, seeded into a store that has no flows. */
const flowsDir = path.resolve(import.meta.dirname, '..', '..', 'flows');

/** Stops with one line and exit code `code` (2: bad usage, 1: the operation failed). */
function fail(message: string, code = 1): never {
  process.stderr.write(`teller: ${message}\n`);
  process.exit(code);
}

/** Runs an IVR command on the store; a TellerError (unknown flow, invalid document…) is one line and exit 1. */
async function withFlows(work: (flows: FlowRepository, core: TellerCore) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const core = await openCore(config, createLogger(config.logLevel));
  try {
    const { repository, seeded } = await openStoreFlows({
      store: core.store,
      clock: core.clock,
      dir: flowsDir,
      publish: (type, payload) => core.bus.publish(type, payload, { audience: 'supervisor' }),
      reportError: (error, context) => core.logger.error({ err: error }, context),
    });
    if (seeded.length > 0) process.stderr.write(`seeded the flows ${seeded.join(', ')} from ${flowsDir}\n`);
    await work(repository, core);
  } catch (error) {
    if (!isTellerError(error)) throw error;
    process.stderr.write(`teller: ${error.message}\n`);
    process.exitCode = 1;
  } finally {
    await core.store.close();
  }
}

/** Who made a change from the command line, for the flow's history and the audit trail. */
function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function auditCli(core: TellerCore, action: string, target: string, details: Record<string, unknown>) {
  return core.audit.record({
    actor: 'system',
    action,
    target,
    outcome: 'success',
    details: { ...details, via: cliUser() },
  });
}

/** Reads a flow file (JSON only: Teller has no YAML parser among its dependencies). */
function readFlowFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(`cannot read ${file}: ${(error as Error).message}`, 2);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(`${file} is not JSON (flows are JSON documents): ${(error as Error).message}`);
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function containmentTable(rows: ContainmentRow[]): string {
  if (rows.length === 0) return 'no IVR calls in the event log for this period\n';
  const steps = (counts: { step: string; count: number }[]) =>
    counts
      .slice(0, 3)
      .map((c) => `${c.step} (${c.count})`)
      .join(', ') || '-';
  return table(
    [
      'FLOW',
      'CALLS',
      'SELF-SERVICE',
      'AGENT',
      'CALLBACK',
      'HANG-UP',
      'FAILED',
      'CONTAINED',
      'TO AGENT',
      'LEFT AT',
    ],
    rows.map((r) => [
      r.flowId,
      String(r.calls),
      String(r.selfService),
      String(r.agent),
      String(r.callback),
      String(r.hangUp),
      String(r.failed),
      percent(r.containmentRate),
      percent(r.agentRate),
      steps(r.leftAt),
    ]),
  );
}

/** `--from`/`--to`: epoch milliseconds or an ISO 8601 date or date-time. */
function instant(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(at))
    fail(`--${option} must be an ISO date or epoch milliseconds (got "${value}")`, 2);
  return at;
}

/** The bank's PIN lockout in the simulator: the StoreBank it builds and the IVR's countdown agree on it. */
const simulatorPinFailures = 3;

/**
 * The ports `teller ivr simulate` runs on: the real bank and CRM on the store (channel `ivr`,
 * PIN lockout, limits and idempotency as on the phone; money really moves and is audited),
 * SMS receipts to the log, `fetch` for http steps, the demo holiday calendar. There is no ACD
 * in a terminal: a hand-over or callback is printed and the call ends. With `--memory-bank`,
 * the in-memory demo bank instead (nothing in the store changes but the flows' seed).
 */
async function simulatorPorts(core: TellerCore, memoryBank: boolean): Promise<IvrPorts | undefined> {
  if (memoryBank) return undefined;
  const customersInStore = await core.store.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  if (Number(customersInStore?.n ?? 0) === 0) {
    process.stderr.write(
      'teller: the store has no bank customers; run `teller seed` (or start Teller once) for the demo bank, or use --memory-bank\n',
    );
  }
  const publish = <K extends keyof DomainEvents & string>(
    type: K,
    payload: DomainEvents[K],
    meta: EventMeta,
  ) => core.bus.publish(type, payload, meta);
  const bank = new StoreBank({
    store: core.store,
    clock: core.clock,
    audit: core.audit,
    maxPinFailures: simulatorPinFailures,
    reportError: (error, context) => core.logger.error({ err: error }, `bank: ${context}`),
    publish: (type, payload, meta) => publish(type, payload as DomainEvents[typeof type], meta),
  });
  const crm = new StoreCrm({
    store: core.store,
    clock: core.clock,
    bank,
    audit: core.audit,
    publish: (type, payload, meta) => publish(type, payload as DomainEvents[typeof type], meta),
  });
  const customers = new CrmIvrCustomers(crm);
  // The queue, recording and media of the in-memory set: the simulator prints prompts itself.
  const { ports: terminal } = createDemoIvrPorts(core.clock);
  return {
    ...terminal,
    banking: new BankIvrBanking({
      bank,
      maxPinFailures: simulatorPinFailures,
      customerOf: (customerId) => customers.byId(customerId),
    }),
    customers,
    sms: new LoggingIvrSms(core.logger),
    http: new FetchIvrHttp(),
    calendar: new HolidayCalendar(demoBankHolidays()),
  };
}

/**
 * Writes a stored version and the live versions of the subflows it calls into a temporary
 * folder as `<id>.json`, the layout `simulateIvr` loads (it validates them again on the way in).
 */
async function materialize(
  flows: FlowRepository,
  flowId: string,
  version: number | undefined,
): Promise<{ dir: string; main: string }> {
  const chosen: Flow =
    version === undefined
      ? await liveFlow(flows, flowId, 'pick a saved one with --version (teller ivr flows list)')
      : (await flows.get(flowId, version)).flow;
  const dir = mkdtempSync(path.join(tmpdir(), 'teller-ivr-sim-'));
  const pending: Flow[] = [chosen];
  const written = new Set<string>();
  while (pending.length > 0) {
    const flow = pending.shift()!;
    if (written.has(flow.id)) continue;
    written.add(flow.id);
    writeFileSync(path.join(dir, `${flow.id}.json`), JSON.stringify(flow));
    for (const step of Object.values(flow.steps)) {
      if (step.type !== 'subflow' || written.has(step.flow)) continue;
      pending.push(await liveFlow(flows, step.flow, `${flow.id} calls it`));
    }
  }
  return { dir, main: path.join(dir, `${chosen.id}.json`) };
}

async function liveFlow(flows: FlowRepository, flowId: string, hint: string): Promise<Flow> {
  const live = await flows.active(flowId);
  if (live) return live.flow;
  await flows.history(flowId); // IVR_FLOW_NOT_FOUND for a flow that does not exist at all
  throw ivrError('IVR_FLOW_SUBFLOW_INACTIVE', `flow ${flowId} has no live version; ${hint}`);
}

const ivr = program.command('ivr').description('the self-service line: flows, simulator, containment');

ivr
  .command('simulate')
  .description(
    'walk a flow in the terminal: prompts as text, keys typed and Enter, empty line = silence, h = hang up',
  )
  .argument('<flow>', 'a flow id in the store (its live version) or a flow file')
  .option('--lang <lang>', 'the language the call starts in: zh or en')
  .option('--version <n>', 'a saved version of the flow instead of the live one')
  .option(
    '--caller <number>',
    "the caller's number (default 13800000001, Zhang Wei); 'none' for a withheld number",
  )
  .option('--memory-bank', 'the in-memory demo bank instead of the bank in the store')
  .option('--verbose', 'print every step and event')
  .action(
    async (
      flow: string,
      options: { lang?: string; version?: string; caller?: string; memoryBank?: boolean; verbose?: boolean },
    ) => {
      if (options.lang !== undefined && !isLang(options.lang))
        fail(`--lang must be zh or en (got "${options.lang}")`, 2);
      const version = options.version === undefined ? undefined : Number(options.version);
      if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1)) {
        fail(`--version must be a version number (got "${options.version}")`, 2);
      }
      const isFile = flow.endsWith('.json') || existsSync(flow);
      if (isFile && version !== undefined) fail('--version applies to a flow in the store, not to a file', 2);
      await withFlows(async (flows, core) => {
        const source = isFile ? { dir: null, main: flow } : await materialize(flows, flow, version);
        try {
          const ports = await simulatorPorts(core, options.memoryBank ?? false);
          await simulateIvr({
            flowPath: source.main,
            input: process.stdin,
            output: process.stdout,
            ...(options.lang && isLang(options.lang) ? { lang: options.lang } : {}),
            ...(options.caller !== undefined
              ? { callerNumber: options.caller === 'none' ? null : options.caller }
              : {}),
            ...(ports ? { ports } : {}),
            verbose: options.verbose ?? false,
          });
        } finally {
          // The call can end before the terminal (or pipe) does: stop reading so the process exits.
          process.stdin.destroy();
          if (source.dir) rmSync(source.dir, { recursive: true, force: true });
        }
      });
    },
  );

ivr
  .command('containment')
  .description(
    'per flow: calls finished in self-service, handed to an agent, abandoned or failed, and where callers left',
  )
  .option('--from <when>', 'from this ISO date or epoch ms (inclusive)')
  .option('--to <when>', 'until this ISO date or epoch ms (exclusive)')
  .option('--flow <id>', 'only this flow')
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { from?: string; to?: string; flow?: string; json?: boolean }) => {
    const from = instant('from', options.from);
    const to = instant('to', options.to);
    const config = configOrExit();
    const core = await openCore(config, createLogger(config.logLevel));
    try {
      const report = await readContainment(core.store, { from, to, flowId: options.flow });
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ from: from ?? null, to: to ?? null, ...report }, null, 2)}\n`
          : containmentTable(report.flows),
      );
    } finally {
      await core.store.close();
    }
  });

const flowsCommand = ivr
  .command('flows')
  .description('IVR flows in the store: versions, activation, rollback');

flowsCommand
  .command('list')
  .description('every flow with its newest and live version')
  .action(() =>
    withFlows(async (flows) => {
      const list = await flows.list();
      process.stdout.write(
        table(
          ['FLOW', 'LATEST', 'LIVE', 'NAME'],
          list.map((f) => [f.flowId, String(f.latest), f.active === null ? '-' : String(f.active), f.name]),
        ),
      );
    }),
  );

flowsCommand
  .command('validate')
  .description(
    'check a flow file against the store (subflows must exist); exit 1 with each step path at fault',
  )
  .argument('<file>', 'a flow document (JSON)')
  .action((file: string) =>
    withFlows(async (flows) => {
      const result = await flows.validate(readFlowFile(file));
      if (!result.ok) {
        for (const issue of result.issues) process.stdout.write(`${issue.field}: ${issue.message}\n`);
        process.stderr.write(
          `teller: ${file} is not a valid flow (${result.issues.length} issue${result.issues.length === 1 ? '' : 's'})\n`,
        );
        process.exitCode = 1;
        return;
      }
      for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
      process.stdout.write(`${file}: flow ${result.flow.id} is valid\n`);
    }),
  );

flowsCommand
  .command('upload')
  .description('save a flow file as the next version of its flow (not live until activated)')
  .argument('<file>', 'a flow document (JSON)')
  .option('--activate', 'make the new version live at once')
  .action((file: string, options: { activate?: boolean }) =>
    withFlows(async (flows, core) => {
      const saved = await flows.save(readFlowFile(file), cliUser());
      await auditCli(core, 'ivr.flow.upload', saved.flowId, {
        version: saved.version,
        created: saved.created,
        name: saved.flow.name,
      });
      process.stdout.write(
        saved.created
          ? `${saved.flowId}: saved version ${saved.version}\n`
          : `${saved.flowId}: unchanged, the same as version ${saved.version}\n`,
      );
      if (options.activate) {
        const previous = await flows.activeVersion(saved.flowId);
        await flows.activate(saved.flowId, saved.version, cliUser());
        await auditCli(core, 'ivr.flow.activate', saved.flowId, { version: saved.version, previous });
        process.stdout.write(
          `${saved.flowId}: version ${saved.version} is live (was ${previous ?? 'none'})\n`,
        );
      }
    }),
  );

flowsCommand
  .command('activate')
  .description('make a saved version live')
  .argument('<id>', 'the flow id')
  .argument('<version>', 'the version to make live')
  .action((id: string, versionText: string) => {
    const version = Number(versionText);
    if (!Number.isSafeInteger(version) || version < 1)
      fail(`the version must be a number (got "${versionText}")`, 2);
    return withFlows(async (flows, core) => {
      const previous = await flows.activeVersion(id);
      await flows.activate(id, version, cliUser());
      await auditCli(core, 'ivr.flow.activate', id, { version, previous });
      process.stdout.write(`${id}: version ${version} is live (was ${previous ?? 'none'})\n`);
    });
  });

flowsCommand
  .command('rollback')
  .description('go back to the version that was live before the current one')
  .argument('<id>', 'the flow id')
  .action((id: string) =>
    withFlows(async (flows, core) => {
      const previous = await flows.activeVersion(id);
      const rolled = await flows.rollback(id, cliUser());
      await auditCli(core, 'ivr.flow.rollback', id, { version: rolled.version, previous });
      process.stdout.write(`${id}: rolled back to version ${rolled.version} (was ${previous})\n`);
    }),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`teller: ${(error as Error).message}\n`);
  process.exit(1);
});
