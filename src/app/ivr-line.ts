import path from 'node:path';
import type { AnsweredCall, AppCallEnd, AppCallHandlers, CallApplication } from '../calls/index';
import { type Clock, isTellerError, type Logger, newId } from '../core/index';
import {
  type FlowResolver,
  type HandOverData,
  type IvrBanking,
  type IvrCalendar,
  type IvrCustomers,
  IvrEngine,
  type IvrEventSink,
  type IvrHttp,
  type IvrMedia,
  type IvrQueue,
  type IvrRecording,
  type IvrSession,
  type IvrSms,
  type Lang,
  type SessionSummary,
} from '../ivr/index';
import { AppError } from './errors';

/** The queue port plus what the line tells it when a parked caller leaves. */
export interface LineQueue extends IvrQueue {
  callerLeft(interactionId: string, reason: string): Promise<void>;
}

export interface IvrLineOptions {
  /** The flow a call starts in (`phone-banking`). */
  flowId: string;
  flows: FlowResolver;
  /** The prompt library's folder: prompt `zh/menu/main` is `<promptsDir>/zh/menu/main.wav`. */
  promptsDir: string;
  clock: Clock;
  logger: Logger;
  /** Where the sessions' events go; `drain` (when given) waits for the ones still being written. */
  events: IvrEventSink & { drain?(): Promise<void> };
  banking: IvrBanking;
  customers: IvrCustomers;
  queue: LineQueue;
  sms: IvrSms;
  http: IvrHttp;
  calendar: IvrCalendar;
  timeZone?: string;
  portTimeoutMs?: number;
}

/** One call on the line: the IVR session while it runs, then the parked call it handed to a queue. */
interface LineCall {
  call: AnsweredCall;
  sessionId: string;
  session: IvrSession | null;
  state: 'ivr' | 'parked' | 'ended';
  /** The IVR playback on the line now: a stop for an older one is stale. */
  playbackId: string | null;
  /** A barge-in stop not yet sent: a prompt started in the meantime replaces the playback instead. */
  stopPending: boolean;
  /** The interaction the call became when it was handed to a queue. */
  interactionId: string | null;
  /** A verification run for the agent (`verify`): what its hand-over said, and where the result goes. */
  verifying: { data: HandOverData | null; done(result: LineVerification): void } | null;
}

/** What a caller sent to the IVR by their agent proved, as the IVR's hand-over reports it. */
export type LineVerification =
  | { outcome: 'handed-back'; data: HandOverData }
  /** The run ended without handing the caller back (a flow error, no live flow). */
  | { outcome: 'failed'; reason: string }
  | { outcome: 'caller-left' };

/** A prompt id names a file under the library: letters, digits, `-`, `_` and `/` between segments. */
const promptId = /^(?:zh|en)(?:\/[A-Za-z0-9_-]+)+$/;

/**
 * The phone-banking line: a call application that runs an IVR flow on each answered call.
 *
 *   answered ──► IvrSession (keys in, prompt ends in) ──┬─ flow hangs up ──► BYE
 *                                                      ├─ hand-over ──► interaction in the ACD,
 *                                                      │               call parked on hold music
 *                                                      └─ caller hangs up ──► session ends
 *
 * The IVR's media and recording ports are the call's handle; the session's prompts are the
 * library's WAV files played back to back; the end of each playback goes back to the session.
 * Every session is independent, so a benchmark can put as many calls on the line as the media
 * workers carry.
 */
export class IvrLine implements CallApplication {
  readonly name: string;
  readonly engine: IvrEngine;
  private readonly bySession = new Map<string, LineCall>();
  private readonly byCall = new Map<string, LineCall>();
  /** The id of the session being started: the engine asks for it while `start` runs. */
  private starting: string | null = null;
  /** Lines with a barge-in stop to send on the next turn unless a prompt replaces it first. */
  private stopping: LineCall[] = [];
  /** Queue updates for calls that left while parked, still being written. */
  private readonly leaving = new Set<Promise<void>>();

  constructor(private readonly o: IvrLineOptions) {
    this.name = `ivr:${o.flowId}`;
    const media: IvrMedia = {
      play: (request) => this.play(request),
      stop: (request) => this.stop(request),
    };
    const recording: IvrRecording = {
      pause: async ({ callId }) => {
        const line = this.byCall.get(callId);
        if (!line) throw new AppError('APP_CALL_GONE', `no call ${callId} on the line`);
        await line.call.pauseRecording();
      },
      resume: async ({ callId }) => {
        const line = this.byCall.get(callId);
        // A call that ended has no recording left to resume.
        if (line?.call.live) await line.call.resumeRecording();
      },
    };
    const queue: IvrQueue = {
      handOver: (request) => this.handOver(request),
      requestCallback: (request) => o.queue.requestCallback(request),
    };
    this.engine = new IvrEngine({
      ports: {
        banking: o.banking,
        customers: o.customers,
        queue,
        media,
        sms: o.sms,
        http: o.http,
        recording,
        calendar: o.calendar,
      },
      events: o.events,
      clock: o.clock,
      flows: o.flows,
      reportError: (error, context) => o.logger.error({ err: error }, context),
      ...(o.timeZone ? { timeZone: o.timeZone } : {}),
      ...(o.portTimeoutMs ? { portTimeoutMs: o.portTimeoutMs } : {}),
      newSessionId: () => this.starting ?? newId(),
    });
  }

