import { VirtualClock } from '../core/index';
import { IvrEngine } from './engine';
import { MemoryIvrEvents } from './events';
import type { Flow } from './flow';
import { createDemoIvrPorts, type DemoIvrPorts } from './memory-ports';
import type { IvrPorts } from './ports';
import type { IvrSession } from './session';
import type { Lang } from './speech';

/**
 * Sessions on a virtual clock with the in-memory ports: what the IVR's tests, the terminal
 * simulator and a demo need. Time moves only when told to, timer by timer, and the ports'
 * promises are settled between timers, so a run is the same every time.
 */
export interface IvrHarness {
  clock: VirtualClock;
  demo: DemoIvrPorts;
  ports: IvrPorts;
  events: MemoryIvrEvents;
  engine: IvrEngine;
  /** What reached `reportError`: a test expects it empty. */
  errors: { error: unknown; context: string }[];
  flows: Map<string, Flow>;
  call(options?: { flowId?: string; callerNumber?: string | null; lang?: Lang; callId?: string }): IvrSession;
  /** Lets every promise the ports returned settle. */
  settle(): Promise<void>;
  /** Moves time forward, firing timers in order and settling after each. */
  advance(ms: number): Promise<void>;
  /** Runs until the session waits for a key (its prompt finished) or ends. */
  untilInput(session: IvrSession, limitMs?: number): Promise<void>;
  /** Keys, one at a time, without letting time pass. */
  press(session: IvrSession, keys: string): Promise<void>;
}

/** 2025-05-06, a Tuesday, 10:00 in Shanghai. */
export const harnessEpoch = Date.UTC(2025, 4, 6, 2, 0, 0);

export function createIvrHarness(options: {
  flows: Flow[];
  start?: number;
  holidays?: Iterable<string>;
  timeZone?: string;
  msPerFragment?: number;
  portTimeoutMs?: number;
  ports?: Partial<IvrPorts>;
}): IvrHarness {
  const clock = new VirtualClock(options.start ?? harnessEpoch);
  const demo = createDemoIvrPorts(clock, {
    ...(options.holidays ? { holidays: options.holidays } : {}),
    ...(options.msPerFragment ? { msPerFragment: options.msPerFragment } : {}),
  });
  const ports: IvrPorts = { ...demo.ports, ...options.ports };
  const events = new MemoryIvrEvents();
  const flows = new Map(options.flows.map((flow) => [flow.id, flow]));
  const errors: IvrHarness['errors'] = [];
  let sessions = 0;
  let calls = 0;
  const engine = new IvrEngine({
    ports,
    events,
    clock,
    flows: { get: (id) => flows.get(id) },
    reportError: (error, context) => errors.push({ error, context }),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.portTimeoutMs ? { portTimeoutMs: options.portTimeoutMs } : {}),
    newSessionId: () => `s${++sessions}`,
  });
  demo.media.connect((sessionId, playbackId) => engine.promptFinished(sessionId, playbackId));

  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const advance = async (ms: number) => {
    const target = clock.now() + ms;
    await settle();
    for (let due = clock.nextDue(); due !== undefined && due <= target; due = clock.nextDue()) {
      clock.advanceTo(due);
      await settle();
    }
    clock.advanceTo(target);
  };
  return {
    clock,
    demo,
    ports,
    events,
    engine,
    errors,
    flows,
    call: (call = {}) =>
      engine.start({
        callId: call.callId ?? `call-${++calls}`,
        flowId: call.flowId ?? options.flows[0]?.id ?? '',
        callerNumber: call.callerNumber === undefined ? '13800000001' : call.callerNumber,
        calledNumber: '8888',
        ...(call.lang ? { lang: call.lang } : {}),
      }),
    settle,
    advance,
    async untilInput(session, limitMs = 600_000) {
      const stop = clock.now() + limitMs;
      await settle();
      while (session.state !== 'awaiting-input' && session.state !== 'ended' && clock.now() < stop) {
        const due = clock.nextDue();
        if (due === undefined) {
          await settle();
          if (clock.nextDue() === undefined) return;
          continue;
        }
        clock.advanceTo(due);
        await settle();
      }
    },
    async press(session, keys) {
      for (const key of keys) {
        session.digit(key);
        await settle();
      }
    },
  };
}
