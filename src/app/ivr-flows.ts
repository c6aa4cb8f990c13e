import type { Clock } from '../core/index';
import {
  FlowRepository,
  type FlowStorage,
  LiveFlows,
  MemoryFlowStorage,
  promptText,
  seedFlows,
} from '../ivr/index';

/**
 * The flows the line runs: a flow repository over `storage` — in memory by default, seeded from
 * the `*.json` files of `dir` (subflows first, each activated as version 1); the store-backed
 * `StoreFlowStorage` goes in its place to keep versions and activations across restarts — and
 * the live version of each flow, which sessions resolve synchronously. `LiveFlows.refresh()`
 * picks up an activation or a rollback; a session already running keeps the version it started
 * with. A file that is not a valid flow stops start-up with its name and the first issues.
 */
export async function openFlows(
  dir: string,
  clock: Clock,
  storage: FlowStorage = new MemoryFlowStorage(),
): Promise<LiveFlows> {
  const repository = new FlowRepository(storage, clock, {
    promptExists: (id) => promptText(id) !== undefined,
  });
  await seedFlows(repository, dir, 'flows-directory');
  const live = new LiveFlows(repository);
  await live.refresh();
  return live;
}
