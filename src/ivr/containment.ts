import { z } from 'zod';
import { sessionOutcomes } from './events';

/**
 * The containment report: per flow, how many calls the line finished on its own, how many
 * it handed to a person (now or by a callback), how many callers gave up — and at which step
 * they left. It reads the `ivr.session.ended` events, which the event log keeps, so the same
 * function serves a test, a live wallboard and a monthly report.
 */

const endedPayload = z.object({
  flowId: z.string(),
  flowVersion: z.number().nullable(),
  outcome: z.enum(sessionOutcomes),
  lastStep: z.string().nullable(),
  handedOverAt: z.string().nullable(),
});

export interface StepCount {
  step: string;
  count: number;
}

export interface ContainmentRow {
  flowId: string;
  calls: number;
  selfService: number;
  agent: number;
  callback: number;
  hangUp: number;
  failed: number;
  /** Share of calls finished in self-service (0–1). */
  containmentRate: number;
  /** Share handed to a person, now or by a callback (0–1). */
  agentRate: number;
  /** Where callers who hung up unserved, or whom the line failed, were last. Most first. */
  leftAt: StepCount[];
  /** Where callers asked for a person. Most first. */
  agentFrom: StepCount[];
}

function ranked(counts: Map<string, number>): StepCount[] {
  return [...counts.entries()]
    .map(([step, count]) => ({ step, count }))
    .sort((a, b) => b.count - a.count || a.step.localeCompare(b.step));
}

const share = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;

/** Builds the report from any sequence of events; events other than `ivr.session.ended` are skipped. */
export function containmentReport(events: Iterable<{ type: string; payload: unknown }>): ContainmentRow[] {
  const rows = new Map<
    string,
    { row: ContainmentRow; left: Map<string, number>; from: Map<string, number> }
  >();
  for (const event of events) {
    if (event.type !== 'ivr.session.ended') continue;
    const parsed = endedPayload.safeParse(event.payload);
    if (!parsed.success) continue;
    const ended = parsed.data;
    let entry = rows.get(ended.flowId);
    if (!entry) {
      entry = {
        row: {
          flowId: ended.flowId,
          calls: 0,
          selfService: 0,
          agent: 0,
          callback: 0,
          hangUp: 0,
          failed: 0,
          containmentRate: 0,
          agentRate: 0,
          leftAt: [],
          agentFrom: [],
        },
        left: new Map(),
        from: new Map(),
      };
      rows.set(ended.flowId, entry);
    }
    const { row } = entry;
    row.calls++;
    const where = ended.lastStep ?? '(start)';
    switch (ended.outcome) {
      case 'self-service':
        row.selfService++;
        break;
      case 'agent':
      case 'callback': {
        if (ended.outcome === 'agent') row.agent++;
        else row.callback++;
        const at = ended.handedOverAt ?? where;
        entry.from.set(at, (entry.from.get(at) ?? 0) + 1);
        break;
      }
      case 'hang-up':
      case 'failed':
        if (ended.outcome === 'hang-up') row.hangUp++;
        else row.failed++;
        entry.left.set(where, (entry.left.get(where) ?? 0) + 1);
        break;
    }
  }
  return [...rows.values()]
    .map(({ row, left, from }) => ({
      ...row,
      containmentRate: share(row.selfService, row.calls),
      agentRate: share(row.agent + row.callback, row.calls),
      leftAt: ranked(left),
      agentFrom: ranked(from),
    }))
    .sort((a, b) => a.flowId.localeCompare(b.flowId));
}
