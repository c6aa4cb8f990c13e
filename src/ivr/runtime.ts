import {
  type CurrencyCode,
  isCurrencyCode,
  isTellerError,
  type Money,
  type TellerError,
} from '../core/index';
import { Utterance } from './announce';
import { ivrError } from './errors';
import type { IvrEventMap, IvrEventType } from './events';
import type { Value } from './expr';
import type { Flow, Step } from './flow';
import type { IvrAuth, IvrCustomer, IvrPorts, VerificationLevel } from './ports';
import type { PromptKey } from './prompts';
import type { Lang } from './speech';

/**
 * What a step program and the session driver say to each other. A step is a generator: it
 * yields an effect (play these prompts, wait for keys, call a port) and is resumed with the
 * effect's result when the event that completes it arrives. The session owns all waiting;
 * a step never blocks and never sees a timer, so a session is a plain state machine that
 * tests drive on a virtual clock.
 */

export interface InputSpec {
  min: number;
  max: number;
  /** The key that ends the entry early, not part of it. */
  terminator: '#' | '*' | null;
  /** Wait for the first key, from when the prompt finished. */
  firstTimeoutMs: number;
  /** Wait between keys. */
  interDigitTimeoutMs: number;
  /** Drop keys typed ahead before this entry began. */
  flush: boolean;
}

export type Effect =
  | { kind: 'play'; utterance: Utterance; bargeIn: boolean }
  | { kind: 'input'; spec: InputSpec }
  | { kind: 'call'; label: string; timeoutMs: number | null; run: (signal: AbortSignal) => Promise<void> };

export type EffectResult =
  | { kind: 'play'; bargedIn: boolean }
  | { kind: 'input'; digits: string; end: 'complete' | 'terminator' | 'timeout' }
  | { kind: 'call'; error: TellerError | null };

export type StepEnd =
  | { to: 'step'; step: string }
  | { to: 'hangup'; outcome: 'self-service' | 'failed' }
  | { to: 'handed-over'; queue: string }
  | { to: 'subflow'; flow: string; returnTo: string }
  | { to: 'return' };

export type StepProgram = Generator<Effect, StepEnd, EffectResult>;
export type Gen<T> = Generator<Effect, T, EffectResult>;

/** What a step program may see and change of its session. */
export interface StepContext {
  readonly sessionId: string;
  readonly callId: string;
  readonly callerNumber: string | null;
  readonly flow: Flow;
  readonly stepId: string;
  /** The flow-qualified step id used in paths (`authenticate/pin` inside a subflow). */
  readonly stepPath: string;
  readonly step: Step;
  readonly ports: IvrPorts;
  readonly lang: Lang;
  readonly customer: IvrCustomer | null;
  readonly auth: IvrAuth | null;
  readonly verification: VerificationLevel;
  readonly portTimeoutMs: number;
  /** The session's path so far, for hand-over data. */
  readonly path: readonly string[];
  /** Evaluates one of the step's expressions. */
  evaluate(source: string): Value;
  get(name: string): Value | undefined;
  set(name: string, value: Value): void;
  /** Keeps a masked entry out of the variables (expressions cannot read it). */
  setSecret(name: string, value: string): void;
  /** Reads and forgets a masked entry. */
  takeSecret(name: string): string | undefined;
  setLanguage(lang: Lang): void;
  identify(customer: IvrCustomer, auth: IvrAuth): void;
  /** A key for a money-moving request: the same for a retry of this step's request, fresh for a new visit. */
  idempotencyKey(): string;
  serviceDone(name: string): void;
  markHandOver(kind: 'agent' | 'callback'): void;
  pauseRecording(reason: 'pin' | 'card-number'): Gen<void>;
  resumeRecording(): void;
  emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]): void;
  /** The bank's local date (`YYYY-MM-DD`) and time (`HH:MM`) of an instant. */
  localTime(epochMs: number): { date: string; time: string };
  now(): number;
  report(error: unknown, context: string): void;
}

