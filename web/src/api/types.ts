/**
 * The wire types of the Teller API the web app uses, as the server sends them (see
 * /api/docs/json). Money is always a decimal string with its currency, never a float.
 */

export type Role = 'agent' | 'supervisor' | 'admin';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  extension: string | null;
  disabled: boolean;
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface Money {
  amount: string;
  currency: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

// ---- ACD ----

export const agentStateKinds = ['logged-out', 'not-ready', 'ready', 'reserved', 'busy', 'wrap-up'] as const;
export type AgentStateKind = (typeof agentStateKinds)[number];

export type AgentState =
  | { kind: 'logged-out' }
  | { kind: 'not-ready'; reason: string }
  | { kind: 'ready' }
  | { kind: 'reserved'; interactionId: string; offerDeadline: number | null }
  | { kind: 'busy'; interactionIds: string[] }
  | { kind: 'wrap-up'; interactionId: string; deadline: number };

export type Presence = { kind: 'ready' } | { kind: 'not-ready'; reason: string };

export interface AgentStatistics {
  agentId: string;
  at: number;
  since: number;
  state: AgentState;
  /** When the current state (its kind) began, in server time. */
  stateSince: number;
  presence: Presence;
  load: Partial<Record<string, number>>;
  offered: number;
  noAnswer: number;
  handled: number;
  ahtMs: number | null;
  occupancy: number | null;
  timeInStateMs: Record<AgentStateKind, number>;
  /** From the users table; only in GET /acd/agents (null for an agent with no user). */
  username?: string | null;
  displayName?: string | null;
  extension?: string | null;
}

/** One bucket of GET /acd/queues/{id}/history, counted from the event log. */
export interface QueueHistoryBucket {
  start: number;
  arrivals: number;
  answered: number;
  answeredWithinTarget: number;
  abandoned: number;
  maxWaitExpired: number;
  handled: number;
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  /** Waiting at the bucket's last statistics snapshot; null when there was none (Teller was down). */
  waiting: number | null;
  longestWaitMs: number | null;
}

export interface QueueHistory {
  queueId: string;
  from: number;
  to: number;
  bucketMs: number;
  buckets: QueueHistoryBucket[];
}

export const routingStrategies = [
  'longest-idle',
  'most-skilled',
  'least-occupied',
  'round-robin',
  'last-agent',
] as const;
export type RoutingStrategy = (typeof routingStrategies)[number];

export interface QueueConfig {
  id: string;
  name?: string;
  channel: 'voice' | 'video' | 'chat' | 'email' | 'sms';
  skills: { skill: string; minProficiency: number }[];
  serviceLevel: { percent: number; withinMs: number };
  priority: number;
  priorityAgingPerMinute: number;
  tierBonus: { private: number; affluent: number; mass: number };
  maxWaitMs?: number;
  overflow: { afterMs: number; minProficiency?: number; addQueues: string[] }[];
  callbackOfferMs?: number;
  announceEveryMs?: number;
  wrapUpMs: number;
  ringNoAnswerMs: number;
  strategy: RoutingStrategy;
  lastAgentWithinMs: number;
  expectedHandleMs: number;
}

export interface QueueStatistics {
  queueId: string;
  at: number;
  since: number;
  waiting: number;
  longestWaitMs: number;
  offered: number;
  answered: number;
  answeredWithinTarget: number;
  abandoned: number;
  shortAbandoned: number;
  maxWaitExpired: number;
  callbacksAccepted: number;
  callbacksAnswered: number;
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  abandonRate: number | null;
  occupancy: number | null;
  agents: Record<AgentStateKind, number>;
}

export interface QueueView {
  config: QueueConfig;
  statistics: QueueStatistics;
}

export interface AgentConfigInput {
  name?: string;
  team?: string;
  skills: Record<string, number>;
  capacity: Partial<Record<QueueConfig['channel'], number>>;
  preferredCustomers?: string[];
}

// ---- interactions (attached data the IVR hands over) ----

/** What the IVR attaches when it hands a caller to a queue (src/ivr/ports.ts HandOverData). */
export interface HandOverData {
  customerId?: string | null;
  verification?: string;
  tier?: string | null;
  intent?: string;
  language?: string;
  callerNumber?: string | null;
  ivrPath?: string[];
  /** The call detail record's id of the call this contact is (what `call.*` events carry). */
  callId?: string;
  ivrSessionId?: string;
  /**
   * A bank verification the IVR obtained (PIN), usable for operations on the customer's behalf.
   * Only reads of the interaction carry it, never events (null here until it is read again).
   */
  verificationId?: string | null;
  /** Where a verification the agent asked for stands (POST /interactions/{id}/verification). */
  verificationState?: 'in-progress' | 'verified' | 'failed' | 'locked' | 'other-customer' | 'caller-left';
  /** How a callback went (the agent's phone rang first, then the customer was dialled). */
  callbackOutcome?: 'connected' | 'no-answer' | 'busy' | 'rejected' | 'failed' | 'agent-left';
  extra?: Record<string, string | number | boolean | null>;
}

export interface Interaction {
  id: string;
  channel: 'voice' | 'video' | 'chat' | 'email' | 'sms';
  direction: 'inbound' | 'outbound';
  state: 'open' | 'closed';
  customerId: string | null;
  queueId: string | null;
  agentId: string | null;
  data: HandOverData & Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closeReason: string | null;
}

// ---- CRM ----

export type Tier = 'private' | 'affluent' | 'mass';

export interface CustomerSummary {
  id: string;
  cif: string;
  nameZh: string;
  nameLatin: string;
  tier: Tier;
  language: string;
  primaryPhone: string | null;
  cards: string[];
}

export interface CustomerProfile {
  id: string;
  cif: string;
  nameZh: string;
  nameLatin: string;
  language: string;
  tier: Tier;
  phones: { number: string; label: string; primary: boolean }[];
  emails: string[];
  consent: { voice: boolean; sms: boolean; email: boolean };
  doNotCall: boolean;
  tags: string[];
  lastContactAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface Account {
  id: string;
  customerId: string;
  number: string;
  kind: string;
  currency: string;
  status: string;
  name: string;
  balance: Money;
  held: Money;
  available: Money;
  limit: Money;
  openedAt: number;
}

export interface Card {
  id: string;
  accountId: string;
  kind: string;
  maskedNumber: string;
  last4: string;
  status: string;
  holderName: string;
  expires: string;
}

export interface TimelineEntry {
  id: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  at: number;
  interactionId: string | null;
  agentId: string | null;
  summary: string;
  outcome: string | null;
}

export interface Note {
  id: string;
  caseId: string | null;
  author: string;
  body: string;
  at: number;
}

export const casePriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type CasePriority = (typeof casePriorities)[number];

export interface Case {
  id: string;
  customerId: string;
  subject: string;
  category: string;
  status: string;
  priority: string;
  slaDueAt: number;
  breached: boolean;
  assignee: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  resolvedAt: number | null;
}

export interface Offer {
  id: string;
  code: string;
  name: string;
  pitch: string;
  priority: number;
}

export interface Customer360 {
  profile: CustomerProfile;
  products: string[];
  accounts: Account[];
  cards: Card[];
  pin: { set: boolean; locked: boolean; failures: number };
  timeline: TimelineEntry[];
  openCases: Case[];
  notes: Note[];
  offers: Offer[];
}

// ---- banking ----

export const verificationLevels = ['none', 'caller-number', 'pin', 'pin-otp'] as const;
export type VerificationLevel = (typeof verificationLevels)[number];

export interface Verification {
  id: string;
  customerId: string;
  level: VerificationLevel;
  channel: string;
  expiresAt: number;
}

export interface TransferResult {
  transactionId: string;
  at: number;
  amount: Money;
  fromAccountId: string;
  fromBalance: Money;
  toAccountId: string | null;
  toBalance: Money | null;
}

// ---- calls ----

export interface CallRecord {
  id: string;
  sipCallId: string;
  caller: string;
  callee: string;
  route: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  disposition: string | null;
  interactionId: string | null;
}

export const superviseModes = ['monitor', 'whisper', 'barge'] as const;
export type SuperviseMode = (typeof superviseModes)[number];

// ---- IVR flows (src/ivr/routes.ts) ----

export interface IvrFlowSummary {
  flowId: string;
  name: string;
  latest: number;
  /** The live version; null before the first activation. */
  active: number | null;
}

export interface IvrFlowVersion {
  version: number;
  name: string;
  savedAt: number;
  savedBy: string;
  live: boolean;
}

export interface IvrFlowActivation {
  flowId: string;
  version: number;
  action: string;
  at: number;
  by: string;
}

export interface IvrFlowDetail extends IvrFlowSummary {
  flow: unknown;
  versions: IvrFlowVersion[];
  activations: IvrFlowActivation[];
}

export interface IvrValidation {
  valid: true;
  flowId: string;
  warnings: string[];
}

export interface IvrSaved extends IvrFlowVersion {
  flowId: string;
  created: boolean;
}

export interface IvrContainmentRow {
  flowId: string;
  calls: number;
  selfService: number;
  agent: number;
  callback: number;
  hangUp: number;
  failed: number;
  containmentRate: number;
  agentRate: number;
}

// ---- live events ----

export interface StoredEvent<T extends string = string, P = unknown> {
  seq: number;
  id: string;
  type: T;
  at: number;
  audience: string;
  subjectUserId: string | null;
  actor: string | null;
  payload: P;
}

export interface EventPayloads {
  'acd.agent.state-changed': {
    agentId: string;
    from: AgentState;
    to: AgentState;
    presence: Presence;
    at: number;
  };
  'acd.agent.presence-changed': { agentId: string; presence: Presence; at: number };
  'acd.interaction.offered': {
    interactionId: string;
    queueId: string;
    agentId: string;
    /** The customer's id only (never a name): the desktop starts the 360° read with it. */
    customerId: string | null;
    channel: QueueConfig['channel'];
    offerDeadline: number | null;
    waitedMs: number;
    at: number;
  };
  'acd.interaction.connected': { interactionId: string; queueId: string; agentId: string; at: number };
  'acd.interaction.requeued': {
    interactionId: string;
    queueId: string;
    agentId: string;
    reason: string;
    at: number;
  };
  'acd.interaction.wrap-up': { interactionId: string; agentId: string; deadline: number; at: number };
  'acd.interaction.wrap-up-extended': {
    interactionId: string;
    agentId: string;
    deadline: number;
    at: number;
  };
  'acd.interaction.completed': {
    interactionId: string;
    queueId: string;
    agentId: string;
    handleMs: number;
    wrapUpMs: number;
    reason: string;
    /** The agent's wrap-up code, or null when none was given. */
    wrapUpCode: string | null;
    at: number;
  };
  'acd.interaction.abandoned': { interactionId: string; queueId: string; whileOffered: boolean; at: number };
  'acd.queue.statistics': QueueStatistics;
  'interaction.updated': { interactionId: string; changes: Partial<Interaction> };
  'user.created': { user: User };
  'user.updated': { user: User; changed: string[] };
  'user.deleted': { userId: string; username: string };
  'call.started': CallRecord;
  'call.answered': CallRecord;
  'call.ended': CallRecord;
}

export type EventType = keyof EventPayloads;
export type TellerEvent = { [K in EventType]: StoredEvent<K, EventPayloads[K]> }[EventType];
