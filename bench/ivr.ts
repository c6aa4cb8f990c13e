/**
 * IVR benchmark: what the IVR interpreter costs over plain playback. A real Teller (startTeller, in
 * this process) on loopback, driven by Debian's SIPp (sip-tester) as callers on a trusted trunk.
 *
 *   npm run bench -- ivr [--levels 100,300,600,1200] [--rounds 3] [--hold 60] [--warmup 10] [--ramp 40]
 *                        [--profile 10] [--keys info|rfc4733] [--caller 13900000000] [--nice -10]
 *                        [--quick] [--log warn]
 *
 * At each level N, in the same run and against the same Teller, `--rounds` times each, in the
 * order plain, IVR, IVR, plain, plain, IVR… (so that a drift in the machine's other load falls
 * on both modes alike):
 * plain  N concurrent calls to the line test (8889): Teller answers, records the call, plays its
 *        prompt and echoes each key as its tone.
 * ivr    N concurrent calls to the phone-banking IVR (8888): the interpreter runs the flow for each
 *        caller (identification by number, language menu, welcome, main menu…), playing prompts.
 * Both modes use the same SIPp scenario and keys: G.711 A-law silence, the key 1 after 2 s (the
 * language choice, zh) then a key every 4 s cycling through *, 5, * (in the main menu * replays
 * the menu prompt, 5 opens the rates menu, where * goes back to the main menu). `--keys`:
 * - `info` (default; test/fixtures/sipp/bench-ivr-caller-info.xml): the silence from SIPp's
 *   rtp_stream (sender threads shared by all calls, as in bench/sip-load.ts) and each key a SIP
 *   INFO (application/dtmf-relay) — the keys reach the call's application as RFC 4733 ones do;
 * - `rfc4733` (test/fixtures/sipp/bench-ivr-caller.xml): one RTP capture per call, written here
 *   with test/support/pcap.ts, played by play_pcap_audio, keys as RFC 4733 events in the same
 *   SSRC. SIPp's pcap player takes a thread per call: at 600 calls SIPp alone took 1.2 of this
 *   machine's 2 cores and at 1,200 it could not set the calls up (bench/RESULTS.md, ivr), hence
 *   `info` for the telephony benchmark's levels.
 * The caller number (`--caller`)
 * is unknown to the bank by default, so no PIN is keyed and no banking call is made: what is
 * measured is the interpreter, prompts and events, not the bank.
 *
 * Measured in a window of `--hold` seconds once every call of the mode is up: CPU of Teller's
 * main thread (nanoseconds on CPU, /proc/self/task/<pid>/schedstat), of the media worker
 * threads (their own counters), of the whole process, RSS, calls and IVR sessions active, IVR
 * events published onto the bus (and written to the event log). Then, in the last IVR round,
 * `--profile` seconds of V8 CPU profile of the main thread, summarised as the functions with the
 * most self time.
 *
 * The figure the issue asks for ("the interpreter adds under 5 % CPU over plain playback"): the
 * interpreter runs on the main thread, so it is the IVR calls' extra main-thread CPU as a share
 * of the plain calls' whole-process CPU, per round (each IVR window against the plain window of
 * its round) and its median over the rounds. The media workers' and the whole process's CPU of
 * both modes are reported beside it; they also differ by what audio each line plays (the IVR's
 * menus are long prompts, the line test's echo is short tones) and by the machine's other load.
 *
 * `--quick`: levels 100,300, 2 rounds held 15 s, 3 s profile. `--nice` as in bench/sip-load.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceNumber, startTeller, type Teller, testLineNumber } from '../src/app/index';
import { loadConfig } from '../src/config/index';
import { createLogger } from '../src/core/index';
import type { WorkerStats } from '../src/media/index';
import { rtpStream, type StreamPart, writePcap } from '../test/support/pcap';
import {
  MainThreadProfiler,
  machineCpuSeconds,
  ownCpuSeconds,
  pct,
  processCpuSeconds,
  raisePriority,
  round,
  type SippRun,
  sippCount,
  sleep,
  startSipp,
} from './sip-load-tools';

const fixtures = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'sipp');
const TARGET_ADDED_PCT = 5;

function progress(line: string): void {
  process.stderr.write(`ivr: ${line}\n`);
}

interface Options {
  levels: number[];
  rounds: number;
  holdSeconds: number;
  /** An unmeasured round first, held this long, so the first measured window is not the code's first run. */
  warmupSeconds: number;
  rampRate: number;
  profileSeconds: number;
  caller: string;
  nice: number;
  logLevel: string;
  keys: 'info' | 'rfc4733';
}

