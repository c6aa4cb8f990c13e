/**
 * Tables of migration 003_contact_center, merged into the one `Database` interface: live
 * interactions, the ACD's recoverable records and configuration, and users' SIP credentials.
 */
export interface InteractionsTable {
  id: string;
  channel: string;
  direction: string;
  state: string;
  customer_id: string | null;
  queue_id: string | null;
  agent_id: string | null;
  /** JSON object of attached data. */
  data: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  close_reason: string | null;
}

export interface AcdRecordsTable {
  interaction_id: string;
  /** JSON of the ACD's InteractionRecord. */
  record: string;
  updated_at: number;
}

export interface AcdConfigTable {
  /** JSON of the queue or agent configuration. */
  config: string;
  updated_at: number;
}

/** Migration 004_calls: call detail records. */
export interface CallRecordsTable {
  id: string;
  sip_call_id: string;
  caller: string;
  callee: string;
  /** What the dialled number reached: `app:test`, `extension:1002`, `queue:…`, `ivr:…`. */
  route: string;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  /** answered, busy, no-answer, cancelled, failed, rejected. */
  disposition: string | null;
  /** caller, callee or system. */
  ended_by: string | null;
  recording_path: string | null;
  interaction_id: string | null;
}

declare module './schema' {
  interface Database {
    call_records: CallRecordsTable;
    interactions: InteractionsTable;
    acd_records: AcdRecordsTable;
    acd_queues: AcdConfigTable & { id: string };
    acd_agents: AcdConfigTable & { user_id: string };
  }
  interface UsersTable {
    /** JSON: digest username → { algorithm → HA1 } for the SIP realm; null for users without SIP. */
    sip_ha1: string | null;
  }
}
