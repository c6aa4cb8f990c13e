import { z } from 'zod';
import type { AgentId, Brand, CustomerId, InteractionId } from '../core/index';

export type QueueId = Brand<string, 'QueueId'>;

/** The media an interaction arrives on; a queue serves exactly one. */
export const channels = ['voice', 'video', 'chat', 'email', 'sms'] as const;
export type Channel = (typeof channels)[number];

/** CRM segment of the customer; decides the tier bonus on the queue priority. */
export const customerTiers = ['private', 'affluent', 'mass'] as const;
export type CustomerTier = (typeof customerTiers)[number];

/**
 * How a queue picks among eligible ready agents when an interaction arrives:
 * - `longest-idle`: the agent with the least work, then the longest free (the default);
 * - `most-skilled`: highest sum of proficiencies in the queue's required skills, then longest idle;
 * - `least-occupied`: lowest load on the channel, then least handling time since login, then longest idle;
 * - `round-robin`: the agent this queue has picked least recently;
 * - `last-agent`: the customer's last agent, waited for up to `lastAgentWithinMs`, else longest idle.
 */
export const routingStrategies = [
  'longest-idle',
  'most-skilled',
  'least-occupied',
  'round-robin',
  'last-agent',
] as const;
export type RoutingStrategy = (typeof routingStrategies)[number];

const id = z.string().min(1).max(200);
const proficiency = z.number().int().min(1).max(5);
const durationMs = z.number().int().min(0);

const skillRequirementSchema = z.object({
  skill: id,
  minProficiency: proficiency.default(1),
});

/** One overflow step: after `afterMs` in the queue, widen who may answer. */
const overflowStepSchema = z
  .object({
    afterMs: z.number().int().min(1),
    /** Accept agents whose proficiency in every required skill is at least this (never tightens). */
    minProficiency: proficiency.optional(),
    /** Also offer to the agents who qualify for these queues (their base requirements). */
    addQueues: z.array(id).default([]),
  })
  .refine((step) => step.minProficiency !== undefined || step.addQueues.length > 0, {
    message: 'an overflow step must relax proficiency or add queues',
  });

export const queueConfigSchema = z
  .object({
    id,
    name: z.string().max(200).optional(),
    channel: z.enum(channels),
    skills: z.array(skillRequirementSchema).default([]),
    serviceLevel: z
      .object({ percent: z.number().min(0).max(100), withinMs: durationMs })
      .default({ percent: 80, withinMs: 20_000 }),
    /** Higher is served first when one agent could take work from several queues. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** Priority points gained per minute of waiting, so that low priorities cannot starve. */
    priorityAgingPerMinute: z.number().min(0).max(1000).default(0),
    /** Priority points added by the customer's tier (private > affluent > mass by default). */
    tierBonus: z
      .object({ private: z.number(), affluent: z.number(), mass: z.number() })
      .default({ private: 10, affluent: 5, mass: 0 }),
    /** After this long waiting the interaction leaves with `acd.interaction.max-wait` (callbacks excepted). */
    maxWaitMs: z.number().int().min(1).optional(),
    overflow: z.array(overflowStepSchema).default([]),
    /** Offer a callback when the estimated wait is longer than this. */
    callbackOfferMs: durationMs.optional(),
    /** Emit position and estimated wait to each waiting interaction this often (IVR, chat widget). */
    announceEveryMs: z.number().int().min(1000).optional(),
    wrapUpMs: durationMs.default(0),
    /** An offer not accepted within this goes back to the head of the queue; 0 means never time out. */
    ringNoAnswerMs: durationMs.default(20_000),
    strategy: z.enum(routingStrategies).default('longest-idle'),
    lastAgentWithinMs: durationMs.default(0),
    /** Average handle time assumed for the wait estimate until the queue has measured its own. */
    expectedHandleMs: z.number().int().min(1).default(180_000),
  })
  .superRefine((queue, ctx) => {
    let previous = 0;
    queue.overflow.forEach((step, index) => {
      if (step.afterMs <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['overflow', index, 'afterMs'],
          message: 'overflow steps must come in rising afterMs',
        });
      }
      previous = step.afterMs;
    });
    const seen = new Set<string>();
    queue.skills.forEach((requirement, index) => {
      if (seen.has(requirement.skill)) {
        ctx.addIssue({ code: 'custom', path: ['skills', index, 'skill'], message: 'skill listed twice' });
      }
      seen.add(requirement.skill);
    });
  });
