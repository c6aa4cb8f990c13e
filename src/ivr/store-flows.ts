import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../core/index';
import type { Store, Tx } from '../store/index';
import { type ContainmentRow, containmentReport } from './containment';
import { ivrError } from './errors';
import { sessionOutcomes } from './events';
import type { Flow } from './flow';
import { promptText } from './prompts';
import {
  type ActivationAction,
  type FlowActivation,
  type FlowEventPublisher,
  FlowRepository,
  type FlowStorage,
  type FlowSummary,
  LiveFlows,
  liveStack,
  type StoredFlow,
} from './repository';

/**
 * The IVR's tables in the store (migration 005_ivr_flows): `StoreFlowStorage` behind the
 * `FlowRepository`, the first-start seed from the `flows/` folder, and the containment report
 * read from the persisted `ivr.session.ended` events. Portable SQL only, so SQLite and
 * PostgreSQL answer the same.
 */

function isUniqueViolation(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const appendAttempts = 5;

export class StoreFlowStorage implements FlowStorage {
  constructor(private readonly store: Store) {}

  async flowIds(): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('ivr_flows')
      .select('flow_id')
      .orderBy('created_at')
      .orderBy('flow_id')
      .execute();
    return rows.map((row) => row.flow_id);
  }

  async summaries(): Promise<FlowSummary[]> {
    const rows = await this.store.db
      .selectFrom('ivr_flows')
      .select(['flow_id', 'name', 'latest_version', 'active_version'])
      .orderBy('created_at')
      .orderBy('flow_id')
      .execute();
    return rows.map((row) => ({
      flowId: row.flow_id,
      name: row.name,
      latest: Number(row.latest_version),
      active: row.active_version === null ? null : Number(row.active_version),
    }));
  }

  async versions(flowId: string): Promise<StoredFlow[]> {
    const rows = await this.store.db
      .selectFrom('ivr_flow_versions')
      .selectAll()
      .where('flow_id', '=', flowId)
      .orderBy('version')
      .execute();
    return rows.map(toStored);
  }

  async version(flowId: string, version: number): Promise<StoredFlow | undefined> {
    const row = await this.store.db
      .selectFrom('ivr_flow_versions')
      .selectAll()
      .where('flow_id', '=', flowId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toStored(row) : undefined;
  }

  async insert(flow: StoredFlow): Promise<void> {
    try {
      await this.store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('ivr_flow_versions')
          .values({
            flow_id: flow.flowId,
            version: flow.version,
            name: flow.flow.name,
            document: JSON.stringify(flow.flow),
            created_by: flow.savedBy,
            created_at: flow.savedAt,
          })
          .execute();
        await tx
          .insertInto('ivr_flows')
          .values({
            flow_id: flow.flowId,
            name: flow.flow.name,
            latest_version: flow.version,
            active_version: null,
            created_at: flow.savedAt,
            updated_at: flow.savedAt,
          })
          .onConflict((oc) =>
            oc.column('flow_id').doUpdateSet({
              name: flow.flow.name,
              latest_version: flow.version,
              updated_at: flow.savedAt,
            }),
          )
          .execute();
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw ivrError(
          'IVR_FLOW_VERSION_TAKEN',
          `flow ${flow.flowId} already has version ${flow.version}`,
          error,
        );
      }
      throw error;
    }
  }

  async activations(flowId: string): Promise<FlowActivation[]> {
    return readActivations(this.store.db, flowId);
  }

  /**
   * Appends to the flow's log at the next position and sets the live version from the whole
   * log, in one transaction. A writer that lost the race for a position (another process
   * appended first) retries at the next one; the log's replay is the same either way.
   */
  async appendActivation(activation: FlowActivation): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.db.transaction().execute((tx) => appendIn(tx, activation));
        return;
      } catch (error) {
        if (attempt < appendAttempts && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }
}

async function appendIn(tx: Tx, activation: FlowActivation): Promise<void> {
  const last = await tx
    .selectFrom('ivr_flow_activations')
    .select((eb) => eb.fn.max('position').as('position'))
    .where('flow_id', '=', activation.flowId)
    .executeTakeFirst();
  await tx
    .insertInto('ivr_flow_activations')
    .values({
      flow_id: activation.flowId,
      position: Number(last?.position ?? 0) + 1,
      version: activation.version,
      action: activation.action,
      actor: activation.by,
      at: activation.at,
    })
    .execute();
  const live = liveStack(await readActivations(tx, activation.flowId)).at(-1) ?? null;
  const updated = await tx
    .updateTable('ivr_flows')
    .set({ active_version: live, updated_at: activation.at })
    .where('flow_id', '=', activation.flowId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    throw ivrError('IVR_FLOW_NOT_FOUND', `no flow ${activation.flowId}`);
  }
}

async function readActivations(db: Store['db'] | Tx, flowId: string): Promise<FlowActivation[]> {
  const rows = await db
    .selectFrom('ivr_flow_activations')
    .selectAll()
    .where('flow_id', '=', flowId)
    .orderBy('position')
    .execute();
  return rows.map((row) => ({
    flowId: row.flow_id,
    version: Number(row.version),
    action: row.action as ActivationAction,
    at: Number(row.at),
    by: row.actor,
  }));
}

function toStored(row: {
  flow_id: string;
  version: number;
  document: string;
  created_by: string;
  created_at: number;
}): StoredFlow {
  return {
    flowId: row.flow_id,
    version: Number(row.version),
    flow: JSON.parse(row.document) as Flow,
    savedAt: Number(row.created_at),
    savedBy: row.created_by,
  };
}

export interface SeedFlowsReport {
  /** Flow ids saved and activated, in the order they were (subflows first); empty when the store had flows. */
  seeded: string[];
}

