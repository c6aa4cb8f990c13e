import { AcdError } from './errors';
import type { AgentState, AgentStateKind, InteractionState } from './types';

/**
 * The agent state machine.
 *
 * ```
 *  logged-out ──login──► not-ready(reason) ◄─────► ready ──offer──► reserved ──accept──► busy
 *      ▲                   │   ▲   ▲                ▲ ▲               │ │                  │ release
 *      └───── logout ──────┘   │   └── no answer, ──┼─┼───────────────┘ │                  ▼
 *        (also from ready)     │       declined     │ └── withdrawn ────┘        wrap-up(deadline,
 *                              │                    └──── deadline or agent done ───┘  extendable)
 *                              └──── deadline, when not-ready was asked during the work ──┘
 * ```
 *
 * With capacity for several interactions (three chats) the state summarises them, so a few
 * more edges exist: busy → reserved (a second chat offered), wrap-up → reserved, reserved →
 * wrap-up (an offer withdrawn while another chat wraps up). Edges into `busy` come only from
 * `reserved`: nobody is busy without an accepted offer, and logging out needs empty hands.
 */
const agentEdges: Record<AgentStateKind, readonly AgentStateKind[]> = {
  'logged-out': ['not-ready'],
  'not-ready': ['not-ready', 'ready', 'logged-out'],
  ready: ['not-ready', 'reserved', 'logged-out'],
  reserved: ['reserved', 'busy', 'ready', 'not-ready', 'wrap-up'],
  busy: ['busy', 'reserved', 'wrap-up', 'ready', 'not-ready'],
  'wrap-up': ['wrap-up', 'ready', 'not-ready', 'reserved'],
};

/** The same edges as a lookup by name, built once: a check on every state change must not search arrays. */
function edgeTable<K extends string>(edges: Record<K, readonly K[]>): Record<K, Record<K, true>> {
  const table = {} as Record<K, Record<K, true>>;
  for (const from of Object.keys(edges) as K[]) {
    const to = Object.create(null) as Record<K, true>;
    for (const k of edges[from]) to[k] = true;
    table[from] = to;
  }
  return table;
}

const agentEdgeTable = edgeTable(agentEdges);

function agentStatesEqual(a: AgentState, b: AgentState): boolean {
  switch (a.kind) {
    case 'logged-out':
    case 'ready':
      return b.kind === a.kind;
    case 'not-ready':
      return b.kind === 'not-ready' && b.reason === a.reason;
    case 'reserved':
      return (
        b.kind === 'reserved' && b.interactionId === a.interactionId && b.offerDeadline === a.offerDeadline
      );
    case 'busy': {
      if (b.kind !== 'busy' || b.interactionIds.length !== a.interactionIds.length) return false;
      for (let i = 0; i < a.interactionIds.length; i++) {
        if (a.interactionIds[i] !== b.interactionIds[i]) return false;
      }
      return true;
    }
    case 'wrap-up':
      return b.kind === 'wrap-up' && b.interactionId === a.interactionId && b.deadline === a.deadline;
  }
}

/**
 * Checks an agent's move; returns false when nothing changed (so nothing is emitted) and
 * throws ACD_ILLEGAL_TRANSITION, naming both states, on an edge the machine does not have.
 * `fromKind` is `from.kind`, passed apart so that a move between kinds (nearly every move) is
 * checked without reading the old state object.
 */
export function checkAgentTransition(
  agentId: string,
  fromKind: AgentStateKind,
  from: AgentState,
  to: AgentState,
): boolean {
  if (fromKind === to.kind && agentStatesEqual(from, to)) return false;
  if (agentEdgeTable[fromKind][to.kind] !== true) {
    throw new AcdError(
      'ACD_ILLEGAL_TRANSITION',
      `agent ${agentId}: illegal transition ${fromKind} → ${to.kind}`,
    );
  }
  return true;
}

/**
 * The interaction inside the ACD.
 *
 * ```
 *  waiting ──offer──► offered ──accept──► connected ──release──► wrap-up ──► completed
 *   │  ▲                │ │                    └──── release without wrap-up ───┘
 *   │  └─ no answer, ───┘ └──► abandoned, canceled
 *   │     declined, logout
 *   └──► abandoned, max-wait, canceled
 * ```
 */
const interactionEdges: Record<InteractionState, readonly InteractionState[]> = {
  waiting: ['offered', 'abandoned', 'max-wait', 'canceled'],
  offered: ['connected', 'waiting', 'abandoned', 'canceled'],
  connected: ['wrap-up', 'completed'],
  'wrap-up': ['completed'],
  completed: [],
  abandoned: [],
  'max-wait': [],
  canceled: [],
};

const interactionEdgeTable = edgeTable(interactionEdges);

export function checkInteractionTransition(
  interactionId: string,
  from: InteractionState,
  to: InteractionState,
): void {
  if (interactionEdgeTable[from][to] !== true) {
    throw new AcdError(
      'ACD_ILLEGAL_TRANSITION',
      `interaction ${interactionId}: illegal transition ${from} → ${to}`,
    );
  }
}
