import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { openStore, type Store } from '../../src/store/index';
import { createTestDatabase } from './postgres';

export const dialects = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof dialects)[number];

/** A fresh, empty store of the given dialect: a temp SQLite file, or a new database on the test PostgreSQL. */
export async function freshStore(dialect: TestDialect): Promise<Store> {
  if (dialect === 'postgres') return openStore({ databaseUrl: await createTestDatabase(inject('pgUrl')) });
  const dir = mkdtempSync(path.join(tmpdir(), 'teller-store-'));
  return openStore({ sqlitePath: path.join(dir, 'teller.db') });
}
