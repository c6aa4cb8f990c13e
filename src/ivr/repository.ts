import type { Clock } from '../core/index';
import { isTellerError } from '../core/index';
import { ivrError } from './errors';
import type { Flow } from './flow';
import type { FlowResolver } from './session';
import { type FlowValidation, flowInvalid, type ValidateOptions, validateFlow } from './validate';

/**
 * Flow versions and which one is live, over a small storage port. A saved flow is never
 * changed: saving again makes a new version. Activation is a log; the live version is the top
 * of a stack that `activate` pushes and `rollback` truncates, so rolling back twice from v3
 * (after v1 → v2 → v3) lands on v1, as an operator expects.
 *
 * ```
 *  log:    activate 1   activate 2   activate 3   rollback→2   rollback→1
 *  stack:  [1]          [1,2]        [1,2,3]      [1,2]        [1]
 * ```
 *
 * A rollback entry names the version it lands on and truncates the stack down to it, so two
 * operators who roll back at the same moment land on the same version instead of going back
 * twice; activating the version that is already live does not push it again.
 */

export interface StoredFlow {
  flowId: string;
  version: number;
  /** The validated document, with `version` set to this version. */
  flow: Flow;
  savedAt: number;
  savedBy: string;
}

export const activationActions = ['activate', 'rollback'] as const;
export type ActivationAction = (typeof activationActions)[number];

export interface FlowActivation {
  flowId: string;
  version: number;
  action: ActivationAction;
  at: number;
  by: string;
}

export interface FlowSummary {
  flowId: string;
  name: string;
  latest: number;
  active: number | null;
}

/** Where flows live (tables in the store, memory in tests). Implementations keep insertion order. */
export interface FlowStorage {
  flowIds(): Promise<string[]>;
  /** Every flow with its latest and live version, in insertion order. */
  summaries(): Promise<FlowSummary[]>;
  versions(flowId: string): Promise<StoredFlow[]>;
  version(flowId: string, version: number): Promise<StoredFlow | undefined>;
  /** Rejects with IVR_FLOW_VERSION_TAKEN if that version exists (two saves raced). */
  insert(flow: StoredFlow): Promise<void>;
  activations(flowId: string): Promise<FlowActivation[]>;
  appendActivation(activation: FlowActivation): Promise<void>;
}

/** Replays an activation log into the stack of live versions (top = live). */
export function liveStack(log: readonly FlowActivation[]): number[] {
  const stack: number[] = [];
  for (const entry of log) {
    if (entry.action === 'activate') {
      if (stack[stack.length - 1] !== entry.version) stack.push(entry.version);
    } else {
      const at = stack.lastIndexOf(entry.version);
      // A rollback always names a version that was live; a log edited by hand still ends on it.
      if (at >= 0) stack.length = at + 1;
      else stack.push(entry.version);
    }
  }
  return stack;
}

export class MemoryFlowStorage implements FlowStorage {
  private readonly flows = new Map<string, StoredFlow[]>();
  private readonly log = new Map<string, FlowActivation[]>();

  async flowIds(): Promise<string[]> {
    return [...this.flows.keys()];
  }

  async summaries(): Promise<FlowSummary[]> {
    return [...this.flows.entries()].flatMap(([flowId, list]) => {
      const latest = list[list.length - 1];
      if (!latest) return [];
      const stack = liveStack(this.log.get(flowId) ?? []);
      return [{ flowId, name: latest.flow.name, latest: latest.version, active: stack.at(-1) ?? null }];
    });
  }

  async versions(flowId: string): Promise<StoredFlow[]> {
    return [...(this.flows.get(flowId) ?? [])];
  }

  async version(flowId: string, version: number): Promise<StoredFlow | undefined> {
    return this.flows.get(flowId)?.find((stored) => stored.version === version);
  }