function parseOptions(args: string[]): Options {
  const value = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  const quick = args.includes('--quick');
  const numbers = (s: string) =>
    s
      .split(',')
      .map(Number)
      .filter((n) => Number.isFinite(n) && n > 0);
  return {
    levels: numbers(value('levels', quick ? '100,300' : '100,300,600,1200')),
    rounds: Math.max(1, Number(value('rounds', quick ? '2' : '3'))),
    holdSeconds: Number(value('hold', process.env.TELLER_BENCH_HOLD ?? (quick ? '15' : '60'))),
    warmupSeconds: Number(value('warmup', quick ? '5' : '10')),
    rampRate: Number(value('ramp', '40')),
    profileSeconds: Number(value('profile', quick ? '3' : '10')),
    caller: value('caller', '13900000000'),
    nice: Number(value('nice', '-10')),
    logLevel: value('log', 'warn'),
    keys: value('keys', 'info') === 'rfc4733' ? 'rfc4733' : 'info',
  };
}

/**
 * CPU seconds of this process's main thread alone: schedstat's time on CPU, in nanoseconds (the
 * main thread's figure is a few hundredths of a core, which `stat`'s ticks of 1/100 s would
 * measure only to a few per cent over a window); `stat`'s ticks where schedstat is missing.
 */
