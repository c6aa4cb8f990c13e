import { type AgentId, asId, type Clock, type CustomerId, type InteractionId } from '../core/index';
import { AcdError, issuesToFields } from './errors';
import type { AcdEvents, AcdPublisher } from './events';
import { checkAgentTransition, checkInteractionTransition } from './machines';
import { ScheduledTask, Scheduler } from './scheduler';
import { IndexedHeap, OrderedSet, type TreeItem } from './structures';
import {
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
  type EnqueueRequestInput,
  type EnqueueResult,
  type InteractionRecord,
  type InteractionState,
  interactionRecordSchema,
  type Presence,
  type QueueConfig,
  type QueueConfigInput,
  type QueueId,
  type QueueStatistics,
  queueConfigSchema,
  type WaitEstimate,
} from './types';

export interface AcdEngineOptions {
  clock: Clock;
  /** Domain events go out here, after each operation has finished changing state. */
  publish?: AcdPublisher;
  /** Each interaction's record as it changes, for the store (see `restore`). */
  records?: AcdRecordPort;
  /** Channels that take an agent's whole attention: offered only to agents holding nothing else. */
  exclusiveChannels?: readonly Channel[];
  /** Abandons faster than this are left out of service level and abandon rate. */
  shortAbandonMs?: number;
  /** Push `acd.queue.statistics` for every queue this often; off when absent. */
  statisticsIntervalMs?: number;
  /** Where a publisher or record port that throws is reported; without it the error is rethrown. */
  reportError?: (error: unknown, context: string) => void;
  /** The contact center's wrap-up codes; an agent's code must be one of them. Any code when absent. */
  wrapUpCodes?: readonly string[];
}

export interface RestoreOptions {
  /**
   * Whether the interaction's channel outlived the process. By default chats, e-mails, SMS and
   * callbacks did; live voice and video calls died with it.
   */
  survivesRestart?: (record: InteractionRecord) => boolean;
}

export interface RestoreResult {
  requeued: InteractionId[];
  closed: {
    interactionId: InteractionId;
    reason: 'channel-lost-on-restart' | 'wrap-up-ended' | 'queue-removed';
  }[];
}

const channelIndex: Record<Channel, number> = { voice: 0, video: 1, chat: 2, email: 3, sms: 4 };
const kindIndex: Record<AgentStateKind, number> = {
  'logged-out': 0,
  'not-ready': 1,
  ready: 2,
  reserved: 3,
  busy: 4,
  'wrap-up': 5,
};
const kindCount = 6;

/** `kindIndex` as a switch: the routing path reads it on every state change, and a switch beats a keyed load. */
function kindNumber(kind: AgentStateKind): number {
  switch (kind) {
    case 'logged-out':
      return 0;
    case 'not-ready':
      return 1;
    case 'ready':
      return 2;
    case 'reserved':
      return 3;
    case 'busy':
      return 4;
    case 'wrap-up':
      return 5;
  }
}
const staffedKinds = [false, false, true, true, true, true];
const workingKinds = [false, false, false, true, true, true];
const loggedOut: AgentState = { kind: 'logged-out' };
const readyState: AgentState = { kind: 'ready' };
const readyPresence: Presence = { kind: 'ready' };
/** The wait estimate follows roughly the last this many handle times. */
const ahtWindow = 200;
const ahtMinSamples = 10;

interface Stage {
  afterMs: number;
  thresholds: Map<string, number>;
  addQueues: string[];
}

interface Counters {
  offered: number;
  answered: number;
  answeredWithinTarget: number;
  waitSumMs: number;
  abandoned: number;
  shortAbandoned: number;
  maxWaitExpired: number;
  callbacksAccepted: number;
  callbacksAnswered: number;
  handled: number;
  handleSumMs: number;
  ewtSamples: number;
  ewtAbsErrorSumMs: number;
  ewtErrorSumMs: number;
}

function zeroCounters(): Counters {
  return {
    offered: 0,
    answered: 0,
    answeredWithinTarget: 0,
    waitSumMs: 0,
    abandoned: 0,
    shortAbandoned: 0,
    maxWaitExpired: 0,
    callbacksAccepted: 0,
    callbacksAnswered: 0,
    handled: 0,
    handleSumMs: 0,
    ewtSamples: 0,
    ewtAbsErrorSumMs: 0,
    ewtErrorSumMs: 0,
  };
}

interface QueueRec {
  id: QueueId;
  config: QueueConfig;
  channelIx: number;
  stages: Stage[];
  /** Waiting interactions by overflow stage, each in service order. */
  waiting: OrderedSet<Ix>[];
  /** Available agents eligible at each stage, in the queue's strategy order. */
  pools: Pool[];
  /** Every waiting interaction by age, for the longest wait and the count. */
  byAge: ArrivalOrder;
  agingPerMs: number;
  tierBonus: Record<CustomerTier, number>;
  rrCounter: number;
  counters: Counters;
  /**
   * The agents who meet the base requirements (their memberships). Agents by state and occupancy
   * are summed over them when statistics are read, from each agent's own time per state, rather
   * than kept per queue on every state change: an agent serves several queues, and the routing
   * path then touches only the agent.
   */
  baseMembers: Membership[];
  /** Time per state (by kind number) booked this interval by base members that have since left. */
  departed: number[];
  /** Capacity on the queue's channel of the base members in a staffed state (the wait estimate's N). */
  staffedSlots: number;
  ahtSamples: number;
  ahtMeanMs: number;
}

interface Pool {
  queue: QueueRec;
  stage: number;
  heap: IndexedHeap<PoolEntry>;
}

interface PoolEntry {
  agent: AgentRec;
  pool: Pool;
  heapIndex: number;
  rr: number;
  score: number;
}

interface Membership {
  queue: QueueRec;
  minStage: number;
  score: number;
  entries: PoolEntry[];
  /**
   * What `bestFor` reads, copied here so that looking at a queue's head costs the membership, a
   * set and its head rather than also the queue and its list of sets: the queue's channel and
   * aging, the waiting set of the first stage the agent may serve and those of later stages.
   * (A queue's reconfiguration drops every membership, so these never go stale.)
   */
  channelIx: number;
  agingPerMs: number;
  firstSet: OrderedSet<Ix>;
  laterSets: readonly OrderedSet<Ix>[];
  agent: AgentRec;
  /** Slot in the queue's `baseMembers`, −1 when the agent does not meet the base requirements. */
  baseIndex: number;
  /** The agent's time per state when it joined, if that was during the interval `baselineEpoch`. */
  baseline: number[] | null;
  baselineEpoch: number;
}

const noSets: readonly OrderedSet<Ix>[] = [];

/** An agent's statistics for the current interval, kept in the agent's record (one object less to reach). */
interface AgentStats {
  /** The interval these belong to; older ones are zeroed on first touch (`agentStats`). */
  statsEpoch: number;
  timeIn: number[];
  offered: number;
  noAnswer: number;
  handled: number;
  handleSumMs: number;
}

interface AgentRec extends AgentStats {
  id: AgentId;
  seq: number;
  config: AgentConfig;
  skills: Map<string, number>;
  capacity: number[];
  loggedIn: boolean;
  presence: Presence;
  state: AgentState;
  /** `state.kind`, kept on the record: most moves are checked and accounted without reading `state`. */
  stateKind: AgentStateKind;
  /** What the agent holds (offered, connected, wrap-up): a few items, so an array beats a Set. */
  work: Ix[];
  load: number[];
  totalLoad: number;
  exclusiveLoad: number;
  availableSince: number;
  busyAccumMs: number;
  loadChangedAt: number;
  memberships: Map<QueueRec, Membership>;
  /** The same memberships as a list, for the routing loops (no iterator to allocate). */
  membershipList: Membership[];
  /** The queues whose base requirements the agent meets (its statistics queues). */
  baseQueues: QueueRec[];
  targeted: OrderedSet<Ix> | null;
  /** Engine-relative time from which the current state's time is still to be accounted. */
  accSince: number;
  /** Clock time the current state kind began (busy with one chat or two is one state). */
  stateSince: number;
}

interface Ix extends TreeItem<Ix> {
  id: InteractionId;
  queue: QueueRec;
  channelIx: number;
  customerId: CustomerId | null;
  tier: CustomerTier;
  boost: number;
  lastAgentId: AgentId | null;
  attributes: Record<string, string>;
  enqueuedAt: number;
  order: number;
  /** Static service-order key: base priority minus aging × arrival, so order never shifts in a queue. */
  key: number;
  head: boolean;
  callback: boolean;
  callbackOffered: boolean;
  state: InteractionState;
  stage: number;
  tree: OrderedSet<Ix> | null;
  /** In its queue's waiting structures (a tree, or an agent's personal set). */
  parked: boolean;
  /** Bumped on every park and unpark, so stale arrival-order entries are recognised. */
  parkToken: number;
  /** Slot in the arrival-order heap for the few that come back out of time order. */
  heapIndex: number;
  targetAgent: AgentRec | null;
  targetUntil: number;
  agent: AgentRec | null;
  offeredAt: number;
  connectedAt: number;
  releasedAt: number;
  /** The agent's wrap-up code, given at release or at the end of wrap-up; in the completed event. */
  wrapUpCode: string | null;
  /** Offer deadline while offered, wrap-up deadline in wrap-up. */
  deadline: number;
  /** The armed deadline (this interaction's own task), or null. */
  timer: ScheduledTask | null;
  /** The one task this interaction uses for every deadline, made on first need. */
  task: ScheduledTask | null;
  /** The state the armed deadline belongs to: it does nothing once the interaction has moved on. */
  timerFor: InteractionState;
  nextAnnounceAt: number;
  ewtAtEnqueue: number | null;
}

function arrivedBefore(a: Ix, b: Ix): boolean {
  return a.enqueuedAt < b.enqueuedAt || (a.enqueuedAt === b.enqueuedAt && a.order < b.order);
}

/**
 * A queue's waiting interactions in order of arrival, for the count and the longest wait, in
 * O(1) amortized. New arrivals come in time order, so they go on the end of a list; leaving
 * only marks the entry stale (its token no longer matches) and stale entries are dropped when
 * they reach the front. The rare interaction that comes back with an older time (after a
 * ring-no-answer, a restore) goes into a small heap instead.
 */
class ArrivalOrder {
  count = 0;
  /** A ring of (item, token) from `head` to `tail` (indexes grow; masked into the ring). */
  private list: (Ix | null)[] = new Array<Ix | null>(16).fill(null);
  private tokens: number[] = new Array<number>(16).fill(0);
  private mask = 15;
  private head = 0;
  private tail = 0;
  /** When and in what order the last entry of the ring arrived, as it was then (the item may have moved on). */
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastOrder = 0;
  private readonly late = new IndexedHeap<Ix>(arrivedBefore);

