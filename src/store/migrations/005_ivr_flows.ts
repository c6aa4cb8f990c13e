import type { Kysely } from 'kysely';
import type { Migration } from '../migrate';

/**
 * IVR flows with their versions and activation log. A saved version is never changed;
 * `ivr_flows` keeps, per flow, the latest version and the live one (derived from the log in
 * the same transaction that appends to it), so the call layer reads what is live in one row.
 */
export const ivrFlows: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('ivr_flows')
      .addColumn('flow_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('latest_version', 'integer', (c) => c.notNull())
      .addColumn('active_version', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ivr_flow_versions')
      .addColumn('flow_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ivr_flow_versions_pk', ['flow_id', 'version'])
      .execute();

    // One row per activation or rollback; `position` numbers a flow's log from 1, so two
    // appends that race on the same position cannot both land.
    await db.schema
      .createTable('ivr_flow_activations')
      .addColumn('flow_id', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ivr_flow_activations_pk', ['flow_id', 'position'])
      .execute();
  },
};
