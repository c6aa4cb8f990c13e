/**
 * SIP load benchmark: a real Teller (startTeller, in this process) on loopback, driven by Debian's
 * SIPp (sip-tester) in child processes.
 *
 *   npm run bench -- sip-load [--only setup,hold,bridge] [--rates 20,40,60,...] [--step 15]
 *                              [--levels 100,300,600,1200] [--hold 60] [--ramp 40] [--probes 4]
 *                              [--profile 10] [--nice -10] [--quick] [--log warn] [--media-io dgram|native]
 *
 * setup   Call setups per second with digest authentication (INVITE, 401, ACK, INVITE with
 *         credentials, 200, ACK, BYE, 200) to the line test (8889, ADR 008; it was 8888 until the
 *         phone-banking IVR took that number), the rate raised step by step
 *         (`--step` seconds each) until more than 1 % of the calls fail or the rate reached falls
 *         below 90 % of the rate offered. The figure is the highest rate offered that passed.
 * hold    N concurrent calls to the line test held `--hold` seconds (default 60, env TELLER_BENCH_HOLD),
 *         at each of `--levels`: SIPp streams G.711 µ-law to Teller on every call (rtp_stream),
 *         Teller answers, records each call in stereo and plays its prompt, then silence, back.
 * bridge  The same with extension calls 1001 → 1002: a second SIPp registered as 1002 answers
 *         every call and streams RTP back; Teller bridges the two legs and (as the bench asks
 *         through the media engine: the call layer does not record extension calls) records
 *         each call in stereo.
 *
 * Measured in a window of `--hold` seconds once every call of a level is up: what Teller's media
 * engine received (packets, RFC 3550 loss, packets later than the 40 ms jitter-buffer depth),
 * what it sent (packets, ticks that started ≥ 40 ms late or were skipped, from the workers' own
 * counters), the same as a few probe callers receive it (`--probes` calls whose SDP names a
 * socket of this bench), CPU of Teller (the whole process and each media worker thread), of
 * SIPp and of the whole machine (the two cores are shared with the generator and with anything
 * else running), packets per second per core, RSS. After the window, `--profile` seconds of V8
 * CPU profile of the media workers, summarised as the functions with the most self time. The
 * escalation stops at the first level that misses the target (under 0.5 % of packets lost or
 * late) by a wide margin or cannot get its calls up.
 *
 * `--nice` (default −10): the scheduling priority of this process's threads (Teller's media
 * workers are started after it is set, so they inherit it) and of SIPp, and of this session's
 * autogroup: with kernel.sched_autogroup_enabled, CPU is shared between sessions first and a
 * thread's nice value only counts inside its own session, so the group's value is what lets the
 * bench have the cores. The two cores are shared with other developers' compilers and test runs;
 * without this those take most of the CPU, media ticks wait 60 ms and more for a core, and the
 * figures measure that queue, not Teller. `--nice 0` measures it instead.
 *
 * `--media-io`: the media workers' RTP I/O (ADR 016), as TELLER_MEDIA_IO: `dgram`, or `native` for
 * the rtpio addon's batched receive and send (build it first: node scripts/build-native.mjs; the
 * result's `mediaIo` says what the workers really used). Default: TELLER_MEDIA_IO, else native
 * when the addon is built, else dgram.
 *
 * `--realtime`: the media workers' SCHED_RR priority (ADR 017), as TELLER_MEDIA_REALTIME_PRIORITY;
 * `--realtime 0` for normal scheduling. Default: the variable, else Teller's default (10). The
 * result's `mediaScheduling` says what the kernel granted at the start, and each level's
 * `workerScheduling` what the workers had at the window's end (normal again after an overload).
 *
 * `--quick`: rates 20,50,100 for 5 s, levels 100,300, hold 10 s, 2 probes, 3 s profile.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startTeller, type Teller, testLineNumber } from '../src/app/index';
import { loadConfig } from '../src/config/index';
import { createLogger } from '../src/core/index';
import {
  type EndpointId,
  type EndpointStats,
  encodeG711,
  ToneGenerator,
  type WorkerStats,
} from '../src/media/index';
import {
  MainThreadProfiler,
  machineCpuSeconds,
  ownCpuSeconds,
  pct,
  processCpuSeconds,
  progress,
  RtpProbes,
  raisePriority,
  round,
  type SippRun,
  type SippStats,
  sippCount,
  sippDurationMs,
  sleep,
  startSipp,
  WorkerProfiler,
} from './sip-load-tools';

const fixtures = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'sipp');
const LATE_MS = 40;
const TARGET_PCT = 0.5;
const PASSWORD = 'teller-demo';

interface Options {
  phases: Set<string>;
  rates: number[];
  stepSeconds: number;
  levels: number[];
  holdSeconds: number;
  rampRate: number;
  probes: number;
  profileSeconds: number;
  nice: number;
  logLevel: string;
  mediaIo: string | undefined;
  realtimePriority: string | undefined;
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
    phases: new Set(value('only', 'setup,hold,bridge').split(',')),
    rates: numbers(value('rates', quick ? '20,50,100' : '20,40,60,80,100,120,150,200,250,300')),
    stepSeconds: Number(value('step', quick ? '5' : '15')),
    levels: numbers(value('levels', quick ? '100,300' : '100,300,600,1200')),
    holdSeconds: Number(value('hold', process.env.TELLER_BENCH_HOLD ?? (quick ? '10' : '60'))),
    rampRate: Number(value('ramp', '40')),
    probes: Number(value('probes', quick ? '2' : '4')),
    profileSeconds: Number(value('profile', quick ? '3' : '10')),
    nice: Number(value('nice', '-10')),
    logLevel: value('log', 'warn'),
    mediaIo: args.includes('--media-io') ? value('media-io', 'dgram') : process.env.TELLER_MEDIA_IO,
    realtimePriority: args.includes('--realtime')
      ? value('realtime', '10')
      : process.env.TELLER_MEDIA_REALTIME_PRIORITY,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Teller in this process                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Teller's log at `level`, counted by level with the first few distinct messages kept (not printed: stdout carries the JSON). */
