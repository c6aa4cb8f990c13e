import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getSystemErrorName } from 'node:util';
import { isDtmfDigit } from './dtmf-event';
import { FRAME_SAMPLES, RtpEndpoint } from './endpoint';
import { MediaError } from './errors';
import { type MixMember, mixFrames } from './mix';
import { chooseMediaIo, loadRtpIo, type MediaIo, NativeRtpIo } from './native-io';
import { Player, PromptCache, prepareItems } from './player';
import type {
  EndpointId,
  MediaEvents,
  MixId,
  MixMemberSpec,
  RecordingId,
  RecordingInfo,
  WorkerMethod,
  WorkerMethods,
  WorkerOptions,
  WorkerScheduling,
  WorkerStats,
} from './protocol';
import { Recorder } from './recorder';
import { Ticker, type TickInfo } from './ticker';

/**
 * CPU time of the calling thread in ms, from Linux's /proc/thread-self/schedstat (nanoseconds on
 * the CPU, first field); null elsewhere. Node 20 has no per-thread CPU clock (process.cpuUsage()
 * counts every thread of the process), and a read of a proc file is cheap next to a stats request.
 */
function threadCpuMs(): number | null {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : null;
  } catch {
    return null;
  }
}

/**
 * A realtime worker that uses more than `overloadShare` of a core in each of `overloadSeconds`
 * seconds in a row goes back to normal scheduling: it is overloaded, and on SCHED_RR it would
 * starve the SIP signalling (ADR 017). One busy second is not enough: catching up after a long
 * garbage collection legitimately takes a core for a while. It returns to realtime after
 * `calmSeconds` seconds in a row under `calmShare` (a burst of call set-ups is over).
 */
const overloadShare = 0.9;
const overloadSeconds = 3;
const calmShare = 0.7;
const calmSeconds = 5;

/**
 * The calling thread's scheduling as the kernel has it (/proc/thread-self/stat, field 41: policy
 * 1 = SCHED_FIFO, 2 = SCHED_RR), or null where that file cannot be read.
 */
function threadScheduling(): WorkerScheduling | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // fields after the command name (which may hold spaces) start with field 3
    const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
    return policy === 1 || policy === 2 ? 'realtime' : 'normal';
  } catch {
    return null;
  }
}

type Emit = <K extends keyof MediaEvents>(event: K, data: MediaEvents[K]) => void;

class Mix {
  members: (MixMember & { endpoint: RtpEndpoint })[] = [];
  private readonly scratch = new Int32Array(FRAME_SAMPLES);
  private inputs: (Int16Array | null)[] = [];
  private outputs: Int16Array[] = [];
  private readonly heard: boolean[] = [];

  constructor(readonly id: MixId) {}

  rebuild(): void {
    this.inputs = this.members.map(() => null);
    this.outputs = this.members.map((m) => m.endpoint.outbound);
  }

  run(): void {
    const n = this.members.length;
    for (let i = 0; i < n; i++) this.inputs[i] = this.members[i]!.endpoint.inbound;
    const heard = mixFrames(this.members, this.inputs, this.outputs, this.scratch, this.heard);
    for (let i = 0; i < n; i++) this.members[i]!.endpoint.outboundSet = heard[i]!;
  }
}

interface Recording {
  id: RecordingId;
  endpoint: RtpEndpoint;
  recorder: Recorder;
}

/**
 * Everything one media worker holds — endpoints, players, mixes, recordings — and its one tick.
 * The worker thread's entry (`worker.ts`) only moves messages; this class can also run in the
 * main thread, which is how its logic is unit-tested without threads.
 *
 * Tick order: every endpoint pulls its received frame; every mix writes its members' outgoing
 * frames; every endpoint adds its player's frame, sends, and feeds its recorder.
 *
 * With the native RTP I/O (ADR 016; the default when the addon is built, unless `mediaIo` or
 * TELLER_MEDIA_IO says `dgram`) the tick starts by reading every datagram that arrived since the last one (one call)
 * and ends by sending every packet it made (one call); with dgram, packets arrive between ticks
 * as socket events and each send is its own call.
 */
