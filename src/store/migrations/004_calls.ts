import type { Kysely } from 'kysely';
import type { Migration } from '../migrate';

/** Call detail records: one row per call through the B2BUA. */
export const calls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('call_records')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sip_call_id', 'text', (c) => c.notNull())
      .addColumn('caller', 'text', (c) => c.notNull())
      .addColumn('callee', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('answered_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('disposition', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('recording_path', 'text')
      .addColumn('interaction_id', 'text')
      .execute();
    await db.schema.createIndex('call_records_started').on('call_records').column('started_at').execute();
  },
};