export type QueueConfigInput = z.input<typeof queueConfigSchema>;
export type QueueConfig = z.output<typeof queueConfigSchema>;

export const agentConfigSchema = z.object({
  id,
  name: z.string().max(200).optional(),
  team: z.string().max(200).optional(),
  /** Skill name → proficiency 1 (novice) … 5 (expert). */
  skills: z.record(id, proficiency).default({}),
  /** How many interactions of each channel the agent holds at once (offered, connected or in wrap-up). */
  capacity: z.partialRecord(z.enum(channels), z.number().int().min(0).max(100)).default({ voice: 1 }),
  /** Customers this agent serves personally (a private banker's clients); offered to them first when free. */
  preferredCustomers: z.array(id).default([]),
});
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;

export const enqueueRequestSchema = z.object({
  interactionId: id,
  queueId: id,
  customerId: id.optional(),
  tier: z.enum(customerTiers).default('mass'),
  /** Extra priority points for this one interaction (e.g. a fraud report). */
  priorityBoost: z.number().min(-1000).max(1000).default(0),
  /** The customer's last agent as CRM knows it, for `last-agent` routing across restarts. */
  lastAgentId: id.optional(),
  /** Arrives as a callback request (web form, IVR) rather than a live contact. */
  callback: z.boolean().default(false),
  attributes: z.record(z.string().max(100), z.string().max(1000)).optional(),
});
export type EnqueueRequestInput = z.input<typeof enqueueRequestSchema>;

/** The agent's own choice: available for work, or not (with a reason code such as `break`). */
export type Presence = { kind: 'ready' } | { kind: 'not-ready'; reason: string };

export const agentStateKinds = ['logged-out', 'not-ready', 'ready', 'reserved', 'busy', 'wrap-up'] as const;
export type AgentStateKind = (typeof agentStateKinds)[number];

/**
 * The agent as supervisors see it. With capacity for several chats the state summarises all
 * the agent holds: an offer ringing (reserved) outranks a connected interaction (busy), which
 * outranks after-contact work (wrap-up); with nothing held it is the agent's presence.
 */
export type AgentState =
  | { kind: 'logged-out' }
  | { kind: 'not-ready'; reason: string }
  | { kind: 'ready' }
  | { kind: 'reserved'; interactionId: InteractionId; offerDeadline: number | null }
  | { kind: 'busy'; interactionIds: InteractionId[] }
  | { kind: 'wrap-up'; interactionId: InteractionId; deadline: number };

export const interactionStates = [
  'waiting',
  'offered',
  'connected',
  'wrap-up',
  'completed',
  'abandoned',
  'max-wait',
  'canceled',
] as const;
export type InteractionState = (typeof interactionStates)[number];

export type EnqueueResult =
  | { outcome: 'offered'; agentId: AgentId }
  | {
      outcome: 'queued';
      /** 1 is next in line. */
      position: number;
      /** Null when no agent of the queue is logged in, so no estimate can be made. */
      ewtMs: number | null;
      /** True when the estimated wait passes the queue's callback threshold. */
      offerCallback: boolean;
    };

export interface WaitEstimate {
  interactionId: InteractionId;
  queueId: QueueId;
  position: number;
  ewtMs: number | null;
  waitedMs: number;
}