export class MediaWorker {
  private readonly endpoints = new Map<EndpointId, RtpEndpoint>();
  private readonly mixes = new Map<MixId, Mix>();
  private readonly recordings = new Map<RecordingId, Recording>();
  private readonly recordingOf = new Map<EndpointId, Recording>();
  private readonly cache = new PromptCache();
  private readonly ticker: Ticker;
  private readonly playerFrame = new Int16Array(FRAME_SAMPLES);
  private lastElu = performance.eventLoopUtilization();
  private recorderPhase = 0;
  private readonly io: NativeRtpIo | undefined;
  private schedulingNow: WorkerScheduling = 'normal';
  /** The SCHED_RR priority the worker was granted at its start; 0 when none was asked or granted. */
  private realtimePriority = 0;
  /** Why the realtime priority asked for was not granted. */
  readonly schedulingError: string | undefined;
  private overloadWindow = { startedAt: performance.now(), cpuMs: threadCpuMs() ?? 0, busy: 0, calm: 0 };
  /** `debug.load`: CPU each tick burns on purpose, ms (tests of the overload guard). */
  private debugTickLoadMs = 0;

  constructor(
    readonly index: number,
    private readonly emit: Emit,
    private readonly options: Omit<WorkerOptions, 'index'> = {},
  ) {
    const addon =
      chooseMediaIo(options.mediaIo ?? process.env.TELLER_MEDIA_IO) === 'native' ? loadRtpIo() : null;
    if (addon) this.io = new NativeRtpIo(addon);
    this.schedulingError = this.schedule(options.realtimePriority ?? 0);
    this.ticker = new Ticker(options.tickMs ?? 20, (tick) => this.tick(tick));
    this.ticker.start(options.tickPhaseMs);
  }

  /** The thread's scheduling: realtime at `priority` when it is above 0 and allowed. Returns why not. */
  private schedule(priority: number): string | undefined {
    if (priority <= 0) return undefined;
    if (!this.io) return 'realtime scheduling needs the native RTP I/O addon (npm run build:native)';
    const errno = this.io.schedule(priority);
    if (errno !== 0) return `SCHED_RR priority ${priority} refused: ${getSystemErrorName(-errno)}`;
    this.schedulingNow = 'realtime';
    this.realtimePriority = priority;
    return undefined;
  }

  get scheduling(): WorkerScheduling {
    return this.schedulingNow;
  }

  /**
   * Once a second on a worker granted realtime scheduling: back to normal after `overloadSeconds`
   * busy seconds in a row, realtime again after `calmSeconds` calm ones. Busy is the thread's own
   * CPU time as the kernel counts it (what it kept from the rest of the host), not how long its
   * ticks took on the wall clock.
   */
  private watchOverload(): void {
    const now = performance.now();
    const window = this.overloadWindow;
    if (now - window.startedAt < 1000) return;
    const cpuMs = threadCpuMs();
    if (cpuMs === null || !this.io) return;
    const share = (cpuMs - window.cpuMs) / (now - window.startedAt);
    const busy = share > overloadShare ? window.busy + 1 : 0;
    const calm = share < calmShare ? window.calm + 1 : 0;
    this.overloadWindow = { startedAt: now, cpuMs, busy, calm };
    const percent = Math.round(share * 100);
    if (this.schedulingNow === 'realtime' && busy >= overloadSeconds) {
      this.io.schedule(0);
      this.schedulingNow = 'normal';
      this.emit('scheduling', {
        worker: this.index,
        scheduling: 'normal',
        reason: `the worker used over ${overloadShare * 100} % of a core in each of the last ${overloadSeconds} seconds (${percent} % in the last)`,
      });
    } else if (
      this.schedulingNow === 'normal' &&
      calm >= calmSeconds &&
      this.io.schedule(this.realtimePriority) === 0
    ) {
      this.schedulingNow = 'realtime';
      this.emit('scheduling', {
        worker: this.index,
        scheduling: 'realtime',
        reason: `the worker used under ${calmShare * 100} % of a core in each of the last ${calmSeconds} seconds (${percent} % in the last)`,
      });
    }
  }

  private endpoint(id: EndpointId): RtpEndpoint {
    const ep = this.endpoints.get(id);
    if (!ep) throw new MediaError('MEDIA_NOT_FOUND', `no endpoint ${id} on media worker ${this.index}`);
    return ep;
  }

  /** Which RTP I/O this worker's endpoints use. */
  get mediaIo(): MediaIo {
    return this.io ? 'native' : 'dgram';
  }

