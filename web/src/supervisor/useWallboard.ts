/**
 * The live floor: queues with their statistics (GET /api/v1/acd/queues, then every
 * `acd.queue.statistics` event, which the ACD publishes every few seconds), agents with their
 * state (GET /api/v1/acd/agents, then `acd.agent.state-changed`), the live calls (`call.*`),
 * and the statistics samples seen since the console opened, for the charts.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { type StreamStatus, useEventStream } from '../api/events';
import type { AgentStatistics, CallRecord, QueueView, TellerEvent } from '../api/types';

export interface Sample {
  at: number;
  queueId: string;
  waiting: number;
  serviceLevel: number | null;
  offered: number;
  answered: number;
  abandoned: number;
}

/** One sample per queue per minute is enough for a day's chart (1,440 points at most). */
const sampleEveryMs = 60_000;
const maxSamples = 1440 * 4;

export interface Wallboard {
  queues: QueueView[];
  agents: AgentStatistics[];
  /** When each agent's current state began, as far as this console has seen. */
  stateSince: Map<string, number>;
  calls: CallRecord[];
  samples: Sample[];
  error: unknown;
  stream: StreamStatus;
  reload(): Promise<void>;
}

export function useWallboard(): Wallboard {
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [agents, setAgents] = useState<AgentStatistics[]>([]);
  const [stateSince, setStateSince] = useState(() => new Map<string, number>());
  const [calls, setCalls] = useState<CallRecord[]>([]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>(null);

  const addSample = useCallback((s: QueueView['statistics']) => {
    setSamples((list) => {
      const last = [...list].reverse().find((x) => x.queueId === s.queueId);
      if (last && s.at - last.at < sampleEveryMs) return list;
      const next = [
        ...list,
        {
          at: s.at,
          queueId: s.queueId,
          waiting: s.waiting,
          serviceLevel: s.serviceLevel,
          offered: s.offered,
          answered: s.answered,
          abandoned: s.abandoned,
        },
      ];
      return next.length > maxSamples ? next.slice(next.length - maxSamples) : next;
    });
  }, []);

  const reload = useCallback(async () => {
    try {
      const [q, a] = await Promise.all([api.queues(), api.agents()]);
      setQueues(q.queues);
      setAgents(a.agents);
      for (const view of q.queues) addSample(view.statistics);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [addSample]);

  useEffect(() => {
    void reload();
    // Agents' counters (handled, AHT) move without an event of their own: read them again now and then.
    const timer = setInterval(() => void reload(), 15_000);
    return () => clearInterval(timer);
  }, [reload]);

  const onEvent = useCallback(
    (event: TellerEvent) => {
      switch (event.type) {
        case 'acd.queue.statistics': {
          const stats = event.payload;
          setQueues((list) =>
            list.map((q) => (q.config.id === stats.queueId ? { ...q, statistics: stats } : q)),
          );
          addSample(stats);
          return;
        }
        case 'acd.agent.state-changed': {
          const { agentId, to, presence, at } = event.payload;
          setAgents((list) => list.map((a) => (a.agentId === agentId ? { ...a, state: to, presence } : a)));
          setStateSince((m) => new Map(m).set(agentId, at));
          return;
        }
        case 'call.started':
        case 'call.answered':
          setCalls((list) => [...list.filter((c) => c.id !== event.payload.id), event.payload]);
          return;
        case 'call.ended':
          setCalls((list) => list.filter((c) => c.id !== event.payload.id));
          return;
        default:
          return;
      }
    },
    [addSample],
  );
  const stream = useEventStream(['acd.queue.statistics', 'acd.agent.state-changed', 'call.'], onEvent);

  return { queues, agents, stateSince, calls, samples, error, stream, reload };
}