/**
 * Saves every `*.json` flow of `dir` whose id the store does not have as version 1 and
 * activates it, subflows before the flows that call them. A flow the store has is left alone:
 * the files are the demo's starting point, the store is the system of record after that; a flow
 * a newer release adds (one the store never had) arrives on the next start.
 */
export async function seedFlows(
  repository: FlowRepository,
  dir: string,
  by = 'system',
): Promise<SeedFlowsReport> {
  const stored = new Set((await repository.list()).map((flow) => flow.flowId));
  const documents = new Map<string, unknown>();
  const calls = new Map<string, string[]>();
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, name);
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw ivrError('IVR_FLOW_INVALID', `${file} is not JSON: ${(error as Error).message}`, error);
    }
    const id = (document as { id?: unknown })?.id;
    if (typeof id !== 'string') throw ivrError('IVR_FLOW_INVALID', `${file} has no flow id`);
    if (stored.has(id)) continue;
    documents.set(id, document);
    const steps = Object.values(
      (document as { steps?: Record<string, { type?: unknown; flow?: unknown }> }).steps ?? {},
    );
    calls.set(
      id,
      steps.flatMap((step) => (step?.type === 'subflow' && typeof step.flow === 'string' ? [step.flow] : [])),
    );
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (order.includes(id) || !documents.has(id)) return;
    if (visiting.has(id))
      throw ivrError('IVR_FLOW_INVALID', `flows in ${dir} call each other in a cycle (${id})`);
    visiting.add(id);
    for (const callee of calls.get(id) ?? []) visit(callee);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of documents.keys()) visit(id);
  for (const id of order) {
    const saved = await repository.save(documents.get(id), by);
    await repository.activate(id, saved.version, by);
  }
  return { seeded: order };
}

export interface StoreFlowsOptions {
  store: Store;
  clock: Clock;
  /** The folder of flow files seeded into a store without flows (`flows/`). */
  dir: string;
  /** Forwards `ivr.flow.saved` and `ivr.flow.activated` to the event bus. */
  publish?: FlowEventPublisher;
  /** Where a failed refresh of the live flows goes (the logger); the change itself is stored. */
  reportError: (error: unknown, context: string) => void;
}

/**
 * The flows of a running Teller in one call: the repository on the store (prompts checked
 * against the library), the first-start seed from `dir`, and the live flows for the
 * interpreter, refreshed after every activation or rollback made through this repository (the
 * admin API). Changes made by another process (the CLI) are picked up by `live.refresh()`.
 */
export async function openStoreFlows(
  options: StoreFlowsOptions,
): Promise<{ repository: FlowRepository; live: LiveFlows; seeded: string[] }> {
  let live: LiveFlows | undefined;
  const repository = new FlowRepository(new StoreFlowStorage(options.store), options.clock, {
    promptExists: (id) => promptText(id) !== undefined,
    publish: async (type, payload) => {
      await options.publish?.(type, payload);
      if (type === 'ivr.flow.activated') {
        await live
          ?.refresh()
          .catch((error: unknown) => options.reportError(error, 'refreshing the live IVR flows'));
      }
    },
  });
  const { seeded } = await seedFlows(repository, options.dir);
  live = new LiveFlows(repository);
  await live.refresh();
  return { repository, live, seeded };
}

export interface ContainmentQuery {
  /** Epoch ms, inclusive; the beginning of the log when absent. */
  from?: number | undefined;
  /** Epoch ms, exclusive; now when absent. */
  to?: number | undefined;
  flowId?: string | undefined;
}

export interface ContainmentResult {
  calls: number;
  flows: ContainmentRow[];
}

const pageSize = 1000;

/**
 * The containment report over the `ivr.session.ended` events in the event log, read page by
 * page (index `events_type_seq`). Each call is folded into a count per (flow, outcome, last
 * step, hand-over step) as it is read, so memory grows with the number of distinct exits,
 * not with the number of calls.
 */
export async function readContainment(
  store: Store,
  query: ContainmentQuery = {},
): Promise<ContainmentResult> {
  const exits = new Map<string, { payload: Record<string, unknown>; count: number }>();
  let afterSeq = 0;
  for (;;) {
    let select = store.db
      .selectFrom('events')
      .select(['seq', 'payload'])
      .where('type', '=', 'ivr.session.ended')
      .where('seq', '>', afterSeq);
    if (query.from !== undefined) select = select.where('at', '>=', query.from);
    if (query.to !== undefined) select = select.where('at', '<', query.to);
    const rows = await select.orderBy('seq').limit(pageSize).execute();
    for (const row of rows) {
      const ended = JSON.parse(row.payload) as Record<string, unknown>;
      if (query.flowId !== undefined && ended.flowId !== query.flowId) continue;
      if (!sessionOutcomes.includes(ended.outcome as never)) continue;
      const exit = {
        flowId: ended.flowId,
        flowVersion: ended.flowVersion ?? null,
        outcome: ended.outcome,
        lastStep: ended.lastStep ?? null,
        handedOverAt: ended.handedOverAt ?? null,
      };
      const key = JSON.stringify(exit);
      const held = exits.get(key);
      if (held) held.count++;
      else exits.set(key, { payload: exit, count: 1 });
    }
    if (rows.length < pageSize) break;
    afterSeq = Number(rows[rows.length - 1]!.seq);
  }
  function* replay() {
    for (const { payload, count } of exits.values()) {
      for (let i = 0; i < count; i++) yield { type: 'ivr.session.ended', payload };
    }
  }
  const flows = containmentReport(replay());
  return { calls: flows.reduce((sum, row) => sum + row.calls, 0), flows };
}
