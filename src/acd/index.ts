/**
 * acd: automatic call distribution. In: queue and agent configuration, agent actions (login,
 * ready, not-ready, accept, decline, release, wrap-up) and contacts to route (enqueue, abandon,
 * callback). Out: routing decisions as domain events through a publisher port, positions and
 * wait estimates, real-time statistics, records for the store and a snapshot to restore from;
 * and a simulator that runs the same engine on virtual time. It never touches the network or
 * the database and never reads the wall clock: time comes from the injected Clock. The one
 * exception is `simulateAcdCommand`, the CLI's entry, which reads the scenario file it is given.
 *
 * Driving it: one `AcdEngine` per process, built with the clock, a publisher (forward to the
 * event bus) and optionally a record port (the store's table of interactions in the ACD).
 * Every method is synchronous; events go out after the call has finished changing state, so a
 * listener may call back in. Methods throw `AcdError` with stable `ACD_*` codes whose `kind`
 * maps to an HTTP status. Configuration inputs have zod schemas (`queueConfigSchema`,
 * `agentConfigSchema`, `enqueueRequestSchema`) for the API to validate bodies with.
 *
 * Recovery: the record port sees `put` whenever an interaction enters the ACD or changes state
 * and `delete` when it leaves; after a restart, `restore(rows)` puts the survivors back where
 * they were and reports the rest closed, with a reason. `snapshot()` gives the same rows (with
 * positions) in one piece.
 */
export { AcdEngine, type AcdEngineOptions, type RestoreOptions, type RestoreResult } from './engine';
export { AcdError, type AcdErrorCode, acdErrorCodes } from './errors';
export type { AcdEvents, AcdPublisher } from './events';
export { type AcdDeskPort, type AcdRoutesOptions, acdRoutes, type QueueEvent } from './routes';
export { type SimulateAcdCommandOptions, simulateAcdCommand } from './sim/command';
export { Random } from './sim/random';
export { parseScenario, type Scenario, type ScenarioInput, scenarioSchema } from './sim/scenario';
export {
  type AcdSimulationQueueResult,
  type AcdSimulationResult,
  formatAcdSimulation,
  runAcdSimulation,
} from './sim/simulator';
export {
  type AcdRecordPort,
  type AcdSnapshot,
  type AgentConfig,
  type AgentConfigInput,
  type AgentState,
  type AgentStateKind,
  type AgentStatistics,
  acdSnapshotSchema,
  agentConfigSchema,
  agentStateKinds,
  type Channel,
  type CustomerTier,
  channels,
  customerTiers,
  type EnqueueRequestInput,
  type EnqueueResult,
  enqueueRequestSchema,
  type InteractionRecord,
  type InteractionState,
  interactionRecordSchema,
  interactionStates,
  type Presence,
  type QueueConfig,
  type QueueConfigInput,
  type QueueId,
  type QueueStatistics,
  queueConfigSchema,
  type RoutingStrategy,
  routingStrategies,
  type WaitEstimate,
} from './types';