  /**
   * Waits for the queue updates of calls that have left and for the sessions' events still
   * being written (at shutdown, before the store closes).
   */
  async drain(): Promise<void> {
    while (this.leaving.size > 0) await Promise.all([...this.leaving]);
    await this.o.events.drain?.();
  }

  /** Calls on the line: in the IVR, or parked in a queue. */
  get calls(): number {
    return this.byCall.size;
  }

  /**
   * Where a call (by its call record id) is on the line: in its IVR session, or parked in a
   * queue after the session handed it over (the ended session stays readable); undefined once
   * the call has left the line.
   */
  call(callId: string): { state: 'ivr' | 'parked'; session: IvrSession | null } | undefined {
    const line = this.byCall.get(callId);
    if (!line || line.state === 'ended') return undefined;
    return { state: line.state, session: line.session };
  }

  answered(call: AnsweredCall): AppCallHandlers {
    const line: LineCall = {
      call,
      sessionId: newId(),
      session: null,
      state: 'ivr',
      playbackId: null,
      stopPending: false,
      interactionId: null,
      verifying: null,
    };
    this.byCall.set(call.id, line);
    try {
      this.startSession(line, this.o.flowId);
    } catch (error) {
      // No live flow: the caller is not left in silence.
      this.o.logger.error({ err: error, flowId: this.o.flowId }, 'IVR session could not start');
      this.forget(line);
      void call.hangUp();
      return {};
    }
    return {
      digit: (key) => {
        if (line.state === 'ivr') line.session?.digit(key);
      },
      ended: (by) => this.callEnded(line, by),
    };
  }

  private startSession(line: LineCall, flowId: string, lang?: Lang): void {
    line.sessionId = newId();
    line.state = 'ivr';
    line.playbackId = null;
    line.stopPending = false;
    this.bySession.set(line.sessionId, line);
    this.starting = line.sessionId;
    try {
      line.session = this.engine.start({
        callId: line.call.id,
        flowId,
        callerNumber: line.call.caller,
        calledNumber: line.call.dialled,
        ...(lang ? { lang } : {}),
        onEnd: (summary) => this.sessionEnded(line, summary),
      });
    } catch (error) {
      this.bySession.delete(line.sessionId);
      throw error;
    } finally {
      this.starting = null;
    }
  }

