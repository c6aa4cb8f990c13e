import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/index';
import { ControlChannel } from './channel';
import { type DtmfDigit, isDtmfDigit } from './dtmf-event';
import { MediaError } from './errors';
import type { MixRole } from './mix';
import type {
  EndpointId,
  EndpointSnapshotData,
  EndpointStats,
  FromWorker,
  MediaEventName,
  MediaEvents,
  MixId,
  MixMemberSpec,
  PlaybackId,
  PlayItem,
  RecordingId,
  RecordingInfo,
  RemoteAddress,
  StreamSettings,
  WorkerOptions,
  WorkerStats,
} from './protocol';

export interface MediaEngineOptions {
  /** Worker threads; default one per core (`os.availableParallelism()`). */
  workers?: number;
  /** RTP port range (even ports for RTP, the next odd one for RTCP); default 20000–29999. */
  portMin?: number;
  portMax?: number;
  /** Address the RTP sockets bind to; default 0.0.0.0. */
  bindAddress?: string;
  /** Tick period in ms; 20 (one G.711 frame) unless a test needs otherwise. */
  tickMs?: number;
  /** Start a replacement when a worker dies (default true). */
  restartWorkers?: boolean;
  logger?: Logger;
  /** Enables `debug.crash` and `debug.load`, for the tests of a dying or overloaded worker. */
  debug?: boolean;
  /**
   * RTP I/O of the workers (ADR 016): `native` = the rtpio addon's batched receive and send, when
   * it is built (else dgram); default TELLER_MEDIA_IO, else `native` when built, else `dgram`.
   */
  mediaIo?: 'dgram' | 'native';
  /**
   * SCHED_RR priority (1–99) for the worker threads, so that a tick runs when it is due rather
   * than after whatever else the host runs; 0 (the default here) for normal scheduling. Needs the
   * native RTP I/O and CAP_SYS_NICE; refused = normal scheduling and a warning (ADR 017).
   */
  realtimePriority?: number;
  /** Extra Node flags for the worker threads, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']` to profile them. */
  workerExecArgv?: string[];
}

export interface CreateEndpointOptions extends StreamSettings {
  /** Put the new endpoint on the same worker as this one (so that they can be bridged or mixed). */
  near?: EndpointId;
}

export interface EndpointInfo {
  id: EndpointId;
  /** The local RTP port to put in the SDP `m=` line. */
  port: number;
  /** The local RTCP port (RTP + 1). */
  rtcpPort: number;
  /** The address the sockets are bound to (the SDP `c=` line needs the host's reachable address when this is 0.0.0.0). */
  bindAddress: string;
  worker: number;
}

export interface PlayOptions {
  /** Start again from the first item after the last (hold music). */
  loop?: boolean;
}

export interface RecordOptions {
  /** Path of the stereo WAV file to write (its directory must exist). */
  path: string;
  /** While paused, write silence (default, keeps the file aligned with the call) or nothing. */
  pauseMode?: 'silence' | 'skip';
}

export interface MixMember {
  endpointId: EndpointId;
  role?: MixRole;
  target?: EndpointId;
}

type Listener<K extends MediaEventName> = (event: MediaEvents[K]) => void;

interface WorkerSlot {
  index: number;
  channel: ControlChannel;
  worker: Worker;
  endpoints: Set<EndpointId>;
}

const require = createRequire(import.meta.url);

/**
 * Starts the worker thread running `worker.ts`. Node 20 cannot load TypeScript in a worker by
 * itself, and `execArgv: ['--import', 'tsx']` does not help: tsx's `--import` entry registers
 * its loader only on the main thread (it checks `isMainThread`), so the worker fails with
 * "Unknown file extension .ts" — under tsx and vitest alike. The worker is therefore started from
 * a two-line bootstrap that calls tsx's `register()` API itself, imported by absolute URL
 * (resolved from this package, not from the process's working directory), then imports the
 * entry. A compiled build (`worker.js` beside this file) is started directly.
 */
