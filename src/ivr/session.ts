import { type Clock, isTellerError, type TellerError, type TimerHandle } from '../core/index';
import { errorPrompt } from './error-prompts';
import { ivrError } from './errors';
import type { IvrEventMap, IvrEventSink, IvrEventType, SessionOutcome } from './events';
import { type Expr, type ExprEnv, evaluate, parseExpr, type Value } from './expr';
import type { Flow, Step } from './flow';
import type { IvrAuth, IvrCustomer, IvrPorts, VerificationLevel } from './ports';
import {
  callPort,
  type Effect,
  type EffectResult,
  type Gen,
  type InputSpec,
  type StepContext,
  type StepEnd,
  type StepProgram,
  toValue,
} from './runtime';
import type { Lang } from './speech';
import { errorProgram, programFor } from './steps';

/**
 * One call's walk through a flow: a deterministic state machine driven by events — a key
 * (DTMF), the end of a prompt, a timer, a port's answer, the caller hanging up. Events are
 * queued and handled one at a time in arrival order, so a port that answers synchronously or
 * a media fake that reports "finished" from inside `play` cannot re-enter a half-done step.
 * Nothing here waits: a step that needs the caller or a port yields, and the session resumes
 * it when the event arrives. Time is the injected clock's.
 *
 *               start                 play ──► playing ──(finished | barge-in)──┐
 *   created ──────────► running ──── input ──► awaiting-input ──(keys | timeout)┤
 *      │                  │   ▲──── call ───► awaiting-port ──(answer | timeout)┘
 *      │                  │   └────────────────────────────────────────────────┘
 *      └──────────────────┴──(hang-up, flow ends, hand-over)──► ended   (from any state)
 */
export const sessionStates = [
  'created',
  'running',
  'playing',
  'awaiting-input',
  'awaiting-port',
  'ended',
] as const;
export type SessionState = (typeof sessionStates)[number];

const edges: Readonly<Record<SessionState, readonly SessionState[]>> = {
  created: ['running', 'ended'],
  running: ['playing', 'awaiting-input', 'awaiting-port', 'ended'],
  playing: ['running', 'ended'],
  'awaiting-input': ['running', 'ended'],
  'awaiting-port': ['running', 'ended'],
  ended: [],
};

/** Looks up a flow by id for subflow steps: the composition root keeps the live versions loaded. */
export interface FlowResolver {
  get(flowId: string): Flow | undefined;
}

export interface SessionSummary {
  sessionId: string;
  outcome: SessionOutcome;
  endedBy: 'flow' | 'caller' | 'handover' | 'error';
  /** The queue the call was handed to, for the owner to connect it. */
  queue: string | null;
}

export interface SessionOptions {
  id: string;
  callId: string;
  flow: Flow;
  flows: FlowResolver;
  ports: IvrPorts;
  events: IvrEventSink;
  clock: Clock;
  callerNumber: string | null;
  calledNumber: string | null;
  /** The language to start in; the flow's default when absent. */
  lang?: Lang;
  /** IANA zone of the bank's clock, for time-of-day expressions and spoken dates. */
  timeZone: string;
  portTimeoutMs: number;
  reportError: (error: unknown, context: string) => void;
  onEnd?: (summary: SessionSummary) => void;
}

type SessionEvent =
  | { type: 'start' }
  | { type: 'digit'; digit: string }
  | { type: 'prompt-finished'; playbackId: string; error: unknown }
  | { type: 'timeout'; token: number }
  | { type: 'port-result'; token: number; error: unknown }
  | { type: 'hangup' };

type Wait =
  | { kind: 'none' }
  | { kind: 'play'; playbackId: string; bargeIn: boolean }
  | { kind: 'input'; spec: InputSpec; digits: string; timer: TimerHandle | null; token: number }
  | { kind: 'call'; label: string; token: number; timer: TimerHandle | null; abort: AbortController };