  private tick(tick: TickInfo): void {
    try {
      this.io?.receive();
      this.runTick(tick);
      if (this.debugTickLoadMs > 0) {
        const until = performance.now() + this.debugTickLoadMs;
        while (performance.now() < until);
      }
    } finally {
      // Even when a listener threw mid-tick, what was queued goes out (and the queue is emptied).
      this.io?.flush();
    }
    if (this.realtimePriority > 0) this.watchOverload();
  }

  private runTick(tick: TickInfo): void {
    const now = Date.now();
    for (const ep of this.endpoints.values()) ep.pull(now);
    for (const mix of this.mixes.values()) mix.run();
    for (const ep of this.endpoints.values()) {
      if (ep.echo && ep.inbound) {
        ep.outbound.set(ep.inbound);
        ep.outboundSet = true;
      }
      const playing = ep.player;
      if (playing) {
        const going = playing.player.fill(this.playerFrame);
        if (ep.outboundSet) {
          const out = ep.outbound;
          for (let i = 0; i < FRAME_SAMPLES; i++) {
            out[i] = Math.min(32767, Math.max(-32768, out[i]! + this.playerFrame[i]!));
          }
        } else {
          ep.outbound.set(this.playerFrame);
          ep.outboundSet = true;
        }
        if (!going) {
          ep.player = undefined;
          this.emit('playback-finished', { endpointId: ep.id, playbackId: playing.id, reason: 'completed' });
        }
      }
      ep.push(tick.skipped);
      if (this.recordingOf.size > 0) {
        const rec = this.recordingOf.get(ep.id);
        if (rec) this.writeRecording(rec, ep);
      }
    }
  }

  private writeRecording(rec: Recording, ep: RtpEndpoint): void {
    try {
      rec.recorder.write(ep.inbound, ep.outboundSet ? ep.outbound : null, FRAME_SAMPLES);
    } catch (error) {
      this.dropRecording(rec);
      const info = rec.recorder.stop();
      this.emit('recording-stopped', {
        recordingId: rec.id,
        endpointId: ep.id,
        ...info,
        reason: 'error',
        error: (error as Error).message,
      });
    }
  }

  private dropRecording(rec: Recording): void {
    this.recordings.delete(rec.id);
    this.recordingOf.delete(rec.endpoint.id);
  }