  async insert(flow: StoredFlow): Promise<void> {
    const list = this.flows.get(flow.flowId) ?? [];
    if (list.some((stored) => stored.version === flow.version)) {
      throw ivrError('IVR_FLOW_VERSION_TAKEN', `flow ${flow.flowId} already has version ${flow.version}`);
    }
    list.push(flow);
    this.flows.set(flow.flowId, list);
  }

  async activations(flowId: string): Promise<FlowActivation[]> {
    return [...(this.log.get(flowId) ?? [])];
  }

  async appendActivation(activation: FlowActivation): Promise<void> {
    const list = this.log.get(activation.flowId) ?? [];
    list.push(activation);
    this.log.set(activation.flowId, list);
  }
}

/** What changed, for the event bus (audience supervisor) and for caches of live flows. */
export interface FlowEventMap {
  'ivr.flow.saved': { flowId: string; version: number; name: string; savedBy: string };
  'ivr.flow.activated': {
    flowId: string;
    version: number;
    action: ActivationAction;
    /** The version live before; null when none was. */
    previous: number | null;
    by: string;
  };
}

export type FlowEventType = keyof FlowEventMap;
export type FlowEventPublisher = (
  type: FlowEventType,
  payload: FlowEventMap[FlowEventType],
) => Promise<unknown>;

export interface FlowRepositoryOptions extends ValidateOptions {
  /** Told of every saved version and every change of the live version, after it is stored. */
  publish?: FlowEventPublisher;
}

const saveAttempts = 3;

export class FlowRepository {
  private readonly validateOptions: ValidateOptions;
  private readonly publish: FlowEventPublisher | undefined;

  constructor(
    private readonly storage: FlowStorage,
    private readonly clock: Clock,
    options: FlowRepositoryOptions = {},
  ) {
    const { publish, ...validateOptions } = options;
    this.validateOptions = validateOptions;
    this.publish = publish;
  }

  /** Checks a document without saving it. Subflows must exist in the repository. */
  async validate(document: unknown): Promise<FlowValidation> {
    const known = new Set(await this.storage.flowIds());
    return validateFlow(document, {
      ...this.validateOptions,
      flowExists: (id) => known.has(id) || (this.validateOptions.flowExists?.(id) ?? false),
    });
  }

  /**
   * Validates and stores the document as the next version; an identical document is not
   * stored twice (`created` is false then). Two saves that race for the same number are
   * retried with the next one.
   */
  async save(document: unknown, by: string): Promise<StoredFlow & { created: boolean }> {
    const result = await this.validate(document);
    if (!result.ok) throw flowInvalid(result.issues);
    for (let attempt = 1; ; attempt++) {
      const versions = await this.storage.versions(result.flow.id);
      const latest = versions[versions.length - 1];
      if (latest && sameDocument(latest.flow, result.flow)) return { ...latest, created: false };
      const version = (latest?.version ?? 0) + 1;
      const stored: StoredFlow = {
        flowId: result.flow.id,
        version,
        flow: { ...result.flow, version },
        savedAt: this.clock.now(),
        savedBy: by,
      };
      try {
        await this.storage.insert(stored);
      } catch (error) {
        if (attempt < saveAttempts && isTellerError(error) && error.code === 'IVR_FLOW_VERSION_TAKEN')
          continue;
        throw error;
      }
      await this.publish?.('ivr.flow.saved', {
        flowId: stored.flowId,
        version,
        name: stored.flow.name,
        savedBy: by,
      });
      return { ...stored, created: true };
    }
  }

  async get(flowId: string, version: number): Promise<StoredFlow> {
    const found = await this.storage.version(flowId, version);
    if (!found) {
      if ((await this.storage.versions(flowId)).length === 0) {
        throw ivrError('IVR_FLOW_NOT_FOUND', `no flow ${flowId}`);
      }
      throw ivrError('IVR_FLOW_VERSION_NOT_FOUND', `flow ${flowId} has no version ${version}`);
    }
    return found;
  }

