/**
 * Media benchmark: N concurrent 20 ms G.711 streams through the media engine on loopback, each
 * playing a looping prompt to its peer and receiving the peer's audio, at 100, 300, 600 and
 * 1,200 streams. The peers are a generator in a separate process (one UDP socket per stream,
 * paced by its own tick). Measured per level: packets per second per core of the engine, CPU
 * of the engine and of the generator, memory, and the share of packets lost or later than
 * 40 ms as the generator receives them (plus the engine's own loss, late and concealment
 * counters). The baseline, in the same run, is a plain UDP echo loop in this process serving
 * the same generator: the ratio of CPU per packet is the figure to compare across machines.
 *
 *   npm run bench -- media [--levels 100,300,600,1200] [--duration 10] [--baseline-duration 5]
 *                          [--workers 2] [--mode playback|bridge] [--profile] [--nice -10]
 *
 * `--mode bridge` pairs the streams into two-leg calls, each bridged and recorded in stereo
 * (N streams = N/2 calls), instead of playing a prompt on each stream.
 *
 * With --profile the workers write V8 CPU profiles at the highest level, summarised as the
 * functions with the most self time, as a share of the samples in which the worker was busy
 * (not idle in the event loop).
 *
 * `--nice` (default −10, as for sip-load, ADR 007): the priority of this process, its session's
 * autogroup and so of the workers and the generator it starts; the cores are shared with other
 * developers' builds, which otherwise starve the generator and the figures measure that.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { type EndpointInfo, encodeG711, encodeWav, MediaEngine, ToneGenerator } from '../src/media/index';
import { raisePriority } from './sip-load-tools';

const ROLE_ENV = 'TELLER_MEDIA_BENCH_ROLE';
const FRAME_MS = 20;
const LATE_MS = 40;

/* ------------------------------------------------------------------------------------------ */
/* Generator (child process): one socket per stream, sends 20 ms PCMU, measures what comes back */
/* ------------------------------------------------------------------------------------------ */

interface StreamState {
  socket: dgram.Socket;
  target: number;
  seq: number;
  ts: number;
  /** RTP timestamp of the first packet received, −1 before; a packet's place in time is its timestamp. */
  firstTs: number;
  /** The furthest timestamp received, in samples after the first. */
  maxSpan: number;
  received: number;
  late: number;
  /** The smallest (arrival − timestamp) seen: the stream's on-time reference. */
  base: number;
}

type GeneratorRequest =
  | { cmd: 'open'; count: number }
  | { cmd: 'run'; targets: number[]; durationMs: number; warmupMs: number }
  | { cmd: 'close' };

interface GeneratorReport {
  sent: number;
  received: number;
  expected: number;
  lost: number;
  late: number;
  cpuSeconds: number;
  seconds: number;
}

