import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { MediaError } from './errors';
import { wavHeader } from './wav';

/**
 * A stereo 16-bit WAV recording written as the call goes: left channel the customer (what the
 * endpoint receives), right channel the other party (what the endpoint sends). Audio is
 * buffered and written once a second, and after each write the RIFF and data sizes in the
 * header are rewritten, so a crash leaves a playable file missing at most the last second.
 *
 *   recording ──pause──► paused ──resume──► recording
 *       └──────────stop (from either)──────────► stopped
 */
export const recorderStates = ['recording', 'paused', 'stopped'] as const;
export type RecorderState = (typeof recorderStates)[number];

const legal: Record<RecorderState, readonly RecorderState[]> = {
  recording: ['paused', 'stopped'],
  paused: ['recording', 'stopped'],
  stopped: [],
};

const HEADER = 44;
const LITTLE_ENDIAN = endianness() === 'LE';
const RATE = 8000;

export class Recorder {
  private fd: number;
  private state: RecorderState = 'recording';
  private readonly buffer: Buffer;
  private readonly samples: Int16Array;
  private fill = 0;
  /** Bytes of audio already in the file. */
  private written = 0;
  private readonly pauseMode: 'silence' | 'skip';
  private flushAt: number;

  /**
   * `flushEvery`: frames between writes (50 = 1 s at 20 ms); `phase` staggers the first write
   * so that a worker's recorders do not all write on the same tick.
   */
  constructor(
    readonly path: string,
    options: {
      pauseMode?: 'silence' | 'skip';
      frameSamples?: number;
      flushEvery?: number;
      phase?: number;
    } = {},
  ) {
    this.pauseMode = options.pauseMode ?? 'silence';
    const frameSamples = options.frameSamples ?? 160;
    const flushEvery = options.flushEvery ?? 50;
    this.buffer = Buffer.alloc(frameSamples * 4 * flushEvery);
    this.samples = new Int16Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length / 2);
    // Stagger: the first write comes `phase` frames early, so that a worker's recorders spread
    // their writes over the second instead of all writing on the same tick.
    this.flushAt = this.buffer.length - frameSamples * 4 * ((options.phase ?? 0) % flushEvery);
    try {
      this.fd = openSync(path, 'w');
      writeSync(
        this.fd,
        wavHeader({ encoding: 'pcm16', channels: 2, sampleRate: RATE, dataLength: 0 }),
        0,
        HEADER,
        0,
      );
    } catch (error) {
      throw new MediaError('MEDIA_IO', `cannot create recording ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get status(): RecorderState {
    return this.state;
  }

  private transition(to: RecorderState): void {
    if (!legal[this.state].includes(to)) {
      throw new MediaError(
        'MEDIA_BAD_STATE',
        `recording ${this.path}: cannot go from ${this.state} to ${to}`,
      );
    }
    this.state = to;
  }

  pause(): void {
    this.transition('paused');
  }

  resume(): void {
    this.transition('recording');
  }

  /** Adds one frame: `left` and `right` may be null (nothing heard that tick: silence). */
  write(left: Int16Array | null, right: Int16Array | null, frameSamples: number): void {
    if (this.state === 'stopped') return;
    if (this.state === 'paused' && this.pauseMode === 'skip') return;
    const silent = this.state === 'paused';
    const at = this.fill;
    if (LITTLE_ENDIAN) {
      // Interleave straight into the byte buffer through a 16-bit view: WAV is little-endian like the host.
      const view = this.samples;
      const base = at >> 1;
      for (let i = 0; i < frameSamples; i++) {
        view[base + 2 * i] = silent || !left ? 0 : left[i]!;
        view[base + 2 * i + 1] = silent || !right ? 0 : right[i]!;
      }
    } else {
      for (let i = 0; i < frameSamples; i++) {
        this.buffer.writeInt16LE(silent || !left ? 0 : left[i]!, at + 4 * i);
        this.buffer.writeInt16LE(silent || !right ? 0 : right[i]!, at + 4 * i + 2);
      }
    }
    this.fill = at + frameSamples * 4;
    if (this.fill >= this.flushAt || this.fill + frameSamples * 4 > this.buffer.length) {
      this.flush();
      this.flushAt = this.buffer.length;
    }
  }

  /** Writes buffered audio and rewrites the header sizes (RIFF at 4, data at 40). */
  flush(): void {
    if (this.fill === 0) return;
    writeSync(this.fd, this.buffer, 0, this.fill, HEADER + this.written);
    this.written += this.fill;
    this.fill = 0;
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(HEADER - 8 + this.written, 0);
    writeSync(this.fd, sizes, 0, 4, 4);
    sizes.writeUInt32LE(this.written, 0);
    writeSync(this.fd, sizes, 0, 4, 40);
  }

  /** Bytes of audio so far, buffered or written. */
  get audioBytes(): number {
    return this.written + this.fill;
  }

  get durationMs(): number {
    return Math.round((this.audioBytes / 4 / RATE) * 1000);
  }

  stop(): { path: string; durationMs: number; bytes: number } {
    if (this.state !== 'stopped') {
      this.transition('stopped');
      try {
        this.flush();
      } finally {
        closeSync(this.fd);
      }
    }
    return { path: this.path, durationMs: this.durationMs, bytes: HEADER + this.written };
  }
}