interface Frame {
  flow: Flow;
  stepId: string;
  /** The caller's step to go to when this subflow returns; null for the top flow. */
  returnTo: string | null;
}

const maxSubflowDepth = 5;
/** Steps entered without waiting for anything: beyond this a flow is looping (set → goto → set …). */
const maxStepsWithoutWait = 100;
/** Failures in one call before the line gives up rather than apologise forever. */
const maxErrors = 5;
const maxTypeAhead = 32;
const dtmf = /^[0-9*#]$/;

const exprCache = new Map<string, Expr>();
function compiled(source: string): Expr {
  let expr = exprCache.get(source);
  if (!expr) {
    expr = parseExpr(source);
    if (exprCache.size > 2000) exprCache.clear();
    exprCache.set(source, expr);
  }
  return expr;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The bank's wall-clock date, time and ISO weekday (1 = Monday) of an instant. */
export function localParts(
  epochMs: number,
  timeZone: string,
): { date: string; time: string; hour: number; minute: number; weekday: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(epochMs).map((p) => [p.type, p.value]));
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday ?? '') + 1;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${String(hour).padStart(2, '0')}:${parts.minute}`,
    hour,
    minute,
    weekday,
  };
}

/** Keeps a card or PIN out of an error message that is about to become an event. */
function scrub(message: string): string {
  return message.replace(/\d{6,}/g, (digits) => '*'.repeat(digits.length));
}

export class IvrSession {
  readonly id: string;
  readonly callId: string;
  private stateValue: SessionState = 'created';
  private readonly frames: Frame[];
  private program: StepProgram | null = null;
  private wait: Wait = { kind: 'none' };
  private readonly inbox: SessionEvent[] = [];
  private draining = false;
  private buffer: string[] = [];
  private token = 0;
  private playbacks = 0;
  private readonly late = new Map<number, string>();
  private readonly vars = new Map<string, Value>();
  private readonly secrets = new Map<string, string>();
  private language: Lang;
  private customerValue: IvrCustomer | null = null;
  private authValue: IvrAuth | null = null;
  private lastError: Value = null;
  private readonly pathValue: string[] = [];
  private readonly visits = new Map<string, number>();
  private readonly services: string[] = [];
  private handOver: { kind: 'agent' | 'callback'; at: string } | null = null;
  private recordingPaused: 'pin' | 'card-number' | null = null;
  private errors = 0;
  private stepsWithoutWait = 0;
  private readonly startedAt: number;
  private outcomeValue: SessionOutcome | null = null;
  private access: SessionAccess | null = null;

  constructor(private readonly options: SessionOptions) {
    this.id = options.id;
    this.callId = options.callId;
    this.frames = [{ flow: options.flow, stepId: options.flow.start, returnTo: null }];
    this.language = options.lang ?? options.flow.defaultLanguage;
    this.startedAt = options.clock.now();
    for (const [name, value] of Object.entries(options.flow.variables)) this.vars.set(name, toValue(value));
  }

  // ---- what the owner of the call tells the session ----

  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** A DTMF key (RFC 4733 event or in-band tone) from the caller. */
  digit(key: string): void {
    this.dispatch({ type: 'digit', digit: key });
  }

  /** The media reports a playback ended; `error` when it could not be played. */
  promptFinished(playbackId: string, error: unknown = null): void {
    this.dispatch({ type: 'prompt-finished', playbackId, error });
  }

  hangup(): void {
    this.dispatch({ type: 'hangup' });
  }

  // ---- what anyone may read ----

  get state(): SessionState {
    return this.stateValue;
  }

  get lang(): Lang {
    return this.language;
  }

  get outcome(): SessionOutcome | null {
    return this.outcomeValue;
  }

  get path(): readonly string[] {
    return this.pathValue;
  }

  get customer(): IvrCustomer | null {
    return this.customerValue;
  }

  get verification(): VerificationLevel {
    return this.authValue?.level ?? 'none';
  }

  /** A session variable, for tests and the simulator; a masked entry is never returned. */
  variable(name: string): Value | undefined {
    return this.vars.get(name);
  }

  // ---- the machine ----

  private transition(to: SessionState): void {
    const from = this.stateValue;
    if (from === to) return;
    if (!edges[from].includes(to)) {
      throw ivrError('IVR_SESSION_TRANSITION', `IVR session ${this.id} cannot go from ${from} to ${to}`);
    }
    this.stateValue = to;
  }

  private dispatch(event: SessionEvent): void {
    this.inbox.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
        try {
          this.handle(next);
        } catch (error) {
          // A bug in the interpreter itself: end the call's session rather than leave it hanging.
          this.options.reportError(error, `IVR session ${this.id} handling ${next.type}`);
          this.finish('failed', 'error');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private handle(event: SessionEvent): void {
    if (this.stateValue === 'ended') {
      if (event.type === 'port-result') this.reportLate(event.token, event.error);
      return;
    }
    switch (event.type) {
      case 'start':
        if (this.stateValue !== 'created') return;
        this.transition('running');
        this.emit('ivr.session.started', {
          sessionId: this.id,
          callId: this.callId,
          flowId: this.options.flow.id,
          flowVersion: this.options.flow.version ?? null,
          callerNumber: this.options.callerNumber,
          calledNumber: this.options.calledNumber,
          lang: this.language,
        });
        try {
          this.enterStep(this.options.flow.start);
        } catch (error) {
          this.stepFailed(error);
        }
        this.run(undefined);
        return;
      case 'digit':
        this.onDigit(event.digit);
        return;
      case 'prompt-finished': {
        const wait = this.wait;
        if (wait.kind !== 'play' || wait.playbackId !== event.playbackId) return;
        this.wait = { kind: 'none' };
        this.transition('running');
        if (event.error) {
          this.run(
            undefined,
            ivrError('IVR_PLAYBACK_FAILED', `playback ${event.playbackId} failed`, event.error),
          );
        } else this.run({ kind: 'play', bargedIn: false });
        return;
      }
      case 'timeout':
        this.onTimeout(event.token);
        return;
      case 'port-result': {
        const wait = this.wait;
        if (wait.kind !== 'call' || wait.token !== event.token) {
          this.reportLate(event.token, event.error);
          return;
        }
        if (wait.timer) this.options.clock.clearTimeout(wait.timer);
        this.wait = { kind: 'none' };
        this.transition('running');
        this.run({
          kind: 'call',
          error: event.error === null ? null : this.asTellerError(event.error, wait.label),
        });
        return;
      }
      case 'hangup':
        this.callerHungUp();
        return;
    }
  }

  private onDigit(key: string): void {
    if (!dtmf.test(key)) return;
    const wait = this.wait;
    if (wait.kind === 'play') {
      // Barge-in: a key during a prompt stops it and counts as the caller's answer.
      if (!wait.bargeIn) return;
      this.options.ports.media.stop({ sessionId: this.id, playbackId: wait.playbackId });
      this.emit('ivr.prompt.stopped', {
        sessionId: this.id,
        step: this.currentPath(),
        playbackId: wait.playbackId,
        reason: 'barge-in',
      });
      this.buffer.push(key);
      this.wait = { kind: 'none' };
      this.transition('running');
      this.run({ kind: 'play', bargedIn: true });
      return;
    }
    if (wait.kind === 'input') {
      if (wait.timer) this.options.clock.clearTimeout(wait.timer);
      const done = this.takeKey(wait, key);
      if (done) {
        this.wait = { kind: 'none' };
        this.transition('running');
        this.run(done);
      } else this.armInputTimer(wait, wait.spec.interDigitTimeoutMs);
      return;
    }
    // Type-ahead: kept for the next menu or entry.
    if (this.buffer.length < maxTypeAhead) this.buffer.push(key);
  }

  private onTimeout(token: number): void {
    const wait = this.wait;
    if (wait.kind === 'input' && wait.token === token) {
      this.wait = { kind: 'none' };
      this.transition('running');
      this.run({ kind: 'input', digits: wait.digits, end: 'timeout' });
    } else if (wait.kind === 'call' && wait.token === token) {
      wait.abort.abort();
      this.late.set(wait.token, wait.label);
      this.wait = { kind: 'none' };
      this.transition('running');
      this.run({
        kind: 'call',
        error: ivrError('IVR_PORT_TIMEOUT', `${wait.label} did not answer in time`),
      });
    }
  }

  private takeKey(
    wait: Extract<Wait, { kind: 'input' }>,
    key: string,
  ): Extract<EffectResult, { kind: 'input' }> | null {
    if (wait.spec.terminator !== null && key === wait.spec.terminator) {
      return { kind: 'input', digits: wait.digits, end: 'terminator' };
    }
    wait.digits += key;
    return wait.digits.length >= wait.spec.max
      ? { kind: 'input', digits: wait.digits, end: 'complete' }
      : null;
  }

  private armInputTimer(wait: Extract<Wait, { kind: 'input' }>, ms: number): void {
    const token = ++this.token;
    wait.token = token;
    wait.timer = this.options.clock.setTimeout(() => this.dispatch({ type: 'timeout', token }), ms);
  }

  /**
   * Runs the current step program until it waits for something, moving from step to step as
   * programs end. `failure` is thrown into the program (a playback that failed).
   */
  private run(result: EffectResult | undefined, failure?: TellerError): void {
    let input = result;
    let pendingFailure = failure;
    while (this.stateValue !== 'ended') {
      const program = this.program;
      if (!program) return;
      let step: IteratorResult<Effect, StepEnd>;
      try {
        if (pendingFailure) {
          const thrown = pendingFailure;
          pendingFailure = undefined;
          step = program.throw(thrown);
        } else step = input === undefined ? program.next() : program.next(input);
      } catch (error) {
        this.program = null;
        this.stepFailed(error);
        input = undefined;
        continue;
      }
      input = undefined;
      if (step.done) {
        this.program = null;
        try {
          this.finishStep(step.value);
        } catch (error) {
          this.stepFailed(error);
        }
        continue;
      }
      try {
        const immediate = this.perform(step.value);
        if (immediate === undefined) {
          this.stepsWithoutWait = 0;
          return;
        }
        input = immediate;
      } catch (error) {
        pendingFailure = this.asTellerError(error, 'effect');
      }
    }
  }

  private perform(effect: Effect): EffectResult | undefined {
    switch (effect.kind) {
      case 'play': {
        if (effect.utterance.empty) return { kind: 'play', bargedIn: false };
        // Keys typed ahead answer the question before it is asked: skip the prompt.
        if (effect.bargeIn && this.buffer.length > 0) return { kind: 'play', bargedIn: true };
        const playbackId = `${this.id}/${++this.playbacks}`;
        this.emit('ivr.prompt.played', {
          sessionId: this.id,
          step: this.currentPath(),
          playbackId,
          prompts: [...effect.utterance.ids],
          bargeIn: effect.bargeIn,
        });
        this.wait = { kind: 'play', playbackId, bargeIn: effect.bargeIn };
        this.transition('playing');
        try {
          this.options.ports.media.play({
            sessionId: this.id,
            playbackId,
            prompts: effect.utterance.ids,
            text: effect.utterance.text,
          });
        } catch (error) {
          this.wait = { kind: 'none' };
          this.transition('running');
          throw ivrError('IVR_PLAYBACK_FAILED', `playback ${playbackId} could not start`, error);
        }
        return undefined;
      }
      case 'input': {
        const spec = effect.spec;
        if (spec.flush) this.buffer = [];
        if (spec.max === 0) return { kind: 'input', digits: '', end: 'complete' };
        const wait: Extract<Wait, { kind: 'input' }> = {
          kind: 'input',
          spec,
          digits: '',
          timer: null,
          token: 0,
        };
        while (this.buffer.length > 0) {
          const done = this.takeKey(wait, this.buffer.shift()!);
          if (done) return done;
        }
        this.wait = wait;
        this.transition('awaiting-input');
        this.armInputTimer(wait, wait.digits === '' ? spec.firstTimeoutMs : spec.interDigitTimeoutMs);
        return undefined;
      }
      case 'call': {
        const token = ++this.token;
        const abort = new AbortController();
        let promise: Promise<void>;
        try {
          promise = effect.run(abort.signal);
        } catch (error) {
          promise = Promise.reject(error);
        }
        promise.then(
          () => this.dispatch({ type: 'port-result', token, error: null }),
          (error: unknown) =>
            this.dispatch({ type: 'port-result', token, error: error ?? new Error('rejected') }),
        );
        const timer =
          effect.timeoutMs === null
            ? null
            : this.options.clock.setTimeout(
                () => this.dispatch({ type: 'timeout', token }),
                effect.timeoutMs,
              );
        this.wait = { kind: 'call', label: effect.label, token, timer, abort };
        this.transition('awaiting-port');
        return undefined;
      }
    }
  }

  private frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private qualified(frame: Frame, stepId: string): string {
    return this.frames.length > 1 ? `${frame.flow.id}/${stepId}` : stepId;
  }

  private currentPath(): string {
    const frame = this.frame();
    return this.qualified(frame, frame.stepId);
  }

  private enterStep(stepId: string): void {
    if (++this.stepsWithoutWait > maxStepsWithoutWait) {
      throw ivrError(
        'IVR_LOOP',
        `flow ${this.frame().flow.id} went through ${maxStepsWithoutWait} steps without waiting for the caller`,
      );
    }
    const frame = this.frame();
    const step = frame.flow.steps[stepId];
    if (!step) throw ivrError('IVR_INTERNAL', `flow ${frame.flow.id} has no step ${stepId}`);
    frame.stepId = stepId;
    const path = this.qualified(frame, stepId);
    this.pathValue.push(path);
    this.visits.set(path, (this.visits.get(path) ?? 0) + 1);
    this.emit('ivr.step.entered', {
      sessionId: this.id,
      flowId: frame.flow.id,
      step: stepId,
      stepType: step.type,
    });
    this.program = programFor(this.context(frame, stepId));
  }

  private finishStep(end: StepEnd): void {
    const frame = this.frame();
    const step = frame.flow.steps[frame.stepId];
    const stepType = step?.type ?? 'unknown';
    const completed = (next: string | null) =>
      this.emit('ivr.step.completed', {
        sessionId: this.id,
        flowId: frame.flow.id,
        step: frame.stepId,
        stepType,
        next,
      });
    switch (end.to) {
      case 'step':
        completed(end.step);
        this.enterStep(end.step);
        return;
      case 'hangup':
        completed(null);
        this.finish(end.outcome === 'failed' ? 'failed' : this.servedOutcome(), 'flow');
        return;
      case 'handed-over':
        completed(null);
        this.finish('agent', 'handover', end.queue);
        return;
      case 'subflow': {
        const flow = this.options.flows.get(end.flow);
        if (!flow) {
          this.stepFailed(ivrError('IVR_FLOW_NOT_FOUND', `no live flow ${end.flow}`));
          return;
        }
        if (this.frames.length >= maxSubflowDepth) {
          this.stepFailed(ivrError('IVR_SUBFLOW_DEPTH', `subflows nested deeper than ${maxSubflowDepth}`));
          return;
        }
        completed(null);
        this.frames.push({ flow, stepId: flow.start, returnTo: end.returnTo });
        this.enterStep(flow.start);
        return;
      }
      case 'return': {
        completed(null);
        const done = this.frames.length > 1 ? this.frames.pop() : undefined;
        if (!done?.returnTo) {
          this.finish(this.servedOutcome(), 'flow');
          return;
        }
        this.enterStep(done.returnTo);
        return;
      }
    }
  }

  private stepFailed(raw: unknown): void {
    const error = this.asTellerError(raw, 'step');
    const frame = this.frame();
    const step = frame.flow.steps[frame.stepId];
    const own = step && 'onError' in step ? step.onError : undefined;
    let target = own ?? frame.flow.onError ?? null;
    if (target === frame.stepId && !own) target = null;
    this.lastError = { code: error.code, kind: error.kind };
    this.emit('ivr.step.failed', {
      sessionId: this.id,
      flowId: frame.flow.id,
      step: frame.stepId,
      stepType: step?.type ?? 'unknown',
      code: error.code,
      message: scrub(error.message),
      next: target,
    });
    if (++this.errors > maxErrors || error.code === 'IVR_LOOP') {
      this.finish('failed', 'error');
      return;
    }
    this.program = errorProgram(this.context(frame, frame.stepId), errorPrompt(error), target);
  }

  private servedOutcome(): SessionOutcome {
    return this.handOver?.kind === 'callback' ? 'callback' : 'self-service';
  }

  private callerHungUp(): void {
    const outcome: SessionOutcome =
      this.handOver?.kind === 'callback' ? 'callback' : this.services.length > 0 ? 'self-service' : 'hang-up';
    this.finish(outcome, 'caller');
  }

  private finish(
    outcome: SessionOutcome,
    endedBy: SessionSummary['endedBy'],
    queue: string | null = null,
  ): void {
    if (this.stateValue === 'ended') return;
    const wait = this.wait;
    if (wait.kind === 'input' && wait.timer) this.options.clock.clearTimeout(wait.timer);
    if (wait.kind === 'call') {
      if (wait.timer) this.options.clock.clearTimeout(wait.timer);
      this.late.set(wait.token, wait.label);
      wait.abort.abort();
    }
    if (wait.kind === 'play' && endedBy !== 'caller') {
      this.options.ports.media.stop({ sessionId: this.id, playbackId: wait.playbackId });
    }
    this.wait = { kind: 'none' };
    const program = this.program;
    this.program = null;
    // Lets the step's `finally` run (a masked entry resumes the recording there).
    if (program) program.return({ to: 'return' });
    this.resumeRecording();
    this.secrets.clear();
    this.transition('ended');
    this.outcomeValue = outcome;
    const frame = this.frame();
    this.emit('ivr.session.ended', {
      sessionId: this.id,
      callId: this.callId,
      flowId: this.options.flow.id,
      flowVersion: this.options.flow.version ?? null,
      outcome,
      lastStep: this.pathValue.length > 0 ? this.qualified(frame, frame.stepId) : null,
      handedOverAt: this.handOver?.at ?? null,
      path: [...this.pathValue],
      services: [...this.services],
      durationMs: this.options.clock.now() - this.startedAt,
      endedBy,
    });
    this.options.onEnd?.({ sessionId: this.id, outcome, endedBy, queue });
  }

  private reportLate(token: number, error: unknown): void {
    const label = this.late.get(token);
    if (label === undefined) return;
    this.late.delete(token);
    this.emit('ivr.port.late', {
      sessionId: this.id,
      label,
      ok: error === null,
      code: error === null ? null : this.asTellerError(error, label).code,
    });
  }

  private asTellerError(error: unknown, where: string): TellerError {
    if (isTellerError(error)) return error;
    this.options.reportError(error, `IVR session ${this.id}: ${where}`);
    return ivrError(
      'IVR_INTERNAL',
      `${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }

  private emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void {
    try {
      this.options.events.emit(type, payload);
    } catch (error) {
      this.options.reportError(error, `emitting ${type}`);
    }
  }

  private resumeRecording(): void {
    if (!this.recordingPaused) return;
    this.recordingPaused = null;
    this.emit('ivr.recording.resumed', { sessionId: this.id, callId: this.callId });
    this.options.ports.recording
      .resume({ sessionId: this.id, callId: this.callId })
      .catch((error: unknown) => this.options.reportError(error, `resuming the recording of ${this.callId}`));
  }

  private context(frame: Frame, stepId: string): StepContext {
    const step = frame.flow.steps[stepId];
    if (!step) throw ivrError('IVR_INTERNAL', `flow ${frame.flow.id} has no step ${stepId}`);
    this.access ??= this.sessionAccess();
    return new StepScope(this.access, frame.flow, stepId, this.qualified(frame, stepId), step);
  }

  /** The session's side of every step's context, made once (see `StepScope`). */
  private sessionAccess(): SessionAccess {
    const options = this.options;
    return {
      sessionId: this.id,
      callId: this.callId,
      callerNumber: options.callerNumber,
      ports: options.ports,
      portTimeoutMs: options.portTimeoutMs,
      timeZone: options.timeZone,
      env: {
        lookup: (name) => this.lookup(name),
        local: () => localParts(options.clock.now(), options.timeZone),
        isHoliday: (date) => options.ports.calendar.isHoliday(date),
      },
      lang: () => this.language,
      customer: () => this.customerValue,
      auth: () => this.authValue,
      verification: () => this.verification,
      path: () => this.pathValue,
      get: (name) => this.vars.get(name),
      set: (name, value) => {
        this.secrets.delete(name);
        this.vars.set(name, value);
      },
      setSecret: (name, value) => {
        this.vars.delete(name);
        this.secrets.set(name, value);
      },
      takeSecret: (name) => {
        const value = this.secrets.get(name);
        this.secrets.delete(name);
        return value;
      },
      setLanguage: (lang) => {
        this.language = lang;
      },
      identify: (customer, auth) => {
        this.customerValue = customer;
        this.authValue = auth;
        this.emit('ivr.customer.identified', {
          sessionId: this.id,
          customerId: customer.id,
          level: auth.level,
        });
      },
      visits: (stepPath) => this.visits.get(stepPath) ?? 1,
      serviceDone: (name) => {
        this.services.push(name);
      },
      markHandOver: (kind, at) => {
        this.handOver = { kind, at };
      },
      recordingPaused: (reason) => {
        this.recordingPaused = reason;
        this.emit('ivr.recording.paused', { sessionId: this.id, callId: this.callId, reason });
      },
      resumeRecording: () => this.resumeRecording(),
      emit: (type, payload) => this.emit(type, payload),
      now: () => options.clock.now(),
      report: (error, context) => options.reportError(error, context),
    };
  }

  private lookup(name: string): Value | undefined {
    switch (name) {
      case 'customer': {
        const c = this.customerValue;
        return c ? { id: c.id, tier: c.tier, language: c.language } : null;
      }
      case 'caller':
        return this.options.callerNumber;
      case 'called':
        return this.options.calledNumber;
      case 'lang':
        return this.language;
      case 'verification':
        return this.verification;
      case 'lastError':
        return this.lastError;
    }
    if (this.secrets.has(name))
      throw ivrError('IVR_EXPR_SECRET', `"${name}" holds a masked entry and cannot be read`);
    return this.vars.get(name);
  }
}

