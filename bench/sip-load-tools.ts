/**
 * Tools of the SIP load benchmark (bench/sip-load.ts): SIPp as a child process with its
 * statistics file read back, CPU time of processes and of the whole machine from /proc, RTP probe
 * sockets that time what Teller sends as a caller receives it, and a V8 CPU profile of the media
 * worker threads taken through the inspector of this process (no restart, no flags).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os, { tmpdir } from 'node:os';
import path from 'node:path';

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
export const pct = (part: number, whole: number): number =>
  whole === 0 ? 0 : round((100 * part) / whole, 3);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Raises this process's priority (thread nice value and, with sched_autogroup, its session's)
 * before Teller starts, so media workers and SIPp children inherit it. Returns what was set,
 * or why it stayed unchanged, for the report.
 */
export function raisePriority(niceValue: number): Record<string, number | string> {
  const nice: Record<string, number | string> = { threads: niceValue, autogroup: niceValue };
  try {
    os.setPriority(0, niceValue);
  } catch (error) {
    nice.threads = `unchanged (${(error as Error).message})`;
  }
  try {
    writeFileSync('/proc/self/autogroup', String(niceValue));
  } catch (error) {
    nice.autogroup = `unchanged (${(error as Error).message})`;
  }
  return nice;
}

export function progress(line: string): void {
  process.stderr.write(`sip-load: ${line}\n`);
}

/* ------------------------------------------------------------------------------------------ */
/* CPU from /proc                                                                               */
/* ------------------------------------------------------------------------------------------ */

const lastCpu = new Map<number, number>();

/**
 * CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s).
 * Once the process has exited, its last reading stands.
 */
export function processCpuSeconds(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return lastCpu.get(pid) ?? 0;
  }
  const fields = text.split(') ')[1]!.split(' ');
  const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
  lastCpu.set(pid, seconds);
  return seconds;
}

/** This process's CPU seconds, every thread (main, media workers, libuv pool, GC) included. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / 100, total: total / 100 };
}

/* ------------------------------------------------------------------------------------------ */
/* SIPp                                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** The last row of SIPp's -trace_stat file: cumulative counters, named as SIPp names them. */
export type SippStats = Record<string, string>;

export interface SippRun {
  readonly pid: number;
  /** Resolves when SIPp exits, with its status and statistics (SIPp exits 0 when every call succeeded). */
  readonly done: Promise<{ status: number | null; stats: SippStats; output: string }>;
  /** The statistics written so far (SIPp rewrites them every -fd seconds). */
  stats(): SippStats;
  /** Ends SIPp now (SIGTERM, then SIGKILL); what it wrote stays readable. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function readStats(dir: string): SippStats {
  const file = readdirSync(dir).find((f) => f.endsWith('.csv') && !f.includes('_rtt'));
  if (!file) return {};
  const rows = readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter((r) => r.trim() !== '');
  if (rows.length < 2) return {};
  const names = rows[0]!.split(';');
  const values = rows.at(-1)!.split(';');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

/**
 * Starts Debian's SIPp (sip-tester) against `target` in a directory of its own, with statistics
 * every second (-trace_stat -fd 1) and errors logged (-trace_err). SIPp is killed if this process
 * exits first.
 */
export function startSipp(target: string, args: string[]): SippRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'teller-sip-load-sipp-'));
  const child = spawn('sipp', [target, '-nostdin', '-trace_stat', '-fd', '1', '-trace_err', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  // Its CPU time is read while it runs: once it has exited, /proc no longer has it.
  const pid = child.pid ?? 0;
  const sampler = setInterval(() => processCpuSeconds(pid), 500);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done = new Promise<{ status: number | null; stats: SippStats; output: string }>((resolve) => {
    child.once('exit', (status) => {
      running.delete(child);
      clearInterval(sampler);
      const stats = readStats(dir);
      rmSync(dir, { recursive: true, force: true });
      resolve({ status, stats, output });
    });
  });
  return {
    pid,
    done,
    stats: () => readStats(dir),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const exited = await Promise.race([done.then(() => true), sleep(3000).then(() => false)]);
      if (!exited) child.kill('SIGKILL');
      await done;
    },
  };
}

/** A SIPp duration counter ("HH:MM:SS:mmmmmm" or "HH:MM:SS") in ms. */
export function sippDurationMs(value: string | undefined): number {
  if (!value) return 0;
  const parts = value.split(':').map(Number);
  const [h = 0, m = 0, s = 0, micros = 0] = parts;
  return ((h * 60 + m) * 60 + s) * 1000 + (parts.length > 3 ? micros / 1000 : 0);
}

