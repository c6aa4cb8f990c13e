import { describe, expect, it } from 'vitest';
import type { EndpointId, MediaEngine, PlaybackId, PlayItem, RecordingId } from '../media/index';
import { AppCall } from './app-call';
import type { AppCallEnd, PlaybackEnd } from './application';

/** The media requests an application call makes, each answered when the test says so. */
class FakeMedia {
  readonly log: string[] = [];
  private readonly waiting: { what: string; answer: () => void }[] = [];
  private playbacks = 0;
  /** Answer requests at once (true) or hold them until `answerNext` (false). */
  auto = true;

  private request<T>(what: string, value: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      const answer = () => {
        this.log.push(what);
        resolve(value());
      };
      if (this.auto) answer();
      else this.waiting.push({ what, answer });
    });
  }

  get pending(): number {
    return this.waiting.length;
  }

  answerNext(): void {
    this.waiting.shift()?.answer();
  }

  play(_id: EndpointId, items: PlayItem[], options: { loop?: boolean }): Promise<PlaybackId> {
    const id = `p${++this.playbacks}` as PlaybackId;
    const files = items.map((i) => ('file' in i ? i.file : 'digits' in i ? `keys:${i.digits}` : '?'));
    return this.request(`play ${files.join(',')}${options.loop ? ' loop' : ''} → ${id}`, () => id);
  }

  stopPlayback(): Promise<void> {
    return this.request('stop', () => undefined);
  }

  pauseRecording(id: RecordingId): Promise<void> {
    return this.request(`pause ${id}`, () => undefined);
  }

  resumeRecording(id: RecordingId): Promise<void> {
    return this.request(`resume ${id}`, () => undefined);
  }
}

function setup(options: { recording?: boolean } = {}) {
  const media = new FakeMedia();
  const reported: string[] = [];
  const hungUp: string[] = [];
  const call = new AppCall({
    id: 'call-1',
    sipCallId: 'sip-1',
    caller: '13800000001',
    callerKind: 'trunk',
    dialled: '8888',
    media: media as unknown as MediaEngine,
    endpointId: 'ep-1' as EndpointId,
    recordingId: options.recording === false ? undefined : ('rec-1' as RecordingId),
    holdMusic: 'hold.wav',
    hangUp: async () => {
      hungUp.push('bye');
    },
    linkInteraction: async () => undefined,
    report: (_error, context) => reported.push(context),
  });
  return { media, call, reported, hungUp };
}

describe('an application call', () => {
  it('sends its media requests in the order it made them, each after the one before has answered', async () => {
    const { media, call } = setup();
    media.auto = false;
    const first = call.play(['a.wav', 'b.wav']);
    const stop = call.stopPlayback();
    const second = call.play(['c.wav']);
    expect(media.log).toEqual([]);
    // Only one request is ever waiting for its answer: the next goes out once it has one.
    for (let i = 0; i < 20 && media.log.length < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(media.pending).toBeLessThanOrEqual(1);
      media.answerNext();
    }
    await Promise.all([first, stop, second]);
    expect(media.log).toEqual(['play a.wav,b.wav → p1', 'stop', 'play c.wav → p2']);
  });

  it('settles a playback with the end the media reports, even one reported before play answered', async () => {
    const { call } = setup();
    const first = await call.play(['a.wav']);
    call.playbackEnded(first.id as PlaybackId, 'stopped');
    expect(await first.ended).toBe('stopped');
    // The worker's event can overtake the answer to the request that started the playback.
    call.playbackEnded('p2' as PlaybackId, 'completed');
    const second = await call.play(['b.wav']);
    expect(second.id).toBe('p2');
    expect(await second.ended).toBe('completed');
  });

  it('ends once: open playbacks close, the application hears who ended it, then every request is refused', async () => {
    const { call } = setup();
    const ends: AppCallEnd[] = [];
    call.handlers = { ended: (by) => ends.push(by) };
    const playing = await call.play(['a.wav']);
    call.ended('caller');
    call.ended('system');
    expect(await playing.ended).toBe<PlaybackEnd>('closed');
    expect(ends).toEqual(['caller']);
    expect(call.live).toBe(false);
    await expect(call.play(['b.wav'])).rejects.toMatchObject({ code: 'CALL_ENDED' });
    await expect(call.pauseRecording()).rejects.toMatchObject({ code: 'CALL_ENDED' });
    await expect(call.linkInteraction('ix-1')).rejects.toMatchObject({ code: 'CALL_ENDED' });
  });

  it('pauses and resumes its recording; without one it says so', async () => {
    const recorded = setup();
    await recorded.call.pauseRecording();
    await recorded.call.resumeRecording();
    expect(recorded.media.log).toEqual(['pause rec-1', 'resume rec-1']);
    const unrecorded = setup({ recording: false });
    await expect(unrecorded.call.pauseRecording()).rejects.toMatchObject({ code: 'CALL_NOT_RECORDING' });
  });

  it('parks on the hold music, looped; plays keys as tones', async () => {
    const { media, call } = setup();
    await call.park();
    await call.playTones('5#');
    expect(media.log).toEqual(['play hold.wav loop → p1', 'play keys:5# → p2']);
  });

  it('reports a throwing key handler instead of throwing into the media event', () => {
    const { call, reported } = setup();
    const keys: string[] = [];
    call.handlers = {
      digit: (key) => {
        keys.push(key);
        throw new Error('application bug');
      },
    };
    expect(() => call.digit('1', 'rfc4733')).not.toThrow();
    expect(keys).toEqual(['1']);
    expect(reported).toHaveLength(1);
    call.ended('caller');
    call.digit('2', 'info');
    expect(keys).toEqual(['1']);
  });
});