  add(ix: Ix): void {
    this.count++;
    ix.parkToken++;
    // No trimming here: that would read the entry at the front (an interaction nobody else is
    // looking at) on every arrival. Stale entries go when the ring fills (`makeRoom`) or is read.
    if (
      this.head === this.tail ||
      ix.enqueuedAt > this.lastAt ||
      (ix.enqueuedAt === this.lastAt && ix.order > this.lastOrder)
    ) {
      if (this.tail - this.head > this.mask) this.makeRoom();
      const slot = this.tail & this.mask;
      this.list[slot] = ix;
      this.tokens[slot] = ix.parkToken;
      this.tail++;
      this.lastAt = ix.enqueuedAt;
      this.lastOrder = ix.order;
    } else {
      this.late.push(ix);
    }
  }

  remove(ix: Ix): void {
    this.count--;
    ix.parkToken++;
    if (ix.heapIndex >= 0) this.late.remove(ix);
  }

  oldest(): Ix | undefined {
    this.trim();
    const first = this.head < this.tail ? this.list[this.head & this.mask]! : undefined;
    const late = this.late.peek();
    if (first === undefined) return late;
    if (late === undefined) return first;
    return arrivedBefore(late, first) ? late : first;
  }

  /** Drops stale entries from the front (their item left, or came back with a newer token). */
  private trim(): void {
    const list = this.list;
    const tokens = this.tokens;
    const mask = this.mask;
    while (this.head < this.tail) {
      const slot = this.head & mask;
      if (tokens[slot] === list[slot]!.parkToken) break;
      list[slot] = null;
      this.head++;
    }
  }

  /**
   * The ring is full. Entries behind a contact that waits long go stale in the middle (their
   * items left) but stay until the front passes them; when at least half are stale, squeeze them
   * out in place (O(n), paid for by the n/2 arrivals that filled the room), else double the ring.
   */
  private makeRoom(): void {
    const size = this.tail - this.head;
    const live = this.count - 1 - this.late.size;
    if (live * 2 > size) {
      this.grow();
      return;
    }
    const list = this.list;
    const tokens = this.tokens;
    const mask = this.mask;
    let kept = 0;
    for (let i = 0; i < size; i++) {
      const from = (this.head + i) & mask;
      const ix = list[from]!;
      const token = tokens[from]!;
      list[from] = null;
      if (token !== ix.parkToken) continue;
      const to = (this.head + kept) & mask;
      list[to] = ix;
      tokens[to] = token;
      kept++;
    }
    this.tail = this.head + kept;
  }

  private grow(): void {
    const size = this.tail - this.head;
    const capacity = (this.mask + 1) * 2;
    const list = new Array<Ix | null>(capacity).fill(null);
    const tokens = new Array<number>(capacity).fill(0);
    for (let i = 0; i < size; i++) {
      const slot = (this.head + i) & this.mask;
      list[i] = this.list[slot]!;
      tokens[i] = this.tokens[slot]!;
    }
    this.list = list;
    this.tokens = tokens;
    this.mask = capacity - 1;
    this.head = 0;
    this.tail = size;
  }
}

/** Service order inside one queue: put-back heads first, then priority, then age. */
function waitingOrder(a: Ix, b: Ix): number {
  if (a.head !== b.head) return a.head ? -1 : 1;
  if (a.key !== b.key) return a.key > b.key ? -1 : 1;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.order - b.order;
}

function longestIdle(a: AgentRec, b: AgentRec): boolean {
  if (a.totalLoad !== b.totalLoad) return a.totalLoad < b.totalLoad;
  if (a.availableSince !== b.availableSince) return a.availableSince < b.availableSince;
  return a.seq < b.seq;
}

function poolOrder(config: QueueConfig, channelIx: number): (a: PoolEntry, b: PoolEntry) => boolean {
  switch (config.strategy) {
    case 'most-skilled':
      return (a, b) => (a.score !== b.score ? a.score > b.score : longestIdle(a.agent, b.agent));
    case 'least-occupied':
      return (a, b) => {
        const fa = a.agent.load[channelIx]! / a.agent.capacity[channelIx]!;
        const fb = b.agent.load[channelIx]! / b.agent.capacity[channelIx]!;
        if (fa !== fb) return fa < fb;
        if (a.agent.busyAccumMs !== b.agent.busyAccumMs) return a.agent.busyAccumMs < b.agent.busyAccumMs;
        return longestIdle(a.agent, b.agent);
      };
    case 'round-robin':
      return (a, b) => (a.rr !== b.rr ? a.rr < b.rr : a.agent.seq < b.agent.seq);
    case 'longest-idle':
    case 'last-agent':
      return (a, b) => longestIdle(a.agent, b.agent);
  }
}

/** Takes the interaction out of the agent's hands, keeping the order of the rest (no `splice`: it allocates). */
function dropWork(agent: AgentRec, ix: Ix): void {
  const work = agent.work;
  const index = work.indexOf(ix);
  if (index < 0) return;
  for (let i = index + 1; i < work.length; i++) work[i - 1] = work[i]!;
  work.pop();
}

function meets(skills: Map<string, number>, thresholds: Map<string, number>): boolean {
  for (const [skill, min] of thresholds) if ((skills.get(skill) ?? 0) < min) return false;
  return true;
}

function zeroByKind(): Record<AgentStateKind, number> {
  return { 'logged-out': 0, 'not-ready': 0, ready: 0, reserved: 0, busy: 0, 'wrap-up': 0 };
}

/** Shared by interactions that bring no attributes (never mutated: records and events only read it). */
const noAttributes: Record<string, string> = Object.freeze({}) as Record<string, string>;
const retiredId = asId<InteractionId>('(retired)');
/** Spare interaction records kept for reuse; more than this after a burst are left to the collector. */
const spareIxsMax = 4096;

/**
 * A new interaction record with every field in one fixed order, so all share one hidden class.
 * Fields are grouped by when they are read: what the waiting trees compare and link first (a
 * tree walk then reads one cache line per item), then what an offer, an answer and a release
 * read, then the rest. `newIx` sets the real values.
 */
function freshIx(queue: QueueRec): Ix {
  return {
    // compared and linked by the waiting trees
    head: false,
    key: 0.5,
    enqueuedAt: 0,
    order: 0,
    treeLeft: null,
    treeRight: null,
    treeSize: 0,
    treePriority: 0,
    // read on every offer, answer and release
    id: retiredId,
    queue,
    state: 'waiting',
    agent: null,
    channelIx: 0,
    timer: null,
    deadline: 0.5,
    offeredAt: 0,
    connectedAt: 0,
    releasedAt: 0,
    wrapUpCode: null,
    callback: false,
    customerId: null,
    ewtAtEnqueue: null,
    stage: 0,
    tree: null,
    parked: false,
    parkToken: 0,
    heapIndex: -1,
    // the rest
    tier: 'mass',
    boost: 0,
    lastAgentId: null,
    attributes: noAttributes,
    callbackOffered: false,
    targetAgent: null,
    targetUntil: 0,
    task: null,
    timerFor: 'waiting',
    nextAnnounceAt: 0.5,
  };
}

/**
 * The ACD engine: queues, agents and the interactions between them, decided in O(log n).
 *
 * Two indexes carry every decision. For each queue and overflow stage, an ordered set of the
 * waiting interactions (service order: put-back heads, then priority with aging and tier bonus,
 * then age) and a heap of the agents available for it (in the queue's strategy order). An
 * arrival looks at one agent heap; an agent who frees up looks at the heads of the sets of the
 * queues it serves. Agents join and leave heaps as their load and presence change, which costs
 * O(log n) for each queue they serve.
 *
 * All time is the injected clock's; deadlines run on one `Scheduler`. Events are buffered while
 * an operation runs and published when it has finished, so a listener that calls back in sees
 * a consistent engine.
 */
export class AcdEngine {
  private readonly clock: Clock;
  private readonly publishPort: AcdPublisher | undefined;
  private readonly records: AcdRecordPort | undefined;
  private readonly reportError: ((error: unknown, context: string) => void) | undefined;
  private readonly exclusive: boolean[];
  private readonly shortAbandonMs: number;
  private readonly scheduler: Scheduler;
  /** Internal times (occupancy sums, aging keys) are relative to this, to keep sums exact in a double. */
  private readonly epoch: number;

  private readonly queues = new Map<string, QueueRec>();
  private readonly agents = new Map<string, AgentRec>();
  private readonly interactions = new Map<string, Ix>();
  private readonly preferred = new Map<string, Set<AgentRec>>();
  private readonly lastAgent = new Map<string, AgentRec>();
  private nextAgentSeq = 1;
  private nextOrder = 1;

  private intervalStart: number;
  private statsEpoch = 0;

  /**
   * Events of the operation in progress, in order: two parallel lists reused from one operation
   * to the next rather than an entry object per event and a fresh list per operation.
   */
  private readonly outTypes: (keyof AcdEvents)[] = [];
  private readonly outPayloads: unknown[] = [];
  private outCount = 0;
  private readonly spareIxs: Ix[] = [];
  private depth = 0;
  private flushing = false;
  private statisticsTask: ScheduledTask | null = null;
  private readonly wrapUpCodeList: readonly string[] | null;

  constructor(options: AcdEngineOptions) {
    this.clock = options.clock;
    this.wrapUpCodeList = options.wrapUpCodes ? [...options.wrapUpCodes] : null;
    this.publishPort = options.publish;
    this.records = options.records;
    this.reportError = options.reportError;
    this.shortAbandonMs = options.shortAbandonMs ?? 0;
    const exclusive = options.exclusiveChannels ?? ['voice', 'video'];
    this.exclusive = channels.map((channel) => exclusive.includes(channel));
    this.scheduler = new Scheduler(this.clock);
    this.epoch = this.clock.now();
    this.intervalStart = this.epoch;
    const every = options.statisticsIntervalMs;
    if (every !== undefined && every > 0) {
      const tick = () => {
        this.op(() => {
          for (const queue of this.queues.values()) this.emit('acd.queue.statistics', this.statsOf(queue));
        });
        this.statisticsTask = this.scheduler.at(this.clock.now() + every, tick);
      };
      this.statisticsTask = this.scheduler.at(this.epoch + every, tick);
    }
  }

