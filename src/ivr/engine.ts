import type { Clock } from '../core/index';
import { newId } from '../core/index';
import { ivrError } from './errors';
import type { IvrEventSink } from './events';
import type { IvrPorts } from './ports';
import { type FlowResolver, IvrSession, type SessionSummary } from './session';
import type { Lang } from './speech';

export interface IvrEngineOptions {
  ports: IvrPorts;
  events: IvrEventSink;
  clock: Clock;
  flows: FlowResolver;
  /** Where unexpected failures go (the logger): none is swallowed. */
  reportError: (error: unknown, context: string) => void;
  /** The bank's time zone for time-of-day and spoken dates; Asia/Shanghai by default. */
  timeZone?: string;
  /** How long a port may take before the step takes its error branch; 10 s by default. */
  portTimeoutMs?: number;
  newSessionId?: () => string;
}

export interface StartCall {
  callId: string;
  flowId: string;
  callerNumber?: string | null;
  calledNumber?: string | null;
  lang?: Lang;
  onEnd?: (summary: SessionSummary) => void;
}

/**
 * Runs IVR sessions, one per call, with the same ports, clock and flows. The call layer
 * starts a session when a call reaches an IVR number, forwards keys and the ends of
 * playbacks to it, and on `onEnd` hangs up, or connects the call to the queue it was handed.
 */
export class IvrEngine {
  private readonly sessions = new Map<string, IvrSession>();

  constructor(private readonly options: IvrEngineOptions) {}

  start(call: StartCall): IvrSession {
    const flow = this.options.flows.get(call.flowId);
    if (!flow) throw ivrError('IVR_FLOW_NOT_FOUND', `no live flow ${call.flowId}`);
    const id = (this.options.newSessionId ?? newId)();
    const session = new IvrSession({
      id,
      callId: call.callId,
      flow,
      flows: this.options.flows,
      ports: this.options.ports,
      events: this.options.events,
      clock: this.options.clock,
      callerNumber: call.callerNumber ?? null,
      calledNumber: call.calledNumber ?? null,
      ...(call.lang ? { lang: call.lang } : {}),
      timeZone: this.options.timeZone ?? 'Asia/Shanghai',
      portTimeoutMs: this.options.portTimeoutMs ?? 10_000,
      reportError: this.options.reportError,
      onEnd: (summary) => {
        this.sessions.delete(id);
        call.onEnd?.(summary);
      },
    });
    this.sessions.set(id, session);
    session.start();
    return session;
  }

  session(id: string): IvrSession | undefined {
    return this.sessions.get(id);
  }

  /** For the media adapter: a playback of a session ended (or failed). */
  promptFinished(sessionId: string, playbackId: string, error: unknown = null): void {
    this.sessions.get(sessionId)?.promptFinished(playbackId, error);
  }

  get activeSessions(): number {
    return this.sessions.size;
  }
}
