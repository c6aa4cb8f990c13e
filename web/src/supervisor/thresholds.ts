/**
 * When a queue needs a supervisor's eye. Service level is checked against the queue's own
 * target; the wait and abandon limits are the floor's defaults.
 */
import type { QueueView } from '../api/types';

export const abandonRateLimit = 0.05;

export type QueueAlertKind = 'service-level' | 'longest-wait' | 'abandon-rate' | 'no-agent';

export interface QueueAlert {
  queueId: string;
  kind: QueueAlertKind;
  severity: 'error' | 'warning';
}

export function belowServiceLevel(q: QueueView): boolean {
  const sl = q.statistics.serviceLevel;
  return sl !== null && sl * 100 < q.config.serviceLevel.percent;
}

export function queueAlerts(q: QueueView): QueueAlert[] {
  const s = q.statistics;
  const alerts: QueueAlert[] = [];
  const queueId = q.config.id;
  if (belowServiceLevel(q)) alerts.push({ queueId, kind: 'service-level', severity: 'error' });
  if (s.waiting > 0 && s.longestWaitMs > q.config.serviceLevel.withinMs) {
    alerts.push({ queueId, kind: 'longest-wait', severity: 'warning' });
  }
  if (s.abandonRate !== null && s.abandonRate > abandonRateLimit) {
    alerts.push({ queueId, kind: 'abandon-rate', severity: 'error' });
  }
  const staffed = s.agents.ready + s.agents.reserved + s.agents.busy + s.agents['wrap-up'];
  if (s.waiting > 0 && staffed === 0) alerts.push({ queueId, kind: 'no-agent', severity: 'error' });
  return alerts;
}