  /** Stops every timer; the engine must not be used afterwards. */
  close(): void {
    this.scheduler.cancel(this.statisticsTask);
    this.scheduler.clear();
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /** Creates or replaces a queue. Waiting interactions keep their place; agents are re-matched. */
  defineQueue(input: QueueConfigInput): QueueConfig {
    const parsed = queueConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new AcdError('ACD_INVALID_CONFIG', 'invalid queue configuration', {
        fields: issuesToFields(parsed.error.issues),
      });
    }
    const config = parsed.data;
    return this.op(() => {
      const now = this.clock.now();
      const existing = this.queues.get(config.id);
      if (existing && existing.config.channel !== config.channel && this.holdsWork(existing)) {
        throw new AcdError(
          'ACD_QUEUE_NOT_EMPTY',
          `queue ${config.id} holds interactions; its channel cannot change`,
        );
      }
      const carried: Ix[] = [];
      let queue: QueueRec;
      if (existing) {
        for (const ix of this.waitingIn(existing)) {
          this.unpark(ix);
          carried.push(ix);
        }
        for (const agent of this.agents.values()) this.dropMembership(agent, existing, now);
        queue = existing;
        this.buildQueue(queue, config);
      } else {
        queue = this.buildQueue(null, config);
        this.queues.set(queue.id, queue);
      }
      carried.sort((a, b) => a.order - b.order);
      for (const ix of carried) {
        ix.channelIx = queue.channelIx;
        ix.key = this.keyOf(queue, ix.tier, ix.boost, ix.enqueuedAt);
        ix.stage = this.stageAt(queue, now - ix.enqueuedAt);
        this.park(ix);
      }
      const affected = [queue, ...[...this.queues.values()].filter((q) => this.references(q, queue.id))];
      this.rematch(affected, now);
      return config;
    });
  }

  removeQueue(queueId: string): void {
    this.op(() => {
      const queue = this.queueRec(queueId);
      if (this.holdsWork(queue))
        throw new AcdError('ACD_QUEUE_NOT_EMPTY', `queue ${queueId} holds interactions`);
      const now = this.clock.now();
      for (const agent of this.agents.values()) this.dropMembership(agent, queue, now);
      this.queues.delete(queue.id);
      this.rematch(
        [...this.queues.values()].filter((q) => this.references(q, queue.id)),
        now,
      );
    });
  }

  addAgent(input: AgentConfigInput): AgentConfig {
    const config = this.parseAgent(input);
    return this.op(() => {
      if (this.agents.has(config.id)) throw new AcdError('ACD_DUPLICATE_AGENT', `agent ${config.id} exists`);
      const now = this.clock.now();
      const agent: AgentRec = {
        id: asId<AgentId>(config.id),
        seq: this.nextAgentSeq++,
        config,
        skills: new Map(),
        capacity: channels.map(() => 0),
        loggedIn: false,
        presence: { kind: 'not-ready', reason: 'logged-out' },
        state: loggedOut,
        stateKind: loggedOut.kind,
        work: [],
        load: channels.map(() => 0),
        totalLoad: 0,
        exclusiveLoad: 0,
        availableSince: now,
        busyAccumMs: 0,
        loadChangedAt: now,
        memberships: new Map(),
        membershipList: [],
        baseQueues: [],
        targeted: null,
        accSince: now - this.epoch,
        stateSince: now,
        statsEpoch: this.statsEpoch,
        timeIn: agentStateKinds.map(() => 0),
        offered: 0,
        noAnswer: 0,
        handled: 0,
        handleSumMs: 0,
      };
      this.agents.set(agent.id, agent);
      this.applyAgentConfig(agent, config, now);
      return config;
    });
  }

  /** Changes skills, capacity, team or preferred customers; work in hand is not touched. */
  updateAgent(input: AgentConfigInput): AgentConfig {
    const config = this.parseAgent(input);
    return this.op(() => {
      const agent = this.agentRec(config.id);
      const now = this.clock.now();
      this.applyAgentConfig(agent, config, now);
      this.serve(agent);
      return config;
    });
  }

  removeAgent(agentId: string): void {
    this.op(() => {
      const agent = this.agentRec(agentId);
      if (agent.loggedIn) throw new AcdError('ACD_AGENT_LOGGED_IN', `agent ${agentId} is logged in`);
      const now = this.clock.now();
      for (const queue of [...agent.memberships.keys()]) this.dropMembership(agent, queue, now);
      for (const customer of agent.config.preferredCustomers) this.preferred.get(customer)?.delete(agent);
      for (const [customer, last] of this.lastAgent) if (last === agent) this.lastAgent.delete(customer);
      this.agents.delete(agent.id);
    });
  }

  // ───────────────────────────── agent presence ─────────────────────────────

  login(agentId: string, options: { ready?: boolean } = {}): void {
    this.op(() => {
      const agent = this.agentRec(agentId);
      if (agent.loggedIn) throw new AcdError('ACD_AGENT_LOGGED_IN', `agent ${agentId} is already logged in`);
      agent.loggedIn = true;
      agent.presence = { kind: 'not-ready', reason: 'login' };
      this.changeState(agent);
      if (options.ready) this.becomeReady(agent);
    });
  }

  setReady(agentId: string): void {
    this.op(() => {
      const agent = this.loggedInAgent(agentId);
      if (agent.presence.kind === 'ready') return;
      this.becomeReady(agent);
    });
  }

  /** Not ready with a reason code; while the agent still holds work it takes effect when that ends. */
  setNotReady(agentId: string, reason: string): void {
    this.op(() => {
      const agent = this.loggedInAgent(agentId);
      const presence: Presence = { kind: 'not-ready', reason };
      agent.presence = presence;
      this.refreshAgent(agent);
      if (!this.changeState(agent)) {
        this.emit('acd.agent.presence-changed', { agentId: agent.id, presence, at: this.clock.now() });
      }
    });
  }

  /**
   * Logs the agent out. With `force`, ringing offers go back to the head of their queues and
   * wrap-ups end; a connected interaction must be released first either way.
   */
  logout(agentId: string, options: { force?: boolean } = {}): void {
    this.op(() => {
      const agent = this.loggedInAgent(agentId);
      for (const ix of agent.work) {
        if (ix.state === 'connected' || !options.force) {
          throw new AcdError(
            'ACD_AGENT_HAS_WORK',
            `agent ${agentId} holds interaction ${ix.id} (${ix.state})`,
          );
        }
      }
      agent.presence = { kind: 'not-ready', reason: 'logout' };
      this.refreshAgent(agent);
      for (const ix of [...agent.work]) {
        if (ix.state === 'offered') this.takeBack(ix, 'agent-logged-out', null);
        else this.complete(ix, 'agent-logged-out');
      }
      if (agent.targeted) {
        // Nobody to wait for any more: they join their queues at their place.
        for (const ix of [...agent.targeted.values()]) {
          this.unpark(ix);
          this.routeWaiting(ix);
        }
      }
      agent.loggedIn = false;
      this.changeState(agent);
    });
  }

  // ───────────────────────────── interactions ─────────────────────────────

  /** A contact arrives: offered at once to the best ready agent, or queued with position and estimate. */
  enqueue(request: EnqueueRequestInput): EnqueueResult {
    this.depth++;
    try {
      return this.enqueueNow(request);
    } finally {
      this.leave();
    }
  }

  private enqueueNow(request: EnqueueRequestInput): EnqueueResult {
    const queue = this.queueRec(request.queueId);
    if (this.interactions.has(request.interactionId)) {
      throw new AcdError(
        'ACD_DUPLICATE_INTERACTION',
        `interaction ${request.interactionId} is already in the ACD`,
      );
    }
    const now = this.clock.now();
    const tier = request.tier ?? 'mass';
    if (!Object.hasOwn(queue.tierBonus, tier)) {
      throw new AcdError('ACD_INVALID_CONFIG', `unknown customer tier ${tier}`, {
        fields: [{ field: 'tier', message: 'must be private, affluent or mass' }],
      });
    }
    const boost = request.priorityBoost ?? 0;
    const ix = this.newIx(
      queue,
      asId<InteractionId>(request.interactionId),
      request.customerId === undefined ? null : asId<CustomerId>(request.customerId),
      tier,
      boost,
      request.lastAgentId === undefined ? null : asId<AgentId>(request.lastAgentId),
      request.attributes ?? noAttributes,
      now,
      this.nextOrder++,
      false,
      request.callback ?? false,
    );
    this.interactions.set(ix.id, ix);
    queue.counters.offered++;
    if (ix.callback) queue.counters.callbacksAccepted++;

    const agent = this.pickAgent(ix, true);
    if (agent) {
      this.emit('acd.interaction.queued', {
        interactionId: ix.id,
        queueId: queue.id,
        position: 0,
        ewtMs: 0,
        at: now,
      });
      this.offer(ix, agent);
      return { outcome: 'offered', agentId: agent.id };
    }
    this.targetIfWaitingForLastAgent(ix, now);
    this.park(ix);
    const position = this.positionOf(ix);
    const ewtMs = this.ewtFor(queue, position);
    ix.ewtAtEnqueue = ewtMs;
    this.emit('acd.interaction.queued', {
      interactionId: ix.id,
      queueId: queue.id,
      position,
      ewtMs,
      at: now,
    });
    const offerCallback = this.maybeOfferCallback(ix, ewtMs, now);
    this.persist(ix);
    return { outcome: 'queued', position, ewtMs, offerCallback };
  }

  accept(agentId: string, interactionId: string): void {
    this.depth++;
    try {
      const agent = this.agentRec(agentId);
      const ix = this.offeredTo(agent, interactionId);
      const now = this.clock.now();
      this.clearTimer(ix);
      this.move(ix, 'connected');
      ix.connectedAt = now;
      const waited = now - ix.enqueuedAt;
      const queue = ix.queue;
      const c = queue.counters;
      if (ix.callback) {
        c.callbacksAnswered++;
      } else {
        c.answered++;
        c.waitSumMs += waited;
        if (waited <= queue.config.serviceLevel.withinMs) c.answeredWithinTarget++;
        if (ix.ewtAtEnqueue !== null) {
          const error = ix.ewtAtEnqueue - waited;
          c.ewtSamples++;
          c.ewtErrorSumMs += error;
          c.ewtAbsErrorSumMs += Math.abs(error);
        }
      }
      this.changeState(agent);
      this.emit('acd.interaction.connected', {
        interactionId: ix.id,
        queueId: queue.id,
        agentId: agent.id,
        waitedMs: waited,
        at: now,
      });
      this.persist(ix);
    } finally {
      this.leave();
    }
  }

  /** The agent refuses the offer: it goes back to the head of its queue and the agent to not-ready. */
  decline(agentId: string, interactionId: string): void {
    this.op(() => {
      const ix = this.offeredTo(this.agentRec(agentId), interactionId);
      this.takeBack(ix, 'declined', 'declined');
    });
  }

