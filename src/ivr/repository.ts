import type { Clock } from '../core/index';
import { ivrError } from './errors';
import type { Flow } from './flow';
import { type FlowValidation, flowInvalid, type ValidateOptions, validateFlow } from './validate';

/**
 * Flow versions and which one is live, over a small storage port. A saved flow is never
 * changed: saving again makes a new version. Activation is a log; the live version is the top
 * of a stack that `activate` pushes and `rollback` pops, so rolling back twice from v3 (after
 * v1 → v2 → v3) lands on v1, as an operator expects.
 */

export interface StoredFlow {
  flowId: string;
  version: number;
  /** The validated document, with `version` set to this version. */
  flow: Flow;
  savedAt: number;
  savedBy: string;
}

export interface FlowActivation {
  flowId: string;
  version: number;
  action: 'activate' | 'rollback';
  at: number;
  by: string;
}

/** Where flows live (a table in the store, memory in tests). Implementations keep insertion order. */
export interface FlowStorage {
  flowIds(): Promise<string[]>;
  versions(flowId: string): Promise<StoredFlow[]>;
  /** Rejects with IVR_FLOW_VERSION_TAKEN if that version exists (two saves raced). */
  insert(flow: StoredFlow): Promise<void>;
  activations(flowId: string): Promise<FlowActivation[]>;
  appendActivation(activation: FlowActivation): Promise<void>;
}

export class MemoryFlowStorage implements FlowStorage {
  private readonly flows = new Map<string, StoredFlow[]>();
  private readonly log = new Map<string, FlowActivation[]>();

  async flowIds(): Promise<string[]> {
    return [...this.flows.keys()];
  }

  async versions(flowId: string): Promise<StoredFlow[]> {
    return [...(this.flows.get(flowId) ?? [])];
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

export interface FlowSummary {
  flowId: string;
  name: string;
  latest: number;
  active: number | null;
}

/** Replays the activation log into the stack of live versions (top = live). */
function liveStack(log: readonly FlowActivation[]): number[] {
  const stack: number[] = [];
  for (const entry of log) {
    if (entry.action === 'activate') stack.push(entry.version);
    else stack.pop();
  }
  return stack;
}

export class FlowRepository {
  constructor(
    private readonly storage: FlowStorage,
    private readonly clock: Clock,
    private readonly options: ValidateOptions = {},
  ) {}

  /** Checks a document without saving it. Subflows must exist in the repository. */
  async validate(document: unknown): Promise<FlowValidation> {
    const known = new Set(await this.storage.flowIds());
    return validateFlow(document, {
      ...this.options,
      flowExists: (id) => known.has(id) || (this.options.flowExists?.(id) ?? false),
    });
  }

  /** Validates and stores the document as the next version; an identical document is not stored twice. */
  async save(document: unknown, by: string): Promise<StoredFlow> {
    const result = await this.validate(document);
    if (!result.ok) throw flowInvalid(result.issues);
    const versions = await this.storage.versions(result.flow.id);
    const latest = versions[versions.length - 1];
    if (latest && sameDocument(latest.flow, result.flow)) return latest;
    const version = (latest?.version ?? 0) + 1;
    const stored: StoredFlow = {
      flowId: result.flow.id,
      version,
      flow: { ...result.flow, version },
      savedAt: this.clock.now(),
      savedBy: by,
    };
    await this.storage.insert(stored);
    return stored;
  }

  async get(flowId: string, version: number): Promise<StoredFlow> {
    const found = (await this.storage.versions(flowId)).find((stored) => stored.version === version);
    if (!found) throw ivrError('IVR_FLOW_VERSION_NOT_FOUND', `flow ${flowId} has no version ${version}`);
    return found;
  }

  /** Makes a saved version live. Every subflow it calls must have a live version already. */
  async activate(flowId: string, version: number, by: string): Promise<FlowActivation> {
    const stored = await this.get(flowId, version);
    for (const step of Object.values(stored.flow.steps)) {
      if (step.type === 'subflow' && (await this.active(step.flow)) === null) {
        throw ivrError(
          'IVR_FLOW_SUBFLOW_INACTIVE',
          `flow ${flowId} calls ${step.flow}, which has no live version`,
        );
      }
    }
    const activation: FlowActivation = { flowId, version, action: 'activate', at: this.clock.now(), by };
    await this.storage.appendActivation(activation);
    return activation;
  }

  /** Goes back to the version that was live before the current one. */
  async rollback(flowId: string, by: string): Promise<FlowActivation> {
    const stack = liveStack(await this.storage.activations(flowId));
    const previous = stack[stack.length - 2];
    if (previous === undefined) {
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
    return activation;
  }

  /** The live version, or null when none was activated. */
  async active(flowId: string): Promise<StoredFlow | null> {
    const stack = liveStack(await this.storage.activations(flowId));
    const version = stack[stack.length - 1];
    return version === undefined ? null : this.get(flowId, version);
  }

  async history(flowId: string): Promise<{ versions: StoredFlow[]; activations: FlowActivation[] }> {
    const versions = await this.storage.versions(flowId);
    if (versions.length === 0) throw ivrError('IVR_FLOW_NOT_FOUND', `no flow ${flowId}`);
    return { versions, activations: await this.storage.activations(flowId) };
  }

  async list(): Promise<FlowSummary[]> {
    const out: FlowSummary[] = [];
    for (const flowId of await this.storage.flowIds()) {
      const versions = await this.storage.versions(flowId);
      const latest = versions[versions.length - 1];
      if (!latest) continue;
      const stack = liveStack(await this.storage.activations(flowId));
      out.push({
        flowId,
        name: latest.flow.name,
        latest: latest.version,
        active: stack[stack.length - 1] ?? null,
      });
    }
    return out;
  }
}

function sameDocument(a: Flow, b: Flow): boolean {
  return JSON.stringify({ ...a, version: undefined }) === JSON.stringify({ ...b, version: undefined });
}
