import type { CustomerId } from '../core/index';
import type { VerificationLevel } from './ports';
import type { Lang } from './speech';

/**
 * The domain events of an IVR session. They carry step ids, prompt ids and outcomes — never
 * a PIN, never a card number (card and account numbers appear as `************0001`), and
 * no digits at all of a masked entry, only how many keys were pressed.
 */

/** How a session ended, for containment: served by the machine, handed to a person, or lost. */
export const sessionOutcomes = ['self-service', 'agent', 'callback', 'hang-up', 'failed'] as const;
export type SessionOutcome = (typeof sessionOutcomes)[number];

export interface IvrEventMap {
  'ivr.session.started': {
    sessionId: string;
    callId: string;
    flowId: string;
    flowVersion: number | null;
    callerNumber: string | null;
    calledNumber: string | null;
    lang: Lang;
  };
  'ivr.step.entered': { sessionId: string; flowId: string; step: string; stepType: string };
  'ivr.step.completed': {
    sessionId: string;
    flowId: string;
    step: string;
    stepType: string;
    /** The step it went to; null when the session ends or leaves the flow. */
    next: string | null;
  };
  'ivr.step.failed': {
    sessionId: string;
    flowId: string;
    step: string;
    stepType: string;
    code: string;
    message: string;
    next: string | null;
  };
  'ivr.prompt.played': {
    sessionId: string;
    step: string;
    playbackId: string;
    prompts: string[];
    bargeIn: boolean;
  };
  'ivr.prompt.stopped': { sessionId: string; step: string; playbackId: string; reason: 'barge-in' };
  'ivr.input': {
    sessionId: string;
    step: string;
    kind: 'menu' | 'collect' | 'confirm' | 'choose';
    result: 'ok' | 'invalid' | 'no-input';
    /** null for a masked entry. */
    digits: string | null;
    length: number;
    masked: boolean;
  };
  'ivr.recording.paused': { sessionId: string; callId: string; reason: 'pin' | 'card-number' };
  'ivr.recording.resumed': { sessionId: string; callId: string };
  'ivr.language.changed': { sessionId: string; lang: Lang; remembered: boolean };
  'ivr.customer.identified': { sessionId: string; customerId: CustomerId; level: VerificationLevel };
  'ivr.auth.result': {
    sessionId: string;
    result: 'verified' | 'invalid' | 'locked' | 'unknown';
    customerId: CustomerId | null;
    /** The keyed card or account number masked to its last four, when one was keyed. */
    card: string | null;
    attemptsLeft: number | null;
  };
  'ivr.banking.done': {
    sessionId: string;
    step: string;
    operation: string;
    idempotencyKey: string;
    reference: string | null;
  };
  'ivr.handover': {
    sessionId: string;
    queue: string;
    priority: number;
    intent: string;
    ticket: string;
    customerId: CustomerId | null;
    verification: VerificationLevel;
  };
  'ivr.callback.requested': { sessionId: string; queue: string; callbackId: string; intent: string };
  'ivr.sms.sent': { sessionId: string; messageId: string };
  /** A port answered after the session stopped waiting (timeout, hang-up): logged so nothing is lost. */
  'ivr.port.late': { sessionId: string; label: string; ok: boolean; code: string | null };
  'ivr.session.ended': {
    sessionId: string;
    callId: string;
    flowId: string;
    flowVersion: number | null;
    outcome: SessionOutcome;
    /** Where the caller was when the session ended (flow-qualified inside a subflow: `authenticate/pin`). */
    lastStep: string | null;
    /** The step where the caller asked for a person, for agent and callback outcomes. */
    handedOverAt: string | null;
    path: string[];
    services: string[];
    durationMs: number;
    endedBy: 'flow' | 'caller' | 'handover' | 'error';
  };
}

export type IvrEventType = keyof IvrEventMap;

/**
 * The per-step events: several per key press on every call, for the live view (supervisors'
 * stream, tests, the simulator). Nothing reads them back from the log — the session's path and
 * outcome travel in `ivr.session.ended`, the caller's path to an agent in `ivr.handover` and
 * the ACD contact — so the line writes them batched (`EventMeta.batched`): one commit a second
 * for all calls instead of one per call per key. See docs/adr/011-ivr-event-persistence.md and
 * docs/adr/014-ivr-events-one-commit-a-second.md.
 */
export const ivrStepEvents: ReadonlySet<IvrEventType> = new Set<IvrEventType>([
  'ivr.step.entered',
  'ivr.step.completed',
  'ivr.prompt.played',
  'ivr.prompt.stopped',
  'ivr.input',
]);

/** Where the interpreter puts its events; the composition root forwards them to the event bus. */
export interface IvrEventSink {
  emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void;
}

/** An event as a sink records it, for tests and for the containment report. */
export type IvrEventRecord = { [K in IvrEventType]: { type: K; payload: IvrEventMap[K] } }[IvrEventType];

/** Keeps events in memory, in order. */
export class MemoryIvrEvents implements IvrEventSink {
  readonly events: IvrEventRecord[] = [];

  emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void {
    this.events.push({ type, payload } as IvrEventRecord);
  }

  of<K extends IvrEventType>(type: K): IvrEventMap[K][] {
    const out: IvrEventMap[K][] = [];
    for (const event of this.events) if (event.type === type) out.push(event.payload as IvrEventMap[K]);
    return out;
  }
}

declare module '../core/index' {
  interface DomainEvents extends IvrEventMap {}
}
