import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { TellerError } from '../core/index';
import { GroupCommit } from './group-commit';
import type { Store } from './store';

export const auditOutcomes = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

export interface AuditEntry {
  /** Who acted: a user id, `anonymous`, or `system`. */
  actor: string | null;
  /** What was attempted, dotted: `auth.login`, `access.denied`, `banking.transfer`, `data.export`. */
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  seq: number;
  at: number;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditVerification =
  | { ok: true; count: number; headHash: string }
  | { ok: false; count: number; seq: number; reason: string };

const genesis = '0'.repeat(64);
const auditLockKey = 7_201_002;
const forbiddenDetailKeys = /^(password|pin|newpin|otp|cardnumber|pan|token)$/i;

function chainHash(prevHash: string, row: Omit<AuditRecord, 'hash' | 'prevHash'>): string {
  const canonical = JSON.stringify([
    row.seq,
    row.at,
    row.actor,
    row.action,
    row.target,
    row.outcome,
    row.ip,
    row.details,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

function assertNoSecrets(details: Record<string, unknown>): void {
  for (const key of Object.keys(details)) {
    if (forbiddenDetailKeys.test(key)) {
      throw new TellerError('STORE_AUDIT_SECRET', 'internal', `audit details must not carry "${key}"`);
    }
  }
}

/**
 * The audit trail of security-relevant actions. Each row's hash covers its content and the
 * previous row's hash, so editing, inserting or removing a row anywhere but the very end
 * breaks the chain, which `verify` reports. The database refuses UPDATE and DELETE
 * (triggers in migration 001); appends are serialized in-process and, on PostgreSQL, by an
 * advisory lock, so the chain has no forks.
 */
export class AuditTrail {
  private readonly commits = new GroupCommit<AuditEntry, AuditRecord>((entries) => this.append(entries));

  constructor(
    private readonly store: Store,
    private readonly clock: { now(): number },
  ) {}

  /** Appends an entry; resolves once it is committed (entries arriving together share a commit). */
  record(entry: AuditEntry): Promise<AuditRecord> {
    try {
      assertNoSecrets(entry.details ?? {});
    } catch (error) {
      return Promise.reject(error);
    }
    return this.commits.submit(entry);
  }

  private async append(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const { db, dialect } = this.store;
    return db.transaction().execute(async (tx) => {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${auditLockKey})`.execute(tx);
      const last = await tx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      let seq = last ? Number(last.seq) : 0;
      let prevHash = last?.hash ?? genesis;
      const records: AuditRecord[] = [];
      for (const entry of entries) {
        const details = entry.details ?? {};
        const base = {
          seq: ++seq,
          at: this.clock.now(),
          actor: entry.actor,
          action: entry.action,
          target: entry.target ?? null,
          outcome: entry.outcome,
          ip: entry.ip ?? null,
          details,
        };
        const hash = chainHash(prevHash, base);
        records.push({ ...base, prevHash, hash });
        prevHash = hash;
      }
      await tx
        .insertInto('audit_log')
        .values(
          records.map(({ prevHash, details, ...row }) => ({
            ...row,
            details: JSON.stringify(details),
            prev_hash: prevHash,
          })),
        )
        .execute();
      return records;
    });
  }

  /** Recent entries, newest first, optionally of one action. */
  async list(options: { action?: string; limit?: number; beforeSeq?: number } = {}): Promise<AuditRecord[]> {
    let query = this.store.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(options.limit ?? 100);
    if (options.action) query = query.where('action', '=', options.action);
    if (options.beforeSeq) query = query.where('seq', '<', options.beforeSeq);
    const rows = await query.execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      actor: r.actor,
      action: r.action,
      target: r.target,
      outcome: r.outcome as AuditOutcome,
      ip: r.ip,
      details: JSON.parse(r.details) as Record<string, unknown>,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  /** Walks the whole chain; the first broken link is reported with its sequence number. */
  async verify(onProgress?: (checked: number) => void): Promise<AuditVerification> {
    let prevHash = genesis;
    let expectedSeq = 1;
    let count = 0;
    for (;;) {
      const rows = await this.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(5000)
        .execute();
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectedSeq)
          return { ok: false, count, seq: expectedSeq, reason: `entry ${expectedSeq} is missing` };
        if (r.prev_hash !== prevHash)
          return { ok: false, count, seq, reason: `entry ${seq} does not follow entry ${seq - 1}` };
        let details: Record<string, unknown>;
        try {
          details = JSON.parse(r.details) as Record<string, unknown>;
        } catch {
          return { ok: false, count, seq, reason: `entry ${seq} has unreadable details` };
        }
        const hash = chainHash(prevHash, {
          seq,
          at: Number(r.at),
          actor: r.actor,
          action: r.action,
          target: r.target,
          outcome: r.outcome as AuditOutcome,
          ip: r.ip,
          details,
        });
        if (hash !== r.hash) return { ok: false, count, seq, reason: `entry ${seq} was altered` };
        prevHash = hash;
        expectedSeq = seq + 1;
        count++;
      }
      onProgress?.(count);
      if (rows.length < 5000) return { ok: true, count, headHash: prevHash };
    }
  }
}