  /**
   * The conversation ended: wrap-up starts (or, with no wrap-up time, the interaction completes
   * and the agent may be offered the next one at once). Returns the agent's state afterwards.
   */
  release(agentId: string, interactionId: string, options: { wrapUpCode?: string } = {}): AgentState {
    this.checkWrapUpCode(options.wrapUpCode);
    this.depth++;
    try {
      const agent = this.agentRec(agentId);
      const ix = this.ixRec(interactionId);
      if (ix.state !== 'connected' || ix.agent !== agent) {
        throw new AcdError(
          'ACD_NOT_CONNECTED',
          `interaction ${interactionId} is not connected to agent ${agentId}`,
        );
      }
      const now = this.clock.now();
      ix.releasedAt = now;
      if (options.wrapUpCode !== undefined) ix.wrapUpCode = options.wrapUpCode;
      const wrapUpMs = ix.queue.config.wrapUpMs;
      if (wrapUpMs <= 0) {
        this.complete(ix, 'released');
        return agent.state;
      }
      this.move(ix, 'wrap-up');
      ix.deadline = now + wrapUpMs;
      this.armWrapUp(ix);
      this.changeState(agent);
      this.emit('acd.interaction.wrap-up', {
        interactionId: ix.id,
        agentId: agent.id,
        deadline: ix.deadline,
        at: now,
      });
      this.persist(ix);
      return agent.state;
    } finally {
      this.leave();
    }
  }

  /** Pushes the wrap-up deadline out by `byMs`; it never pulls it in. */
  extendWrapUp(agentId: string, interactionId: string, byMs: number): number {
    return this.op(() => {
      const ix = this.inWrapUp(agentId, interactionId);
      if (!(byMs > 0)) throw new AcdError('ACD_INVALID_CONFIG', 'a wrap-up extension must be positive');
      ix.deadline += byMs;
      this.armWrapUp(ix);
      this.changeState(ix.agent!);
      this.emit('acd.interaction.wrap-up-extended', {
        interactionId: ix.id,
        agentId: ix.agent!.id,
        deadline: ix.deadline,
        at: this.clock.now(),
      });
      return ix.deadline;
    });
  }

  /** The agent finished the after-contact work before the deadline. */
  endWrapUp(agentId: string, interactionId: string, options: { wrapUpCode?: string } = {}): void {
    this.checkWrapUpCode(options.wrapUpCode);
    this.op(() => {
      const ix = this.inWrapUp(agentId, interactionId);
      if (options.wrapUpCode !== undefined) ix.wrapUpCode = options.wrapUpCode;
      this.complete(ix, 'agent');
    });
  }

  /** The customer left before an agent answered (also while an agent's phone rang). */
  abandon(interactionId: string): void {
    this.op(() => {
      const ix = this.ixRec(interactionId);
      const now = this.clock.now();
      const whileOffered = ix.state === 'offered';
      this.withdraw(ix, 'abandoned', () => {
        const waited = now - ix.enqueuedAt;
        if (!ix.callback) {
          if (waited < this.shortAbandonMs) ix.queue.counters.shortAbandoned++;
          else ix.queue.counters.abandoned++;
        }
        this.emit('acd.interaction.abandoned', {
          interactionId: ix.id,
          queueId: ix.queue.id,
          waitedMs: waited,
          whileOffered,
          at: now,
        });
      });
    });
  }

  /** Takes the interaction out of the ACD for another reason (transferred, handled in self-service). */
  cancel(interactionId: string, reason: string): void {
    this.op(() => {
      const ix = this.ixRec(interactionId);
      this.withdraw(ix, 'canceled', () => {
        this.emit('acd.interaction.canceled', {
          interactionId: ix.id,
          queueId: ix.queue.id,
          reason,
          at: this.clock.now(),
        });
      });
    });
  }

  /** The customer took the callback offer: the live contact ends but its place in the queue stays. */
  acceptCallback(interactionId: string): WaitEstimate {
    return this.op(() => {
      const ix = this.ixRec(interactionId);
      if (ix.state !== 'waiting')
        throw new AcdError('ACD_NOT_WAITING', `interaction ${interactionId} is ${ix.state}`);
      if (!ix.callback) {
        ix.callback = true;
        ix.queue.counters.callbacksAccepted++;
        this.armWaiting(ix);
        this.persist(ix);
      }
      const estimate = this.estimateOf(ix);
      this.emit('acd.interaction.callback-accepted', {
        interactionId: ix.id,
        queueId: ix.queue.id,
        position: estimate.position,
        at: this.clock.now(),
      });
      return estimate;
    });
  }

  // ───────────────────────────── queries ─────────────────────────────

  /** Position (1 = next) and estimated wait of a waiting interaction. */
  estimate(interactionId: string): WaitEstimate {
    const ix = this.ixRec(interactionId);
    if (ix.state !== 'waiting')
      throw new AcdError('ACD_NOT_WAITING', `interaction ${interactionId} is ${ix.state}`);
    return this.estimateOf(ix);
  }

  /** What a contact arriving now would be told: its position and estimated wait. */
  estimateForArrival(
    queueId: string,
    options: { tier?: CustomerTier; priorityBoost?: number } = {},
  ): {
    position: number;
    ewtMs: number | null;
  } {
    const queue = this.queueRec(queueId);
    const now = this.clock.now();
    if (queue.pools[0]!.heap.size > 0) return { position: 0, ewtMs: 0 };
    const probe = this.newIx(
      queue,
      asId<InteractionId>('probe'),
      null,
      options.tier ?? 'mass',
      options.priorityBoost ?? 0,
      null,
      noAttributes,
      now,
      this.nextOrder,
      false,
      false,
    );
    const position = this.positionOf(probe);
    this.retire(probe);
    return { position, ewtMs: this.ewtFor(queue, position) };
  }

  interactionState(interactionId: string): {
    state: InteractionState;
    queueId: QueueId;
    agentId: AgentId | null;
    stage: number;
  } {
    const ix = this.ixRec(interactionId);
    return { state: ix.state, queueId: ix.queue.id, agentId: ix.agent?.id ?? null, stage: ix.stage };
  }

  /** The configured wrap-up codes, or null when any code is taken. */
  wrapUpCodes(): readonly string[] | null {
    return this.wrapUpCodeList;
  }

  private checkWrapUpCode(code: string | undefined): void {
    if (code === undefined || this.wrapUpCodeList === null || this.wrapUpCodeList.includes(code)) return;
    throw new AcdError('ACD_UNKNOWN_WRAP_UP_CODE', `unknown wrap-up code ${code}`, {
      fields: [{ field: 'wrapUpCode', message: `must be one of ${this.wrapUpCodeList.join(', ')}` }],
    });
  }

  hasInteraction(interactionId: string): boolean {
    return this.interactions.has(interactionId);
  }

  agentState(agentId: string): { state: AgentState; presence: Presence } {
    const agent = this.agentRec(agentId);
    return { state: agent.state, presence: agent.presence };
  }

  queueConfig(queueId: string): QueueConfig {
    return this.queueRec(queueId).config;
  }

  agentConfig(agentId: string): AgentConfig {
    return this.agentRec(agentId).config;
  }

  queueIds(): QueueId[] {
    return [...this.queues.values()].map((queue) => queue.id);
  }

  agentIds(): AgentId[] {
    return [...this.agents.values()].map((agent) => agent.id);
  }

  queueStatistics(queueId: string): QueueStatistics {
    return this.statsOf(this.queueRec(queueId));
  }

  agentStatistics(agentId: string): AgentStatistics {
    const agent = this.agentRec(agentId);
    const now = this.clock.now();
    const stats = this.agentStats(agent);
    const timeIn = [...stats.timeIn];
    const open = now - this.epoch - this.accStart(agent);
    timeIn[kindIndex[agent.state.kind]]! += Math.max(0, open);
    const timeInStateMs = zeroByKind();
    let busy = 0;
    let staffed = 0;
    for (const kind of agentStateKinds) {
      const ms = timeIn[kindIndex[kind]]!;
      timeInStateMs[kind] = ms;
      if (workingKinds[kindIndex[kind]]) busy += ms;
      if (staffedKinds[kindIndex[kind]]) staffed += ms;
    }
    const load: Partial<Record<Channel, number>> = {};
    channels.forEach((channel, index) => {
      if (agent.load[index]! > 0) load[channel] = agent.load[index]!;
    });
    return {
      agentId: agent.id,
      at: now,
      since: this.intervalStart,
      state: agent.state,
      stateSince: agent.stateSince,
      presence: agent.presence,
      load,
      offered: stats.offered,
      noAnswer: stats.noAnswer,
      handled: stats.handled,
      ahtMs: stats.handled > 0 ? stats.handleSumMs / stats.handled : null,
      occupancy: staffed > 0 ? busy / staffed : null,
      timeInStateMs,
    };
  }

  /** Starts a new statistics interval (a new day, a new half hour) for every queue and agent. */
  resetStatistics(): void {
    const now = this.clock.now();
    // Agents' open intervals are cut lazily: accounting starts at max(state start, interval start).
    this.intervalStart = now;
    this.statsEpoch++;
    for (const queue of this.queues.values()) {
      queue.counters = zeroCounters();
      queue.departed.fill(0);
    }
  }

  // ───────────────────────────── recovery ─────────────────────────────

  /** Every interaction the ACD holds, waiting ones with their position, in queue order. */
  snapshot(): AcdSnapshot {
    const interactions: AcdSnapshot['interactions'] = [];
    for (const queue of this.queues.values()) {
      const waiting = this.waitingIn(queue).sort(waitingOrder);
      for (const ix of waiting) interactions.push({ ...this.recordOf(ix), position: this.positionOf(ix) });
    }
    const held = [...this.interactions.values()].filter((ix) => ix.state !== 'waiting');
    held.sort((a, b) => a.order - b.order);
    for (const ix of held) interactions.push({ ...this.recordOf(ix), position: null });
    return { version: 1, takenAt: this.clock.now(), interactions };
  }