async function generatorMain(): Promise<void> {
  let streams: StreamState[] = [];
  const payload = encodeG711('pcmu', new ToneGenerator({ frequencies: [350], levelDbm0: -20 }).generate(160));
  let measuring = false;
  let sent = 0;

  const reply = (message: unknown) => process.send?.(message);

  process.on('message', async (request: GeneratorRequest) => {
    if (request.cmd === 'open') {
      streams = await Promise.all(
        Array.from(
          { length: request.count },
          () =>
            new Promise<StreamState>((resolve) => {
              const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 64 * 1024 });
              const s: StreamState = {
                socket,
                target: 0,
                seq: Math.floor(Math.random() * 65536),
                ts: 0,
                firstTs: -1,
                maxSpan: 0,
                received: 0,
                late: 0,
                base: Number.POSITIVE_INFINITY,
              };
              socket.on('message', (msg) => {
                if (!measuring || msg.length < 12) return;
                const now = performance.now();
                // Timestamps, not sequence numbers: the engine skips ticks when it falls behind,
                // advancing the timestamp (RFC 3550 §5.1) without using sequence numbers, so a
                // skip is a lost frame here, not a delay that grows for the rest of the run.
                const ts = msg.readUInt32BE(4);
                if (s.firstTs < 0) s.firstTs = ts;
                const span = (ts - s.firstTs) >>> 0;
                if (span > 0x7fffffff) return; // older than the first packet seen
                if (span > s.maxSpan) s.maxSpan = span;
                s.received++;
                const offset = now - span / 8;
                if (offset < s.base) s.base = offset;
                if (offset - s.base > LATE_MS) s.late++;
              });
              socket.bind(0, '127.0.0.1', () => resolve(s));
            }),
        ),
      );
      reply({ ports: streams.map((s) => s.socket.address().port) });
      return;
    }
    if (request.cmd === 'run') {
      // Each socket is connected to its target: the generator's own sends stay cheap (no per-packet lookup).
      await Promise.all(
        request.targets.map(
          (port, i) =>
            new Promise<void>((resolve) => {
              const s = streams[i]!;
              s.target = port;
              s.socket.connect(port, '127.0.0.1', () => resolve()); // a generator runs once
            }),
        ),
      );
      // Real phones are not in step: the streams are spread over the 20 ms in four groups.
      const groups = 4;
      const start = performance.now();
      let tick = 0;
      const cpuStart = process.cpuUsage();
      let measureStart = start;
      const packet = Buffer.alloc(12 + payload.length);
      packet[0] = 0x80; // V=2
      packet[1] = 0; // PCMU
      packet.set(payload, 12);
      await new Promise<void>((resolve) => {
        const sendGroup = (group: number) => {
          for (let i = group; i < streams.length; i += groups) {
            const s = streams[i]!;
            const out = Buffer.allocUnsafe(packet.length);
            packet.copy(out);
            out.writeUInt16BE(s.seq, 2);
            out.writeUInt32BE(s.ts >>> 0, 4);
            out.writeUInt32BE(0x10000 + i, 8);
            s.socket.send(out);
            s.seq = (s.seq + 1) & 0xffff;
            s.ts = (s.ts + 160) >>> 0;
            if (measuring) sent++;
          }
        };
        const step = () => {
          const now = performance.now();
          if (!measuring && now - start >= request.warmupMs) {
            measuring = true;
            measureStart = now;
          }
          // Every group whose time has come is sent, however late the timer fired: a busy event
          // loop (receiving thousands of packets) must not slow the offered load down.
          while (start + (tick * FRAME_MS) / groups <= now) {
            sendGroup(tick % groups);
            tick++;
          }
          if (now - start >= request.warmupMs + request.durationMs) return resolve();
          const due = start + (tick * FRAME_MS) / groups;
          setTimeout(step, Math.max(0, due - performance.now()));
        };
        step();
      });
      measuring = false;
      const seconds = (performance.now() - measureStart) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      let received = 0;
      let expected = 0;
      let late = 0;
      for (const s of streams) {
        received += s.received;
        late += s.late;
        if (s.firstTs >= 0) expected += Math.floor(s.maxSpan / 160) + 1;
      }
      const report: GeneratorReport = {
        sent,
        received,
        expected,
        lost: Math.max(0, expected - received),
        late,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        seconds,
      };
      reply({ report });
      return;
    }
    for (const s of streams) s.socket.close();
    reply({ closed: true });
    process.exit(0);
  });
  reply({ ready: true });
}

/* ---------------------------------------------------------------------------------------- */
/* Driver (the bench process)                                                                */
/* ---------------------------------------------------------------------------------------- */

