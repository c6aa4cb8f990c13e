import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { VirtualClock } from '../core/index';
import { IvrEngine } from './engine';
import { ivrError } from './errors';
import type { IvrEventMap, IvrEventRecord, IvrEventSink, IvrEventType, SessionOutcome } from './events';
import type { Flow } from './flow';
import { createDemoIvrPorts } from './memory-ports';
import type { IvrMedia, IvrPorts } from './ports';
import { promptText } from './prompts';
import type { Lang } from './speech';
import { parseFlowText } from './validate';

/**
 * `teller ivr simulate <flow> --lang zh|en`: walk a flow in a terminal with the same
 * interpreter as the phone line. Prompts are printed as text (they end at once), keys are
 * typed followed by Enter (`123456#`), an empty line is silence (the next timeout fires),
 * `h` hangs up. Time is virtual and starts at the wall-clock time of the run, so business
 * hours and holidays branch as they would now. This is the one place in the module that
 * reads files and a terminal: it is the CLI's edge, not the domain.
 */
export interface SimulateOptions {
  flowPath: string;
  /** The language the call starts in (a language step in the flow may change it). */
  lang?: Lang;
  input: Readable;
  output: Writable;
  /** The real ports; the in-memory demo bank when absent. */
  ports?: IvrPorts;
  /** The caller's number, for identification; Zhang Wei's demo number by default. */
  callerNumber?: string | null;
  /** Epoch ms the virtual clock starts at; now by default. */
  start?: number;
  timeZone?: string;
  /** Print each step and port event as well. */
  verbose?: boolean;
}

export interface SimulationResult {
  outcome: SessionOutcome | null;
  path: string[];
  events: IvrEventRecord[];
}

/** Loads a flow file and, from the same folder, every flow it calls (`<id>.json`). */
export function loadFlowFiles(flowPath: string): Map<string, Flow> {
  const flows = new Map<string, Flow>();
  const dir = path.dirname(flowPath);
  const pending: string[] = [flowPath];
  while (pending.length > 0) {
    const file = pending.shift()!;
    const flow = parseFlowText(readFileSync(file, 'utf8'), file, {
      promptExists: (id) => promptText(id) !== undefined,
    });
    flows.set(flow.id, flow);
    for (const step of Object.values(flow.steps)) {
      if (step.type === 'subflow' && !flows.has(step.flow)) pending.push(path.join(dir, `${step.flow}.json`));
    }
  }
  return flows;
}

export async function simulateIvr(options: SimulateOptions): Promise<SimulationResult> {
  const out = (line: string) => options.output.write(`${line}\n`);
  const flows = loadFlowFiles(options.flowPath);
  const main = [...flows.values()][0];
  if (!main) throw ivrError('IVR_FLOW_NOT_FOUND', `no flow in ${options.flowPath}`);
  const clock = new VirtualClock(options.start ?? Date.now());
  const recorded: IvrEventRecord[] = [];
  let engine: IvrEngine | null = null;

  const terminalMedia: IvrMedia = {
    play(request) {
      out(`  ♪ ${request.text}`);
      // A printed prompt is over at once; the session hears of it after the current event.
      engine?.promptFinished(request.sessionId, request.playbackId);
    },
    stop() {},
  };
  const demo = options.ports ? null : createDemoIvrPorts(clock);
  const ports: IvrPorts = { ...(options.ports ?? demo!.ports), media: terminalMedia };

  const events: IvrEventSink = {
    emit<K extends IvrEventType>(type: K, payload: IvrEventMap[K]) {
      const event = { type, payload } as IvrEventRecord;
      recorded.push(event);
      describeEvent(event, options.verbose ?? false, out);
    },
  };
  let reportedError: unknown = null;
  engine = new IvrEngine({
    ports,
    events,
    clock,
    flows: { get: (id) => flows.get(id) },
    reportError: (error, context) => {
      reportedError = error;
      out(`  ! ${context}: ${error instanceof Error ? error.message : String(error)}`);
    },
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  });

  out(`Teller IVR simulator — flow ${main.id} v${main.version ?? '-'} (${main.name})`);
  out('Type keys and Enter (e.g. 1, or 100#). Empty line: silence until the next timeout. h: hang up.');
  const session = engine.start({
    callId: 'simulated-call',
    flowId: main.id,
    callerNumber: options.callerNumber === undefined ? '13800000001' : options.callerNumber,
    calledNumber: '8888',
    ...(options.lang ? { lang: options.lang } : {}),
  });

  // A getter TypeScript cannot narrow across the awaits below.
  const ended = () => session.state === 'ended';
  const settle = async () => {
    // Let the ports answer; a port still busy after a while of real time is given up on by the virtual clock.
    for (let round = 0; round < 2000; round++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (session.state === 'awaiting-input' || session.state === 'ended') return;
      if (session.state === 'awaiting-port' && round > 200) {
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
        if (round > 1000 && clock.nextDue() !== undefined) clock.advanceTo(clock.nextDue()!);
      }
    }
  };
  const ask = () => {
    if (session.state === 'awaiting-input') options.output.write('keys> ');
  };

  await settle();
  ask();
  const lines = createInterface({ input: options.input, terminal: false });
  try {
    for await (const raw of lines) {
      if (ended()) break;
      const line = raw.trim();
      if (line === 'h' || line === 'hangup' || line === 'q') {
        session.hangup();
      } else if (line === '') {
        const due = clock.nextDue();
        out(
          due === undefined ? '  (silence)' : `  (silence: ${Math.round((due - clock.now()) / 100) / 10} s)`,
        );
        if (due !== undefined) clock.advanceTo(due);
      } else {
        for (const key of line.replace(/\s+/g, '')) {
          if (/^[0-9*#]$/.test(key)) session.digit(key);
          else out(`  (ignored "${key}": keys are 0-9, * and #)`);
        }
      }
      await settle();
      if (ended()) break;
      ask();
    }
  } finally {
    lines.close();
  }
  if (!ended()) {
    session.hangup();
    await settle();
  }
  out(`Call ended: ${session.outcome ?? 'unknown'} — ${session.path.join(' → ')}`);
  if (reportedError) out('  (an internal error was reported above)');
  return { outcome: session.outcome, path: [...session.path], events: recorded };
}

function describeEvent(event: IvrEventRecord, verbose: boolean, out: (line: string) => void): void {
  switch (event.type) {
    case 'ivr.handover':
      out(
        `  → handed to queue ${event.payload.queue} (priority ${event.payload.priority}, intent ${event.payload.intent})`,
      );
      return;
    case 'ivr.callback.requested':
      out(`  → callback requested in queue ${event.payload.queue}`);
      return;
    case 'ivr.banking.done':
      out(`  → ${event.payload.operation} committed (${event.payload.reference ?? '-'})`);
      return;
    case 'ivr.sms.sent':
      out(`  → SMS sent (${event.payload.messageId})`);
      return;
    case 'ivr.recording.paused':
      out('  (recording paused while the secret is keyed)');
      return;
    case 'ivr.recording.resumed':
      out('  (recording resumed)');
      return;
    case 'ivr.step.failed':
      out(`  ! step ${event.payload.step} failed: ${event.payload.code}`);
      return;
    case 'ivr.step.entered':
      if (verbose) out(`  [${event.payload.flowId}/${event.payload.step}: ${event.payload.stepType}]`);
      return;
    default:
      if (verbose && event.type !== 'ivr.prompt.played' && event.type !== 'ivr.step.completed')
        out(`  [${event.type}]`);
  }
}
