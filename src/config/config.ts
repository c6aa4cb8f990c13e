import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/**
 * Every setting, its environment variable and its embedded default. Env wins over the file
 * named by TELLER_CONFIG, which wins over the default.
 */
export const configSchema = z.strictObject({
  httpHost: z.string().min(1).default('0.0.0.0'),
  httpPort: port.default(8080),
  sipHost: z.string().min(1).default('0.0.0.0'),
  sipPort: port.default(5060),
  /** The SIP digest realm; changing it invalidates the stored SIP credentials until passwords are set again. */
  sipRealm: z
    .string()
    .regex(/^[\x21-\x7e]{1,64}$/, 'printable ASCII without spaces')
    .default('teller'),
  /** Comma-separated addresses of SIP trunks (and a front proxy): not challenged, never banned. */
  sipTrustedAddresses: z
    .string()
    .regex(/^[0-9a-fA-F.:,\s]*$/, 'comma-separated IP addresses')
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
  /**
   * `address:port` of the carrier's SIP trunk (UDP) that calls to telephone numbers go to:
   * callbacks to customers, transfers and conferences with outside numbers. Unset: only
   * registered extensions can be called.
   */
  sipOutboundTrunk: z
    .string()
    .regex(/^[0-9A-Za-z.-]+:\d{1,5}$/, 'address:port')
    .transform((v) => {
      const at = v.lastIndexOf(':');
      return { address: v.slice(0, at), port: Number(v.slice(at + 1)) };
    })
    .optional(),
  /**
   * Digest algorithms offered, most preferred first (RFC 8760). Some clients (SIPp, older phones)
   * only read the first challenge and know only MD5: list MD5 first for them.
   */
  sipDigestAlgorithms: z
    .string()
    .default('SHA-256,MD5')
    .transform((v) => v.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(z.enum(['SHA-256', 'SHA-512-256', 'MD5'])).min(1)),
  /** Failed SIP authentications from one address within a minute that ban it for 15 minutes. */
  sipBanAfterFailures: positiveInt.default(10),
  /** Inbound SIP TCP connections one address may hold at once (trusted addresses are exempt). */
  sipTcpMaxConnectionsPerAddress: positiveInt.default(256),
  rtpPortMin: port.default(20000),
  rtpPortMax: port.default(29999),
  /**
   * SCHED_RR priority of the media worker threads (1–99; 0 = normal scheduling), so that a
   * tick is not kept waiting by other work on a busy host. Needs CAP_SYS_NICE (root) and the
   * native RTP I/O; without them the workers run normally and the log says why (ADR 017).
   */
  mediaRealtimePriority: z.coerce.number().int().min(0).max(99).default(10),
  smtpPort: port.default(2525),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for the SQLite file)')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  sessionTtlMinutes: positiveInt.default(12 * 60),
  loginMaxFailures: positiveInt.default(5),
  loginLockMinutes: positiveInt.default(15),
  /** Customers of the demo bank seeded on the first start (the named demo customers come first). */
  demoCustomers: z.coerce.number().int().min(2).max(2_000_000).default(5000),
  seedDemo: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .or(z.boolean())
    .default(true),
});

export type TellerConfig = z.output<typeof configSchema> & { sqlitePath: string };

/** The environment variable for each key. */
export const envNames: Record<keyof z.input<typeof configSchema>, string> = {
  httpHost: 'TELLER_HTTP_HOST',
  httpPort: 'TELLER_HTTP_PORT',
  sipHost: 'TELLER_SIP_HOST',
  sipPort: 'TELLER_SIP_PORT',
  sipRealm: 'TELLER_SIP_REALM',
  sipTrustedAddresses: 'TELLER_SIP_TRUSTED_ADDRESSES',
  sipOutboundTrunk: 'TELLER_SIP_OUTBOUND_TRUNK',
  sipBanAfterFailures: 'TELLER_SIP_BAN_AFTER_FAILURES',
  sipTcpMaxConnectionsPerAddress: 'TELLER_SIP_TCP_MAX_PER_ADDRESS',
  sipDigestAlgorithms: 'TELLER_SIP_DIGEST_ALGORITHMS',
  rtpPortMin: 'TELLER_RTP_PORT_MIN',
  rtpPortMax: 'TELLER_RTP_PORT_MAX',
  mediaRealtimePriority: 'TELLER_MEDIA_REALTIME_PRIORITY',
  smtpPort: 'TELLER_SMTP_PORT',
  dataDir: 'TELLER_DATA_DIR',
  databaseUrl: 'TELLER_DATABASE_URL',
  logLevel: 'TELLER_LOG_LEVEL',
  sessionTtlMinutes: 'TELLER_SESSION_TTL_MINUTES',
  loginMaxFailures: 'TELLER_LOGIN_MAX_FAILURES',
  loginLockMinutes: 'TELLER_LOGIN_LOCK_MINUTES',
  demoCustomers: 'TELLER_DEMO_CUSTOMERS',
  seedDemo: 'TELLER_SEED_DEMO',
};

/** A configuration value that cannot be used; `key` names the variable as the user wrote it. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('TELLER_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the file must hold a JSON object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('TELLER_CONFIG', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads and validates the configuration; throws ConfigError naming the first bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TellerConfig {
  const fromFile = env.TELLER_CONFIG ? readFile(env.TELLER_CONFIG) : {};
  const raw: Record<string, unknown> = { ...fromFile };
  const origin = new Map<string, string>(Object.keys(fromFile).map((k) => [k, `${env.TELLER_CONFIG}: ${k}`]));
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      origin.set(key, name);
    }
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const name = origin.get(key) ?? envNames[key as keyof typeof envNames] ?? (key || 'config');
    const shown = raw[key] === undefined ? '' : ` (got "${String(raw[key])}")`;
    throw new ConfigError(name, `${issue.message}${shown}`);
  }
  const config = result.data;
  if (config.rtpPortMin > config.rtpPortMax) {
    throw new ConfigError(envNames.rtpPortMin, 'must not be above TELLER_RTP_PORT_MAX');
  }
  return { ...config, sqlitePath: path.join(config.dataDir, 'teller.db') };
}
