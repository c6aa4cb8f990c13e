import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, isTellerError, TellerError } from '../core/index';
import {
  type Flow,
  FlowRepository,
  type FlowResolver,
  type FlowStorage,
  MemoryFlowStorage,
  promptText,
} from '../ivr/index';

/**
 * The flows the line runs: the live version of each flow in a `FlowRepository`, held in memory
 * because a session resolves subflows synchronously. `refresh()` re-reads them after an
 * activation or a rollback (the admin API calls it); a session already running keeps the
 * version it started with.
 */
export class LiveFlows implements FlowResolver {
  private live = new Map<string, Flow>();

  constructor(readonly repository: FlowRepository) {}

  get(flowId: string): Flow | undefined {
    return this.live.get(flowId);
  }

  async refresh(): Promise<void> {
    const live = new Map<string, Flow>();
    for (const summary of await this.repository.list()) {
      if (summary.active === null) continue;
      live.set(summary.flowId, (await this.repository.get(summary.flowId, summary.active)).flow);
    }
    this.live = live;
  }
}

const savedBy = 'flows-directory';

/**
 * Opens the flow repository over `storage` (in memory by default; the store-backed storage
 * goes here) and saves every `*.json` flow of `dir` into it. Saving an unchanged file adds no
 * version. A flow with no live version gets the file's version activated — subflows first,
 * since a flow may only go live once the flows it calls are; a flow an operator has activated
 * (or rolled back) keeps that version even when the file changes. A file that is not a valid
 * flow stops start-up with its name and the first issues.
 */
export async function openFlows(
  dir: string,
  clock: Clock,
  storage: FlowStorage = new MemoryFlowStorage(),
): Promise<LiveFlows> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const documents = new Map<string, { file: string; document: unknown }>();
  for (const name of files) {
    const file = path.join(dir, name);
    let document: unknown;
    try {
      document = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new TellerError('IVR_FLOW_INVALID', 'invalid', `${file} is not JSON`, { cause: error });
    }
    const id = (document as { id?: unknown }).id;
    documents.set(typeof id === 'string' ? id : name, { file, document });
  }
  const known = new Set(documents.keys());
  const repository = new FlowRepository(storage, clock, {
    promptExists: (id) => promptText(id) !== undefined,
    flowExists: (id) => known.has(id),
  });
  const saved = new Map<string, { version: number; calls: string[] }>();
  for (const [id, { file, document }] of documents) {
    try {
      const stored = await repository.save(document, savedBy);
      const calls = Object.values(stored.flow.steps).flatMap((step) =>
        step.type === 'subflow' ? [step.flow] : [],
      );
      saved.set(id, { version: stored.version, calls });
    } catch (error) {
      if (isTellerError(error))
        throw new TellerError(error.code, error.kind, `${file}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  // Activate in passes: each pass activates what only calls live flows.
  const waiting = new Map<string, { version: number; calls: string[] }>();
  for (const [id, entry] of saved) if ((await repository.active(id)) === null) waiting.set(id, entry);
  while (waiting.size > 0) {
    let progressed = false;
    for (const [id, entry] of waiting) {
      const ready = await Promise.all(
        entry.calls.map(async (called) => !waiting.has(called) && (await repository.active(called)) !== null),
      );
      if (!ready.every(Boolean)) continue;
      await repository.activate(id, entry.version, savedBy);
      waiting.delete(id);
      progressed = true;
    }
    if (!progressed) {
      throw new TellerError(
        'IVR_FLOW_SUBFLOW_INACTIVE',
        'conflict',
        `flows calling each other in a circle cannot go live: ${[...waiting.keys()].join(', ')}`,
      );
    }
  }
  const live = new LiveFlows(repository);
  await live.refresh();
  return live;
}