  /**
   * After a restart: puts surviving interactions back where they were (waiting ones at their
   * old position, ones that were with an agent at the head of their queue) and reports the
   * rest closed, each with its reason. Accepts a snapshot or the record port's rows.
   */
  restore(input: unknown, options: RestoreOptions = {}): RestoreResult {
    const records = this.parseRestore(input);
    for (const record of records) {
      if (this.interactions.has(record.interactionId)) {
        throw new AcdError(
          'ACD_DUPLICATE_INTERACTION',
          `interaction ${record.interactionId} is already in the ACD`,
        );
      }
    }
    const survives =
      options.survivesRestart ??
      ((record: InteractionRecord) => record.callback || !this.exclusiveChannel(record));
    return this.op(() => {
      const now = this.clock.now();
      const result: RestoreResult = { requeued: [], closed: [] };
      const sorted = [...records].sort((a, b) => a.order - b.order);
      for (const record of sorted) {
        this.nextOrder = Math.max(this.nextOrder, record.order + 1);
        const queue = this.queues.get(record.queueId);
        const reason: RestoreResult['closed'][number]['reason'] | null = !queue
          ? 'queue-removed'
          : record.state === 'wrap-up'
            ? 'wrap-up-ended'
            : survives(record)
              ? null
              : 'channel-lost-on-restart';
        if (reason !== null || !queue) {
          const closedReason = reason ?? 'queue-removed';
          result.closed.push({ interactionId: record.interactionId, reason: closedReason });
          this.records?.delete(record.interactionId);
          this.emit('acd.interaction.canceled', {
            interactionId: record.interactionId,
            queueId: record.queueId,
            reason: closedReason,
            at: now,
          });
          continue;
        }
        const ix = this.newIx(
          queue,
          record.interactionId,
          record.customerId,
          record.tier,
          record.priorityBoost,
          record.lastAgentId,
          record.attributes,
          record.enqueuedAt,
          record.order,
          // One that was with an agent when the process stopped was being served: it goes first.
          record.head || record.state !== 'waiting',
          record.callback,
        );
        ix.stage = this.stageAt(queue, now - ix.enqueuedAt);
        this.interactions.set(ix.id, ix);
        result.requeued.push(ix.id);
        this.routeWaiting(ix);
        if (ix.state === 'waiting') {
          const estimate = this.estimateOf(ix);
          this.emit('acd.interaction.queued', {
            interactionId: ix.id,
            queueId: queue.id,
            position: estimate.position,
            ewtMs: estimate.ewtMs,
            at: now,
          });
          this.persist(ix);
        }
      }
      return result;
    });
  }

  // ───────────────────────────── internals: routing ─────────────────────────────

  /**
   * The agent for an interaction, or null to wait. `onArrival`: with the last-agent strategy a
   * new arrival whose last agent is logged in but busy waits for them (see
   * `targetIfWaitingForLastAgent`) rather than going to someone else.
   */
  private pickAgent(ix: Ix, onArrival = false): AgentRec | null {
    const queue = ix.queue;
    const c = ix.channelIx;
    if (ix.customerId !== null) {
      const preferred = this.preferred.get(ix.customerId);
      if (preferred) {
        let best: AgentRec | null = null;
        for (const agent of preferred) {
          if (
            this.available(agent, c) &&
            this.eligible(agent, queue, ix.stage) &&
            (!best || longestIdle(agent, best))
          ) {
            best = agent;
          }
        }
        if (best) return best;
      }
    }
    if (queue.config.strategy === 'last-agent') {
      const last = this.lastAgentOf(ix);
      if (last?.loggedIn && this.eligible(last, queue, ix.stage)) {
        if (this.available(last, c)) return last;
        if (onArrival && queue.config.lastAgentWithinMs > 0) return null;
      }
    }
    return queue.pools[ix.stage]!.heap.peek()?.agent ?? null;
  }

  /** The next interaction for an agent with free capacity: personal ones first, then by queue. */
  private bestFor(agent: AgentRec): Ix | null {
    if (!agent.loggedIn || agent.presence.kind !== 'ready') return null;
    const personal = agent.targeted?.first();
    if (personal && this.available(agent, personal.channelIx)) return personal;
    const now = this.clock.now();
    let best: Ix | null = null;
    let bestEffective = 0;
    const memberships = agent.membershipList;
    // Most agents serve queues of one channel: whether they have room there is asked once.
    let channel = -1;
    let room = false;
    for (let m = 0; m < memberships.length; m++) {
      const membership = memberships[m]!;
      if (membership.channelIx !== channel) {
        channel = membership.channelIx;
        room = this.available(agent, channel);
      }
      if (!room) continue;
      let head = membership.firstSet.first() ?? null;
      const later = membership.laterSets;
      for (let s = 0; s < later.length; s++) {
        const first = later[s]!.first();
        if (first && (head === null || waitingOrder(first, head) < 0)) head = first;
      }
      if (head === null) continue;
      // Across queues the current effective priority decides (aging differs by queue), then age.
      const effective = head.key + membership.agingPerMs * (now - this.epoch);
      if (
        best === null ||
        effective > bestEffective ||
        (effective === bestEffective &&
          (head.enqueuedAt < best.enqueuedAt ||
            (head.enqueuedAt === best.enqueuedAt && head.order < best.order)))
      ) {
        best = head;
        bestEffective = effective;
      }
    }
    return best;
  }

  /**
   * Offers work to an agent with free capacity until it has none or there is no work it may
   * take, then settles the agent in its pools. Doing the pools last spares an agent who frees up
   * into a waiting queue the round trip in and out of every pool it belongs to.
   */
  private serve(agent: AgentRec): void {
    for (;;) {
      const ix = this.bestFor(agent);
      if (ix === null) break;
      this.offer(ix, agent, false);
    }
    this.refreshAgent(agent);
  }

  /** A waiting (not yet parked) interaction: to an agent now, or into its queue. */
  private routeWaiting(ix: Ix): void {
    const agent = ix.targetAgent ? null : this.pickAgent(ix);
    if (agent) this.offer(ix, agent);
    else this.park(ix);
  }

  /** `refresh` false: the caller (serve) settles the agent's pools itself, before any other pool is read. */
  private offer(ix: Ix, agent: AgentRec, refresh = true): void {
    const now = this.clock.now();
    if (ix.parked) this.unpark(ix);
    this.move(ix, 'offered');
    const queue = ix.queue;
    ix.head = false;
    ix.agent = agent;
    ix.offeredAt = now;
    const ring = queue.config.ringNoAnswerMs;
    ix.deadline = ring > 0 ? now + ring : Number.POSITIVE_INFINITY;
    agent.work.push(ix);
    this.changeLoad(agent, ix.channelIx, 1, now);
    if (queue.config.strategy === 'round-robin') {
      const membership = agent.memberships.get(queue);
      if (membership) {
        const stamp = ++queue.rrCounter;
        for (const entry of membership.entries) entry.rr = stamp;
      }
    }
    if (refresh) this.refreshAgent(agent);
    this.agentStats(agent).offered++;
    if (ring > 0) this.setTimer(ix, ix.deadline);
    this.changeState(agent);
    this.emit('acd.interaction.offered', {
      interactionId: ix.id,
      queueId: queue.id,
      agentId: agent.id,
      customerId: ix.customerId,
      channel: queue.config.channel,
      offerDeadline: ring > 0 ? ix.deadline : null,
      waitedMs: now - ix.enqueuedAt,
      at: now,
    });
    this.persist(ix);
  }

  private noAnswer(ix: Ix): void {
    if (ix.state !== 'offered' || ix.agent === null) return;
    this.agentStats(ix.agent).noAnswer++;
    this.takeBack(ix, 'no-answer', 'no-answer');
  }

  /**
   * An offer that did not turn into a conversation goes back to the head of its queue, and then
   * straight on to another agent if one is free. The agent goes not-ready with `notReadyReason`.
   */
  private takeBack(
    ix: Ix,
    reason: 'no-answer' | 'declined' | 'agent-logged-out',
    notReadyReason: string | null,
  ): void {
    const agent = ix.agent!;
    const now = this.clock.now();
    this.clearTimer(ix);
    dropWork(agent, ix);
    this.changeLoad(agent, ix.channelIx, -1, now);
    ix.agent = null;
    if (notReadyReason !== null) agent.presence = { kind: 'not-ready', reason: notReadyReason };
    this.move(ix, 'waiting');
    ix.head = true;
    this.refreshAgent(agent);
    if (!this.changeState(agent) && notReadyReason !== null) {
      // Still holding other work (another chat), so only the presence moved.
      this.emit('acd.agent.presence-changed', { agentId: agent.id, presence: agent.presence, at: now });
    }
    this.emit('acd.interaction.requeued', {
      interactionId: ix.id,
      queueId: ix.queue.id,
      agentId: agent.id,
      reason,
      at: now,
    });
    this.routeWaiting(ix);
    this.persist(ix);
    this.serve(agent);
  }

  private complete(ix: Ix, reason: AcdEvents['acd.interaction.completed']['reason']): void {
    const agent = ix.agent!;
    const queue = ix.queue;
    const now = this.clock.now();
    this.clearTimer(ix);
    if (ix.state === 'connected') ix.releasedAt = now;
    this.move(ix, 'completed');
    const handleMs = ix.releasedAt - ix.connectedAt;
    const wrapUpMs = now - ix.releasedAt;
    const total = handleMs + wrapUpMs;
    queue.counters.handled++;
    queue.counters.handleSumMs += total;
    queue.ahtSamples++;
    queue.ahtMeanMs += (total - queue.ahtMeanMs) / Math.min(queue.ahtSamples, ahtWindow);
    const stats = this.agentStats(agent);
    stats.handled++;
    stats.handleSumMs += total;
    dropWork(agent, ix);
    this.changeLoad(agent, ix.channelIx, -1, now);
    ix.agent = null;
    if (ix.customerId !== null) this.lastAgent.set(ix.customerId, agent);
    this.interactions.delete(ix.id);
    this.records?.delete(ix.id);
    this.emit('acd.interaction.completed', {
      interactionId: ix.id,
      queueId: queue.id,
      agentId: agent.id,
      handleMs,
      wrapUpMs,
      reason,
      wrapUpCode: ix.wrapUpCode,
      at: now,
    });
    this.changeState(agent);
    this.serve(agent);
    this.retire(ix);
  }

  /**
   * Removes a waiting or offered interaction for good (abandoned, canceled). `announce` runs
   * once it is gone and before its agent takes other work, so the events come in that order.
   */
  private withdraw(ix: Ix, to: 'abandoned' | 'canceled', announce: () => void): void {
    if (ix.state === 'connected' || ix.state === 'wrap-up') {
      throw new AcdError('ACD_ALREADY_CONNECTED', `interaction ${ix.id} is ${ix.state}; release it instead`);
    }
    const agent = ix.agent;
    if (ix.state === 'waiting') this.unpark(ix);
    this.clearTimer(ix);
    this.move(ix, to);
    this.interactions.delete(ix.id);
    this.records?.delete(ix.id);
    announce();
    if (agent) {
      dropWork(agent, ix);
      this.changeLoad(agent, ix.channelIx, -1, this.clock.now());
      ix.agent = null;
      this.changeState(agent);
      this.serve(agent);
    }
    this.retire(ix);
  }

  private becomeReady(agent: AgentRec): void {
    agent.presence = readyPresence;
    if (agent.totalLoad === 0) agent.availableSince = this.clock.now();
    if (!this.changeState(agent)) {
      this.emit('acd.agent.presence-changed', {
        agentId: agent.id,
        presence: agent.presence,
        at: this.clock.now(),
      });
    }
    this.serve(agent);
  }