export interface QueueStatistics {
  queueId: QueueId;
  at: number;
  /** Start of the statistics interval (see `resetStatistics`). */
  since: number;
  waiting: number;
  longestWaitMs: number;
  /** Arrivals in the interval. */
  offered: number;
  answered: number;
  answeredWithinTarget: number;
  abandoned: number;
  /** Abandons faster than `shortAbandonMs`, left out of service level and abandon rate. */
  shortAbandoned: number;
  maxWaitExpired: number;
  callbacksAccepted: number;
  callbacksAnswered: number;
  /** Answered within target / (answered + abandoned + max-wait), live contacts only; null before any outcome. */
  serviceLevel: number | null;
  /** Mean wait of answered live contacts, in ms. */
  asaMs: number | null;
  /** Mean handle time (connected to end of wrap-up), in ms. */
  ahtMs: number | null;
  abandonRate: number | null;
  /** Busy share (reserved + busy + wrap-up) of the staffed time of the queue's agents. */
  occupancy: number | null;
  /** Agents who qualify for the queue's base requirements, by state. */
  agents: Record<AgentStateKind, number>;
  /** Accuracy of the wait estimate given on arrival against the wait that followed. */
  ewt: { samples: number; meanAbsoluteErrorMs: number | null; meanErrorMs: number | null };
}

export interface AgentStatistics {
  agentId: AgentId;
  at: number;
  since: number;
  state: AgentState;
  /** Clock time the current state (its kind) began. */
  stateSince: number;
  presence: Presence;
  /** Interactions held now, per channel. */
  load: Partial<Record<Channel, number>>;
  offered: number;
  noAnswer: number;
  handled: number;
  ahtMs: number | null;
  occupancy: number | null;
  timeInStateMs: Record<AgentStateKind, number>;
}

/**
 * One interaction as the ACD holds it, enough to put it back exactly where it was. `order`
 * rises with every enqueue and breaks ties of priority and age, so records restored in any
 * order rebuild the same queue.
 */
export interface InteractionRecord {
  interactionId: InteractionId;
  queueId: QueueId;
  channel: Channel;
  state: 'waiting' | 'offered' | 'connected' | 'wrap-up';
  agentId: AgentId | null;
  customerId: CustomerId | null;
  tier: CustomerTier;
  priorityBoost: number;
  enqueuedAt: number;
  order: number;
  /** Put back at the head after a ring-no-answer; keeps that place until offered again. */
  head: boolean;
  callback: boolean;
  lastAgentId: AgentId | null;
  attributes: Record<string, string>;
}

export interface AcdSnapshot {
  version: 1;
  takenAt: number;
  /** Waiting interactions carry their 1-based position in their queue. */
  interactions: (InteractionRecord & { position: number | null })[];
}

const recordSchema = z.object({
  interactionId: id,
  queueId: id,
  channel: z.enum(channels),
  state: z.enum(['waiting', 'offered', 'connected', 'wrap-up']),
  agentId: id.nullable(),
  customerId: id.nullable(),
  tier: z.enum(customerTiers),
  priorityBoost: z.number(),
  enqueuedAt: z.number().int(),
  order: z.number().int().min(0),
  head: z.boolean(),
  callback: z.boolean(),
  lastAgentId: id.nullable(),
  attributes: z.record(z.string(), z.string()),
  position: z.number().int().nullable().optional(),
});

/** For records read back from the store or a file: validated before `restore`. */
export const interactionRecordSchema = recordSchema;
export const acdSnapshotSchema = z.object({
  version: z.literal(1),
  takenAt: z.number().int(),
  interactions: z.array(recordSchema),
});

/**
 * Where the ACD writes each interaction's record as it changes, so a store adapter can keep a
 * table that `restore` reads after a restart. Calls are synchronous and must not throw; an
 * adapter buffers and writes behind.
 */
export interface AcdRecordPort {
  put(record: InteractionRecord): void;
  delete(interactionId: InteractionId): void;
}
