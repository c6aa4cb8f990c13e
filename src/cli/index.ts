/**
 * cli: the `teller` command. In: argv and the environment. Out: a running server (`serve`),
 * an up-to-date schema (`migrate`), demo data (`seed`), an audit check (`audit verify`).
 * It parses and prints; the work itself is done by the modules it calls.
 */
import { Command } from 'commander';
import { simulateAcdCommand } from '../acd/index';
import { demoPassword, demoUsers, openCore, seedDemoUsers, startTeller, type Teller } from '../app/index';
import { ConfigError, loadConfig, type TellerConfig } from '../config/index';
import { createLogger, isTellerError } from '../core/index';
import { seedDemoBank } from '../crm/index';
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
      `  Service number  8888 (sip:8888@${teller.sip.advertisedHost}:${teller.sip.port})`,
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`teller: ${(error as Error).message}\n`);
  process.exit(1);
});