// ---- the primitive effects ----

export function* play(utterance: Utterance, bargeIn: boolean): Gen<boolean> {
  if (utterance.empty) return false;
  const result = yield { kind: 'play', utterance, bargeIn };
  if (result.kind !== 'play') throw ivrError('IVR_INTERNAL', `play resumed with ${result.kind}`);
  return result.bargedIn;
}

export function* input(spec: InputSpec): Gen<{ digits: string; end: 'complete' | 'terminator' | 'timeout' }> {
  const result = yield { kind: 'input', spec };
  if (result.kind !== 'input') throw ivrError('IVR_INTERNAL', `input resumed with ${result.kind}`);
  return { digits: result.digits, end: result.end };
}

/**
 * Calls a port and returns its answer, or throws its error into the step. The answer is
 * kept in a closure so that its type survives the trip through the session.
 */
export function* callPort<T>(
  ctx: StepContext,
  label: string,
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number | null = ctx.portTimeoutMs,
): Gen<T> {
  let box: { value: T } | undefined;
  const result = yield {
    kind: 'call',
    label,
    timeoutMs,
    run: async (signal) => {
      box = { value: await run(signal) };
    },
  };
  if (result.kind !== 'call') throw ivrError('IVR_INTERNAL', `call resumed with ${result.kind}`);
  if (result.error) throw result.error;
  if (!box) throw ivrError('IVR_INTERNAL', `${label} resolved without a value`);
  return box.value;
}

// ---- composite interactions ----

export interface AskOptions {
  kind: 'menu' | 'collect' | 'choose';
  /** Played before each attempt. */
  prompt: (u: Utterance) => void;
  spec: Omit<InputSpec, 'flush'>;
  retries: number;
  invalidPrompt: string;
  timeoutPrompt: string;
  bargeIn: boolean;
  masked: boolean;
  /** Whether an entry is acceptable; `repeat` plays the prompt again without using up a try. */
  accept: (digits: string) => 'ok' | 'invalid' | 'repeat';
  /** Drop type-ahead before the first attempt too (a PIN must be keyed after the recording paused). */
  flushFirst?: boolean;
}

/** Forgets the keys typed so far. */
function* dropTypeAhead(): Gen<void> {
  yield* input({ min: 0, max: 0, terminator: null, firstTimeoutMs: 0, interDigitTimeoutMs: 0, flush: true });
}

/** Prompt, listen, re-prompt on invalid or no input; the accepted digits, or null when the tries ran out. */
export function* ask(ctx: StepContext, options: AskOptions): Gen<string | null> {
  let failures = 0;
  let flush = options.flushFirst ?? false;
  for (;;) {
    // Type-ahead is dropped before the prompt, not after it: a key that barges in on the
    // prompt (the first digit of a PIN keyed over "please enter your PIN") is the entry's.
    if (flush) yield* dropTypeAhead();
    flush = true;
    const u = new Utterance(ctx.lang);
    options.prompt(u);
    yield* play(u, options.bargeIn);
    const entry = yield* input({ ...options.spec, flush: false });
    const verdict = entry.digits === '' ? 'no-input' : options.accept(entry.digits);
    if (verdict === 'repeat') continue;
    ctx.emit('ivr.input', {
      sessionId: ctx.sessionId,
      step: ctx.stepPath,
      kind: options.kind,
      result: verdict,
      digits: options.masked ? null : entry.digits,
      length: entry.digits.length,
      masked: options.masked,
    });
    if (verdict === 'ok') return entry.digits;
    if (++failures > options.retries) return null;
    yield* play(
      new Utterance(ctx.lang).prompt(verdict === 'no-input' ? options.timeoutPrompt : options.invalidPrompt),
      true,
    );
  }
}

/**
 * Reads back what is about to happen, then asks for 1 (confirm) or 2 (cancel). Keys typed
 * ahead are dropped and the read-back cannot be skipped: a stray key must never move money.
 */
