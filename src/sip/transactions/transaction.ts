/**
 * What the four transaction state machines of RFC 3261 §17 share: one `transition()` that refuses
 * an edge the machine does not have, named timers on the injected Clock, sends whose failures
 * become transport errors (§17.1.1.2, §17.1.2.2, §17.2.4), and user callbacks whose exceptions
 * are reported rather than allowed to break the machine.
 */
import type { Clock, ErrorReporter, TimerHandle } from '../../core/index';
import { SipError } from '../errors';
import type { SipMessage } from '../message';
import type { SipSender } from '../sender';
import type { TimerValues } from './timers';

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying';

export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly transport: SipSender;
  readonly report: ErrorReporter;
  /** Called once when the machine reaches Terminated, so the layer forgets it. */
  readonly onTerminated: (transaction: Transaction<string>) => void;
}

export type StateListener<S extends string> = (from: S, to: S) => void;

export abstract class Transaction<S extends string> {
  private current: S;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly listeners = new Set<StateListener<S>>();

  protected constructor(
    /** The matching key: branch, sent-by and method (§17.2.3), or the RFC 2543 fields. */
    readonly id: string,
    protected readonly context: TransactionContext,
    initial: S,
    private readonly edges: Readonly<Record<S, readonly S[]>>,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  get transport(): SipSender {
    return this.context.transport;
  }

  /** Listens to state changes; returns the function that stops listening. */
  onStateChange(listener: StateListener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the machine at once, timers and all, telling no one (shutdown). */
  abandon(): void {
    if (this.current !== ('terminated' as S)) this.transition('terminated' as S);
  }

  /** Names of the timers running, for tests and diagnostics. */
  runningTimers(): TimerName[] {
    return [...this.timers.keys()].sort();
  }

  protected get reliable(): boolean {
    return this.context.transport.reliable;
  }

  /**
   * Moves to `next`. Staying put is not a change and emits nothing; an edge the machine lacks is a
   * defect in the caller and throws, naming both states.
   */
  protected transition(next: S): void {
    const from = this.current;
    if (next === from) return;
    if (!this.edges[from].includes(next)) {
      throw new SipError('SIP_TRANSACTION_STATE', 500, 'Server Internal Error', {
        message: `${this.constructor.name} ${this.id}: no transition from ${from} to ${next}`,
      });
    }
    this.current = next;
    if (next === ('terminated' as S)) {
      for (const handle of this.timers.values()) this.context.clock.clearTimeout(handle);
      this.timers.clear();
    }
    for (const listener of [...this.listeners])
      this.safely(`state listener (${from} -> ${next})`, () => listener(from, next));
    if (next === ('terminated' as S)) this.context.onTerminated(this as unknown as Transaction<string>);
  }

  protected startTimer(name: TimerName, delayMs: number, fire: () => void): void {
    this.stopTimer(name);
    const handle = this.context.clock.setTimeout(() => {
      this.timers.delete(name);
      this.safely(`timer ${name}`, fire);
    }, delayMs);
    this.timers.set(name, handle);
  }

  protected stopTimer(name: TimerName): void {
    const handle = this.timers.get(name);
    if (handle) {
      this.context.clock.clearTimeout(handle);
      this.timers.delete(name);
    }
  }

  /** Hands a message to the transport; a failed send ends the transaction as §17 prescribes. */
  protected send(message: SipMessage): void {
    let pending: Promise<void>;
    try {
      pending = this.context.transport.send(message);
    } catch (error) {
      this.transportFailed(error);
      return;
    }
    pending.catch((error: unknown) => this.transportFailed(error));
  }

  private transportFailed(error: unknown): void {
    if (this.current === ('terminated' as S)) {
      // Too late to change the outcome (a reliable transaction ends as it sends), not too late to say.
      this.context.report(error, `${this.constructor.name} ${this.id}: send failed after termination`);
      return;
    }
    this.transition('terminated' as S);
    this.onTransportError(error);
  }

  /** Tells the transaction user that the transport failed (§8.1.3.1 treats it as a 503). */
  protected abstract onTransportError(error: unknown): void;

  /** Runs a callback of the user; an exception is reported, never allowed to corrupt the machine. */
  protected safely(context: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.context.report(error, `${this.constructor.name} ${this.id}: ${context}`);
    }
  }
}