  /**
   * Runs `flowId` for a caller whose call an agent holds (the caller was handed over and
   * connected): the agent asked the caller to prove who they are, e.g. with their telephone PIN,
   * which the agent must not hear. The call layer has set the agent aside before this; the
   * flow's hand-over step gives the caller back, and what it hands over (customer, level, the
   * bank's verification id) is the result. The caller stays on the line's books as parked.
   */
  verify(callId: string, flowId: string, lang?: Lang): Promise<LineVerification> {
    const line = this.byCall.get(callId);
    if (line?.state !== 'parked' || !line.call.live) {
      return Promise.reject(new AppError('APP_CALL_GONE', `call ${callId} is not waiting on the line`));
    }
    if (line.verifying) {
      return Promise.reject(new AppError('APP_CALL_BUSY', `call ${callId} is already in a verification`));
    }
    return new Promise<LineVerification>((resolve) => {
      line.verifying = { data: null, done: resolve };
      try {
        this.startSession(line, flowId, lang);
      } catch (error) {
        line.verifying = null;
        line.state = 'parked';
        resolve({ outcome: 'failed', reason: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /**
   * Ends a verification run once its session is over (nothing more plays): the caller is parked
   * again, the agent's to take back, and the result goes to `verify`'s caller.
   */
  private verified(line: LineCall): void {
    const run = line.verifying;
    if (!run) return;
    line.verifying = null;
    if (line.state === 'ended' || !line.call.live) {
      run.done({ outcome: 'caller-left' });
      return;
    }
    line.state = 'parked';
    run.done(
      run.data
        ? { outcome: 'handed-back', data: run.data }
        : { outcome: 'failed', reason: 'the verification flow ended without handing the caller back' },
    );
  }

  // ---- the session's media port ----

  private play(request: { sessionId: string; playbackId: string; prompts: readonly string[] }): void {
    const line = this.bySession.get(request.sessionId);
    if (line?.state !== 'ivr') return;
    const bad = request.prompts.find((id) => !promptId.test(id));
    if (bad !== undefined) {
      this.finished(request, new AppError('APP_PROMPT_INVALID', `"${bad}" is not a prompt of the library`));
      return;
    }
    line.playbackId = request.playbackId;
    // The new prompt replaces what plays (the media worker ends the old playback as replaced).
    line.stopPending = false;
    const files = request.prompts.map((id) => path.join(this.o.promptsDir, `${id}.wav`));
    line.call.play(files).then(
      (playback) => playback.ended.then(() => this.finished(request, null)),
      (error: unknown) => {
        // A call that ended took its playback with it; the session hears of the hang-up.
        if (line.call.live) this.finished(request, error);
      },
    );
  }

  /**
   * A barge-in usually leads, in the same turn, to the next step's prompt, which replaces the
   * playback by itself: the stop goes to the media worker only if no prompt started before the
   * next turn (an input step collecting more keys, a port being asked). One request per key
   * instead of two.
   */
  private stop(request: { sessionId: string; playbackId: string }): void {
    const line = this.bySession.get(request.sessionId);
    if (!line || line.playbackId !== request.playbackId || !line.call.live) return;
    line.playbackId = null;
    line.stopPending = true;
    this.stopping.push(line);
    // One immediate for all the lines' stops of this turn, not one per key.
    if (this.stopping.length === 1) setImmediate(this.sendStops);
  }

  private readonly sendStops = (): void => {
    const lines = this.stopping;
    this.stopping = [];
    for (const line of lines) {
      if (!line.stopPending || !line.call.live) continue;
      line.stopPending = false;
      line.call.stopPlayback().catch((error: unknown) => {
        if (line.call.live)
          this.o.logger.warn({ err: error, callId: line.call.id }, 'IVR prompt not stopped');
      });
    }
  };

  private finished(request: { sessionId: string; playbackId: string }, error: unknown): void {
    // The session ignores the end of a playback it no longer waits for (stopped, replaced).
    this.engine.promptFinished(request.sessionId, request.playbackId, error);
  }

  // ---- hand-over ----

  private async handOver(request: Parameters<IvrQueue['handOver']>[0]): Promise<{ ticket: string }> {
    const asked = this.byCall.get(request.callId);
    if (asked?.verifying && asked.interactionId) {
      // A verification run hands the caller back to the contact they came from, not to a new queue.
      asked.verifying.data = request.data;
      return { ticket: asked.interactionId };
    }
    const result = await this.o.queue.handOver(request);
    const line = this.byCall.get(request.callId);
    if (!line?.call.live) {
      // The caller hung up while the contact was being queued: it leaves the queue at once.
      await this.o.queue.callerLeft(result.ticket, 'caller-hung-up');
      return result;
    }
    line.interactionId = result.ticket;
    await line.call.linkInteraction(result.ticket).catch((error: unknown) => {
      this.o.logger.error({ err: error, callId: line.call.id }, 'call record not linked to its interaction');
    });
    return result;
  }

  // ---- ends ----

  private sessionEnded(line: LineCall, summary: SessionSummary): void {
    this.bySession.delete(line.sessionId);
    if (line.verifying) {
      // However the run ends, the caller goes back to their agent (or has left): no music, no BYE.
      this.verified(line);
      return;
    }
    if (line.state === 'ended' || !line.call.live) return;
    if (summary.endedBy === 'handover') {
      line.state = 'parked';
      // Until agent legs exist the caller waits on hold music; the call stays up.
      line.call.park().catch((error: unknown) => {
        if (!line.call.live) return;
        this.o.logger.error({ err: error, callId: line.call.id }, 'parked call gets no hold music');
      });
      return;
    }
    line.state = 'ended';
    void line.call.hangUp();
  }

  private callEnded(line: LineCall, by: AppCallEnd): void {
    const parked = line.state === 'parked' || line.verifying !== null;
    line.state = 'ended';
    line.session?.hangup();
    this.verified(line);
    this.forget(line);
    if (parked && line.interactionId) {
      const reason = by === 'caller' ? 'caller-hung-up' : by === 'system' ? 'call-lost' : 'ended-by-line';
      const leaving: Promise<void> = this.o.queue
        .callerLeft(line.interactionId, reason)
        .catch((error: unknown) => {
          if (isTellerError(error) && error.code === 'ACD_UNKNOWN_INTERACTION') return;
          this.o.logger.error(
            { err: error, interactionId: line.interactionId },
            'parked call not taken out of its queue',
          );
        })
        .finally(() => this.leaving.delete(leaving));
      this.leaving.add(leaving);
    }
  }

  private forget(line: LineCall): void {
    this.bySession.delete(line.sessionId);
    this.byCall.delete(line.call.id);
  }
}
