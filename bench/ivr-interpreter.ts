/**
 * The IVR interpreter alone, without SIP and media: what one key costs the main thread in the
 * interpreter, in the event bus and in the event log, measured apart.
 *
 *   npm run bench -- ivr-interpreter [--sessions 300] [--keys 60] [--rounds 3] [--prefill 200000]
 *                                    [--modes interpreter,bus,event log]
 *
 * `--sessions` sessions of the phone-banking flow (flows/), on the demo ports in memory, for a
 * caller the bank does not know (as in bench/ivr.ts: no PIN, no banking). Each picks its language
 * with 1, then presses `--keys` keys cycling *, 5, * (replay the main menu, the rates menu, back),
 * each key after the prompt it answers has finished. The media port only remembers each
 * session's playback, so that its end can be reported.
 * Per mode, CPU of the process (process.cpuUsage; one thread runs here, and node runs with
 * --single-threaded-gc so the collections are on it too) over the key loop, per key and per
 * event:
 * - `interpreter`: events go nowhere;
 * - `bus`: events go through the EventBus as the phone-banking line sends them
 *   (src/app/phone-banking.ts), into a sink that only numbers them;
 * - `event log`: the same into the EventLog on a SQLite file store with `--prefill` events
 *   already in it (a line that has run for a while), per-step events batched (ADR 014).
 * The rounds run the modes in turn, the median is reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type DomainEvents, EventBus, type EventSink, type NewEvent, RealClock } from '../src/core/index';
import {
  createDemoIvrPorts,
  IvrEngine,
  type IvrEventMap,
  type IvrEventSink,
  type IvrEventType,
  type IvrMedia,
  ivrStepEvents,
  loadFlowFiles,
} from '../src/ivr/index';
import { EventLog, openStore } from '../src/store/index';

const flowsDir = path.resolve(import.meta.dirname, '..', 'flows');

function progress(line: string): void {
  process.stderr.write(`ivr-interpreter: ${line}\n`);
}

interface Options {
  sessions: number;
  keys: number;
  rounds: number;
  prefill: number;
  modes: Mode[];
}

function parseOptions(args: string[]): Options {
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    const n = i >= 0 ? Number(args[i + 1]) : Number.NaN;
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    sessions: value('sessions', 300),
    keys: value('keys', 60),
    rounds: Math.max(1, value('rounds', 3)),
    prefill: value('prefill', 200_000),
    modes: (() => {
      const i = args.indexOf('--modes');
      const asked = i >= 0 ? (args[i + 1] ?? '').split(',') : [];
      const known = allModes.filter((m) => asked.includes(m));
      return known.length > 0 ? known : [...allModes];
    })(),
  };
}

const allModes = ['interpreter', 'bus', 'event log'] as const;
type Mode = (typeof allModes)[number];

/** A sink that numbers events and keeps none of them. */
class CountingSink implements EventSink {
  private seq = 0;
  async append(): Promise<number> {
    return ++this.seq;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A full collection, so that a mode's window does not pay for the garbage of the one before
 * (--expose-gc is safe to set at run time, unlike --single-threaded-gc).
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

async function runMode(
  mode: Mode,
  o: Options,
  log: EventLog | null,
): Promise<{ cpuMs: number; events: number }> {
  const clock = new RealClock();
  let events = 0;
  let sink: IvrEventSink;
  let settled: (() => Promise<void>) | null = null;
  if (mode === 'interpreter') {
    sink = {
      emit() {
        events++;
      },
    };
  } else {
    const bus = new EventBus<DomainEvents>(mode === 'bus' ? new CountingSink() : log!, clock, (error) => {
      throw error;
    });
    settled = () => bus.settled();
    sink = {
      emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]) {
        events++;
        bus.emit(type, payload as DomainEvents[K], {
          audience: 'supervisor',
          actor: 'ivr',
          batched: ivrStepEvents.has(type),
        });
      },
    };
  }
  const playing = new Map<string, string>();
  const media: IvrMedia = {
    play: ({ sessionId, playbackId }) => void playing.set(sessionId, playbackId),
    stop: ({ sessionId, playbackId }) => {
      if (playing.get(sessionId) === playbackId) playing.delete(sessionId);
    },
  };
  const demo = createDemoIvrPorts(clock);
  const flows = loadFlowFiles(path.join(flowsDir, 'phone-banking.json'));
  const engine = new IvrEngine({
    ports: { ...demo.ports, media },
    events: sink,
    clock,
    flows: { get: (id) => flows.get(id) },
    reportError: (error, context) => {
      throw new Error(`${context}: ${String(error)}`);
    },
  });
  const finishPrompts = async () => {
    await turn();
    for (const [sessionId, playbackId] of playing) engine.promptFinished(sessionId, playbackId);
    playing.clear();
    await turn();
  };
  const sessions = Array.from({ length: o.sessions }, (_, i) =>
    engine.start({ callId: `call-${i}`, flowId: 'phone-banking', callerNumber: '13900000000' }),
  );
  await finishPrompts();
  for (const session of sessions) session.digit('1');
  await finishPrompts();
  const cycle = ['*', '5', '*'];
  events = 0;
  collect();
  const before = process.cpuUsage();
  for (let k = 0; k < o.keys; k++) {
    for (const session of sessions) session.digit(cycle[k % cycle.length]!);
    await finishPrompts();
  }
  const used = process.cpuUsage(before);
  const measured = events;
  for (const session of sessions) session.hangup();
  await log?.flush();
  await settled?.();
  const ended = sessions.filter((s) => s.state === 'ended').length;
  if (ended !== sessions.length) throw new Error(`${sessions.length - ended} sessions did not end`);
  return { cpuMs: (used.user + used.system) / 1000, events: measured };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export default async function ivrInterpreter(args: string[]) {
  const o = parseOptions(args);
  const work = mkdtempSync(path.join(tmpdir(), 'teller-ivr-interpreter-'));
  const store = await openStore({ sqlitePath: path.join(work, 'teller.db') });
  const log = new EventLog(store);
  try {
    progress(`prefilling the event log with ${o.prefill} events`);
    for (let done = 0; done < o.prefill; ) {
      const batch = Math.min(1000, o.prefill - done);
      await Promise.all(
        Array.from({ length: batch }, (_, i): Promise<number> => {
          const event: NewEvent = {
            id: crypto.randomUUID() as NewEvent['id'],
            type: 'ivr.step.entered',
            at: Date.now(),
            audience: 'supervisor',
            subjectUserId: null,
            actor: 'ivr',
            payload: {
              sessionId: crypto.randomUUID(),
              flowId: 'phone-banking',
              step: `s${i}`,
              stepType: 'menu',
            },
          };
          return log.append(event, { batched: true });
        }).concat([log.flush().then(() => 0)]),
      );
      done += batch;
    }
    const modes = o.modes;
    // Unmeasured: the code's first run.
    await runMode('event log', { ...o, keys: 3 }, log);
    const results = new Map<Mode, { cpuMs: number; events: number }[]>(modes.map((m) => [m, []]));
    for (let r = 0; r < o.rounds; r++) {
      for (const mode of r % 2 ? [...modes].reverse() : modes) {
        const result = await runMode(mode, o, log);
        progress(`round ${r + 1}, ${mode}: ${result.cpuMs.toFixed(1)} ms CPU, ${result.events} events`);
        results.get(mode)!.push(result);
      }
    }
    const keys = o.sessions * o.keys;
    const perMode = Object.fromEntries(
      modes.map((mode) => {
        const runs = results.get(mode)!;
        const cpuMs = median(runs.map((r) => r.cpuMs));
        const events = median(runs.map((r) => r.events));
        return [
          mode,
          {
            cpuMsPerRound: runs.map((r) => round3(r.cpuMs)),
            events,
            eventsPerKey: round3(events / keys),
            usPerKey: round3((cpuMs * 1000) / keys),
            usPerEvent: round3((cpuMs * 1000) / events),
          },
        ];
      }),
    );
    const us = (mode: Mode) => (perMode[mode] as { usPerKey: number } | undefined)?.usPerKey ?? Number.NaN;
    return {
      options: o,
      keys,
      modes: perMode,
      addedPerKeyUs: {
        bus: round3(us('bus') - us('interpreter')),
        eventLog: round3(us('event log') - us('bus')),
      },
    };
  } finally {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  }
}
