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
}
