/**
 * The agent's side of the ACD, live: my state and day statistics (GET /api/v1/acd/me), kept
 * current by the `acd.*` events about me; the offer ringing now; the contact I hold and what
 * the IVR attached to it (GET /api/v1/interactions/{id}).
 */
import { startTransition, useCallback, useEffect, useRef, useState } from 'react';
import { ApiProblem, api } from '../api/client';
import { useEventStream } from '../api/events';
import type { AgentState, AgentStatistics, Interaction, TellerEvent } from '../api/types';
import { prefetchCustomer } from './prefetch';

export interface Offer {
  interactionId: string;
  queueId: string;
  /** The customer the ACD offers the contact for, by id; null when it does not know. */
  customerId: string | null;
  waitedMs: number;
  offerDeadline: number | null;
  /** performance.now() when the offer event arrived, for the screen-pop timing mark. */
  receivedAt: number;
}

export interface ContactState {
  interactionId: string;
  /** The queue it came from, as the offer said (the interaction record may not be readable). */
  queueId: string | null;
  /** The customer as the offer said, to pop before (or without) the interaction record. */
  offeredCustomerId: string | null;
  interaction: Interaction | null;
  error: unknown;
  loading: boolean;
}

/** The interaction the agent's state is about, if any. */
export function interactionOf(state: AgentState | undefined): string | null {
  if (!state) return null;
  switch (state.kind) {
    case 'reserved':
    case 'wrap-up':
      return state.interactionId;
    case 'busy':
      return state.interactionIds[0] ?? null;
    default:
      return null;
  }
}

