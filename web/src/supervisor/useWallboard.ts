/**
 * The live floor: queues with their statistics (GET /api/v1/acd/queues, then every
 * `acd.queue.statistics` event, which the ACD publishes every few seconds), agents with their
 * state and when it began (GET /api/v1/acd/agents, then `acd.agent.state-changed`), the live
 * calls (`call.*`), and the statistics samples for the charts: the day so far from the server's
 * history (GET /api/v1/acd/queues/{id}/history), then those seen live.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api/client';
import { type StreamStatus, useEventStream } from '../api/events';
import type { AgentStatistics, CallRecord, QueueView, TellerEvent } from '../api/types';
import { historySamples } from './queueHistory';

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
/** The history's bucket: five minutes keeps a day's request small (288 buckets a queue). */
const historyBucketMs = 5 * 60_000;

export interface Wallboard {
  queues: QueueView[];
  agents: AgentStatistics[];
  /** When each agent's current state began, in this browser's clock. */
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
  const [calls, setCalls] = useState<CallRecord[]>([]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>(null);
  /** Server clock minus browser clock, so the server's state times read right on this screen. */
  const clockOffset = useRef(0);
  const historyLoaded = useRef(false);

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

  /** The day so far from the server, put before the samples seen live (once per console). */
  const loadHistory = useCallback(async (views: QueueView[]) => {
    if (historyLoaded.current) return;
    historyLoaded.current = true;
    const from = new Date().setHours(0, 0, 0, 0) + clockOffset.current;
    try {
      const histories = await Promise.all(
        views.map((v) => api.queueHistory(v.config.id, { from, bucketMs: historyBucketMs })),
      );
      const past = histories.flatMap(historySamples);
      setSamples((live) => {
        const firstLive = new Map<string, number>();
        for (const s of live) if (!firstLive.has(s.queueId)) firstLive.set(s.queueId, s.at);
        const before = past.filter((s) => s.at < (firstLive.get(s.queueId) ?? Number.POSITIVE_INFINITY));
        return [...before, ...live].sort((a, b) => a.at - b.at).slice(-maxSamples);
      });
    } catch (e) {
      // The live samples still come; the charts just start when the console opened.
      console.error('wallboard: queue history not loaded', e);
    }
  }, []);

  const reload = useCallback(async () => {
    try {
      const sentAt = Date.now();
      const [q, a] = await Promise.all([api.queues(), api.agents()]);
      const first = a.agents[0];
      if (first) clockOffset.current = first.at - (sentAt + Date.now()) / 2;
      setQueues(q.queues);
      setAgents(a.agents);
      for (const view of q.queues) addSample(view.statistics);
      setError(null);
      void loadHistory(q.queues);
    } catch (e) {
      setError(e);
    }
  }, [addSample, loadHistory]);

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
          // A change within one kind (a second chat while busy) does not restart the clock.
          setAgents((list) =>
            list.map((a) =>
              a.agentId !== agentId
                ? a
                : { ...a, state: to, presence, stateSince: a.state.kind === to.kind ? a.stateSince : at },
            ),
          );
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

  const stateSince = useMemo(
    () => new Map(agents.map((a) => [a.agentId, a.stateSince - clockOffset.current])),
    [agents],
  );

  return { queues, agents, stateSince, calls, samples, error, stream, reload };
}