  // ───────────────────────────── internals: waiting ─────────────────────────────

  private park(ix: Ix): void {
    const queue = ix.queue;
    if (ix.targetAgent) {
      ix.targetAgent.targeted ??= new OrderedSet<Ix>(waitingOrder);
      ix.targetAgent.targeted.insert(ix);
    } else {
      const tree = queue.waiting[ix.stage]!;
      tree.insert(ix);
      ix.tree = tree;
    }
    queue.byAge.add(ix);
    ix.parked = true;
    this.armWaiting(ix);
  }

  private unpark(ix: Ix): void {
    if (ix.tree !== null) {
      ix.tree.delete(ix);
      ix.tree = null;
    }
    if (ix.targetAgent !== null) {
      ix.targetAgent.targeted?.delete(ix);
      ix.targetAgent = null;
    }
    ix.queue.byAge.remove(ix);
    ix.parked = false;
    this.clearTimer(ix);
  }

  private targetIfWaitingForLastAgent(ix: Ix, now: number): void {
    const queue = ix.queue;
    if (queue.config.strategy !== 'last-agent' || queue.config.lastAgentWithinMs <= 0) return;
    const last = this.lastAgentOf(ix);
    if (!last?.loggedIn || !this.eligible(last, queue, ix.stage)) return;
    ix.targetAgent = last;
    ix.targetUntil = now + queue.config.lastAgentWithinMs;
  }

  private armWaiting(ix: Ix): void {
    const queue = ix.queue;
    const config = queue.config;
    let next = Number.POSITIVE_INFINITY;
    const nextStage = queue.stages[ix.stage + 1];
    if (nextStage) next = Math.min(next, ix.enqueuedAt + nextStage.afterMs);
    if (!ix.callback && config.maxWaitMs !== undefined)
      next = Math.min(next, ix.enqueuedAt + config.maxWaitMs);
    if (ix.targetAgent) next = Math.min(next, ix.targetUntil);
    if (config.announceEveryMs !== undefined) next = Math.min(next, ix.nextAnnounceAt);
    if (next < Number.POSITIVE_INFINITY) this.setTimer(ix, next);
    else this.clearTimer(ix);
  }

  private onWaitingTimer(ix: Ix): void {
    const queue = ix.queue;
    const config = queue.config;
    const now = this.clock.now();
    if (ix.targetAgent && now >= ix.targetUntil) {
      const agent = ix.targetAgent;
      agent.targeted?.delete(ix);
      ix.targetAgent = null;
      const tree = queue.waiting[ix.stage]!;
      tree.insert(ix);
      ix.tree = tree;
      if (this.tryRoute(ix)) return;
    }
    const stage = this.stageAt(queue, now - ix.enqueuedAt);
    if (stage > ix.stage) {
      if (ix.tree !== null) {
        ix.tree.delete(ix);
        ix.stage = stage;
        ix.tree = queue.waiting[stage]!;
        ix.tree.insert(ix);
      } else {
        ix.stage = stage;
      }
      this.emit('acd.interaction.overflowed', { interactionId: ix.id, queueId: queue.id, stage, at: now });
      if (ix.targetAgent === null && this.tryRoute(ix)) return;
    }
    if (!ix.callback && config.maxWaitMs !== undefined && now - ix.enqueuedAt >= config.maxWaitMs) {
      this.unpark(ix);
      this.move(ix, 'max-wait');
      this.interactions.delete(ix.id);
      this.records?.delete(ix.id);
      queue.counters.maxWaitExpired++;
      this.emit('acd.interaction.max-wait', {
        interactionId: ix.id,
        queueId: queue.id,
        waitedMs: now - ix.enqueuedAt,
        at: now,
      });
      this.retire(ix);
      return;
    }
    const every = config.announceEveryMs;
    if (every !== undefined && now >= ix.nextAnnounceAt) {
      const estimate = this.estimateOf(ix);
      this.emit('acd.interaction.position', {
        interactionId: ix.id,
        queueId: queue.id,
        position: estimate.position,
        ewtMs: estimate.ewtMs,
        at: now,
      });
      this.maybeOfferCallback(ix, estimate.ewtMs, now);
      while (ix.nextAnnounceAt <= now) ix.nextAnnounceAt += every;
    }
    this.armWaiting(ix);
  }

  private tryRoute(ix: Ix): boolean {
    const agent = this.pickAgent(ix);
    if (agent === null) return false;
    this.offer(ix, agent);
    return true;
  }

  private maybeOfferCallback(ix: Ix, ewtMs: number | null, now: number): boolean {
    const threshold = ix.queue.config.callbackOfferMs;
    if (
      ix.callback ||
      ix.callbackOffered ||
      threshold === undefined ||
      ewtMs === null ||
      ewtMs <= threshold
    ) {
      return false;
    }
    ix.callbackOffered = true;
    this.emit('acd.interaction.callback-offer', {
      interactionId: ix.id,
      queueId: ix.queue.id,
      ewtMs,
      at: now,
    });
    return true;
  }

  private armWrapUp(ix: Ix): void {
    this.setTimer(ix, ix.deadline);
  }

  private wrapUpDue(ix: Ix): void {
    // The scheduler never runs a task early; this guards the invariant all the same.
    if (this.clock.now() < ix.deadline) {
      this.armWrapUp(ix);
      return;
    }
    this.complete(ix, 'deadline');
  }

  /** Arms the interaction's deadline for its current state (replacing any armed one). */
  private setTimer(ix: Ix, at: number): void {
    let task = ix.task;
    if (task === null) {
      task = new ScheduledTask(() => this.onTimer(ix));
      ix.task = task;
    }
    ix.timerFor = ix.state;
    this.scheduler.schedule(task, at);
    ix.timer = task;
  }

  private clearTimer(ix: Ix): void {
    if (ix.timer === null) return;
    this.scheduler.cancel(ix.timer);
    ix.timer = null;
  }

  /** An interaction's deadline: ring-no-answer, a waiting step (overflow, maximum wait, announcement) or wrap-up. */
  private onTimer(ix: Ix): void {
    this.depth++;
    try {
      ix.timer = null;
      if (ix.state !== ix.timerFor) return;
      if (ix.state === 'offered') this.noAnswer(ix);
      else if (ix.state === 'waiting') this.onWaitingTimer(ix);
      else if (ix.state === 'wrap-up') this.wrapUpDue(ix);
    } finally {
      this.leave();
    }
  }

  private positionOf(ix: Ix): number {
    let ahead = 0;
    for (const tree of ix.queue.waiting) ahead += tree.rank(ix);
    return ahead + 1;
  }

  /**
   * Expected wait at position k with N agents staffed: k service completions at N / AHT
   * (exact for first-come-first-served M/M/N without abandonment; abandonment ahead makes the
   * real wait shorter, which the measured error shows).
   */
  private ewtFor(queue: QueueRec, position: number): number | null {
    if (queue.staffedSlots <= 0) return null;
    const aht = queue.ahtSamples >= ahtMinSamples ? queue.ahtMeanMs : queue.config.expectedHandleMs;
    return Math.round((position * aht) / queue.staffedSlots);
  }

  private estimateOf(ix: Ix): WaitEstimate {
    const position = this.positionOf(ix);
    return {
      interactionId: ix.id,
      queueId: ix.queue.id,
      position,
      ewtMs: this.ewtFor(ix.queue, position),
      waitedMs: this.clock.now() - ix.enqueuedAt,
    };
  }

  private stageAt(queue: QueueRec, waitedMs: number): number {
    let stage = 0;
    while (stage + 1 < queue.stages.length && queue.stages[stage + 1]!.afterMs <= waitedMs) stage++;
    return stage;
  }

  private keyOf(queue: QueueRec, tier: CustomerTier, boost: number, enqueuedAt: number): number {
    const base = queue.config.priority + boost + queue.tierBonus[tier];
    return base - queue.agingPerMs * (enqueuedAt - this.epoch);
  }

  // ───────────────────────────── internals: agents ─────────────────────────────

  private available(agent: AgentRec, c: number): boolean {
    if (!agent.loggedIn || agent.presence.kind !== 'ready') return false;
    if (agent.load[c]! >= agent.capacity[c]!) return false;
    return this.exclusive[c] ? agent.totalLoad === 0 : agent.exclusiveLoad === 0;
  }

  private eligible(agent: AgentRec, queue: QueueRec, stage: number): boolean {
    const membership = agent.memberships.get(queue);
    return membership !== undefined && membership.minStage <= stage;
  }

  private lastAgentOf(ix: Ix): AgentRec | null {
    if (ix.lastAgentId !== null) {
      const named = this.agents.get(ix.lastAgentId);
      if (named) return named;
    }
    return ix.customerId === null ? null : (this.lastAgent.get(ix.customerId) ?? null);
  }

  private changeLoad(agent: AgentRec, c: number, delta: number, now: number): void {
    if (agent.totalLoad > 0) agent.busyAccumMs += now - agent.loadChangedAt;
    agent.loadChangedAt = now;
    agent.load[c]! += delta;
    agent.totalLoad += delta;
    if (this.exclusive[c]) agent.exclusiveLoad += delta;
    if (delta < 0) agent.availableSince = now;
  }

  /** Puts the agent in, out of, or back in order in every pool it belongs to. */
  private refreshAgent(agent: AgentRec): void {
    const memberships = agent.membershipList;
    for (let m = 0; m < memberships.length; m++) {
      const membership = memberships[m]!;
      const want = this.available(agent, membership.queue.channelIx);
      const entries = membership.entries;
      for (let e = 0; e < entries.length; e++) {
        const entry = entries[e]!;
        const heap = entry.pool.heap;
        if (entry.heapIndex >= 0) {
          if (want) heap.update(entry);
          else heap.remove(entry);
        } else if (want) {
          heap.push(entry);
        }
      }
    }
  }

  private deriveState(agent: AgentRec): AgentState {
    if (!agent.loggedIn) return loggedOut;
    let offered: Ix | null = null;
    let wrapping: Ix | null = null;
    let connected: InteractionId[] | null = null;
    const work = agent.work;
    for (let i = 0; i < work.length; i++) {
      const ix = work[i]!;
      if (ix.state === 'offered') {
        if (offered === null || ix.offeredAt < offered.offeredAt) offered = ix;
      } else if (ix.state === 'connected') {
        if (connected === null) connected = [ix.id];
        else connected.push(ix.id);
      } else if (ix.state === 'wrap-up') {
        if (wrapping === null || ix.deadline > wrapping.deadline) wrapping = ix;
      }
    }
    if (offered !== null) {
      return {
        kind: 'reserved',
        interactionId: offered.id,
        offerDeadline: Number.isFinite(offered.deadline) ? offered.deadline : null,
      };
    }
    if (connected !== null) return { kind: 'busy', interactionIds: connected };
    if (wrapping !== null)
      return { kind: 'wrap-up', interactionId: wrapping.id, deadline: wrapping.deadline };
    return agent.presence.kind === 'ready'
      ? readyState
      : { kind: 'not-ready', reason: agent.presence.reason };
  }