class LogTally extends Writable {
  counts: Record<string, number> = {};
  samples: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
        const name = entry.level >= 50 ? 'error' : entry.level >= 40 ? 'warn' : 'info';
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        const text = `${name}: ${entry.msg ?? ''}${entry.err?.message ? ` — ${entry.err.message}` : ''}`;
        if (this.samples.length < 8 && !this.samples.includes(text)) this.samples.push(text);
      } catch {
        this.counts.unparsed = (this.counts.unparsed ?? 0) + 1;
      }
    }
    done();
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
  log: LogTally;
  work: string;
  /** Raw G.711 µ-law that SIPp streams (rtp_stream), 2 s of a 440 Hz tone. */
  audio: string;
  callers: string;
  profiler?: WorkerProfiler;
  /** Start-up work done and the call path warmed up (see settle). */
  settled?: boolean;
}

async function startBench(logLevel: string, realtimePriority: string | undefined): Promise<Bench> {
  const work = mkdtempSync(path.join(tmpdir(), 'teller-sip-load-'));
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
      // SIPp answers only the first challenge and knows only MD5.
      TELLER_SIP_DIGEST_ALGORITHMS: 'MD5',
      ...(realtimePriority === undefined ? {} : { TELLER_MEDIA_REALTIME_PRIORITY: realtimePriority }),
    }),
    { logger: createLogger(logLevel, log) },
  );
  const audio = path.join(work, 'tone.ulaw');
  writeFileSync(
    audio,
    encodeG711('pcmu', new ToneGenerator({ frequencies: [440], levelDbm0: -20 }).generate(16000)),
  );
  const callers = path.join(work, 'callers.csv');
  writeFileSync(callers, 'SEQUENTIAL\n1001;\n');
  return { teller, target: `127.0.0.1:${teller.sip.port}`, log, work, audio, callers };
}

/** A copy of a fixture scenario with @AUDIO@ filled in. */
function scenario(bench: Bench, fixture: string): string {
  const file = path.join(bench.work, fixture);
  writeFileSync(file, readFileSync(path.join(fixtures, fixture), 'utf8').replaceAll('@AUDIO@', bench.audio));
  return file;
}

let nextSippPort = 41000 + 2 * Math.floor(Math.random() * 2000);
/** A SIP port and an RTP base port for one SIPp (it binds -mp and -mp + 2). */
function sippPorts(): { sip: number; media: number } {
  nextSippPort += 8;
  if (nextSippPort > 49000) nextSippPort = 41000;
  return { sip: nextSippPort, media: nextSippPort + 2 };
}

