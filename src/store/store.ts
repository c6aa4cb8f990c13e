import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { TellerError } from '../core/index';
import { type Dialect, migrateToLatest } from './migrate';
import type { Database } from './schema';

// PostgreSQL returns BIGINT as a string to be safe; Teller's bigints are epoch milliseconds
// and sequence numbers, far below 2^53, so they are read as numbers on both dialects.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
  return n;
});

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export interface StoreOptions {
  /** A postgres:// URL; when absent, the SQLite file at `sqlitePath`. */
  databaseUrl?: string | undefined;
  sqlitePath?: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** A short description for logs: the SQLite path or the PostgreSQL host/database (never the password). */
  readonly describe: string;
  /**
   * The SQLite database under `db`, for a hot path that keeps its own prepared statements (the
   * event log's inserts). Use it only while holding the one connection (`db.connection()`), so
   * that no Kysely transaction is open on it meanwhile. Absent on PostgreSQL.
   */
  readonly sqlite?: SqliteDatabase.Database;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function openSqlite(file: string): { db: Db; describe: string; sqlite: SqliteDatabase.Database } {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file);
  // WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
  // durable on disk (a bank's write is not "done" until then), see docs/adr/002-store.md.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }),
    describe: `sqlite:${file}`,
    sqlite: database,
  };
}

function openPostgres(url: string, max: number): { db: Db; describe: string } {
  const parsed = new URL(url);
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    describe: `postgres://${parsed.host}${parsed.pathname}`,
  };
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect: Dialect = options.databaseUrl ? 'postgres' : 'sqlite';
  const opened: { db: Db; describe: string; sqlite?: SqliteDatabase.Database } =
    dialect === 'postgres'
      ? openPostgres(options.databaseUrl!, options.maxConnections ?? 10)
      : openSqlite(options.sqlitePath ?? ':memory:');
  const { db, describe } = opened;
  try {
    await migrateToLatest(db as Kysely<unknown>, dialect);
  } catch (error) {
    await db.destroy();
    if (error instanceof TellerError) throw error;
    throw new TellerError(
      'STORE_UNAVAILABLE',
      'unavailable',
      `cannot open ${describe}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let closed = false;
  return {
    db,
    dialect,
    describe,
    ...(opened.sqlite ? { sqlite: opened.sqlite } : {}),
    async ping() {
      if (closed) throw new TellerError('STORE_CLOSED', 'unavailable', 'the store is closed');
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** Reads a value from the `meta` table. */
export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setMeta(db: Db | Tx, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
