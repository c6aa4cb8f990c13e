/** A queue's history (GET /api/v1/acd/queues/{id}/history, `api.queueHistory`) as chart samples. */
import type { QueueHistory } from '../api/types';
import type { Sample } from './useWallboard';

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
