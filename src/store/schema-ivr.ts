/**
 * Tables of migration 005_ivr_flows, merged into the one `Database` interface: IVR flows,
 * their immutable versions and the log of activations and rollbacks.
 */
export interface IvrFlowsTable {
  flow_id: string;
  /** The name in the latest version. */
  name: string;
  latest_version: number;
  /** The live version (top of the activation log's stack); null before the first activation. */
  active_version: number | null;
  created_at: number;
  updated_at: number;
}

export interface IvrFlowVersionsTable {
  flow_id: string;
  version: number;
  name: string;
  /** JSON of the validated flow document, `version` set to this version. */
  document: string;
  created_by: string;
  created_at: number;
}

export interface IvrFlowActivationsTable {
  flow_id: string;
  /** 1, 2, 3… within the flow's log. */
  position: number;
  version: number;
  /** activate or rollback. */
  action: string;
  actor: string;
  at: number;
}

declare module './schema' {
  interface Database {
    ivr_flows: IvrFlowsTable;
    ivr_flow_versions: IvrFlowVersionsTable;
    ivr_flow_activations: IvrFlowActivationsTable;
  }
}