export function* confirm(ctx: StepContext, readBack: Utterance): Gen<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    yield* dropTypeAhead();
    yield* play(readBack, false);
    yield* play(new Utterance(ctx.lang).prompt('confirm/prompt'), true);
    const entry = yield* input({
      min: 1,
      max: 1,
      terminator: null,
      firstTimeoutMs: 6000,
      interDigitTimeoutMs: 6000,
      flush: false,
    });
    const ok = entry.digits === '1' || entry.digits === '2';
    ctx.emit('ivr.input', {
      sessionId: ctx.sessionId,
      step: ctx.stepPath,
      kind: 'confirm',
      result: entry.digits === '' ? 'no-input' : ok ? 'ok' : 'invalid',
      digits: entry.digits,
      length: entry.digits.length,
      masked: false,
    });
    if (ok) return entry.digits === '1';
    yield* play(
      new Utterance(ctx.lang).prompt(entry.digits === '' ? 'errors/no-input' : 'errors/invalid'),
      true,
    );
  }
  return false;
}

export function* say(ctx: StepContext, build: (u: Utterance) => void, bargeIn = true): Gen<void> {
  const u = new Utterance(ctx.lang);
  build(u);
  yield* play(u, bargeIn);
}

export function* sayPrompt(ctx: StepContext, key: PromptKey, bargeIn = true): Gen<void> {
  yield* play(new Utterance(ctx.lang).prompt(key), bargeIn);
}

// ---- values from expressions ----

export function isRecord(value: Value | undefined): value is { readonly [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function valueError(message: string): TellerError {
  return ivrError('IVR_STEP_VALUE', message);
}

export function stringField(value: Value | undefined, field: string, what: string): string {
  const got = isRecord(value) ? value[field] : undefined;
  if (typeof got !== 'string') throw valueError(`${what} has no ${field}`);
  return got;
}

/** A Money value from an expression: `{minor, currency}`, or a decimal string in `currency`. */
export function moneyValue(value: Value, currency: CurrencyCode | null, what: string): Money {
  if (isRecord(value)) {
    const minor = value.minor;
    const code = value.currency;
    if (
      typeof minor === 'number' &&
      Number.isSafeInteger(minor) &&
      typeof code === 'string' &&
      isCurrencyCode(code)
    ) {
      if (currency && code !== currency)
        throw ivrError('IVR_AMOUNT_INVALID', `${what} is in ${code}, not ${currency}`);
      return { minor, currency: code };
    }
  }
  if ((typeof value === 'string' || typeof value === 'number') && currency) {
    const text = String(value);
    const match = /^(\d{1,13})(?:\.(\d{1,}))?$/.exec(text);
    const digits = currency === 'JPY' ? 0 : 2;
    if (!match || (match[2] ?? '').length > digits) {
      throw ivrError('IVR_AMOUNT_INVALID', `${what} "${text}" is not an amount in ${currency}`);
    }
    const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || '0');
    return { minor, currency };
  }
  throw valueError(`${what} is not an amount`);
}

export function positive(amount: Money, what: string): Money {
  if (amount.minor <= 0) throw ivrError('IVR_AMOUNT_INVALID', `${what} must be more than zero`);
  return amount;
}

export function isTeller(error: unknown): error is TellerError {
  return isTellerError(error);
}

/** Plain data from an HTTP answer: JSON types only, anything else is null. */
export function toValue(input: unknown, depth = 0): Value {
  if (depth > 20) return null;
  if (input === null || typeof input === 'boolean' || typeof input === 'string') return input;
  if (typeof input === 'number') return Number.isFinite(input) ? input : null;
  if (Array.isArray(input)) return input.slice(0, 1000).map((item) => toValue(item, depth + 1));
  if (typeof input === 'object') {
    const out: Record<string, Value> = {};
    for (const [key, item] of Object.entries(input)) out[key] = toValue(item, depth + 1);
    return out;
  }
  return null;
}