class Generator {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Generator> {
    const root = path.resolve(import.meta.dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'media.ts')], {
      cwd: root,
      env: { ...process.env, [ROLE_ENV]: 'generator' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const generator = new Generator(child);
    await generator.next();
    return generator;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`generator exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        resolve(m as T);
      });
    });
  }

  async open(count: number): Promise<number[]> {
    this.child.send({ cmd: 'open', count } satisfies GeneratorRequest);
    return (await this.next<{ ports: number[] }>()).ports;
  }

  async run(targets: number[], durationMs: number, warmupMs: number): Promise<GeneratorReport> {
    this.child.send({ cmd: 'run', targets, durationMs, warmupMs } satisfies GeneratorRequest);
    return (await this.next<{ report: GeneratorReport }>()).report;
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ cmd: 'close' } satisfies GeneratorRequest);
    await exited;
  }
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const pct = (part: number, whole: number) => (whole === 0 ? 0 : round((100 * part) / whole, 3));

/** A plain UDP echo server: one socket per stream, every datagram sent straight back. */
async function echoServer(
  count: number,
): Promise<{ ports: number[]; close: () => void; packets: () => number }> {
  let packets = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<dgram.Socket>((resolve) => {
          const socket = dgram.createSocket('udp4');
          socket.on('message', (msg, rinfo) => {
            packets += 2;
            socket.send(msg, rinfo.port, rinfo.address);
          });
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  return {
    ports: sockets.map((s) => s.address().port),
    close: () => {
      for (const s of sockets) s.close();
    },
    packets: () => packets,
  };
}

/** CPU seconds (user+system) a process has used, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks of 1/100 s (USER_HZ)
}

function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The functions with the most self time across the V8 CPU profiles in `dir`, as a share of busy samples. */
function summariseProfiles(dir: string, top = 15): { function: string; selfPct: number }[] {
  const totals = new Map<string, number>();
  let all = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      totals.set(key, (totals.get(key) ?? 0) + hits);
      all += hits;
    }
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, hits]) => ({ function: fn, selfPct: pct(hits, all) }));
}

async function runLevel(
  streams: number,
  options: {
    durationMs: number;
    baselineMs: number;
    workers: number;
    prompt: string;
    mode: 'playback' | 'bridge';
    profileDir?: string;
  },
): Promise<unknown> {
  const warmupMs = 1000;
  process.stderr.write(`media bench: ${streams} streams\n`);

  // Baseline: the same generator against a plain UDP echo loop.
  const baseGen = await Generator.start();
  const baseTargets = await baseGen.open(streams);
  const echo = await echoServer(streams);
  void baseTargets; // the echo sockets answer whoever sends; the generator's own ports are not needed here
  const baseCpu0 = processCpuSeconds();
  const baseGenCpu0 = cpuSecondsOf(baseGen.pid);
  const basePackets0 = echo.packets();
  const baseWall0 = performance.now();
  const baseReport = await baseGen.run(echo.ports, options.baselineMs, warmupMs);
  const baseSeconds = (performance.now() - baseWall0) / 1000;
  const baseCpu = processCpuSeconds() - baseCpu0;
  const basePackets = echo.packets() - basePackets0;
  const baseGenCpu = cpuSecondsOf(baseGen.pid) - baseGenCpu0;
  echo.close();
  await baseGen.close();

  // The engine.
  const engine = await MediaEngine.start({
    workers: options.workers,
    bindAddress: '127.0.0.1',
    ...(options.profileDir ? { workerExecArgv: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] } : {}),
  });
  const generator = await Generator.start();
  const peerPorts = await generator.open(streams);
  const cleanups: (() => void)[] = [];
  const endpoints: EndpointInfo[] = [];
  const settings = (port: number) => ({
    remote: { address: '127.0.0.1', port },
    codec: 'pcmu' as const,
    telephoneEventPt: 101,
  });
  if (options.mode === 'playback') {
    for (let i = 0; i < streams; i += 50) {
      const batch = peerPorts.slice(i, i + 50);
      endpoints.push(...(await Promise.all(batch.map((port) => engine.createEndpoint(settings(port))))));
    }
    await Promise.all(endpoints.map((e) => engine.play(e.id, { file: options.prompt }, { loop: true })));
  } else {
    // Two-leg calls: customer leg and agent leg on one worker, bridged, recorded in stereo.
    const recordings = mkdtempSync(path.join(tmpdir(), 'teller-media-bench-rec-'));
    for (let i = 0; i + 1 < streams; i += 50) {
      const pairs = [];
      for (let k = i; k + 1 < Math.min(i + 50, streams); k += 2)
        pairs.push([peerPorts[k]!, peerPorts[k + 1]!] as const);
      const legs = await Promise.all(
        pairs.map(async ([p1, p2]) => {
          const a = await engine.createEndpoint(settings(p1));
          const b = await engine.createEndpoint({ ...settings(p2), near: a.id });
          await engine.bridge(a.id, b.id, { record: { path: path.join(recordings, `${a.id}.wav`) } });
          return [a, b];
        }),
      );
      endpoints.push(...legs.flat());
    }
    cleanups.push(() => rmSync(recordings, { recursive: true, force: true }));
  }
  await engine.workerStats(); // resets the utilisation window
  const cpu0 = processCpuSeconds();
  const genCpu0 = cpuSecondsOf(generator.pid);
  const stats0 = await Promise.all(endpoints.map((e) => engine.stats(e.id)));
  const wall0 = performance.now();
  const report = await generator.run(
    endpoints.map((e) => e.port),
    options.durationMs,
    warmupMs,
  );
  const wall = (performance.now() - wall0) / 1000;
  const cpu = processCpuSeconds() - cpu0;
  const genCpu = cpuSecondsOf(generator.pid) - genCpu0;
  const workers = await engine.workerStats();
  const stats = await Promise.all(endpoints.map((e) => engine.stats(e.id)));
  const memory = process.memoryUsage();
  const sum = (pick: (s: (typeof stats)[number]) => number) =>
    stats.reduce((n, s, i) => n + pick(s) - pick(stats0[i]!), 0);
  const packetsIn = sum((s) => s.packetsIn);
  const packetsOut = sum((s) => s.packetsOut);
  await generator.close();
  for (let i = 0; i < endpoints.length; i += 100) {
    await Promise.all(endpoints.slice(i, i + 100).map((e) => engine.closeEndpoint(e.id)));
  }
  await engine.close();
  for (const cleanup of cleanups) cleanup();

  const enginePps = (packetsIn + packetsOut) / wall;
  const engineCores = cpu / wall;
  const basePps = basePackets / baseSeconds;
  const baseCores = baseCpu / baseSeconds;
  const engineCpuPerPacketUs = (cpu / (packetsIn + packetsOut)) * 1e6;
  const baseCpuPerPacketUs = basePackets === 0 ? 0 : (baseCpu / basePackets) * 1e6;
  return {
    streams,
    mode: options.mode,
    seconds: round(wall, 1),
    engine: {
      packetsPerSecond: Math.round(enginePps),
      cpuCores: round(engineCores),
      packetsPerSecondPerCore: Math.round(enginePps / Math.max(engineCores, 0.01)),
      cpuPerPacketUs: round(engineCpuPerPacketUs),
      rssMiB: round(memory.rss / 2 ** 20, 1),
      heapUsedMiB: round(memory.heapUsed / 2 ** 20, 1),
      received: {
        packets: packetsIn,
        lostPct: pct(
          sum((s) => s.lost),
          packetsIn,
        ),
        latePct: pct(
          sum((s) => s.late),
          packetsIn,
        ),
        concealedPct: pct(
          sum((s) => s.concealed),
          packetsIn,
        ),
        maxJitterMs: round(Math.max(...stats.map((s) => s.jitterMs))),
      },
      workers: workers.map((w) => ({
        endpoints: w.endpoints,
        utilization: w.utilization,
        meanTickWorkMs: w.meanTickWorkMs,
        maxTickLateMs: w.maxTickLateMs,
        skippedTicks: w.skippedTicks,
      })),
    },
    atGenerator: {
      sent: report.sent,
      received: report.received,
      lostPct: pct(report.lost, report.expected),
      latePct: pct(report.late, report.received),
      cpuCores: round(genCpu / wall),
    },
    baseline: {
      what: 'plain UDP echo, one socket per stream, same generator',
      packetsPerSecond: Math.round(basePps),
      cpuCores: round(baseCores),
      cpuPerPacketUs: round(baseCpuPerPacketUs),
      lostPct: pct(baseReport.lost, baseReport.expected),
      latePct: pct(baseReport.late, baseReport.received),
      generatorCpuCores: round(baseGenCpu / baseSeconds),
    },
    /** Engine CPU per packet over the echo loop's: what decoding, jitter buffering, mixing and pacing cost on top of UDP. */
    cpuPerPacketRatio: baseCpuPerPacketUs === 0 ? null : round(engineCpuPerPacketUs / baseCpuPerPacketUs),
  };
}

export default async function bench(args: string[]): Promise<unknown> {
  const levels = option(args, 'levels', '100,300,600,1200').split(',').map(Number);
  const durationMs = Number(option(args, 'duration', '10')) * 1000;
  const baselineMs = Number(option(args, 'baseline-duration', '5')) * 1000;
  const workers = Number(option(args, 'workers', String(os.availableParallelism())));
  const profile = args.includes('--profile');
  const mode = option(args, 'mode', 'playback') === 'bridge' ? 'bridge' : 'playback';
  const nice = raisePriority(Number(option(args, 'nice', '-10')));
  const dir = mkdtempSync(path.join(tmpdir(), 'teller-media-bench-'));
  const prompt = path.join(dir, 'prompt.wav');
  writeFileSync(
    prompt,
    encodeWav({
      sampleRate: 8000,
      channels: 1,
      samples: new ToneGenerator({ frequencies: [440, 480] }).generate(16000),
    }),
  );
  const results = [];
  try {
    for (const [i, streams] of levels.entries()) {
      const profileDir =
        profile && i === levels.length - 1 ? mkdtempSync(path.join(dir, 'prof-')) : undefined;
      results.push(
        await runLevel(streams, {
          durationMs,
          baselineMs,
          workers,
          prompt,
          mode,
          ...(profileDir ? { profileDir } : {}),
        }),
      );
      if (profileDir) results.push({ profile: { streams, hottest: summariseProfiles(profileDir) } });
    }
  } finally {
    // The prompt and the raw profiles (summarised above) are not kept.
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    cores: os.availableParallelism(),
    workers,
    mode,
    nice,
    durationSeconds: durationMs / 1000,
    lateThresholdMs: LATE_MS,
    note: 'generator and engine share the cores; loss and late are measured at the generator (engine→peer) and by the engine (peer→engine)',
    levels: results,
  };
}

if (process.env[ROLE_ENV] === 'generator') await generatorMain();
