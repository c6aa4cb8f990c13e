/**
 * GET /api/v1/acd/queues/{id}/history: a queue's day so far from the server's event log, so the
 * charts do not start empty when the console opens. Kept beside the charts until the shared client
 * (api/client.ts) carries it; errors come back as the client's `ApiProblem`.
 */
import { ApiProblem } from '../api/client';
import type { Problem, QueueHistory } from '../api/types';
import type { Sample } from './useWallboard';

export async function fetchQueueHistory(
  queueId: string,
  range: { from: number; to?: number; bucketMs: number },
): Promise<QueueHistory> {
  const query = new URLSearchParams({ from: String(range.from), bucket: String(range.bucketMs) });
  if (range.to !== undefined) query.set('to', String(range.to));
  const response = await fetch(`/api/v1/acd/queues/${encodeURIComponent(queueId)}/history?${query}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new ApiProblem(
      body && typeof body === 'object' && 'code' in body
        ? (body as Problem)
        : {
            type: 'about:blank',
            title: response.statusText,
            status: response.status,
            code: `HTTP_${response.status}`,
            detail: response.statusText || `HTTP ${response.status}`,
          },
    );
  }
  return body as QueueHistory;
}

/**
 * The history as chart samples, one per bucket the server saw statistics in, with the figures
 * accumulated from the start of the range as the live statistics accumulate them (the service
 * level of the day so far, not of each bucket).
 */
export function historySamples(history: QueueHistory): Sample[] {
  const samples: Sample[] = [];
  let within = 0;
  let outcomes = 0;
  let offered = 0;
  let answered = 0;
  let abandoned = 0;
  for (const b of history.buckets) {
    within += b.answeredWithinTarget;
    outcomes += b.answered + b.abandoned + b.maxWaitExpired;
    offered += b.arrivals;
    answered += b.answered;
    abandoned += b.abandoned;
    if (b.waiting === null) continue;
    samples.push({
      at: b.start + history.bucketMs,
      queueId: history.queueId,
      waiting: b.waiting,
      serviceLevel: outcomes > 0 ? within / outcomes : null,
      offered,
      answered,
      abandoned,
    });
  }
  return samples;
}
