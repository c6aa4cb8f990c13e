import type { EndpointId, MediaEngine, PlaybackId, PlayItem, RecordingId } from '../media/index';
import type {
  AnsweredCall,
  AppCallEnd,
  AppCallHandlers,
  DtmfSource,
  Playback,
  PlaybackEnd,
} from './application';
import { CallError } from './errors';

/** Playback ends the media reported before `play` had returned the id (kept briefly, bounded). */
const maxEarlyEnds = 16;

export interface AppCallOptions {
  id: string;
  sipCallId: string;
  caller: string;
  callerKind: 'trunk' | 'user';
  dialled: string;
  media: MediaEngine;
  endpointId: EndpointId;
  recordingId: RecordingId | undefined;
  holdMusic: string;
  hangUp(): Promise<void>;
  linkInteraction(interactionId: string): Promise<void>;
  /** Where a throwing handler goes (the logger). */
  report(error: unknown, context: string): void;
}

/**
 * The handle an application holds on its answered call. Media requests of one call run one
 * after another, in the order the application made them, so "play, stop, play" reaches the
 * media worker as such even though each is an asynchronous request. The media engine reports
 * the end of a playback as an event; the call manager forwards it here (`playbackEnded`), and
 * the matching `Playback.ended` settles.
 */
export class AppCall implements AnsweredCall {
  readonly id: string;
  readonly sipCallId: string;
  readonly caller: string;
  readonly callerKind: 'trunk' | 'user';
  readonly dialled: string;
  handlers: AppCallHandlers = {};
  private liveValue = true;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pending = new Map<PlaybackId, (end: PlaybackEnd) => void>();
  private readonly early = new Map<PlaybackId, PlaybackEnd>();

  constructor(private readonly o: AppCallOptions) {
    this.id = o.id;
    this.sipCallId = o.sipCallId;
    this.caller = o.caller;
    this.callerKind = o.callerKind;
    this.dialled = o.dialled;
  }

  get live(): boolean {
    return this.liveValue;
  }

  play(files: readonly string[], options: { loop?: boolean } = {}): Promise<Playback> {
    return this.start(
      files.map((file) => ({ file })),
      options.loop ?? false,
    );
  }

  playTones(digits: string, toneMs = 200): Promise<Playback> {
    return this.start([{ digits, toneMs }], false);
  }

  stopPlayback(): Promise<void> {
    return this.serial('stop the playback', () => this.o.media.stopPlayback(this.o.endpointId));
  }

  pauseRecording(): Promise<void> {
    return this.serial('pause the recording', () => this.o.media.pauseRecording(this.recording()));
  }

  resumeRecording(): Promise<void> {
    return this.serial('resume the recording', () => this.o.media.resumeRecording(this.recording()));
  }

  async park(): Promise<void> {
    await this.play([this.o.holdMusic], { loop: true });
  }

  linkInteraction(interactionId: string): Promise<void> {
    if (!this.liveValue) return Promise.reject(this.endedError('link an interaction'));
    return this.o.linkInteraction(interactionId);
  }

  hangUp(): Promise<void> {
    if (!this.liveValue) return Promise.resolve();
    return this.o.hangUp();
  }

  // ---- what the call manager tells the handle ----

  digit(key: string, source: DtmfSource): void {
    if (!this.liveValue) return;
    try {
      this.handlers.digit?.(key, source);
    } catch (error) {
      this.o.report(error, `${this.o.dialled} application handling key on call ${this.id}`);
    }
  }

  playbackEnded(playbackId: PlaybackId, end: PlaybackEnd): void {
    const settle = this.pending.get(playbackId);
    if (settle) {
      this.pending.delete(playbackId);
      settle(end);
      return;
    }
    // The worker can report the end before the request that started it has answered.
    this.early.set(playbackId, end);
    if (this.early.size > maxEarlyEnds) this.early.delete(this.early.keys().next().value!);
  }

  /** The call is over: every playback ends as `closed`, then the application hears of it. */
  ended(by: AppCallEnd): void {
    if (!this.liveValue) return;
    this.liveValue = false;
    for (const settle of this.pending.values()) settle('closed');
    this.pending.clear();
    this.early.clear();
    try {
      this.handlers.ended?.(by);
    } catch (error) {
      this.o.report(error, `${this.o.dialled} application handling the end of call ${this.id}`);
    }
  }

  // ---- plumbing ----

  private start(items: PlayItem[], loop: boolean): Promise<Playback> {
    return this.serial('play', async () => {
      const id = await this.o.media.play(this.o.endpointId, items, { loop });
      const ended = new Promise<PlaybackEnd>((resolve) => {
        const early = this.early.get(id);
        if (early !== undefined) {
          this.early.delete(id);
          resolve(early);
        } else if (!this.liveValue) resolve('closed');
        else this.pending.set(id, resolve);
      });
      return { id, ended };
    });
  }

  private recording(): RecordingId {
    if (!this.o.recordingId) {
      throw new CallError('CALL_NOT_RECORDING', `call ${this.id} has no recording to pause or resume`);
    }
    return this.o.recordingId;
  }

  private endedError(what: string): CallError {
    return new CallError('CALL_ENDED', `call ${this.id} has ended: cannot ${what}`);
  }

  /** Runs `work` after every earlier request of this call has settled. */
  private serial<T>(what: string, work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (!this.liveValue) throw this.endedError(what);
      try {
        return await work();
      } catch (error) {
        // The endpoint went away under the request: the call is ending.
        if (!this.liveValue) throw this.endedError(what);
        throw error;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