/**
 * What a step context reads and changes of its session: closures over the session's private
 * state, made once per session and shared by the contexts of all its steps.
 */
interface SessionAccess {
  readonly sessionId: string;
  readonly callId: string;
  readonly callerNumber: string | null;
  readonly ports: IvrPorts;
  readonly portTimeoutMs: number;
  readonly timeZone: string;
  readonly env: ExprEnv;
  lang(): Lang;
  customer(): IvrCustomer | null;
  auth(): IvrAuth | null;
  verification(): VerificationLevel;
  path(): readonly string[];
  get(name: string): Value | undefined;
  set(name: string, value: Value): void;
  setSecret(name: string, value: string): void;
  takeSecret(name: string): string | undefined;
  setLanguage(lang: Lang): void;
  identify(customer: IvrCustomer, auth: IvrAuth): void;
  /** How many times the session has entered the step at this path (1 on the first visit). */
  visits(stepPath: string): number;
  serviceDone(name: string): void;
  markHandOver(kind: 'agent' | 'callback', at: string): void;
  /** The recording is paused for a secret entry: remembered (to resume at the end) and announced. */
  recordingPaused(reason: 'pin' | 'card-number'): void;
  resumeRecording(): void;
  emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void;
  now(): number;
  report(error: unknown, context: string): void;
}