export function useAgentDesk(userId: string) {
  const [stats, setStats] = useState<AgentStatistics | null>(null);
  /** When the state began, in server time; unknown until a change is seen (the API does not say). */
  const [stateSince, setStateSince] = useState<number | null>(null);
  /** Server clock minus browser clock, so countdowns use the server's deadlines correctly. */
  const [clockOffset, setClockOffset] = useState(0);
  const [offer, setOffer] = useState<Offer | null>(null);
  const [contact, setContact] = useState<ContactState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** The contact being read or held, so its offer (often just after the state change) reads it once. */
  const contactId = useRef<string | null>(null);

  /** True when the ACD has no agent record for this user (a supervisor with a phone, say). */
  const [notAnAgent, setNotAnAgent] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const sentAt = Date.now();
      const mine = await api.myState();
      setClockOffset(mine.at - (sentAt + Date.now()) / 2);
      setStats(mine);
      setNotAnAgent(false);
    } catch (e) {
      if (e instanceof ApiProblem && e.code === 'ACD_UNKNOWN_AGENT') setNotAnAgent(true);
      else setError(e);
    }
  }, []);

  /** Coalesces the bursts of events one change produces into one read of /acd/me. */
  const refreshSoon = useCallback(() => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void refresh(), 150);
  }, [refresh]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 30_000);
    return () => {
      clearInterval(timer);
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    };
  }, [refresh]);

  const loadContact = useCallback(async (interactionId: string, offer: Offer | null = null) => {
    if (contactId.current === interactionId) {
      // Read already (the state change that reserved me came first): add what the offer says.
      if (offer) {
        setContact((c) =>
          c?.interactionId === interactionId
            ? { ...c, queueId: offer.queueId, offeredCustomerId: offer.customerId }
            : c,
        );
      }
      return;
    }
    contactId.current = interactionId;
    setContact({
      interactionId,
      queueId: offer?.queueId ?? null,
      offeredCustomerId: offer?.customerId ?? null,
      interaction: null,
      error: null,
      loading: true,
    });
    try {
      const interaction = await api.interaction(interactionId);
      // A transition: the 360° read, started at the same time, goes first when it lands during
      // this render (the screen pop waits for the customer's header, not for this record).
      startTransition(() =>
        setContact((c) => (c?.interactionId === interactionId ? { ...c, interaction, loading: false } : c)),
      );
    } catch (e) {
      setContact((c) => (c?.interactionId === interactionId ? { ...c, error: e, loading: false } : c));
    }
  }, []);

  const onEvent = useCallback(
    (event: TellerEvent) => {
      switch (event.type) {
        case 'acd.agent.state-changed':
          if (event.payload.agentId !== userId) return;
          setStateSince(event.payload.at);
          setStats((s) => (s ? { ...s, state: event.payload.to, presence: event.payload.presence } : s));
          refreshSoon();
          return;
        case 'acd.agent.presence-changed':
          if (event.payload.agentId !== userId) return;
          setStats((s) => (s ? { ...s, presence: event.payload.presence } : s));
          return;
        case 'acd.interaction.offered': {
          if (event.payload.agentId !== userId) return;
          performance.mark('teller:offer-received');
          const offer: Offer = {
            interactionId: event.payload.interactionId,
            queueId: event.payload.queueId,
            customerId: event.payload.customerId,
            waitedMs: event.payload.waitedMs,
            offerDeadline: event.payload.offerDeadline,
            receivedAt: performance.now(),
          };
          // Both reads the pop waits for start here, side by side, before any render.
          if (offer.customerId) prefetchCustomer(offer.customerId, offer.interactionId);
          void loadContact(offer.interactionId, offer);
          setOffer(offer);
          return;
        }
        case 'acd.interaction.connected':
        case 'acd.interaction.requeued':
          if (event.payload.agentId !== userId) return;
          setOffer((o) => (o?.interactionId === event.payload.interactionId ? null : o));
          refreshSoon();
          return;
        case 'acd.interaction.abandoned':
          setOffer((o) => (o?.interactionId === event.payload.interactionId ? null : o));
          return;
        case 'acd.interaction.wrap-up':
        case 'acd.interaction.wrap-up-extended':
        case 'acd.interaction.completed':
          if (event.payload.agentId === userId) refreshSoon();
          return;
        case 'interaction.updated': {
          const { interactionId, changes } = event.payload;
          setContact((c) =>
            c?.interaction && c.interactionId === interactionId
              ? {
                  ...c,
                  interaction: {
                    ...c.interaction,
                    ...changes,
                    data: {
                      ...c.interaction.data,
                      ...(changes.data ?? {}),
                      // The old id proves the old level only; the new one is read below.
                      ...(changes.data && 'verification' in changes.data ? { verificationId: null } : {}),
                    },
                  },
                }
              : c,
          );
          // A new verification level comes without its verification id (events never carry it,
          // ADR 015): read the interaction, which gives it to its agent.
          if (changes.data && 'verification' in changes.data) {
            api
              .interaction(interactionId)
              .then((interaction) =>
                setContact((c) => (c?.interactionId === interactionId ? { ...c, interaction } : c)),
              )
              .catch((e: unknown) => setError(e));
          }
          return;
        }
        default:
          return;
      }
    },
    [userId, loadContact, refreshSoon],
  );

  const streamStatus = useEventStream(['acd.agent.', 'acd.interaction.', 'interaction.updated'], onEvent);

  // The held contact follows the state: a reload during a call finds it again.
  const current = interactionOf(stats?.state);
  useEffect(() => {
    if (current && contact?.interactionId !== current) void loadContact(current);
  }, [current, contact?.interactionId, loadContact]);

  /** Runs an ACD action and shows its result (or its problem). */
  const act = useCallback(async (action: () => Promise<AgentStatistics | unknown>) => {
    setError(null);
    try {
      const result = await action();
      if (result && typeof result === 'object' && 'state' in result) setStats(result as AgentStatistics);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  }, []);

  const clearContact = useCallback(() => {
    contactId.current = null;
    setContact(null);
    setOffer(null);
  }, []);

  return {
    stats,
    notAnAgent,
    stateSince,
    clockOffset,
    offer,
    contact,
    error,
    setError,
    streamStatus,
    refresh,
    act,
    clearOffer: () => setOffer(null),
    clearContact,
    isMissingRoute: (e: unknown) => e instanceof ApiProblem && e.missingRoute,
  };
}