  /** The one place an agent's visible state changes: checked, accounted, evented. */
  private changeState(agent: AgentRec): boolean {
    const to = this.deriveState(agent);
    const from = agent.state;
    const fromKind = agent.stateKind;
    if (!checkAgentTransition(agent.id, fromKind, from, to)) return false;
    const now = this.clock.now();
    const fromIx = kindNumber(fromKind);
    const toIx = kindNumber(to.kind);
    if (fromIx !== toIx) {
      agent.stateSince = now;
      this.cutAgent(agent, now - this.epoch);
      // The queues see the move only when it changes whether the agent is staffed (logging in
      // and out, not-ready): ready, reserved, busy and wrap-up are all staffed.
      const fromStaffed = staffedKinds[fromIx]!;
      if (fromStaffed !== staffedKinds[toIx]) {
        const queues = agent.baseQueues;
        for (let q = 0; q < queues.length; q++) {
          const queue = queues[q]!;
          const slots = agent.capacity[queue.channelIx]!;
          queue.staffedSlots += fromStaffed ? -slots : slots;
        }
      }
    }
    agent.state = to;
    agent.stateKind = to.kind;
    this.emit('acd.agent.state-changed', { agentId: agent.id, from, to, presence: agent.presence, at: now });
    return true;
  }

  private accStart(agent: AgentRec): number {
    return Math.max(agent.accSince, this.intervalStart - this.epoch);
  }

  /** Books the agent's time in its current state up to `rel`. */
  private cutAgent(agent: AgentRec, rel: number): void {
    const elapsed = rel - this.accStart(agent);
    if (elapsed > 0) this.agentStats(agent).timeIn[kindNumber(agent.stateKind)]! += elapsed;
    agent.accSince = rel;
  }

  /**
   * What a base member has spent in each state this interval while serving the queue, added to
   * `into`: the agent's time per state, less what it had when it joined (if it joined during this
   * interval). Call `cutAgent` first when the open stretch must be included up to now.
   */
  private addMemberTime(membership: Membership, rel: number, into: number[]): void {
    const agent = membership.agent;
    const timeIn = this.agentStats(agent).timeIn;
    const baseline = membership.baselineEpoch === this.statsEpoch ? membership.baseline : null;
    for (let k = 0; k < kindCount; k++) into[k]! += timeIn[k]! - (baseline === null ? 0 : baseline[k]!);
    const open = rel - this.accStart(agent);
    if (open > 0) into[kindNumber(agent.state.kind)]! += open;
  }

  /** The agent's statistics, zeroed first if a new interval began since they were last touched. */
  private agentStats(agent: AgentRec): AgentStats {
    if (agent.statsEpoch !== this.statsEpoch) {
      agent.statsEpoch = this.statsEpoch;
      agent.timeIn.fill(0);
      agent.offered = 0;
      agent.noAnswer = 0;
      agent.handled = 0;
      agent.handleSumMs = 0;
    }
    return agent;
  }

  private applyAgentConfig(agent: AgentRec, config: AgentConfig, now: number): void {
    for (const customer of agent.config.preferredCustomers) this.preferred.get(customer)?.delete(agent);
    // Capacity feeds the queues' staffed slots, so leave every queue before it changes and re-join after.
    for (const queue of [...agent.memberships.keys()]) this.dropMembership(agent, queue, now);
    agent.config = config;
    agent.skills = new Map(Object.entries(config.skills));
    agent.capacity = channels.map((channel) => config.capacity[channel] ?? 0);
    for (const customer of config.preferredCustomers) {
      let set = this.preferred.get(customer);
      if (!set) {
        set = new Set();
        this.preferred.set(customer, set);
      }
      set.add(agent);
    }
    for (const queue of this.queues.values()) this.setMembership(agent, queue, now);
  }

  /** Recomputes which agents serve these queues, then lets newly eligible free agents take work. */
  private rematch(queues: QueueRec[], now: number): void {
    for (const agent of this.agents.values()) {
      for (const queue of queues) this.setMembership(agent, queue, now);
    }
    for (const agent of this.agents.values()) this.serve(agent);
    // Interactions whose only candidates were just added are reached by those agents' serve().
  }

  private references(queue: QueueRec, id: string): boolean {
    return queue.stages.some((stage) => stage.addQueues.includes(id));
  }

  private qualifiesAt(agent: AgentRec, queue: QueueRec, stage: Stage): boolean {
    if (meets(agent.skills, stage.thresholds)) return true;
    for (const id of stage.addQueues) {
      const other = this.queues.get(id);
      if (other && other !== queue && meets(agent.skills, other.stages[0]!.thresholds)) return true;
    }
    return false;
  }

  private setMembership(agent: AgentRec, queue: QueueRec, now: number): void {
    let minStage = -1;
    if (agent.capacity[queue.channelIx]! > 0) {
      for (let s = 0; s < queue.stages.length; s++) {
        if (this.qualifiesAt(agent, queue, queue.stages[s]!)) {
          minStage = s;
          break;
        }
      }
    }
    let score = 0;
    for (const skill of queue.stages[0]!.thresholds.keys()) score += agent.skills.get(skill) ?? 0;
    const old = agent.memberships.get(queue);
    if (old && old.minStage === minStage && old.score === score) return;
    if (old) this.dropMembership(agent, queue, now);
    if (minStage < 0) return;
    const membership: Membership = {
      queue,
      minStage,
      score,
      entries: [],
      channelIx: queue.channelIx,
      agingPerMs: queue.agingPerMs,
      firstSet: queue.waiting[minStage]!,
      laterSets: minStage + 1 < queue.waiting.length ? queue.waiting.slice(minStage + 1) : noSets,
      agent,
      baseIndex: -1,
      baseline: null,
      baselineEpoch: -1,
    };
    for (let s = minStage; s < queue.stages.length; s++) {
      membership.entries.push({ agent, pool: queue.pools[s]!, heapIndex: -1, rr: 0, score });
    }
    if (minStage === 0) {
      // From now on the agent's time counts for this queue too: remember where it stands.
      this.cutAgent(agent, now - this.epoch);
      const timeIn = this.agentStats(agent).timeIn;
      // Nothing booked yet (an agent set up before its first shift): nothing to subtract.
      membership.baseline = timeIn.some((ms) => ms !== 0) ? [...timeIn] : null;
      membership.baselineEpoch = this.statsEpoch;
      membership.baseIndex = queue.baseMembers.length;
      queue.baseMembers.push(membership);
      if (staffedKinds[kindNumber(agent.state.kind)]) queue.staffedSlots += agent.capacity[queue.channelIx]!;
      agent.baseQueues.push(queue);
    }
    agent.memberships.set(queue, membership);
    agent.membershipList.push(membership);
    if (this.available(agent, queue.channelIx))
      for (const entry of membership.entries) entry.pool.heap.push(entry);
  }

  private dropMembership(agent: AgentRec, queue: QueueRec, now: number): void {
    const old = agent.memberships.get(queue);
    if (!old) return;
    for (const entry of old.entries) if (entry.heapIndex >= 0) entry.pool.heap.remove(entry);
    if (old.minStage === 0) {
      // The time it served the queue this interval stays with the queue.
      const rel = now - this.epoch;
      this.cutAgent(agent, rel);
      this.addMemberTime(old, rel, queue.departed);
      const members = queue.baseMembers;
      const last = members.pop()!;
      if (last !== old) {
        members[old.baseIndex] = last;
        last.baseIndex = old.baseIndex;
      }
      old.baseIndex = -1;
      if (staffedKinds[kindNumber(agent.state.kind)]) queue.staffedSlots -= agent.capacity[queue.channelIx]!;
      agent.baseQueues.splice(agent.baseQueues.indexOf(queue), 1);
    }
    agent.memberships.delete(queue);
    agent.membershipList.splice(agent.membershipList.indexOf(old), 1);
  }

  // ───────────────────────────── internals: records ─────────────────────────────

  private buildQueue(existing: QueueRec | null, config: QueueConfig): QueueRec {
    const base = new Map(config.skills.map((s) => [s.skill, s.minProficiency] as const));
    const stages: Stage[] = [{ afterMs: 0, thresholds: base, addQueues: [] }];
    for (const step of config.overflow) {
      const previous = stages[stages.length - 1]!;
      const thresholds = new Map(previous.thresholds);
      if (step.minProficiency !== undefined) {
        for (const [skill, min] of thresholds) thresholds.set(skill, Math.min(min, step.minProficiency));
      }
      const addQueues = [...new Set([...previous.addQueues, ...step.addQueues])];
      stages.push({ afterMs: step.afterMs, thresholds, addQueues });
    }
    const channelIx = channelIndex[config.channel];
    const queue: QueueRec = existing ?? {
      id: asId<QueueId>(config.id),
      config,
      channelIx,
      stages,
      waiting: [],
      pools: [],
      byAge: new ArrivalOrder(),
      agingPerMs: 0,
      tierBonus: config.tierBonus,
      rrCounter: 0,
      counters: zeroCounters(),
      baseMembers: [],
      departed: agentStateKinds.map(() => 0),
      staffedSlots: 0,
      ahtSamples: 0,
      ahtMeanMs: 0,
    };
    queue.config = config;
    queue.channelIx = channelIx;
    queue.stages = stages;
    queue.agingPerMs = config.priorityAgingPerMinute / 60_000;
    queue.tierBonus = config.tierBonus;
    queue.waiting = stages.map(() => new OrderedSet<Ix>(waitingOrder));
    const order = poolOrder(config, channelIx);
    queue.pools = stages.map((_, stage) => ({
      queue,
      stage,
      heap: new IndexedHeap<PoolEntry>(order),
    }));
    return queue;
  }