/**
 * One step's context: the step, and its session through `SessionAccess`. A class, so that a
 * step (several per key press on every call) costs one small object rather than a fresh set
 * of some twenty closures; steps call its methods on it (`ctx.set(…)`), never detached.
 */
class StepScope implements StepContext {
  constructor(
    private readonly session: SessionAccess,
    readonly flow: Flow,
    readonly stepId: string,
    readonly stepPath: string,
    readonly step: Step,
  ) {}

  get sessionId(): string {
    return this.session.sessionId;
  }
  get callId(): string {
    return this.session.callId;
  }
  get callerNumber(): string | null {
    return this.session.callerNumber;
  }
  get ports(): IvrPorts {
    return this.session.ports;
  }
  get portTimeoutMs(): number {
    return this.session.portTimeoutMs;
  }
  get lang(): Lang {
    return this.session.lang();
  }
  get customer(): IvrCustomer | null {
    return this.session.customer();
  }
  get auth(): IvrAuth | null {
    return this.session.auth();
  }
  get verification(): VerificationLevel {
    return this.session.verification();
  }
  get path(): readonly string[] {
    return this.session.path();
  }

  evaluate(source: string): Value {
    return evaluate(compiled(source), this.session.env);
  }
  get(name: string): Value | undefined {
    return this.session.get(name);
  }
  set(name: string, value: Value): void {
    this.session.set(name, value);
  }
  setSecret(name: string, value: string): void {
    this.session.setSecret(name, value);
  }
  takeSecret(name: string): string | undefined {
    return this.session.takeSecret(name);
  }
  setLanguage(lang: Lang): void {
    this.session.setLanguage(lang);
  }
  identify(customer: IvrCustomer, auth: IvrAuth): void {
    this.session.identify(customer, auth);
  }
  idempotencyKey(): string {
    return `ivr:${this.session.sessionId}:${this.stepPath}:${this.session.visits(this.stepPath)}`;
  }
  serviceDone(name: string): void {
    this.session.serviceDone(name);
  }
  markHandOver(kind: 'agent' | 'callback'): void {
    this.session.markHandOver(kind, this.stepPath);
  }

  *pauseRecording(reason: 'pin' | 'card-number'): Gen<void> {
    const { session } = this;
    const recording = session.ports.recording;
    try {
      yield* callPort(this, 'recording.pause', () =>
        recording.pause({ sessionId: session.sessionId, callId: session.callId, reason }),
      );
    } catch (error) {
      // It may still pause later: ask for a resume so the rest of the call is recorded.
      recording
        .resume({ sessionId: session.sessionId, callId: session.callId })
        .catch((failure: unknown) => session.report(failure, `resuming the recording of ${session.callId}`));
      throw ivrError(
        'IVR_RECORDING_PAUSE_FAILED',
        'the recording could not be paused for a secret entry',
        error,
      );
    }
    session.recordingPaused(reason);
  }

  resumeRecording(): void {
    this.session.resumeRecording();
  }
  emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void {
    this.session.emit(type, payload);
  }
  localTime(epochMs: number): { date: string; time: string } {
    const parts = localParts(epochMs, this.session.timeZone);
    return { date: parts.date, time: parts.time };
  }
  now(): number {
    return this.session.now();
  }
  report(error: unknown, context: string): void {
    this.session.report(error, context);
  }
}
