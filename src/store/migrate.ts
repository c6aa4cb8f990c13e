import { type Kysely, type Migration as KyselyMigration, type MigrationResultSet, Migrator } from 'kysely';
import { TellerError } from '../core/index';
import { foundation } from './migrations/001_foundation';
import { bank } from './migrations/002_bank';
import { contactCenter } from './migrations/003_contact_center';
import { calls } from './migrations/004_calls';
import { ivrFlows } from './migrations/005_ivr_flows';
import { eventsIdUnindexed } from './migrations/006_events_id_unindexed';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/**
 * Versioned migrations, in order. A name is never reused or edited once released: a change
 * to the schema is a new entry at the end.
 */
const migrations: Readonly<Record<string, Migration>> = {
  '001_foundation': foundation,
  '002_bank': bank,
  '003_contact_center': contactCenter,
  '004_calls': calls,
  '005_ivr_flows': ivrFlows,
  '006_events_id_unindexed': eventsIdUnindexed,
};

export interface MigrationReport {
  applied: string[];
}

/** Applies every migration not yet applied, each in its own transaction. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<MigrationReport> {
  return migrate(db, dialect, (migrator) => migrator.migrateToLatest());
}

/**
 * Applies the migrations up to and including `name` (tests of a later migration start from the
 * schema before it, with rows in it).
 */
export async function migrateUpTo(
  db: Kysely<unknown>,
  dialect: Dialect,
  name: string,
): Promise<MigrationReport> {
  if (!(name in migrations))
    throw new TellerError('STORE_MIGRATION_UNKNOWN', 'invalid', `no migration named ${name}`);
  return migrate(db, dialect, (migrator) => migrator.migrateTo(name));
}

async function migrate(
  db: Kysely<unknown>,
  dialect: Dialect,
  run: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationReport> {
  const entries = Object.fromEntries(
    Object.entries(migrations).map(([name, m]): [string, KyselyMigration] => [
      name,
      { up: (tx: Kysely<unknown>) => m.up(tx, dialect) },
    ]),
  );
  const { error, results } = await run(
    new Migrator({ db, provider: { getMigrations: async () => entries } }),
  );
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new TellerError(
      'STORE_MIGRATION_FAILED',
      'internal',
      `migration ${failed} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