  /**
   * An interaction record, from the spares when there is one (see `retire`): a record is ~40
   * fields that live as long as the contact waits, so making a fresh one per contact would feed
   * the young generation exactly the kind of objects a scavenge has to copy.
   */
  private newIx(
    queue: QueueRec,
    id: InteractionId,
    customerId: CustomerId | null,
    tier: CustomerTier,
    boost: number,
    lastAgentId: AgentId | null,
    attributes: Record<string, string>,
    enqueuedAt: number,
    order: number,
    head: boolean,
    callback: boolean,
  ): Ix {
    const ix = this.spareIxs.pop() ?? freshIx(queue);
    const every = queue.config.announceEveryMs;
    ix.head = head;
    ix.key = this.keyOf(queue, tier, boost, enqueuedAt);
    ix.enqueuedAt = enqueuedAt;
    ix.order = order;
    ix.treeLeft = null;
    ix.treeRight = null;
    ix.treeSize = 0;
    ix.id = id;
    ix.queue = queue;
    ix.channelIx = queue.channelIx;
    ix.customerId = customerId;
    ix.tier = tier;
    ix.boost = boost;
    ix.lastAgentId = lastAgentId;
    ix.attributes = attributes;
    ix.callback = callback;
    ix.callbackOffered = false;
    ix.state = 'waiting';
    ix.stage = 0;
    ix.tree = null;
    ix.parked = false;
    // parkToken is never reset: stale arrival-order entries must stay stale across reuse.
    ix.targetAgent = null;
    ix.targetUntil = 0;
    ix.agent = null;
    ix.offeredAt = 0;
    ix.connectedAt = 0;
    ix.releasedAt = 0;
    ix.wrapUpCode = null;
    ix.deadline = 0;
    ix.timer = null;
    ix.timerFor = 'waiting';
    ix.nextAnnounceAt = every === undefined ? Number.POSITIVE_INFINITY : enqueuedAt + every;
    ix.ewtAtEnqueue = null;
    return ix;
  }

  /**
   * The interaction has left the ACD for good and nothing points at it any more (not a tree, a
   * heap, an agent's hands, the index by id, nor an armed deadline; arrival-order entries are
   * stale by token): its record is kept for the next contact. Every path out calls this last.
   */
  private retire(ix: Ix): void {
    // The queue stays: a record holds on to a removed queue only until it is reused.
    ix.id = retiredId;
    ix.customerId = null;
    ix.lastAgentId = null;
    ix.attributes = noAttributes;
    ix.agent = null;
    ix.targetAgent = null;
    if (this.spareIxs.length < spareIxsMax) this.spareIxs.push(ix);
  }

  private recordOf(ix: Ix): InteractionRecord {
    return {
      interactionId: ix.id,
      queueId: ix.queue.id,
      channel: ix.queue.config.channel,
      state: ix.state as InteractionRecord['state'],
      agentId: ix.agent?.id ?? null,
      customerId: ix.customerId,
      tier: ix.tier,
      priorityBoost: ix.boost,
      enqueuedAt: ix.enqueuedAt,
      order: ix.order,
      head: ix.head,
      callback: ix.callback,
      lastAgentId: ix.lastAgentId,
      attributes: ix.attributes,
    };
  }

  private persist(ix: Ix): void {
    if (this.records === undefined) return;
    try {
      this.records.put(this.recordOf(ix));
    } catch (error) {
      this.fail(error, `record port put ${ix.id}`);
    }
  }

  private move(ix: Ix, to: InteractionState): void {
    checkInteractionTransition(ix.id, ix.state, to);
    ix.state = to;
  }

  /** The queue's waiting interactions, personal reservations included (snapshots and reconfiguration only). */
  private waitingIn(queue: QueueRec): Ix[] {
    const found: Ix[] = [];
    for (const ix of this.interactions.values())
      if (ix.queue === queue && ix.state === 'waiting') found.push(ix);
    return found;
  }

  private holdsWork(queue: QueueRec): boolean {
    if (queue.byAge.count > 0) return true;
    for (const ix of this.interactions.values()) if (ix.queue === queue) return true;
    return false;
  }

  private exclusiveChannel(record: InteractionRecord): boolean {
    return this.exclusive[channelIndex[record.channel]] === true;
  }

  private parseAgent(input: AgentConfigInput): AgentConfig {
    const parsed = agentConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new AcdError('ACD_INVALID_CONFIG', 'invalid agent configuration', {
        fields: issuesToFields(parsed.error.issues),
      });
    }
    return parsed.data;
  }

  private parseRestore(input: unknown): InteractionRecord[] {
    const asArray = Array.isArray(input);
    const parsed = asArray
      ? interactionRecordSchema.array().safeParse(input)
      : acdSnapshotSchema.safeParse(input);
    if (!parsed.success) {
      throw new AcdError('ACD_INVALID_SNAPSHOT', 'the ACD snapshot is not valid', {
        fields: issuesToFields(parsed.error.issues),
      });
    }
    const rows = Array.isArray(parsed.data) ? parsed.data : parsed.data.interactions;
    return rows.map((row) => ({
      interactionId: asId<InteractionId>(row.interactionId),
      queueId: asId<QueueId>(row.queueId),
      channel: row.channel,
      state: row.state,
      agentId: row.agentId === null ? null : asId<AgentId>(row.agentId),
      customerId: row.customerId === null ? null : asId<CustomerId>(row.customerId),
      tier: row.tier,
      priorityBoost: row.priorityBoost,
      enqueuedAt: row.enqueuedAt,
      order: row.order,
      head: row.head,
      callback: row.callback,
      lastAgentId: row.lastAgentId === null ? null : asId<AgentId>(row.lastAgentId),
      attributes: row.attributes,
    }));
  }

  private statsOf(queue: QueueRec): QueueStatistics {
    const now = this.clock.now();
    const rel = now - this.epoch;
    const c = queue.counters;
    const agents = zeroByKind();
    const time = [...queue.departed];
    for (const membership of queue.baseMembers) {
      agents[membership.agent.state.kind]++;
      this.addMemberTime(membership, rel, time);
    }
    let busy = 0;
    let staffed = 0;
    for (let k = 0; k < kindCount; k++) {
      if (workingKinds[k]) busy += time[k]!;
      if (staffedKinds[k]) staffed += time[k]!;
    }
    const outcomes = c.answered + c.abandoned + c.maxWaitExpired;
    const oldest = queue.byAge.oldest();
    return {
      queueId: queue.id,
      at: now,
      since: this.intervalStart,
      waiting: queue.byAge.count,
      longestWaitMs: oldest ? now - oldest.enqueuedAt : 0,
      offered: c.offered,
      answered: c.answered,
      answeredWithinTarget: c.answeredWithinTarget,
      abandoned: c.abandoned,
      shortAbandoned: c.shortAbandoned,
      maxWaitExpired: c.maxWaitExpired,
      callbacksAccepted: c.callbacksAccepted,
      callbacksAnswered: c.callbacksAnswered,
      serviceLevel: outcomes > 0 ? c.answeredWithinTarget / outcomes : null,
      asaMs: c.answered > 0 ? c.waitSumMs / c.answered : null,
      ahtMs: c.handled > 0 ? c.handleSumMs / c.handled : null,
      abandonRate: outcomes > 0 ? c.abandoned / outcomes : null,
      occupancy: staffed > 0 ? busy / staffed : null,
      agents,
      ewt: {
        samples: c.ewtSamples,
        meanAbsoluteErrorMs: c.ewtSamples > 0 ? c.ewtAbsErrorSumMs / c.ewtSamples : null,
        meanErrorMs: c.ewtSamples > 0 ? c.ewtErrorSumMs / c.ewtSamples : null,
      },
    };
  }

  // ───────────────────────────── internals: lookups and events ─────────────────────────────

  private queueRec(queueId: string): QueueRec {
    const queue = this.queues.get(queueId);
    if (!queue) throw new AcdError('ACD_UNKNOWN_QUEUE', `no queue ${queueId}`);
    return queue;
  }

  private agentRec(agentId: string): AgentRec {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AcdError('ACD_UNKNOWN_AGENT', `no agent ${agentId}`);
    return agent;
  }

  private loggedInAgent(agentId: string): AgentRec {
    const agent = this.agentRec(agentId);
    if (!agent.loggedIn) throw new AcdError('ACD_AGENT_LOGGED_OUT', `agent ${agentId} is logged out`);
    return agent;
  }

  private ixRec(interactionId: string): Ix {
    const ix = this.interactions.get(interactionId);
    if (!ix) throw new AcdError('ACD_UNKNOWN_INTERACTION', `no interaction ${interactionId} in the ACD`);
    return ix;
  }

  private offeredTo(agent: AgentRec, interactionId: string): Ix {
    const ix = this.ixRec(interactionId);
    if (ix.state !== 'offered' || ix.agent !== agent) {
      throw new AcdError(
        'ACD_NOT_OFFERED',
        `interaction ${interactionId} is not offered to agent ${agent.id}`,
      );
    }
    return ix;
  }

  private inWrapUp(agentId: string, interactionId: string): Ix {
    const agent = this.agentRec(agentId);
    const ix = this.ixRec(interactionId);
    if (ix.state !== 'wrap-up' || ix.agent !== agent) {
      throw new AcdError(
        'ACD_NOT_IN_WRAP_UP',
        `interaction ${interactionId} is not in wrap-up with agent ${agentId}`,
      );
    }
    return ix;
  }

  private emit<K extends keyof AcdEvents>(type: K, payload: AcdEvents[K]): void {
    if (this.publishPort === undefined) return;
    const n = this.outCount++;
    if (n < this.outTypes.length) {
      this.outTypes[n] = type;
      this.outPayloads[n] = payload;
    } else {
      this.outTypes.push(type);
      this.outPayloads.push(payload);
    }
  }

  /**
   * Runs one operation: events wait in the outbox until the outermost operation ends. The
   * routing path (enqueue, accept, release, deadlines) does the same inline (`depth++`, then
   * `leave()` in a `finally`) to spare a closure per call.
   */
  private op<R>(body: () => R): R {
    this.depth++;
    try {
      return body();
    } finally {
      this.leave();
    }
  }

  private leave(): void {
    this.depth--;
    if (this.depth === 0 && !this.flushing) this.flush();
  }

  private flush(): void {
    const publish = this.publishPort;
    if (publish === undefined) return;
    this.flushing = true;
    let failure: unknown = null;
    const types = this.outTypes;
    const payloads = this.outPayloads;
    try {
      // A listener that calls back in adds to the end; this loop reaches those too, in order.
      for (let i = 0; i < this.outCount; i++) {
        const type = types[i]!;
        const payload = payloads[i];
        // Let go of the payload at once: the outbox must not keep events alive into old space.
        payloads[i] = undefined;
        try {
          publish(type, payload as AcdEvents[typeof type]);
        } catch (error) {
          if (this.reportError) this.reportError(error, `publishing ${type}`);
          else failure ??= error;
        }
      }
    } finally {
      this.outCount = 0;
      this.flushing = false;
    }
    if (failure !== null) throw failure;
  }

  private fail(error: unknown, context: string): void {
    if (this.reportError) this.reportError(error, context);
    else throw error;
  }
}
