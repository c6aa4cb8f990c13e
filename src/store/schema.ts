import type { Generated } from 'kysely';

/**
 * The one schema both dialects share. Portable column types only: text, integer, bigint
 * (timestamps are epoch milliseconds, flags are 0/1 integers, JSON is text), so the same
 * queries run on SQLite and PostgreSQL unchanged.
 */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  extension: string | null;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  type: string;
  at: number;
  audience: string;
  subject_user_id: string | null;
  actor: string | null;
  payload: string;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  events: EventsTable;
  audit_log: AuditLogTable;
  meta: MetaTable;
  customers: CustomersTable;
  customer_phones: CustomerPhonesTable;
  bank_credentials: BankCredentialsTable;
  bank_verifications: BankVerificationsTable;
  bank_accounts: BankAccountsTable;
  bank_transactions: BankTransactionsTable;
  bank_entries: BankEntriesTable;
  bank_idempotency: BankIdempotencyTable;
  bank_limit_usage: BankLimitUsageTable;
  bank_cards: BankCardsTable;
  bank_payees: BankPayeesTable;
  bank_billers: BankBillersTable;
  bank_biller_registrations: BankBillerRegistrationsTable;
  bank_bill_payments: BankBillPaymentsTable;
  bank_cheques: BankChequesTable;
  bank_fx_quotes: BankFxQuotesTable;
  bank_orders: BankOrdersTable;
  bank_positions: BankPositionsTable;
  crm_holdings: CrmHoldingsTable;
  crm_interactions: CrmInteractionsTable;
  crm_notes: CrmNotesTable;
  crm_cases: CrmCasesTable;
  crm_case_history: CrmCaseHistoryTable;
  crm_tags: CrmTagsTable;
  crm_segments: CrmSegmentsTable;
  crm_offers: CrmOffersTable;
}

// ---- The bank (migration 002_bank): customers, the core-banking simulator and the CRM. ----
// Amounts are integer minor units of the row's currency; rates are decimal strings.