  async handle<M extends WorkerMethod>(
    method: M,
    data: WorkerMethods[M]['params'],
  ): Promise<WorkerMethods[M]['result']> {
    type R = WorkerMethods[M]['result'];
    switch (method) {
      case 'endpoint.create': {
        const p = data as WorkerMethods['endpoint.create']['params'];
        if (this.endpoints.has(p.id)) throw new MediaError('MEDIA_BAD_REQUEST', `endpoint ${p.id} exists`);
        const ep = await RtpEndpoint.open(
          p.id,
          p.port,
          p.bindAddress,
          p.settings,
          this.emit,
          () => Date.now(),
          this.io,
        );
        this.endpoints.set(p.id, ep);
        return ep.ports as R;
      }
      case 'endpoint.detach': {
        const p = data as WorkerMethods['endpoint.detach']['params'];
        const ep = this.endpoint(p.id);
        if (this.recordingOf.has(ep.id)) {
          throw new MediaError('MEDIA_BAD_STATE', `endpoint ${ep.id} is being recorded and cannot move`);
        }
        const snapshot = ep.snapshot();
        ep.detach();
        this.endpoints.delete(p.id);
        return { snapshot } as R;
      }
      case 'endpoint.attach': {
        const p = data as WorkerMethods['endpoint.attach']['params'];
        if (this.endpoints.has(p.id)) throw new MediaError('MEDIA_BAD_REQUEST', `endpoint ${p.id} exists`);
        const ep = await RtpEndpoint.open(
          p.id,
          p.port,
          p.bindAddress,
          p.snapshot.settings,
          this.emit,
          () => Date.now(),
          this.io,
        );
        ep.restore(p.snapshot);
        this.endpoints.set(p.id, ep);
        return ep.ports as R;
      }
      case 'endpoint.update': {
        const p = data as WorkerMethods['endpoint.update']['params'];
        this.endpoint(p.id).update(p.settings);
        return null as R;
      }
      case 'endpoint.stats': {
        const p = data as WorkerMethods['endpoint.stats']['params'];
        return this.endpoint(p.id).getStats() as R;
      }
      case 'endpoint.close': {
        const p = data as WorkerMethods['endpoint.close']['params'];
        return this.closeEndpoint(p.id) as R;
      }
      case 'play': {
        const p = data as WorkerMethods['play']['params'];
        const ep = this.endpoint(p.endpointId);
        const sources = await prepareItems(p.items, this.cache);
        if (!this.endpoints.has(p.endpointId)) {
          throw new MediaError(
            'MEDIA_CLOSED',
            `endpoint ${p.endpointId} closed while its prompts were loading`,
          );
        }
        const previous = ep.player;
        ep.player = { id: p.playbackId, player: new Player(sources, p.loop) };
        if (previous) {
          this.emit('playback-finished', {
            endpointId: ep.id,
            playbackId: previous.id,
            reason: 'replaced',
          });
        }
        return null as R;
      }
      case 'play.stop': {
        const p = data as WorkerMethods['play.stop']['params'];
        const ep = this.endpoint(p.endpointId);
        const previous = ep.player;
        ep.player = undefined;
        if (previous) {
          this.emit('playback-finished', { endpointId: ep.id, playbackId: previous.id, reason: 'stopped' });
        }
        return null as R;
      }
      case 'echo': {
        const p = data as WorkerMethods['echo']['params'];
        this.endpoint(p.endpointId).echo = p.on;
        return null as R;
      }
      case 'record.start': {
        const p = data as WorkerMethods['record.start']['params'];
        const ep = this.endpoint(p.endpointId);
        if (this.recordingOf.has(ep.id)) {
          throw new MediaError('MEDIA_BAD_STATE', `endpoint ${ep.id} is already being recorded`);
        }
        const recorder = new Recorder(p.path, { pauseMode: p.pauseMode, phase: this.recorderPhase++ });
        const rec: Recording = { id: p.recordingId, endpoint: ep, recorder };
        this.recordings.set(rec.id, rec);
        this.recordingOf.set(ep.id, rec);
        return null as R;
      }
      case 'record.pause':
      case 'record.resume': {
        const p = data as WorkerMethods['record.pause']['params'];
        const rec = this.recording(p.recordingId);
        if (method === 'record.pause') rec.recorder.pause();
        else rec.recorder.resume();
        return null as R;
      }
      case 'record.stop': {
        const p = data as WorkerMethods['record.stop']['params'];
        const rec = this.recording(p.recordingId);
        this.dropRecording(rec);
        const info: RecordingInfo = {
          recordingId: rec.id,
          endpointId: rec.endpoint.id,
          ...rec.recorder.stop(),
        };
        return info as R;
      }
      case 'mix.create': {
        const p = data as WorkerMethods['mix.create']['params'];
        if (this.mixes.has(p.mixId)) throw new MediaError('MEDIA_BAD_REQUEST', `mix ${p.mixId} exists`);
        const mix = new Mix(p.mixId);
        this.addMembers(mix, p.members);
        this.mixes.set(mix.id, mix);
        return null as R;
      }
      case 'mix.update': {
        const p = data as WorkerMethods['mix.update']['params'];
        const mix = this.mix(p.mixId);
        for (const id of p.remove ?? []) {
          const member = mix.members.find((m) => m.endpoint.id === id);
          if (!member) throw new MediaError('MEDIA_NOT_FOUND', `endpoint ${id} is not in mix ${mix.id}`);
          member.endpoint.mixId = undefined;
          mix.members = mix.members.filter((m) => m !== member);
        }
        for (const spec of p.set ?? []) {
          const member = mix.members.find((m) => m.endpoint.id === spec.endpointId);
          if (!member)
            throw new MediaError('MEDIA_NOT_FOUND', `endpoint ${spec.endpointId} is not in mix ${mix.id}`);
          member.role = spec.role;
          if (spec.target === undefined) delete member.target;
          else member.target = spec.target;
        }
        this.addMembers(mix, p.add ?? []);
        mix.rebuild();
        return null as R;
      }
      case 'mix.destroy': {
        const p = data as WorkerMethods['mix.destroy']['params'];
        const mix = this.mix(p.mixId);
        for (const m of mix.members) m.endpoint.mixId = undefined;
        this.mixes.delete(mix.id);
        return null as R;
      }
      case 'dtmf.send': {
        const p = data as WorkerMethods['dtmf.send']['params'];
        for (const d of p.digits) {
          if (!isDtmfDigit(d)) throw new MediaError('MEDIA_BAD_REQUEST', `'${d}' is not a DTMF key`);
        }
        await this.endpoint(p.endpointId).sendDtmf(p.digits, p.mode, p.durationMs);
        return null as R;
      }
      case 'worker.stats':
        return this.stats() as R;
      case 'debug.load': {
        if (!this.options.debug)
          throw new MediaError('MEDIA_BAD_REQUEST', 'debug.load needs an engine started with debug');
        this.debugTickLoadMs = (data as WorkerMethods['debug.load']['params']).tickMs;
        return null as R;
      }
      case 'debug.crash':
        if (!this.options.debug)
          throw new MediaError('MEDIA_BAD_REQUEST', 'debug.crash needs an engine started with debug');
        setImmediate(() => {
          throw new Error('media worker crashed on purpose (debug.crash)');
        });
        return null as R;
      default:
        throw new MediaError('MEDIA_BAD_REQUEST', `unknown method ${String(method)}`);
    }
  }

