import type { Kysely } from 'kysely';
import type { Migration } from '../migrate';

/** Live contacts (interactions), the ACD's recoverable records, and the ACD's configuration. */
export const contactCenter: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('interactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text')
      .addColumn('queue_id', 'text')
      .addColumn('agent_id', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('closed_at', 'bigint')
      .addColumn('close_reason', 'text')
      .execute();
    await db.schema
      .createIndex('interactions_open')
      .on('interactions')
      .columns(['state', 'channel'])
      .execute();
    await db.schema
      .createIndex('interactions_customer')
      .on('interactions')
      .columns(['customer_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('acd_records')
      .addColumn('interaction_id', 'text', (c) => c.primaryKey())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('acd_queues')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('acd_agents')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    // Digest HA1 values (RFC 8760) per digest username and algorithm, derived when the password
    // is set, so SIP authentication never needs the password itself.
    await db.schema.alterTable('users').addColumn('sip_ha1', 'text').execute();
  },
};