/** The extension caller's arguments: digest credentials and the URI SIPp must put in them. */
function callerArgs(bench: Bench, dialled: string): string[] {
  return [
    '-s',
    dialled,
    '-au',
    '1001',
    '-ap',
    PASSWORD,
    '-auth_uri',
    `${dialled}@127.0.0.1:${bench.teller.sip.port}`,
    '-i',
    '127.0.0.1',
  ];
}

/** Calls in progress, as the call layer holds them (read as a bench hook, as the SIPp tests do). */
function liveCalls(teller: Teller) {
  return [...teller.calls.calls];
}

async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Waits for every call to end, then removes the recordings written so far (gigabytes at 1,200 calls). */
async function drain(bench: Bench): Promise<{ leftoverCalls: number }> {
  await waitFor(() => bench.teller.calls.active === 0, 30_000);
  const dir = path.join(bench.teller.config.dataDir, 'recordings');
  for (const file of readdirSync(dir)) rmSync(path.join(dir, file), { force: true });
  return { leftoverCalls: bench.teller.calls.active };
}

/* ------------------------------------------------------------------------------------------ */
/* setup: call setups per second                                                                */
/* ------------------------------------------------------------------------------------------ */

/** Response-time percentile from SIPp's repartition counters: the bucket it falls in ("<50" ms, ">=2000" ms). */
function repartitionPercentile(stats: SippStats, share: number): string {
  const buckets = Object.keys(stats)
    .filter((k) => k.startsWith('ResponseTimeRepartition1_'))
    .map((k) => ({ bucket: k.slice('ResponseTimeRepartition1_'.length), count: sippCount(stats, k) }));
  const total = buckets.reduce((n, b) => n + b.count, 0);
  let seen = 0;
  for (const b of buckets) {
    seen += b.count;
    if (total > 0 && seen >= share * total) return `${b.bucket} ms`;
  }
  return 'n/a';
}

/**
 * Waits until Teller is idle (under a tenth of a core over two seconds: start-up work such as the
 * first-start seed is done), then warms it up with 50 calls at 10 per second, not counted.
 */
async function settle(bench: Bench, file: string): Promise<{ idleAfterSeconds: number }> {
  const started = performance.now();
  for (let i = 0; i < 30; i++) {
    const cpu0 = ownCpuSeconds();
    await sleep(2000);
    if (ownCpuSeconds() - cpu0 < 0.2) break;
  }
  const idleAfterSeconds = round((performance.now() - started) / 1000, 1);
  const ports = sippPorts();
  await startSipp(bench.target, [
    '-sf',
    file,
    '-inf',
    bench.callers,
    ...callerArgs(bench, testLineNumber),
    '-p',
    String(ports.sip),
    '-mp',
    String(ports.media),
    '-r',
    '10',
    '-m',
    '50',
    '-d',
    '0',
    '-timeout',
    '60s',
  ]).done;
  await drain(bench);
  bench.log.take();
  bench.settled = true;
  return { idleAfterSeconds };
}