  private recording(id: RecordingId): Recording {
    const rec = this.recordings.get(id);
    if (!rec) throw new MediaError('MEDIA_NOT_FOUND', `no recording ${id} on media worker ${this.index}`);
    return rec;
  }

  private mix(id: MixId): Mix {
    const mix = this.mixes.get(id);
    if (!mix) throw new MediaError('MEDIA_NOT_FOUND', `no mix ${id} on media worker ${this.index}`);
    return mix;
  }

  private addMembers(mix: Mix, specs: readonly MixMemberSpec[]): void {
    const endpoints = specs.map((s) => this.endpoint(s.endpointId));
    for (const ep of endpoints) {
      if (ep.mixId !== undefined) {
        throw new MediaError('MEDIA_BAD_STATE', `endpoint ${ep.id} is already in mix ${ep.mixId}`);
      }
    }
    if (new Set(specs.map((s) => s.endpointId)).size !== specs.length) {
      throw new MediaError('MEDIA_BAD_REQUEST', 'an endpoint is listed twice in the mix');
    }
    specs.forEach((spec, i) => {
      const ep = endpoints[i]!;
      ep.mixId = mix.id;
      const member: MixMember & { endpoint: RtpEndpoint } = { id: ep.id, role: spec.role, endpoint: ep };
      if (spec.target !== undefined) member.target = spec.target;
      mix.members.push(member);
    });
    mix.rebuild();
  }

  private closeEndpoint(id: EndpointId) {
    const ep = this.endpoint(id);
    if (ep.player) {
      this.emit('playback-finished', { endpointId: id, playbackId: ep.player.id, reason: 'closed' });
      ep.player = undefined;
    }
    const rec = this.recordingOf.get(id);
    if (rec) {
      this.dropRecording(rec);
      this.emit('recording-stopped', {
        recordingId: rec.id,
        endpointId: id,
        ...rec.recorder.stop(),
        reason: 'closed',
      });
    }
    if (ep.mixId !== undefined) {
      const mix = this.mixes.get(ep.mixId as MixId);
      if (mix) {
        mix.members = mix.members.filter((m) => m.endpoint !== ep);
        mix.rebuild();
      }
    }
    this.endpoints.delete(id);
    return ep.close();
  }

  stats(): WorkerStats {
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    return {
      index: this.index,
      mediaIo: this.mediaIo,
      scheduling: threadScheduling() ?? this.schedulingNow,
      endpoints: this.endpoints.size,
      mixes: this.mixes.size,
      recordings: this.recordings.size,
      ticks: this.ticker.ticks,
      skippedTicks: this.ticker.skippedTicks,
      lateTicks: this.ticker.lateTicks,
      maxTickLateMs: Math.round(this.ticker.maxLateMs * 100) / 100,
      meanTickWorkMs:
        this.ticker.ticks === 0 ? 0 : Math.round((this.ticker.workMs / this.ticker.ticks) * 1000) / 1000,
      maxTickWorkMs: Math.round(this.ticker.maxWorkMs * 100) / 100,
      utilization: Math.round(elu.utilization * 1000) / 1000,
      cpuMs: threadCpuMs(),
    };
  }

  /** Stops the tick, finishes recordings (so their files are complete) and closes every endpoint. */
  shutdown(): void {
    this.ticker.stop();
    for (const id of [...this.endpoints.keys()]) this.closeEndpoint(id);
    this.io?.closeAll();
  }
}