export function sippCount(stats: SippStats, name: string): number {
  const value = Number(stats[name]);
  return Number.isFinite(value) ? value : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* RTP probes: what Teller sends, timed where a caller receives it                              */
/* ------------------------------------------------------------------------------------------ */

export interface ProbeReport {
  streams: number;
  received: number;
  expected: number;
  lost: number;
  /** Packets that arrived more than the threshold after the earliest-possible arrival of their timestamp. */
  late: number;
  lostPct: number;
  latePct: number;
  p99DelayMs: number;
}

/**
 * The probe process: one UDP socket per probe caller. A packet's place in time is its RTP
 * timestamp (8 kHz): its delay is its arrival minus the arrival its timestamp would have at the
 * stream's best observed offset, and the frames its timestamps skip over are lost — a sender that
 * skips ticks advances the timestamp (RFC 3550 §5.1) but not the sequence number, so sequence
 * numbers alone would read a skip as a growing delay. Plain JavaScript run with `node -e`, so
 * that its event loop is nobody else's: in the bench's own process the delays of Teller's main
 * thread would be measured as late packets.
 */
const probeProcess = `
const dgram = require('node:dgram');
const SAMPLES_PER_MS = 8;
const FRAME = 160;
let streams = [];
let measuring = false;
const reset = (s) => Object.assign(s, { firstTs: -1, maxSpan: 0, received: 0, base: Infinity, offsets: [] });
process.on('message', async (m) => {
  if (m.cmd === 'open') {
    streams = await Promise.all(Array.from({ length: m.count }, () => new Promise((resolve) => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 256 * 1024 });
      const s = reset({ socket });
      socket.on('message', (msg) => {
        // RTP version 2, and audio (telephone-event packets repeat their event's start time).
        if (!measuring || msg.length < 12 || msg[0] >> 6 !== 2 || (msg[1] & 0x7f) > 34) return;
        const ts = msg.readUInt32BE(4);
        const now = performance.now();
        if (s.firstTs < 0) s.firstTs = ts;
        const span = (ts - s.firstTs) >>> 0;
        if (span > 0x7fffffff) return; // before the first one seen: reordered across the start
        if (span > s.maxSpan) s.maxSpan = span;
        s.received++;
        const offset = now - span / SAMPLES_PER_MS;
        if (offset < s.base) s.base = offset;
        s.offsets.push(offset);
      });
      socket.bind(0, '127.0.0.1', () => resolve(s));
    })));
    process.send({ ports: streams.map((s) => s.socket.address().port) });
  } else if (m.cmd === 'start') {
    for (const s of streams) reset(s);
    measuring = true;
    process.send({ started: true });
  } else if (m.cmd === 'stop') {
    measuring = false;
    let received = 0, expected = 0, late = 0, count = 0;
    const delays = [];
    for (const s of streams) {
      if (s.firstTs < 0) continue;
      count++;
      received += s.received;
      expected += Math.floor(s.maxSpan / FRAME) + 1;
      for (const offset of s.offsets) {
        const delay = offset - s.base;
        delays.push(delay);
        if (delay > m.lateMs) late++;
      }
    }
    delays.sort((a, b) => a - b);
    process.send({ report: { streams: count, received, expected, late, p99: delays[Math.floor(delays.length * 0.99)] ?? 0 } });
  } else {
    for (const s of streams) s.socket.close();
    process.exit(0);
  }
});
`;

/**
 * Sockets in a child process that stand in for the RTP ports of a few callers whose SDP names
 * them: Teller, with nothing received to latch onto, sends there, and the child times arrivals.
 */
export class RtpProbes {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: number[],
  ) {}

  private static next<T>(child: ChildProcess): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`RTP probe process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
    });
  }

  static async open(count: number): Promise<RtpProbes> {
    const child = spawn(process.execPath, ['-e', probeProcess], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    // Its clock is the measurement: on a loaded machine it should not wait for a core behind others.
    try {
      if (child.pid) os.setPriority(child.pid, -10);
    } catch (error) {
      progress(`RTP probes run at normal priority (${(error as Error).message})`);
    }
    const reply = RtpProbes.next<{ ports: number[] }>(child);
    child.send({ cmd: 'open', count });
    return new RtpProbes(child, (await reply).ports);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async start(): Promise<void> {
    const reply = RtpProbes.next(this.child);
    this.child.send({ cmd: 'start' });
    await reply;
  }

  async stop(lateMs: number): Promise<ProbeReport> {
    const reply = RtpProbes.next<{
      report: { streams: number; received: number; expected: number; late: number; p99: number };
    }>(this.child);
    this.child.send({ cmd: 'stop', lateMs });
    const { report } = await reply;
    const lost = Math.max(0, report.expected - report.received);
    return {
      streams: report.streams,
      received: report.received,
      expected: report.expected,
      lost,
      late: report.late,
      lostPct: pct(lost, report.expected),
      latePct: pct(report.late, report.received),
      p99DelayMs: round(report.p99),
    };
  }

  close(): void {
    if (this.child.exitCode === null) this.child.send({ cmd: 'close' });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* CPU profile of the media workers                                                             */
/* ------------------------------------------------------------------------------------------ */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

export interface ProfileSummary {
  samples: number;
  /** Share of the samples that were not idle. */
  busyPct: number;
  /** The functions with the most self time, as a share of the busy samples. */
  hottest: { function: string; pctOfBusy: number }[];
}

/**
 * V8 CPU profiles summarised: how busy the thread was and where its busy time went by function
 * (self time). Line numbers are left out: under tsx they are those of the transformed code.
 */
function summariseProfiles(profiles: { nodes: ProfileNode[] }[], top: number): ProfileSummary {
  const totals = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const profile of profiles) {
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      all += hits;
      const { functionName, url } = node.callFrame;
      if (functionName === '(idle)') {
        idle += hits;
        continue;
      }
      const file = url ? ` (${path.basename(url.replace(/\?.*$/, ''))})` : '';
      const key = `${functionName || '(anonymous)'}${file}`;
      totals.set(key, (totals.get(key) ?? 0) + hits);
    }
  }
  const busy = all - idle;
  return {
    samples: all,
    busyPct: pct(busy, all),
    hottest: [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, hits]) => ({ function: fn, pctOfBusy: round((100 * hits) / Math.max(busy, 1), 1) })),
  };
}

/** The V8 sampling profiler on this process's main thread (where SIP, the call layer and the store run). */
export class MainThreadProfiler {
  private readonly session = new Session();

  constructor() {
    this.session.connect();
  }

  private post<T>(method: string, params: object = {}): Promise<T> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  }

  async start(samplingIntervalUs = 1000): Promise<void> {
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await this.post('Profiler.start');
  }

  async stop(top = 15): Promise<ProfileSummary> {
    const { profile } = await this.post<{ profile: { nodes: ProfileNode[] } }>('Profiler.stop');
    await this.post('Profiler.disable');
    return summariseProfiles([profile], top);
  }

  close(): void {
    this.session.disconnect();
  }
}

interface WorkerTarget {
  sessionId: string;
  title: string;
}

/**
 * Profiles worker threads of this process through the inspector's NodeWorker domain: the main
 * thread's session attaches to each worker whose title matches, and runs the V8 sampling
 * profiler in it. The media engine needs no flag and no restart for this.
 */
export class WorkerProfiler {
  private readonly session = new Session();
  private readonly targets: WorkerTarget[] = [];
  private readonly pending = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  private nextId = 1;

  private constructor(private readonly titleIncludes: string) {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m) => {
      const params = m.params as { sessionId: string; workerInfo: { title: string } };
      if (params.workerInfo.title.includes(this.titleIncludes))
        this.targets.push({ sessionId: params.sessionId, title: params.workerInfo.title });
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const params = m.params as { message: string };
      const message = JSON.parse(params.message) as { id?: number; result?: unknown; error?: unknown };
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  static async attach(titleIncludes: string): Promise<WorkerProfiler> {
    const profiler = new WorkerProfiler(titleIncludes);
    await new Promise<void>((resolve, reject) =>
      profiler.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    // attachedToWorker arrives for each running worker shortly after enable.
    for (let i = 0; i < 50 && profiler.targets.length === 0; i++) await sleep(20);
    return profiler;
  }

  get workers(): string[] {
    return this.targets.map((t) => t.title);
  }

  private send<T>(target: WorkerTarget, method: string, params: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (message) =>
        message.error
          ? reject(new Error(`${method}: ${JSON.stringify(message.error)}`))
          : resolve(message.result as T),
      );
      this.session.post('NodeWorker.sendMessageToWorker', {
        sessionId: target.sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  async start(samplingIntervalUs = 1000): Promise<void> {
    for (const t of this.targets) {
      await this.send(t, 'Profiler.enable');
      await this.send(t, 'Profiler.setSamplingInterval', { interval: samplingIntervalUs });
      await this.send(t, 'Profiler.start');
    }
  }

  /** Stops profiling; the workers' samples summarised together (see summariseProfiles). */
  async stop(top = 20): Promise<ProfileSummary> {
    const profiles = [];
    for (const t of this.targets) {
      profiles.push((await this.send<{ profile: { nodes: ProfileNode[] } }>(t, 'Profiler.stop')).profile);
    }
    return summariseProfiles(profiles, top);
  }

  close(): void {
    this.session.disconnect();
  }
}