function spawnWorker(workerData: WorkerOptions, execArgv: string[] = []): Worker {
  const here = import.meta.url;
  const compiled = here.endsWith('.js');
  const entry = new URL(compiled ? './worker.js' : './worker.ts', here);
  const name = `teller-media-${workerData.index}`;
  if (compiled) return new Worker(entry, { workerData, name, execArgv });
  const tsxApi = pathToFileURL(
    path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  );
  const bootstrap = `import(${JSON.stringify(tsxApi.href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, name, execArgv });
}

type Ready = Extract<FromWorker, { ready: true }>;

function waitReady(worker: Worker): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'ready' in m) {
        cleanup();
        resolve(m as Ready);
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new MediaError('MEDIA_WORKER_DIED', `media worker failed to start: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new MediaError('MEDIA_WORKER_DIED', `media worker exited with code ${code} while starting`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * The media engine as the call layer sees it: endpoints with real RTP ports, prompts, recordings,
 * bridges and mixes, DTMF both ways, counters — each a request to the worker that owns the
 * endpoint. Everything of one call must live on one worker: create the second leg with
 * `near: firstLeg`. Bridging or mixing endpoints on different workers moves the idle ones
 * (same ports, same RTP stream) rather than copying audio between threads every tick.
 */
export class MediaEngine {
  private readonly slots: (WorkerSlot | undefined)[] = [];
  private workersStarted = 1;
  private readonly endpointSlot = new Map<EndpointId, WorkerSlot>();
  private readonly endpointPort = new Map<EndpointId, number>();
  private readonly mixSlot = new Map<MixId, WorkerSlot>();
  private readonly recordingSlot = new Map<RecordingId, WorkerSlot>();
  private readonly usedPorts = new Set<number>();
  private readonly listeners = new Map<MediaEventName, Set<(event: never) => void>>();
  private portCursor: number;
  private closing = false;
  private readonly portMin: number;
  private readonly portMax: number;
  private readonly bindAddress: string;

  private constructor(private readonly options: MediaEngineOptions) {
    this.portMin = (options.portMin ?? 20000) + ((options.portMin ?? 20000) % 2);
    this.portMax = options.portMax ?? 29999;
    if (this.portMax - this.portMin < 1) {
      throw new MediaError(
        'MEDIA_BAD_REQUEST',
        `RTP port range ${options.portMin}-${options.portMax} holds no pair`,
      );
    }
    this.bindAddress = options.bindAddress ?? '0.0.0.0';
    // Start at a random even port so that a restarted server does not hand a port still
    // receiving an old call's packets to a new call.
    const pairs = Math.floor((this.portMax - this.portMin + 1) / 2);
    this.portCursor = this.portMin + 2 * Math.floor(Math.random() * pairs);
  }

  static async start(options: MediaEngineOptions = {}): Promise<MediaEngine> {
    const engine = new MediaEngine(options);
    const count = Math.max(1, options.workers ?? os.availableParallelism());
    engine.workersStarted = count;
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => engine.startWorker(i)));
    } catch (error) {
      await engine.close();
      throw error;
    }
    return engine;
  }

  private async startWorker(index: number): Promise<void> {
    const tickMs = this.options.tickMs ?? 20;
    const worker = spawnWorker(
      {
        index,
        tickMs,
        // the workers' ticks spread over the period, so that they do not all want a core at once
        tickPhaseMs: (index * tickMs) / this.workersStarted,
        debug: this.options.debug,
        mediaIo: this.options.mediaIo,
        realtimePriority: this.options.realtimePriority,
      },
      this.options.workerExecArgv,
    );
    const ready = await waitReady(worker);
    if (ready.schedulingError)
      this.options.logger?.warn(
        { worker: index },
        `media worker ${index} runs with normal scheduling: ${ready.schedulingError}`,
      );
    const channel = new ControlChannel(
      worker,
      `media worker ${index}`,
      (event, data) => this.dispatch(event, data as never),
      // only ever called from a worker event, after `slot` below exists
      (reason) => this.onWorkerDeath(slot, reason),
    );
    const slot: WorkerSlot = { index, worker, endpoints: new Set(), channel };
    this.slots[index] = slot;
  }

  private onWorkerDeath(slot: WorkerSlot, reason: string): void {
    if (this.slots[slot.index] === slot) this.slots[slot.index] = undefined;
    const endpointIds = [...slot.endpoints];
    for (const id of endpointIds) this.forgetEndpoint(id);
    for (const [id, s] of this.mixSlot) if (s === slot) this.mixSlot.delete(id);
    const recordingIds: RecordingId[] = [];
    for (const [id, s] of this.recordingSlot) {
      if (s !== slot) continue;
      this.recordingSlot.delete(id);
      recordingIds.push(id);
    }
    if (this.closing) return;
    this.options.logger?.error(
      { worker: slot.index, endpoints: endpointIds.length },
      `media worker ${reason}`,
    );
    this.dispatch('worker-died', { worker: slot.index, endpointIds, recordingIds, error: reason });
    if (this.options.restartWorkers ?? true) {
      this.startWorker(slot.index).catch((error: unknown) =>
        this.options.logger?.error({ err: error }, `media worker ${slot.index} could not be restarted`),
      );
    }
  }

  private forgetEndpoint(id: EndpointId): void {
    const port = this.endpointPort.get(id);
    if (port !== undefined) this.usedPorts.delete(port);
    this.endpointPort.delete(id);
    this.endpointSlot.get(id)?.endpoints.delete(id);
    this.endpointSlot.delete(id);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends MediaEventName>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  private dispatch<K extends MediaEventName>(event: K, data: MediaEvents[K]): void {
    if (event === 'scheduling') {
      const change = data as MediaEvents['scheduling'];
      const message = `media worker ${change.worker} now has ${change.scheduling} scheduling: ${change.reason}`;
      if (change.scheduling === 'normal') this.options.logger?.warn(change, message);
      else this.options.logger?.info(change, message);
    }
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(data);
      } catch (error) {
        // mediasoup's safeEmit: one failing listener is reported and does not stop the others.
        this.options.logger?.error({ err: error }, `listener of media event ${event} failed`);
      }
    }
  }

  private liveSlots(): WorkerSlot[] {
    return this.slots.filter((s): s is WorkerSlot => s?.channel.alive === true);
  }

  private slotOfEndpoint(id: EndpointId): WorkerSlot {
    const slot = this.endpointSlot.get(id);
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no media endpoint ${id}`);
    return slot;
  }

  private nextPort(): number {
    const pairs = Math.floor((this.portMax - this.portMin + 1) / 2);
    for (let i = 0; i < pairs; i++) {
      const port = this.portCursor;
      this.portCursor += 2;
      if (this.portCursor + 1 > this.portMax) this.portCursor = this.portMin;
      if (!this.usedPorts.has(port)) return port;
    }
    throw new MediaError('MEDIA_NO_PORT', `no free RTP port pair in ${this.portMin}-${this.portMax}`);
  }

  /**
   * Opens an RTP endpoint on a free even port (RTCP on the next). Put `port` in the SDP; when
   * the remote address is known now (answering an offer) pass it as `remote`, or later with `connect`.
   */
  async createEndpoint(options: CreateEndpointOptions = {}): Promise<EndpointInfo> {
    if (this.closing) throw new MediaError('MEDIA_CLOSED', 'the media engine is closing');
    const { near, ...settings } = options;
    let slot: WorkerSlot | undefined;
    if (near !== undefined) slot = this.slotOfEndpoint(near);
    else {
      for (const s of this.liveSlots()) if (!slot || s.endpoints.size < slot.endpoints.size) slot = s;
    }
    if (!slot) throw new MediaError('MEDIA_WORKER_DIED', 'no media worker is running');
    const id = randomUUID() as EndpointId;
    // Counted on its worker at once, so that endpoints created concurrently spread out.
    slot.endpoints.add(id);
    const attempts = Math.min(64, Math.floor((this.portMax - this.portMin + 1) / 2));
    try {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const port = this.nextPort();
        this.usedPorts.add(port);
        try {
          const ports = await slot.channel.request('endpoint.create', {
            id,
            port,
            bindAddress: this.bindAddress,
            settings,
          });
          this.endpointSlot.set(id, slot);
          this.endpointPort.set(id, port);
          return { id, ...ports, bindAddress: this.bindAddress, worker: slot.index };
        } catch (error) {
          this.usedPorts.delete(port);
          // Another program holds this port: skip it and try the next pair.
          if (error instanceof MediaError && error.code === 'MEDIA_PORT_IN_USE') continue;
          throw error;
        }
      }
    } catch (error) {
      slot.endpoints.delete(id);
      throw error;
    }
    slot.endpoints.delete(id);
    throw new MediaError('MEDIA_NO_PORT', `no bindable RTP port pair found after ${attempts} tries`);
  }

  /** Applies new SDP-derived settings (a re-INVITE: new address, codec, direction for hold). */
  async updateEndpoint(id: EndpointId, settings: StreamSettings): Promise<void> {
    await this.slotOfEndpoint(id).channel.request('endpoint.update', { id, settings });
  }

  /** Tells the endpoint where to send (the peer's `c=` address and `m=` port). */
  async connect(id: EndpointId, remote: RemoteAddress): Promise<void> {
    return this.updateEndpoint(id, { remote });
  }

  /** Closes the endpoint (RTCP BYE, ports released; its playback, recording and mix membership end). */
  async closeEndpoint(id: EndpointId): Promise<EndpointStats> {
    const slot = this.slotOfEndpoint(id);
    try {
      return await slot.channel.request('endpoint.close', { id });
    } finally {
      this.forgetEndpoint(id);
    }
  }

  async stats(id: EndpointId): Promise<EndpointStats> {
    return this.slotOfEndpoint(id).channel.request('endpoint.stats', { id });
  }

  /**
   * Plays files, tones, keys and silences back to back to the endpoint (replacing what it played).
   * Resolves when playback has started (the files are loaded); `playback-finished` tells the end.
   */
  async play(id: EndpointId, items: PlayItem | PlayItem[], options: PlayOptions = {}): Promise<PlaybackId> {
    const playbackId = randomUUID() as PlaybackId;
    await this.slotOfEndpoint(id).channel.request('play', {
      endpointId: id,
      playbackId,
      items: Array.isArray(items) ? items : [items],
      loop: options.loop ?? false,
    });
    return playbackId;
  }

  async stopPlayback(id: EndpointId): Promise<void> {
    await this.slotOfEndpoint(id).channel.request('play.stop', { endpointId: id });
  }

  /** Turns echo on or off: the endpoint sends back what it receives (a line test). */
  async echo(id: EndpointId, on = true): Promise<void> {
    await this.slotOfEndpoint(id).channel.request('echo', { endpointId: id, on });
  }

  /** Records the endpoint in stereo: left what it receives (the customer), right what it sends (everyone else). */
  async record(id: EndpointId, options: RecordOptions): Promise<RecordingId> {
    const slot = this.slotOfEndpoint(id);
    const recordingId = randomUUID() as RecordingId;
    await slot.channel.request('record.start', {
      recordingId,
      endpointId: id,
      path: options.path,
      pauseMode: options.pauseMode ?? 'silence',
    });
    this.recordingSlot.set(recordingId, slot);
    return recordingId;
  }

  private slotOfRecording(id: RecordingId): WorkerSlot {
    const slot = this.recordingSlot.get(id);
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no recording ${id}`);
    return slot;
  }

  /** Pauses a recording (PCI DSS: while card data or a PIN is keyed in). */
  async pauseRecording(id: RecordingId): Promise<void> {
    await this.slotOfRecording(id).channel.request('record.pause', { recordingId: id });
  }

  async resumeRecording(id: RecordingId): Promise<void> {
    await this.slotOfRecording(id).channel.request('record.resume', { recordingId: id });
  }

  async stopRecording(id: RecordingId): Promise<RecordingInfo> {
    const slot = this.slotOfRecording(id);
    try {
      return await slot.channel.request('record.stop', { recordingId: id });
    } finally {
      this.recordingSlot.delete(id);
    }
  }

  /**
   * Connects two legs so each hears the other; with `record`, the first leg (`customer`) is
   * recorded in stereo (customer left, the other party right).
   */
  async bridge(
    customer: EndpointId,
    other: EndpointId,
    options: { record?: RecordOptions } = {},
  ): Promise<{ mixId: MixId; recordingId?: RecordingId }> {
    return this.mix(
      [
        { endpointId: customer, role: 'participant' },
        { endpointId: other, role: 'participant' },
      ],
      options,
    );
  }

  /**
   * A mix of any number of legs with roles: conference members are `participant`s; a supervisor
   * joins as `listen`, `whisper` (with `target`: the agent) or `barge`. With `record`, the first
   * member is recorded against the rest.
   */
  async mix(
    members: MixMember[],
    options: { record?: RecordOptions } = {},
  ): Promise<{ mixId: MixId; recordingId?: RecordingId }> {
    if (members.length < 2) throw new MediaError('MEDIA_BAD_REQUEST', 'a mix needs at least two endpoints');
    const slot = await this.colocate(members.map((m) => m.endpointId));
    const mixId = randomUUID() as MixId;
    await slot.channel.request('mix.create', { mixId, members: members.map(toSpec) });
    this.mixSlot.set(mixId, slot);
    if (!options.record) return { mixId };
    try {
      const recordingId = await this.record(members[0]!.endpointId, options.record);
      return { mixId, recordingId };
    } catch (error) {
      await this.destroyMix(mixId);
      throw error;
    }
  }

  /**
   * Brings the endpoints onto the first one's worker. An endpoint elsewhere is moved if it is
   * idle (not playing, recording, mixed or sending keys): its sockets are closed there and bound
   * again here on the same ports with the same SSRC and sequence, so the peer sees one stream
   * (packets arriving in the few milliseconds between are lost). A busy one cannot move:
   * MEDIA_CROSS_WORKER, and the call layer should create legs with `near` to avoid the case.
   */
  private async colocate(ids: EndpointId[]): Promise<WorkerSlot> {
    const home = this.slotOfEndpoint(ids[0]!);
    for (const id of ids.slice(1)) {
      const slot = this.slotOfEndpoint(id);
      if (slot !== home) await this.move(id, slot, home);
    }
    return home;
  }

  private async move(id: EndpointId, from: WorkerSlot, to: WorkerSlot): Promise<void> {
    const port = this.endpointPort.get(id)!;
    let snapshot: EndpointSnapshotData;
    try {
      snapshot = (await from.channel.request('endpoint.detach', { id })).snapshot;
    } catch (error) {
      if (error instanceof MediaError && error.code === 'MEDIA_BAD_STATE') {
        throw new MediaError(
          'MEDIA_CROSS_WORKER',
          `endpoint ${id} is on media worker ${from.index}, busy, and cannot join worker ${to.index}: ${error.message}; create legs of one call with { near }`,
          { cause: error },
        );
      }
      throw error;
    }
    from.endpoints.delete(id);
    to.endpoints.add(id);
    this.endpointSlot.set(id, to);
    try {
      await to.channel.request('endpoint.attach', { id, port, bindAddress: this.bindAddress, snapshot });
    } catch (error) {
      this.forgetEndpoint(id);
      throw error;
    }
  }

  /** Adds, removes or re-roles members (a supervisor switching from listen to whisper to barge). */
  async updateMix(
    mixId: MixId,
    change: { add?: MixMember[]; remove?: EndpointId[]; set?: MixMember[] },
  ): Promise<void> {
    const slot = this.mixSlot.get(mixId);
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no mix ${mixId}`);
    for (const m of change.add ?? []) {
      const at = this.slotOfEndpoint(m.endpointId);
      if (at !== slot) await this.move(m.endpointId, at, slot);
    }
    const params: { mixId: MixId; add?: MixMemberSpec[]; remove?: EndpointId[]; set?: MixMemberSpec[] } = {
      mixId,
    };
    if (change.add) params.add = change.add.map(toSpec);
    if (change.remove) params.remove = change.remove;
    if (change.set) params.set = change.set.map(toSpec);
    await slot.channel.request('mix.update', params);
  }

  async destroyMix(mixId: MixId): Promise<void> {
    const slot = this.mixSlot.get(mixId);
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no mix ${mixId}`);
    this.mixSlot.delete(mixId);
    await slot.channel.request('mix.destroy', { mixId });
  }

  /**
   * Sends keys to the peer: as RFC 4733 events when telephone-event was negotiated (`auto`), else
   * as tones in the audio. Resolves when the last key has been sent.
   */
  async sendDtmf(
    id: EndpointId,
    digits: string,
    options: { mode?: 'auto' | 'rfc4733' | 'inband'; durationMs?: number } = {},
  ): Promise<void> {
    const keys = [...digits.toUpperCase()];
    const bad = keys.find((k) => !isDtmfDigit(k));
    if (bad !== undefined) throw new MediaError('MEDIA_BAD_REQUEST', `'${bad}' is not a DTMF key`);
    const params: {
      endpointId: EndpointId;
      digits: DtmfDigit[];
      mode: 'auto' | 'rfc4733' | 'inband';
      durationMs?: number;
    } = { endpointId: id, digits: keys as DtmfDigit[], mode: options.mode ?? 'auto' };
    if (options.durationMs !== undefined) params.durationMs = options.durationMs;
    await this.slotOfEndpoint(id).channel.request('dtmf.send', params);
  }

  /** Per-worker load figures (tick lateness, utilisation) for /metrics and the benchmark. */
  async workerStats(): Promise<WorkerStats[]> {
    return Promise.all(this.liveSlots().map((s) => s.channel.request('worker.stats', {})));
  }

  /** Which worker holds an endpoint (for logs and tests). */
  workerOf(id: EndpointId): number {
    return this.slotOfEndpoint(id).index;
  }

  get workerCount(): number {
    return this.liveSlots().length;
  }

  /** For tests only (needs `debug: true`): makes every tick of a worker burn `tickMs` of CPU. */
  async loadWorker(index: number, tickMs: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no media worker ${index}`);
    await slot.channel.request('debug.load', { tickMs });
  }

  /** For tests only (needs `debug: true`): makes a worker throw an uncaught exception. */
  async crashWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot) throw new MediaError('MEDIA_NOT_FOUND', `no media worker ${index}`);
    await slot.channel.request('debug.crash', {});
  }

  /** Closes every endpoint (finishing recordings) and stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    const slots = this.slots.filter((s): s is WorkerSlot => s !== undefined);
    await Promise.all(
      slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (!slot.channel.alive) return resolve();
            const timer = setTimeout(() => void slot.worker.terminate(), 2000);
            slot.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            slot.worker.postMessage({ shutdown: true });
          }),
      ),
    );
  }
}

function toSpec(m: MixMember): MixMemberSpec {
  const spec: MixMemberSpec = { endpointId: m.endpointId, role: m.role ?? 'participant' };
  if (m.target !== undefined) spec.target = m.target;
  return spec;
}