  /** Makes a saved version live. Every subflow it calls must have a live version already. */
  async activate(flowId: string, version: number, by: string): Promise<FlowActivation> {
    const stored = await this.get(flowId, version);
    for (const step of Object.values(stored.flow.steps)) {
      if (step.type === 'subflow' && (await this.activeVersion(step.flow)) === null) {
        throw ivrError(
          'IVR_FLOW_SUBFLOW_INACTIVE',
          `flow ${flowId} calls ${step.flow}, which has no live version`,
        );
      }
    }
    const previous = await this.activeVersion(flowId);
    const activation: FlowActivation = { flowId, version, action: 'activate', at: this.clock.now(), by };
    await this.storage.appendActivation(activation);
    await this.publish?.('ivr.flow.activated', { flowId, version, action: 'activate', previous, by });
    return activation;
  }

  /** Goes back to the version that was live before the current one. */
  async rollback(flowId: string, by: string): Promise<FlowActivation> {
    const stack = liveStack(await this.storage.activations(flowId));
    const current = stack[stack.length - 1];
    const previous = stack[stack.length - 2];
    if (previous === undefined) {
      if ((await this.storage.versions(flowId)).length === 0) {
        throw ivrError('IVR_FLOW_NOT_FOUND', `no flow ${flowId}`);
      }
      throw ivrError('IVR_FLOW_NOTHING_TO_ROLL_BACK', `flow ${flowId} has no earlier live version`);
    }
    const activation: FlowActivation = {
      flowId,
      version: previous,
      action: 'rollback',
      at: this.clock.now(),
      by,
    };
    await this.storage.appendActivation(activation);
    await this.publish?.('ivr.flow.activated', {
      flowId,
      version: previous,
      action: 'rollback',
      previous: current ?? null,
      by,
    });
    return activation;
  }

  /** The live version number, or null when none was activated. */
  async activeVersion(flowId: string): Promise<number | null> {
    return liveStack(await this.storage.activations(flowId)).at(-1) ?? null;
  }

  /** The live version, or null when none was activated. */
  async active(flowId: string): Promise<StoredFlow | null> {
    const version = await this.activeVersion(flowId);
    return version === null ? null : this.get(flowId, version);
  }

  async history(flowId: string): Promise<{ versions: StoredFlow[]; activations: FlowActivation[] }> {
    const versions = await this.storage.versions(flowId);
    if (versions.length === 0) throw ivrError('IVR_FLOW_NOT_FOUND', `no flow ${flowId}`);
    return { versions, activations: await this.storage.activations(flowId) };
  }

  /** Every flow, by id (the storage's order follows save times, which can tie). */
  async list(): Promise<FlowSummary[]> {
    return (await this.storage.summaries()).sort((a, b) =>
      a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0,
    );
  }
}

/**
 * The live version of every flow, for the interpreter's synchronous `FlowResolver`. `refresh`
 * reads the summaries (one query on the store) and loads only the versions that changed; call
 * it at start, on `ivr.flow.activated`, and before a call if flows may change elsewhere (the
 * CLI, another node).
 */
export class LiveFlows implements FlowResolver {
  private flows = new Map<string, Flow>();

  constructor(private readonly repository: FlowRepository) {}

  get(flowId: string): Flow | undefined {
    return this.flows.get(flowId);
  }

  async refresh(): Promise<void> {
    const next = new Map<string, Flow>();
    for (const summary of await this.repository.list()) {
      if (summary.active === null) continue;
      const held = this.flows.get(summary.flowId);
      next.set(
        summary.flowId,
        held?.version === summary.active
          ? held
          : (await this.repository.get(summary.flowId, summary.active)).flow,
      );
    }
    this.flows = next;
  }
}

function sameDocument(a: Flow, b: Flow): boolean {
  return JSON.stringify({ ...a, version: undefined }) === JSON.stringify({ ...b, version: undefined });
}

declare module '../core/index' {
  interface DomainEvents extends FlowEventMap {}
}