async function setupPhase(bench: Bench, options: Options): Promise<unknown> {
  const file = scenario(bench, 'load-setup.xml');
  const warmUp = bench.settled ? undefined : await settle(bench, file);
  const steps = [];
  let best: number | undefined;
  for (const rate of options.rates) {
    const calls = Math.round(rate * options.stepSeconds);
    progress(`setup: ${rate} calls/s × ${options.stepSeconds} s`);
    const ports = sippPorts();
    const cpu0 = ownCpuSeconds();
    const machine0 = machineCpuSeconds();
    const wall0 = performance.now();
    const profiler = new MainThreadProfiler();
    await profiler.start();
    const sipp = startSipp(bench.target, [
      '-sf',
      file,
      '-inf',
      bench.callers,
      ...callerArgs(bench, testLineNumber),
      '-p',
      String(ports.sip),
      '-mp',
      String(ports.media),
      '-r',
      String(rate),
      '-m',
      String(calls),
      '-l',
      String(rate * 10),
      '-d',
      '0',
      '-timeout',
      `${options.stepSeconds + 90}s`,
    ]);
    const { stats } = await sipp.done;
    const mainThreadProfile = await profiler.stop(12);
    profiler.close();
    const wall = (performance.now() - wall0) / 1000;
    const tellerCpu = ownCpuSeconds() - cpu0;
    const sippCpu = processCpuSeconds(sipp.pid);
    const machine1 = machineCpuSeconds();
    const { leftoverCalls } = await drain(bench);
    const created = sippCount(stats, 'TotalCallCreated');
    const ok = sippCount(stats, 'SuccessfulCall(C)');
    const failed = Math.max(sippCount(stats, 'FailedCall(C)'), created - ok);
    const elapsed = sippDurationMs(stats['ElapsedTime(C)']) / 1000 || wall;
    const achieved = ok / elapsed;
    const failedPct = pct(failed, Math.max(created, 1));
    const pass = created >= calls * 0.95 && failedPct < 1 && achieved >= 0.9 * rate;
    steps.push({
      offeredPerSecond: rate,
      calls: created,
      succeeded: ok,
      failedPct,
      completedPerSecond: round(achieved, 1),
      responseMs: {
        mean: round(sippDurationMs(stats['ResponseTime1(C)']), 1),
        p50: repartitionPercentile(stats, 0.5),
        p99: repartitionPercentile(stats, 0.99),
      },
      retransmissions: sippCount(stats, 'Retransmissions(C)'),
      cpuCores: {
        teller: round(tellerCpu / wall),
        sipp: round(sippCpu / wall),
        machine: round((machine1.busy - machine0.busy) / wall),
      },
      leftoverCalls,
      tellerLog: bench.log.take(),
      pass,
      mainThreadProfile,
    });
    if (pass) best = rate;
    else break;
  }
  return {
    what: `authenticated call setups to the line test ${testLineNumber} (INVITE, 401, ACK, INVITE with digest, 200, ACK, BYE), rate raised until > 1 % fail or the rate offered is not reached`,
    stepSeconds: options.stepSeconds,
    warmUp,
    highestPassingRate: best ?? 0,
    steps,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* hold / bridge: concurrent calls with RTP both ways                                           */
/* ------------------------------------------------------------------------------------------ */

interface Snapshot {
  at: number;
  cpu: number;
  machine: { busy: number; total: number };
  sipp: number[];
  stats: Map<EndpointId, EndpointStats>;
  workers: WorkerStats[];
}

async function snapshot(teller: Teller, sippPids: number[]): Promise<Snapshot> {
  const ids = liveCalls(teller).flatMap((c) => [c.a.endpoint.id, ...(c.b ? [c.b.endpoint.id] : [])]);
  const stats = new Map<EndpointId, EndpointStats>();
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    const results = await Promise.all(batch.map((id) => teller.media.stats(id).catch(() => undefined)));
    results.forEach((s, k) => {
      if (s) stats.set(batch[k]!, s);
    });
  }
  const workers = await teller.media.workerStats();
  return {
    at: performance.now(),
    cpu: ownCpuSeconds(),
    machine: machineCpuSeconds(),
    sipp: sippPids.map(processCpuSeconds),
    stats,
    workers,
  };
}

function windowFigures(s0: Snapshot, s1: Snapshot, sippNames: string[]) {
  const seconds = (s1.at - s0.at) / 1000;
  let packetsIn = 0;
  let packetsOut = 0;
  let lost = 0;
  let late = 0;
  let concealed = 0;
  let discarded = 0;
  let maxJitter = 0;
  let silent = 0;
  for (const [id, b] of s1.stats) {
    const a = s0.stats.get(id);
    if (!a) continue;
    const inDelta = b.packetsIn - a.packetsIn;
    packetsIn += inDelta;
    packetsOut += b.packetsOut - a.packetsOut;
    lost += Math.max(0, b.lost - a.lost);
    late += b.late - a.late;
    concealed += b.concealed - a.concealed;
    discarded += b.discarded - a.discarded;
    maxJitter = Math.max(maxJitter, b.jitterMs);
    if (inDelta === 0) silent++;
  }
  const tellerCores = (s1.cpu - s0.cpu) / seconds;
  const workerCpu = s1.workers.map((w, i) => {
    const before = s0.workers[i];
    return w.cpuMs !== null && before?.cpuMs != null ? (w.cpuMs - before.cpuMs) / 1000 : null;
  });
  const workersSeconds = workerCpu.reduce<number>((n, c) => n + (c ?? 0), 0);
  const ticks = s1.workers.reduce((n, w, i) => n + w.ticks - (s0.workers[i]?.ticks ?? 0), 0);
  const lateTicks = s1.workers.reduce((n, w, i) => n + w.lateTicks - (s0.workers[i]?.lateTicks ?? 0), 0);
  const skipped = s1.workers.reduce((n, w, i) => n + w.skippedTicks - (s0.workers[i]?.skippedTicks ?? 0), 0);
  const packets = packetsIn + packetsOut;
  const sippCores = Object.fromEntries(
    sippNames.map((name, i) => [name, round(((s1.sipp[i] ?? 0) - (s0.sipp[i] ?? 0)) / seconds)]),
  );
  const machineCores = (s1.machine.busy - s0.machine.busy) / seconds;
  const memory = process.memoryUsage();
  return {
    seconds: round(seconds, 1),
    endpoints: s1.stats.size,
    received: {
      packets: packetsIn,
      perSecond: Math.round(packetsIn / seconds),
      lostPct: pct(lost, packetsIn + lost),
      latePct: pct(late, packetsIn),
      concealedPct: pct(concealed, packetsIn + lost),
      /** Received but dropped by the jitter buffer to bound delay: a worker that falls behind plays them out too late. */
      discardedPct: pct(discarded, packetsIn),
      maxJitterMs: round(maxJitter),
      endpointsWithoutPackets: silent,
    },
    sent: {
      packets: packetsOut,
      perSecond: Math.round(packetsOut / seconds),
      lateTicksPct: pct(lateTicks, ticks),
      skippedTicksPct: pct(skipped, ticks + skipped),
      maxTickLateMsSinceStart: Math.max(...s1.workers.map((w) => w.maxTickLateMs)),
      maxTickWorkMsSinceStart: Math.max(...s1.workers.map((w) => w.maxTickWorkMs)),
    },
    cpuCores: {
      teller: round(tellerCores),
      mediaWorkers: workerCpu.map((c) => (c === null ? null : round(c / seconds))),
      tellerOtherThreads: round(tellerCores - workersSeconds / seconds),
      ...sippCores,
      machine: round(machineCores),
      everythingElse: round(machineCores - tellerCores - Object.values(sippCores).reduce((n, c) => n + c, 0)),
    },
    packetsPerSecondPerCore: {
      teller: Math.round(packets / seconds / Math.max(tellerCores, 0.01)),
      mediaWorkers: workersSeconds > 0 ? Math.round(packets / workersSeconds) : null,
    },
    workerUtilization: s1.workers.map((w) => w.utilization),
    workerScheduling: s1.workers.map((w) => w.scheduling),
    rssMiB: round(memory.rss / 2 ** 20, 1),
    heapUsedMiB: round(memory.heapUsed / 2 ** 20, 1),
  };
}

async function holdLevel(
  bench: Bench,
  options: Options,
  mode: 'playback' | 'bridge',
  calls: number,
  callee: { port: number } | undefined,
): Promise<Record<string, unknown>> {
  const { teller } = bench;
  const dialled = mode === 'playback' ? testLineNumber : '1002';
  progress(`${mode}: ${calls} calls`);
  const rampSeconds = calls / options.rampRate;
  // Each call holds long enough for the slowest ramp, the settling, the window and the profile.
  const holdMs = Math.round(
    (rampSeconds * 2 + 15 + options.holdSeconds + options.profileSeconds + 10) * 1000,
  );
  const runs: { name: string; run: SippRun }[] = [];
  let probes: RtpProbes | undefined;
  const kill = () => Promise.all(runs.map((r) => r.run.kill()));
  try {
    if (callee) {
      const ports = sippPorts();
      runs.push({
        name: 'sippCallee',
        run: startSipp(bench.target, [
          '-sf',
          scenario(bench, 'load-callee.xml'),
          '-s',
          '1002',
          '-i',
          '127.0.0.1',
          '-p',
          String(callee.port),
          '-mp',
          String(ports.media),
          '-timeout',
          `${Math.round(holdMs / 1000) + 120}s`,
        ]),
      });
      await sleep(1000);
    }
    const ports = sippPorts();
    const caller = startSipp(bench.target, [
      '-sf',
      scenario(bench, 'load-caller.xml'),
      '-inf',
      bench.callers,
      ...callerArgs(bench, dialled),
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
      String(holdMs),
      '-timeout',
      `${Math.round(holdMs / 1000) + 120}s`,
    ]);
    runs.push({ name: 'sippCallers', run: caller });
    const started = Date.now();
    const up = () =>
      liveCalls(teller).filter((c) => (mode === 'playback' ? true : c.mixId !== undefined)).length;
    let exited = false;
    void caller.done.then(() => {
      exited = true;
    });
    const allUp = await waitFor(() => up() >= calls || exited, rampSeconds * 2000 + 15_000, 250);
    const established = up();
    const rampedIn = (Date.now() - started) / 1000;
    progress(`${mode}: ${established} of ${calls} calls up in ${round(rampedIn, 1)} s`);

    // Probe callers: their SDP names a socket here; Teller sends them what it sends every caller.
    probes = await RtpProbes.open(options.probes);
    if (options.probes > 0) {
      const csv = path.join(bench.work, `probes-${calls}.csv`);
      writeFileSync(csv, `SEQUENTIAL\n${probes.ports.map((p) => `1001;${p};`).join('\n')}\n`);
      const probePorts = sippPorts();
      runs.push({
        name: 'sippProbes',
        run: startSipp(bench.target, [
          '-sf',
          scenario(bench, 'load-probe.xml'),
          '-inf',
          csv,
          ...callerArgs(bench, dialled),
          '-p',
          String(probePorts.sip),
          '-mp',
          String(probePorts.media),
          '-r',
          '10',
          '-m',
          String(options.probes),
          '-d',
          String(Math.round((options.holdSeconds + options.profileSeconds + 15) * 1000)),
          '-timeout',
          `${options.holdSeconds + options.profileSeconds + 120}s`,
        ]),
      });
      await waitFor(() => up() >= established + options.probes, 20_000, 100);
    }
    let recordings = 0;
    if (mode === 'bridge') {
      // Every bridged call recorded in stereo: left what the caller says, right what the callee says.
      const dir = path.join(teller.config.dataDir, 'recordings');
      for (const call of liveCalls(teller)) {
        if (call.mixId === undefined) continue;
        await teller.media.record(call.a.endpoint.id, {
          path: path.join(dir, `bridge-${call.record.id}.wav`),
        });
        recordings++;
      }
    }
    await sleep(2000);

    // The window.
    const sippNames = [...runs.map((r) => r.name), 'probeProcess'];
    const sippPids = [...runs.map((r) => r.run.pid), probes.pid];
    const s0 = await snapshot(teller, sippPids);
    await probes.start();
    await sleep(options.holdSeconds * 1000);
    const probeReport = await probes.stop(LATE_MS);
    const s1 = await snapshot(teller, sippPids);
    const callsInWindow = teller.calls.active;
    const figures = windowFigures(s0, s1, sippNames);

    let profile: Awaited<ReturnType<WorkerProfiler['stop']>> | undefined;
    if (options.profileSeconds > 0) {
      bench.profiler ??= await WorkerProfiler.attach('teller-media');
      await bench.profiler.start();
      await sleep(options.profileSeconds * 1000);
      profile = await bench.profiler.stop(15);
    }

    // The calls end by themselves (BYE after -d); SIPp then exits.
    const results = await Promise.all(
      runs.map(async (r) =>
        r.name === 'sippCallee'
          ? undefined
          : await Promise.race([r.run.done, sleep(holdMs + 60_000).then(() => undefined)]),
      ),
    );
    const callerStats = results[runs.findIndex((r) => r.name === 'sippCallers')]?.stats ?? caller.stats();
    await kill();
    const { leftoverCalls } = await drain(bench);
    const received = figures.received;
    const worst = Math.max(
      received.lostPct,
      received.latePct,
      received.discardedPct,
      figures.sent.lateTicksPct,
      figures.sent.skippedTicksPct,
      options.probes > 0 ? probeReport.lostPct : 0,
      options.probes > 0 ? probeReport.latePct : 0,
    );
    return {
      mode,
      calls,
      established,
      allUp,
      rampSeconds: round(rampedIn, 1),
      callsInWindow,
      ...(mode === 'bridge' ? { recordings } : {}),
      window: figures,
      atProbeCallers: probeReport,
      sipp: {
        created: sippCount(callerStats, 'TotalCallCreated'),
        succeeded: sippCount(callerStats, 'SuccessfulCall(C)'),
        failed: sippCount(callerStats, 'FailedCall(C)'),
      },
      leftoverCalls,
      tellerLog: bench.log.take(),
      worstPct: worst,
      pass: allUp && established >= calls && worst < TARGET_PCT,
      ...(profile ? { mediaWorkerProfile: { seconds: options.profileSeconds, ...profile } } : {}),
    };
  } finally {
    probes?.close();
    await kill();
  }
}

/** Registers the SIPp that plays extension 1002 (register.xml, digest) from `port`. */
async function registerCallee(bench: Bench, port: number): Promise<void> {
  const run = startSipp(bench.target, [
    '-sf',
    path.join(fixtures, 'register.xml'),
    '-s',
    '1002',
    '-au',
    '1002',
    '-ap',
    PASSWORD,
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-mp',
    String(sippPorts().media),
    '-m',
    '1',
    '-timeout',
    '30s',
  ]);
  const { status, output } = await run.done;
  if (status !== 0) throw new Error(`SIPp could not register 1002: ${output}`);
}

async function holdPhase(bench: Bench, options: Options, mode: 'playback' | 'bridge'): Promise<unknown> {
  if (!bench.settled) await settle(bench, scenario(bench, 'load-setup.xml'));
  let callee: { port: number } | undefined;
  if (mode === 'bridge') {
    callee = { port: sippPorts().sip };
    await registerCallee(bench, callee.port);
  }
  const levels = [];
  let highest = 0;
  for (const calls of options.levels) {
    const level = await holdLevel(bench, options, mode, calls, callee);
    levels.push(level);
    if (level.pass) highest = calls;
    // Past a level that could not get its calls up, or missed the target tenfold, the next is worse.
    if (!level.allUp || (level.worstPct as number) >= 10 * TARGET_PCT) break;
  }
  return {
    what:
      mode === 'playback'
        ? `calls to the line test ${testLineNumber}: SIPp streams G.711 to Teller, Teller records each call and plays its prompt (then silence) back`
        : 'calls 1001 → 1002: two legs bridged by Teller and recorded in stereo, SIPp streaming on both sides',
    holdSeconds: options.holdSeconds,
    target: `under ${TARGET_PCT} % of packets lost or later than ${LATE_MS} ms`,
    highestLevelMeetingTarget: highest,
    levels,
  };
}

export default async function bench(args: string[]): Promise<unknown> {
  const options = parseOptions(args);
  const loadAverage = os.loadavg();
  // Before Teller starts: threads (media workers) and children (SIPp) inherit the priority.
  const nice = raisePriority(options.nice);
  // Read by each media worker as it starts (worker threads get a copy of the environment).
  if (options.mediaIo === undefined) delete process.env.TELLER_MEDIA_IO;
  else process.env.TELLER_MEDIA_IO = options.mediaIo;
  const bench = await startBench(options.logLevel, options.realtimePriority);
  const workers = await bench.teller.media.workerStats();
  const result: Record<string, unknown> = {
    cores: os.availableParallelism(),
    mediaWorkers: workers.length,
    mediaIo: [...new Set(workers.map((w) => w.mediaIo))].join(', '),
    mediaScheduling: workers.map((w) => w.scheduling).join(', '),
    loadAverageAtStart: loadAverage.map((l) => round(l)),
    nice,
    options: { ...options, phases: [...options.phases] },
    sipp: 'Debian sip-tester (SIPp 3.6.1), UDP on loopback, rtp_stream for RTP',
  };
  try {
    if (options.phases.has('setup')) result.setup = await setupPhase(bench, options);
    if (options.phases.has('hold')) result.hold = await holdPhase(bench, options, 'playback');
    if (options.phases.has('bridge')) result.bridge = await holdPhase(bench, options, 'bridge');
  } finally {
    result.loadAverageAtEnd = os.loadavg().map((l) => round(l));
    bench.profiler?.close();
    await bench.teller.close();
    rmSync(bench.work, { recursive: true, force: true });
  }
  return result;
}