function mainThreadCpuSeconds(): number {
  const task = `/proc/self/task/${process.pid}`;
  try {
    return Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    const fields = readFileSync(`${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }
}

/** Teller's warnings and errors, counted, the first few distinct ones kept (stdout carries the JSON). */
class LogTally {
  counts: Record<string, number> = {};
  samples: string[] = [];
  write(line: string): void {
    try {
      const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
      const name = entry.level >= 50 ? 'error' : entry.level >= 40 ? 'warn' : 'info';
      this.counts[name] = (this.counts[name] ?? 0) + 1;
      const text = `${name}: ${entry.msg ?? ''}${entry.err?.message ? ` — ${entry.err.message}` : ''}`;
      if (this.samples.length < 6 && !this.samples.includes(text)) this.samples.push(text);
    } catch {
      this.counts.unparsed = (this.counts.unparsed ?? 0) + 1;
    }
  }
  take(): { counts: Record<string, number>; samples: string[] } {
    const taken = { counts: this.counts, samples: this.samples };
    this.counts = {};
    this.samples = [];
    return taken;
  }
}

interface Bench {
  teller: Teller;
  target: string;
  work: string;
  log: LogTally;
  /** IVR events published onto the bus since start, by type. */
  ivrEvents: Map<string, number>;
  /** One second of A-law silence, raw, for SIPp's rtp_stream (`--keys info`). */
  silence: string;
}

async function startBench(logLevel: string): Promise<Bench> {
  const work = mkdtempSync(path.join(tmpdir(), 'teller-ivr-bench-'));
  const log = new LogTally();
  const teller = await startTeller(
    loadConfig({
      TELLER_DATA_DIR: path.join(work, 'data'),
      TELLER_HTTP_HOST: '127.0.0.1',
      TELLER_HTTP_PORT: '0',
      TELLER_SIP_HOST: '127.0.0.1',
      TELLER_SIP_PORT: '0',
      TELLER_LOG_LEVEL: 'silent',
      TELLER_DEMO_CUSTOMERS: '2',
      // SIPp calls as a trunk from loopback: no digest, the From user is the caller's number.
      TELLER_SIP_TRUSTED_ADDRESSES: '127.0.0.1',
    }),
    {
      logger: createLogger(logLevel, {
        write(chunk: string) {
          for (const line of chunk.split('\n')) if (line) log.write(line);
        },
      }),
    },
  );
  const silence = path.join(work, 'silence.alaw');
  writeFileSync(silence, Buffer.alloc(8000, 0xd5));
  const bench: Bench = {
    teller,
    target: `127.0.0.1:${teller.sip.port}`,
    work,
    log,
    ivrEvents: new Map(),
    silence,
  };
  teller.bus.onAny((event) => {
    if (event.type.startsWith('ivr.'))
      bench.ivrEvents.set(event.type, (bench.ivrEvents.get(event.type) ?? 0) + 1);
  });
  return bench;
}

/** When the caller keys what, within `totalMs`: 1 at 2 s (language choice), then every 4 s *, 5, *… */
function keySchedule(totalMs: number): { atMs: number; digit: string }[] {
  const cycle = ['*', '5', '*'];
  const keys: { atMs: number; digit: string }[] = [];
  for (let k = 0; 2000 + 4000 * k + KEY_MS + KEY_GAP_MS <= totalMs; k++)
    keys.push({ atMs: 2000 + 4000 * k, digit: k === 0 ? '1' : cycle[(k - 1) % 3]! });
  return keys;
}
const KEY_MS = 160;
const KEY_GAP_MS = 240;

/** `--keys rfc4733`: the caller's RTP for `totalMs`, A-law silence and the keys, in one SSRC. */
function keysCapture(totalMs: number): Buffer {
  const parts: StreamPart[] = [];
  let at = 0;
  for (const { atMs, digit } of keySchedule(totalMs)) {
    parts.push(
      { kind: 'tone', frequency: 0, durationMs: atMs - at },
      { kind: 'keys', digits: digit, keyMs: KEY_MS, gapMs: KEY_GAP_MS },
    );
    at = atMs + KEY_MS + KEY_GAP_MS;
  }
  return writePcap(rtpStream(parts, { law: 'pcma', ssrc: 0x1b0b0001 }));
}

/** `--keys info`: the scenario's pauses and INFO requests for the keys, then the pause to `totalMs`. */
function infoKeys(totalMs: number): { xml: string; byeCseq: number } {
  let xml = '';
  let at = 0;
  let cseq = 2;
  for (const { atMs, digit } of keySchedule(totalMs)) {
    xml += `  <pause milliseconds="${atMs - at}"/>
  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:[$caller]@[local_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: ${cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${digit}
      Duration=${KEY_MS}
    ]]>
  </send>
  <recv response="200"/>
`;
    at = atMs;
    cseq++;
  }
  return { xml: `${xml}  <pause milliseconds="${Math.max(0, totalMs - at)}"/>\n`, byeCseq: cseq };
}

/** The caller's scenario for calls of `callMs`, written into the bench's folder (`--keys` decides which). */
function callerScenario(bench: Bench, options: Options, calls: number, callMs: number): string {
  const file = path.join(bench.work, `caller-${calls}-${callMs}.xml`);
  if (options.keys === 'rfc4733') {
    const pcap = path.join(bench.work, `keys-${calls}-${callMs}.pcap`);
    writeFileSync(pcap, keysCapture(callMs));
    const template = readFileSync(path.join(fixtures, 'bench-ivr-caller.xml'), 'utf8');
    writeFileSync(file, template.replaceAll('@PCAP@', pcap));
    return file;
  }
  const { xml, byeCseq } = infoKeys(callMs);
  const template = readFileSync(path.join(fixtures, 'bench-ivr-caller-info.xml'), 'utf8');
  writeFileSync(
    file,
    template
      .replaceAll('@AUDIO@', bench.silence)
      .replace('@KEYS@', xml)
      .replace('@BYECSEQ@', String(byeCseq)),
  );
  return file;
}

let nextSippPort = 42000 + 2 * Math.floor(Math.random() * 2000);
function sippPorts(): { sip: number; media: number } {
  nextSippPort += 8;
  if (nextSippPort > 49000) nextSippPort = 42000;
  return { sip: nextSippPort, media: nextSippPort + 2 };
}

async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Waits for every call to end, then removes the recordings written so far. */
async function drain(bench: Bench): Promise<number> {
  await waitFor(() => bench.teller.calls.active === 0, 30_000);
  const dir = path.join(bench.teller.config.dataDir, 'recordings');
  try {
    for (const file of readdirSync(dir)) rmSync(path.join(dir, file), { force: true });
  } catch {
    // no recordings yet
  }
  return bench.teller.calls.active;
}

interface Snapshot {
  at: number;
  process: number;
  main: number;
  machine: { busy: number };
  sipp: number;
  workers: WorkerStats[];
  ivrEvents: Map<string, number>;
}

async function snapshot(bench: Bench, sippPid: number): Promise<Snapshot> {
  const workers = await bench.teller.media.workerStats();
  return {
    at: performance.now(),
    process: ownCpuSeconds(),
    main: mainThreadCpuSeconds(),
    machine: machineCpuSeconds(),
    sipp: processCpuSeconds(sippPid),
    workers,
    ivrEvents: new Map(bench.ivrEvents),
  };
}

function windowFigures(s0: Snapshot, s1: Snapshot) {
  const seconds = (s1.at - s0.at) / 1000;
  const workersSeconds = s1.workers.reduce((n, w, i) => {
    const before = s0.workers[i]?.cpuMs;
    return w.cpuMs !== null && before != null ? n + (w.cpuMs - before) / 1000 : n;
  }, 0);
  const processSeconds = s1.process - s0.process;
  const mainSeconds = s1.main - s0.main;
  const byType = [...s1.ivrEvents]
    .map(([type, n]) => [type, n - (s0.ivrEvents.get(type) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const ivrEvents = byType.reduce((n, [, k]) => n + k, 0);
  return {
    seconds: round(seconds, 1),
    /** CPU in cores (CPU seconds per second of the window). */
    cpuCores: {
      mainThread: round(mainSeconds / seconds, 4),
      mediaWorkers: round(workersSeconds / seconds, 3),
      otherThreads: round((processSeconds - mainSeconds - workersSeconds) / seconds, 3),
      total: round(processSeconds / seconds, 3),
      sipp: round((s1.sipp - s0.sipp) / seconds, 3),
      machine: round((s1.machine.busy - s0.machine.busy) / seconds, 3),
    },
    ivrEvents,
    ivrEventsPerSecond: round(ivrEvents / seconds, 1),
    ivrEventsByType: Object.fromEntries(byType),
    sentLateTicksPct: pct(
      s1.workers.reduce((n, w, i) => n + w.lateTicks - (s0.workers[i]?.lateTicks ?? 0), 0),
      s1.workers.reduce((n, w, i) => n + w.ticks - (s0.workers[i]?.ticks ?? 0), 0),
    ),
    rssMiB: round(process.memoryUsage().rss / 2 ** 20, 1),
  };
}

async function runMode(
  bench: Bench,
  options: Options,
  mode: 'plain' | 'ivr',
  calls: number,
  scenarioFile: string,
  callMs: number,
  profileSeconds: number,
): Promise<Record<string, unknown>> {
  const { teller } = bench;
  const dialled = mode === 'ivr' ? serviceNumber : testLineNumber;
  progress(`${mode} (${dialled}), ${calls} calls`);
  const ports = sippPorts();
  const run: SippRun = startSipp(bench.target, [
    '-sf',
    scenarioFile,
    '-s',
    dialled,
    '-set',
    'caller',
    options.caller,
    '-i',
    '127.0.0.1',
    '-p',
    String(ports.sip),
    '-mp',
    String(ports.media),
    '-r',
    String(options.rampRate),
    '-m',
    String(calls),
    '-l',
    String(calls),
    '-d',
    String(callMs),
    '-timeout',
    `${Math.round(callMs / 1000) + 120}s`,
  ]);
  let profile: Awaited<ReturnType<MainThreadProfiler['stop']>> | undefined;
  try {
    let exited = false;
    void run.done.then(() => {
      exited = true;
    });
    const started = Date.now();
    const allUp = await waitFor(
      () => teller.calls.active >= calls || exited,
      (calls / options.rampRate) * 2000 + 15_000,
      250,
    );
    const established = teller.calls.active;
    const rampSeconds = round((Date.now() - started) / 1000, 1);
    progress(`${mode}: ${established} of ${calls} calls up in ${rampSeconds} s`);
    await sleep(3000);
    bench.log.take();
    const s0 = await snapshot(bench, run.pid);
    await sleep(options.holdSeconds * 1000);
    const s1 = await snapshot(bench, run.pid);
    const window = windowFigures(s0, s1);
    const active = {
      calls: teller.calls.active,
      ivrSessions: teller.ivr.engine.activeSessions,
      onIvrLine: teller.ivr.calls,
      /** Where the sessions are (their current step) and how many steps they have been through. */
      atStep: {} as Record<string, number>,
      stepsPerSession: 0,
    };
    let steps = 0;
    for (const call of teller.calls.calls) {
      const session = teller.ivr.call(call.record.id)?.session;
      if (!session) continue;
      const step = `${session.path.at(-1) ?? '-'} (${session.state})`;
      active.atStep[step] = (active.atStep[step] ?? 0) + 1;
      steps += session.path.length;
    }
    active.stepsPerSession = active.ivrSessions > 0 ? round(steps / active.ivrSessions, 1) : 0;
    if (profileSeconds > 0) {
      const profiler = new MainThreadProfiler();
      await profiler.start();
      await sleep(profileSeconds * 1000);
      profile = await profiler.stop(30);
      profiler.close();
    }
    const result = await Promise.race([run.done, sleep(callMs + 60_000).then(() => undefined)]);
    const stats = result?.stats ?? run.stats();
    const tellerLog = bench.log.take();
    await run.kill();
    const leftoverCalls = await drain(bench);
    return {
      dialled,
      calls,
      established,
      allUp,
      rampSeconds,
      activeAtWindowEnd: active,
      window,
      sipp: {
        created: sippCount(stats, 'TotalCallCreated'),
        succeeded: sippCount(stats, 'SuccessfulCall(C)'),
        failed: sippCount(stats, 'FailedCall(C)'),
      },
      leftoverCalls,
      tellerLog,
      ...(profile ? { mainThreadProfile: { seconds: profileSeconds, ...profile } } : {}),
    };
  } finally {
    await run.kill();
  }
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 3) : null);
const addedPct = (a: number, b: number) => (b > 0 ? round((100 * (a - b)) / b, 1) : null);

type Cores = { mainThread: number; mediaWorkers: number; total: number };
const coresOf = (run: Record<string, unknown>) => (run.window as { cpuCores: Cores }).cpuCores;
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One round: a plain window and an IVR window, in the order given, and what the IVR added. */
async function playRound(
  bench: Bench,
  options: Options,
  calls: number,
  order: readonly ('plain' | 'ivr')[],
  callMs: number,
  profileSeconds: number,
) {
  const runs: Partial<Record<'plain' | 'ivr', Record<string, unknown>>> = {};
  for (const mode of order)
    runs[mode] = await runMode(
      bench,
      options,
      mode,
      calls,
      callerScenario(bench, options, calls, callMs),
      callMs,
      mode === 'ivr' ? profileSeconds : 0,
    );
  const plain = runs.plain!;
  const ivr = runs.ivr!;
  const p = coresOf(plain);
  const i = coresOf(ivr);
  return {
    order: order.join(', '),
    plain,
    ivr,
    addedCores: {
      mainThread: round(i.mainThread - p.mainThread, 4),
      mediaWorkers: round(i.mediaWorkers - p.mediaWorkers, 3),
      total: round(i.total - p.total, 3),
    },
    /** The IVR's extra main-thread time as a share of the plain calls' whole-process CPU. */
    addedMainThreadPctOfPlainTotal:
      p.total > 0 ? round((100 * (i.mainThread - p.mainThread)) / p.total, 2) : null,
    addedTotalPct: addedPct(i.total, p.total),
  };
}

async function level(bench: Bench, options: Options, calls: number): Promise<Record<string, unknown>> {
  // Each call holds for the slowest ramp, the settling, the window and the profile.
  const callMs = (profileSeconds: number) =>
    Math.round(((calls / options.rampRate) * 2 + 10 + options.holdSeconds + profileSeconds + 5) * 1000);
  const rounds: Awaited<ReturnType<typeof playRound>>[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? (['plain', 'ivr'] as const) : (['ivr', 'plain'] as const);
    const profile = r === options.rounds - 1 ? options.profileSeconds : 0;
    progress(`${calls} calls, round ${r + 1} of ${options.rounds}`);
    rounds.push(await playRound(bench, options, calls, order, callMs(profile), profile));
  }
  const med = (pick: (r: (typeof rounds)[number]) => number | null) =>
    round(median(rounds.map(pick).filter((v): v is number => v !== null)), 4);
  const shares = rounds.map((r) => r.addedMainThreadPctOfPlainTotal);
  const medianShare = med((r) => r.addedMainThreadPctOfPlainTotal);
  const cores = (mode: 'plain' | 'ivr', key: keyof Cores) => med((r) => coresOf(r[mode])[key]);
  return {
    calls,
    rounds,
    /** Medians over the rounds, in cores. */
    medianCores: {
      plain: {
        mainThread: cores('plain', 'mainThread'),
        mediaWorkers: cores('plain', 'mediaWorkers'),
        total: cores('plain', 'total'),
      },
      ivr: {
        mainThread: cores('ivr', 'mainThread'),
        mediaWorkers: cores('ivr', 'mediaWorkers'),
        total: cores('ivr', 'total'),
      },
    },
    ivrEventsPerSecond: med((r) => (r.ivr.window as { ivrEventsPerSecond: number }).ivrEventsPerSecond),
    addedMainThreadPctOfPlainTotal: { perRound: shares, median: round(medianShare, 2) },
    addedMainThreadMsPerIvrEvent: med((r) => {
      const perSecond = (r.ivr.window as { ivrEventsPerSecond: number }).ivrEventsPerSecond;
      return perSecond > 0 ? round((1000 * r.addedCores.mainThread) / perSecond, 4) : null;
    }),
    addedTotalPct: { perRound: rounds.map((r) => r.addedTotalPct), median: med((r) => r.addedTotalPct) },
    ivrOverPlainMainThread: ratio(cores('ivr', 'mainThread'), cores('plain', 'mainThread')),
    meetsTarget: medianShare < TARGET_ADDED_PCT,
    everyRoundMeetsTarget: shares.every((share) => share !== null && share < TARGET_ADDED_PCT),
  };
}

export default async function bench(args: string[]): Promise<unknown> {
  const options = parseOptions(args);
  const loadAverage = os.loadavg();
  const nice = raisePriority(options.nice);
  const bench = await startBench(options.logLevel);
  const result: Record<string, unknown> = {
    cores: os.availableParallelism(),
    mediaWorkers: (await bench.teller.media.workerStats()).length,
    loadAverageAtStart: loadAverage.map((l) => round(l)),
    nice,
    options,
    what:
      `N calls to the line test ${testLineNumber} (plain playback, keys echoed as tones), then N calls to ` +
      `the phone-banking IVR ${serviceNumber}, the same SIPp scenario and keys (key 1, then *, 5, * every 4 s)`,
    target:
      `the IVR's extra main-thread CPU (where the interpreter, its events and the event log run) under ` +
      `${TARGET_ADDED_PCT} % of the plain calls' whole-process CPU, median over the rounds`,
  };
  try {
    // Start-up work (the first-start seed) done: under a tenth of a core over two seconds.
    for (let i = 0; i < 30; i++) {
      const cpu0 = ownCpuSeconds();
      await sleep(2000);
      if (ownCpuSeconds() - cpu0 < 0.2) break;
    }
    if (options.warmupSeconds > 0 && options.levels[0] !== undefined) {
      // The interpreter's, the event log's and the line test's code run once before anything is measured.
      progress(
        `warm-up: ${options.levels[0]} calls of each mode for ${options.warmupSeconds} s, not measured`,
      );
      await level(
        bench,
        { ...options, rounds: 1, holdSeconds: options.warmupSeconds, profileSeconds: 0 },
        options.levels[0],
      );
    }
    const levels = [];
    for (const calls of options.levels) levels.push(await level(bench, options, calls));
    result.levels = levels;
    result.summary = levels.map((l) => ({
      calls: l.calls,
      medianCores: l.medianCores,
      addedMainThreadPctOfPlainTotal: l.addedMainThreadPctOfPlainTotal,
      addedMainThreadMsPerIvrEvent: l.addedMainThreadMsPerIvrEvent,
      addedTotalPct: l.addedTotalPct,
      meetsTarget: l.meetsTarget,
      everyRoundMeetsTarget: l.everyRoundMeetsTarget,
    }));
  } finally {
    result.loadAverageAtEnd = os.loadavg().map((l) => round(l));
    await bench.teller.close();
    rmSync(bench.work, { recursive: true, force: true });
  }
  return result;
}
