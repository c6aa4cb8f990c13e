import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect, Migration } from '../migrate';

/**
 * The bank: customers (CRM profile), the core-banking simulator (double-entry ledger, cards,
 * payees, billers, cheques, FX quotes, orders, positions, idempotency records, daily limit
 * usage, telephone-PIN credentials and verifications) and the CRM's own tables (timeline,
 * notes, cases, tags, segments, offers).
 */
export const bank: Migration = {
  async up(db: Kysely<unknown>, dialect) {
    // Prefix search on names runs as a range scan (`>= 'zhang' and < 'zhang\u{10FFFF}'`); on
    // PostgreSQL that is only right under byte order, hence COLLATE "C" on those columns.
    const byteOrder = (c: ColumnDefinitionBuilder) =>
      dialect === 'postgres' ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull();
    const serial = serialColumn(dialect);

    await db.schema
      .createTable('customers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('cif', 'text', (c) => c.notNull())
      .addColumn('name_zh', 'text', byteOrder)
      .addColumn('name_latin', 'text', (c) => c.notNull())
      .addColumn('search_name', 'text', byteOrder)
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('tier', 'text', (c) => c.notNull())
      .addColumn('emails', 'text', (c) => c.notNull())
      .addColumn('consent_voice', 'integer', (c) => c.notNull())
      .addColumn('consent_sms', 'integer', (c) => c.notNull())
      .addColumn('consent_email', 'integer', (c) => c.notNull())
      .addColumn('do_not_call', 'integer', (c) => c.notNull())
      .addColumn('last_contact_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // Unique indexes rather than constraints on the big tables, so a bulk load can drop them and
    // rebuild (and re-check) them afterwards; the guarantee is the same.
    await db.schema.createIndex('customers_cif').unique().on('customers').column('cif').execute();
    await db.schema.createIndex('customers_search_name').on('customers').column('search_name').execute();
    await db.schema.createIndex('customers_name_zh').on('customers').column('name_zh').execute();
    await db.schema.createIndex('customers_tier').on('customers').column('tier').execute();

    await db.schema
      .createTable('customer_phones')
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('is_primary', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('customer_phones_pk', ['customer_id', 'phone'])
      .execute();
    await db.schema.createIndex('customer_phones_phone').on('customer_phones').column('phone').execute();

    await db.schema
      .createTable('bank_credentials')
      .addColumn('customer_id', 'text', (c) => c.primaryKey().references('customers.id'))
      .addColumn('pin_hash', 'text')
      .addColumn('pin_failures', 'integer', (c) => c.notNull())
      .addColumn('pin_locked', 'integer', (c) => c.notNull())
      .addColumn('pin_locked_at', 'bigint')
      .addColumn('pin_updated_at', 'bigint')
      .execute();

    await db.schema
      .createTable('bank_verifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('otp_hash', 'text')
      .addColumn('otp_expires_at', 'bigint')
      .addColumn('otp_attempts', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('bank_accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('balance', 'bigint', (c) => c.notNull())
      .addColumn('held', 'bigint', (c) => c.notNull())
      .addColumn('overdraft_limit', 'bigint')
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('bank_accounts_number')
      .unique()
      .on('bank_accounts')
      .column('number')
      .execute();
    await db.schema.createIndex('bank_accounts_customer').on('bank_accounts').column('customer_id').execute();

    await db.schema
      .createTable('bank_transactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('interaction_id', 'text')
      .addColumn('idempotency_scope', 'text')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('bank_entries')
      .addColumn('id', serial.type, serial.build)
      .addColumn('transaction_id', 'text', (c) => c.notNull().references('bank_transactions.id'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('bank_accounts.id'))
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('balance_after', 'bigint', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('bank_entries_account_at')
      .on('bank_entries')
      .columns(['account_id', 'at', 'id'])
      .execute();
    await db.schema
      .createIndex('bank_entries_transaction')
      .on('bank_entries')
      .column('transaction_id')
      .execute();

    await db.schema
      .createTable('bank_idempotency')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('bank_limit_usage')
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('used', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('bank_limit_usage_pk', ['customer_id', 'channel', 'day', 'currency'])
      .execute();

    await db.schema
      .createTable('bank_cards')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('bank_accounts.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('pan_hash', 'text', (c) => c.notNull())
      .addColumn('last4', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('holder_name', 'text', (c) => c.notNull())
      .addColumn('expires', 'text', (c) => c.notNull())
      .addColumn('replaces_card_id', 'text')
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .addColumn('status_changed_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('bank_cards_pan').unique().on('bank_cards').column('pan_hash').execute();
    await db.schema.createIndex('bank_cards_customer').on('bank_cards').column('customer_id').execute();

    await db.schema
      .createTable('bank_payees')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('bank_name', 'text', (c) => c.notNull())
      .addColumn('account_number', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('bank_payees_customer').on('bank_payees').column('customer_id').execute();

    await db.schema
      .createTable('bank_billers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull().unique())
      .addColumn('name_zh', 'text', (c) => c.notNull())
      .addColumn('name_en', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull().references('bank_accounts.id'))
      .addColumn('reference_pattern', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('bank_biller_registrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('biller_id', 'text', (c) => c.notNull().references('bank_billers.id'))
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('nickname', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('bank_biller_registrations_customer')
      .on('bank_biller_registrations')
      .column('customer_id')
      .execute();

    await db.schema
      .createTable('bank_bill_payments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('registration_id', 'text', (c) => c.notNull())
      .addColumn('biller_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('bank_bill_payments_customer')
      .on('bank_bill_payments')
      .columns(['customer_id', 'at'])
      .execute();

    await db.schema
      .createTable('bank_cheques')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('cheque_number', 'text', (c) => c.notNull().unique())
      .addColumn('payee_name', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('fee', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('bank_cheques_customer').on('bank_cheques').column('customer_id').execute();

    await db.schema
      .createTable('bank_fx_quotes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('from_account_id', 'text', (c) => c.notNull())
      .addColumn('to_account_id', 'text', (c) => c.notNull())
      .addColumn('from_currency', 'text', (c) => c.notNull())
      .addColumn('to_currency', 'text', (c) => c.notNull())
      .addColumn('rate', 'text', (c) => c.notNull())
      .addColumn('from_amount', 'bigint', (c) => c.notNull())
      .addColumn('to_amount', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('transaction_id', 'text')
      .execute();

    await db.schema
      .createTable('bank_orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addColumn('limit_price', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('fill_price', 'bigint')
      .addColumn('commission', 'bigint', (c) => c.notNull())
      .addColumn('held', 'bigint', (c) => c.notNull())
      .addColumn('transaction_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('bank_orders_customer').on('bank_orders').column('customer_id').execute();
    await db.schema.createIndex('bank_orders_status').on('bank_orders').column('status').execute();

    await db.schema
      .createTable('bank_positions')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addColumn('cost', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('bank_positions_pk', ['account_id', 'symbol'])
      .execute();

    // ---- CRM ----
    await db.schema
      .createTable('crm_holdings')
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('since_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('crm_holdings_pk', ['customer_id', 'product'])
      .execute();

    await db.schema
      .createTable('crm_interactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('interaction_id', 'text')
      .addColumn('agent_id', 'text')
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .execute();
    await db.schema
      .createIndex('crm_interactions_customer_at')
      .on('crm_interactions')
      .columns(['customer_id', 'at'])
      .execute();

    await db.schema
      .createTable('crm_notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('case_id', 'text')
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('crm_notes_customer_at')
      .on('crm_notes')
      .columns(['customer_id', 'at'])
      .execute();

    await db.schema
      .createTable('crm_cases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('priority', 'text', (c) => c.notNull())
      .addColumn('sla_due_at', 'bigint', (c) => c.notNull())
      .addColumn('assignee', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('resolved_at', 'bigint')
      .execute();
    await db.schema.createIndex('crm_cases_customer').on('crm_cases').column('customer_id').execute();
    await db.schema
      .createIndex('crm_cases_assignee_status')
      .on('crm_cases')
      .columns(['assignee', 'status'])
      .execute();

    await db.schema
      .createTable('crm_case_history')
      .addColumn('id', serial.type, serial.build)
      .addColumn('case_id', 'text', (c) => c.notNull().references('crm_cases.id'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('from_value', 'text')
      .addColumn('to_value', 'text')
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('crm_case_history_case').on('crm_case_history').column('case_id').execute();

    await db.schema
      .createTable('crm_tags')
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('crm_tags_pk', ['customer_id', 'tag'])
      .execute();
    await db.schema.createIndex('crm_tags_tag').on('crm_tags').column('tag').execute();

    await db.schema
      .createTable('crm_segments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('filter', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('crm_offers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('pitch', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * An integer key the database hands out. SQLite: INTEGER PRIMARY KEY is the rowid (no
 * AUTOINCREMENT: these rows are never deleted, so ids are never reused anyway, and the
 * sqlite_sequence bookkeeping would slow bulk loads). PostgreSQL: bigserial.
 */
function serialColumn(dialect: Dialect): {
  type: 'integer' | 'bigserial';
  build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
} {
  return dialect === 'postgres'
    ? { type: 'bigserial', build: (c) => c.primaryKey() }
    : { type: 'integer', build: (c) => c.primaryKey() };
}
