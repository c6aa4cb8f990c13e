import { type Kysely, type Migration as KyselyMigration, Migrator } from 'kysely';
import { TellerError } from '../core/index';
import { foundation } from './migrations/001_foundation';
import { bank } from './migrations/002_bank';
import { contactCenter } from './migrations/003_contact_center';
import { calls } from './migrations/004_calls';
import { ivrFlows } from './migrations/005_ivr_flows';

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
};

export interface MigrationReport {
  applied: string[];
}

/** Applies every migration not yet applied, each in its own transaction. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<MigrationReport> {
  const entries = Object.fromEntries(
    Object.entries(migrations).map(([name, m]): [string, KyselyMigration] => [
      name,
      { up: (tx: Kysely<unknown>) => m.up(tx, dialect) },
    ]),
  );
  const migrator = new Migrator({ db, provider: { getMigrations: async () => entries } });
  const { error, results } = await migrator.migrateToLatest();
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
