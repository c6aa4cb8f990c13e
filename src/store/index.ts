/**
 * store: the database. In: a SQLite path or a postgres:// URL. Out: a Kysely handle on one
 * dialect-neutral schema brought up to date by versioned migrations, the persisted event log
 * (core's EventSink) and the hash-chained audit trail. It knows no business rules.
 */
export {
  type AuditEntry,
  type AuditOutcome,
  type AuditRecord,
  AuditTrail,
  type AuditVerification,
} from './audit';
export { EventLog } from './event-log';
export { GroupCommit } from './group-commit';
export { type Dialect, type MigrationReport, migrateToLatest, migrateUpTo } from './migrate';
export type { Database } from './schema';
export type * from './schema-contact-center';
export { type Db, getMeta, openStore, type Store, type StoreOptions, setMeta, type Tx } from './store';