/** A customer of the bank: the CRM profile. Secrets (the telephone PIN) live in bank_credentials. */
export interface CustomersTable {
  id: string;
  /** The bank's customer number (CIF). */
  cif: string;
  name_zh: string;
  name_latin: string;
  /** Lower-case Latin name, for prefix search. */
  search_name: string;
  language: string;
  tier: string;
  /** JSON array of e-mail addresses. */
  emails: string;
  consent_voice: number;
  consent_sms: number;
  consent_email: number;
  do_not_call: number;
  last_contact_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CustomerPhonesTable {
  customer_id: string;
  phone: string;
  label: string;
  is_primary: number;
}

export interface BankCredentialsTable {
  customer_id: string;
  /** scrypt hash of the telephone-banking PIN; null when none was ever set. */
  pin_hash: string | null;
  pin_failures: number;
  pin_locked: number;
  pin_locked_at: number | null;
  pin_updated_at: number | null;
}

export interface BankVerificationsTable {
  id: string;
  customer_id: string;
  level: string;
  channel: string;
  actor: string;
  created_at: number;
  expires_at: number;
  otp_hash: string | null;
  otp_expires_at: number | null;
  otp_attempts: number;
}

export interface BankAccountsTable {
  id: string;
  /** Null for the bank's own (general-ledger) accounts. */
  customer_id: string | null;
  number: string;
  kind: string;
  currency: string;
  status: string;
  name: string;
  /** Always the sum of the account's entries (kept in the same transaction). */
  balance: number;
  /** Reserved by open orders; available = balance - held. */
  held: number;
  /** How far below zero the balance may go (credit limit, overdraft); null: no limit (bank accounts). */
  overdraft_limit: number | null;
  opened_at: number;
  updated_at: number;
}

export interface BankTransactionsTable {
  id: string;
  customer_id: string | null;
  kind: string;
  description: string;
  channel: string;
  actor: string | null;
  interaction_id: string | null;
  idempotency_scope: string | null;
  at: number;
}

export interface BankEntriesTable {
  id: Generated<number>;
  transaction_id: string;
  account_id: string;
  amount: number;
  currency: string;
  balance_after: number;
  at: number;
}

export interface BankIdempotencyTable {
  /** `<customer id>:<client key>`. */
  scope: string;
  operation: string;
  request_hash: string;
  /** JSON: `{ok: true, value}` or `{ok: false, error: {code, kind, message}}`; '' while in flight. */
  outcome: string;
  created_at: number;
}

export interface BankLimitUsageTable {
  customer_id: string;
  channel: string;
  /** Days since the epoch in the bank's time zone. */
  day: number;
  currency: string;
  used: number;
}

export interface BankCardsTable {
  id: string;
  customer_id: string;
  account_id: string;
  kind: string;
  /** HMAC-SHA256 of the card number: lookups without keeping the number. */
  pan_hash: string;
  last4: string;
  status: string;
  holder_name: string;
  /** `YYYY-MM`. */
  expires: string;
  replaces_card_id: string | null;
  issued_at: number;
  status_changed_at: number;
}

export interface BankPayeesTable {
  id: string;
  customer_id: string;
  name: string;
  bank_name: string;
  account_number: string;
  currency: string;
  created_at: number;
}

export interface BankBillersTable {
  id: string;
  code: string;
  name_zh: string;
  name_en: string;
  category: string;
  currency: string;
  account_id: string;
  reference_pattern: string;
}

export interface BankBillerRegistrationsTable {
  id: string;
  customer_id: string;
  biller_id: string;
  reference: string;
  nickname: string;
  created_at: number;
}

export interface BankBillPaymentsTable {
  id: string;
  transaction_id: string;
  customer_id: string;
  registration_id: string;
  biller_id: string;
  account_id: string;
  reference: string;
  amount: number;
  currency: string;
  at: number;
}

export interface BankChequesTable {
  id: string;
  customer_id: string;
  account_id: string;
  transaction_id: string;
  cheque_number: string;
  payee_name: string;
  amount: number;
  fee: number;
  currency: string;
  status: string;
  requested_at: number;
  updated_at: number;
}

export interface BankFxQuotesTable {
  id: string;
  customer_id: string;
  from_account_id: string;
  to_account_id: string;
  from_currency: string;
  to_currency: string;
  /** Units of to_currency per unit of from_currency, a decimal string. */
  rate: string;
  from_amount: number;
  to_amount: number;
  created_at: number;
  expires_at: number;
  transaction_id: string | null;
}

export interface BankOrdersTable {
  id: string;
  customer_id: string;
  account_id: string;
  symbol: string;
  side: string;
  type: string;
  quantity: number;
  limit_price: number | null;
  status: string;
  fill_price: number | null;
  commission: number;
  held: number;
  transaction_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface BankPositionsTable {
  account_id: string;
  symbol: string;
  quantity: number;
  /** Total cost of the shares held, in the account's minor units. */
  cost: number;
}

export interface CrmHoldingsTable {
  customer_id: string;
  product: string;
  since_at: number;
}

export interface CrmInteractionsTable {
  id: string;
  customer_id: string;
  channel: string;
  direction: string;
  at: number;
  interaction_id: string | null;
  agent_id: string | null;
  summary: string;
  outcome: string | null;
}

export interface CrmNotesTable {
  id: string;
  customer_id: string;
  case_id: string | null;
  author: string;
  body: string;
  at: number;
}

export interface CrmCasesTable {
  id: string;
  customer_id: string;
  subject: string;
  category: string;
  status: string;
  priority: string;
  sla_due_at: number;
  assignee: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface CrmCaseHistoryTable {
  id: Generated<number>;
  case_id: string;
  at: number;
  actor: string;
  action: string;
  from_value: string | null;
  to_value: string | null;
  note: string | null;
}

export interface CrmTagsTable {
  customer_id: string;
  tag: string;
}

export interface CrmSegmentsTable {
  id: string;
  name: string;
  description: string;
  /** JSON of the saved filter. */
  filter: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface CrmOffersTable {
  id: string;
  code: string;
  name: string;
  pitch: string;
  priority: number;
  /** JSON of the filter a customer must match. */
  conditions: string;
  active: number;
  created_at: number;
  updated_at: number;
}
