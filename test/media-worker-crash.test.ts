import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, MediaEngine, type MediaEvents } from '../src/media/index';

let engine: MediaEngine;

beforeAll(async () => {
  engine = await MediaEngine.start({
    workers: 2,
    portMin: 32000,
    portMax: 32999,
    bindAddress: '127.0.0.1',
    debug: true,
  });
});

afterAll(async () => {
  await engine.close();
});

describe('a media worker that dies', () => {
  it('rejects every pending request naming the method and id, reports its endpoints and recordings (left playable), and is replaced', async () => {
    const ep = await engine.createEndpoint({
      remote: { address: '127.0.0.1', port: 9 },
      telephoneEventPt: 101,
    });
    const neighbour = await engine.createEndpoint({ near: ep.id });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'teller-crash-')), 'call.wav');
    const recordingId = await engine.record(ep.id, { path: file });
    await new Promise((r) => setTimeout(r, 1300)); // past the first once-a-second flush
    const died = new Promise<MediaEvents['worker-died']>((resolve) => engine.on('worker-died', resolve));
    // Sending 20 keys takes seconds: the request is pending when the worker dies.
    const pending = engine.sendDtmf(ep.id, '12345678901234567890');
    await engine.crashWorker(ep.worker);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'MEDIA_WORKER_DIED', kind: 'unavailable' });
    expect((error as Error).message).toMatch(
      new RegExp(`media worker ${ep.worker} .*before answering dtmf\\.send #\\d+`),
    );
    const event = await died;
    expect(event.worker).toBe(ep.worker);
    expect(event.endpointIds.sort()).toEqual([ep.id, neighbour.id].sort());
    expect(event.error).toMatch(/crashed on purpose|exited/);
    expect(event.recordingIds).toEqual([recordingId]);
    // The recording of the call that was cut off is a playable stereo WAV of what was flushed.
    const wav = decodeWav(readFileSync(file));
    expect(wav.channels).toBe(2);
    expect(wav.samples.length / 2 / 8000).toBeGreaterThanOrEqual(0.9);
    // The dead worker's endpoints are gone; the engine answers for them at once.
    await expect(engine.stats(ep.id)).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    // A replacement worker starts; new endpoints can be opened on both workers again.
    for (let i = 0; i < 50 && engine.workerCount < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(engine.workerCount).toBe(2);
    const fresh = await Promise.all([engine.createEndpoint(), engine.createEndpoint()]);
    expect(new Set(fresh.map((f) => f.worker)).size).toBe(2);
  });

  it('refuses the debug crash unless the engine was started for tests', async () => {
    const plain = await MediaEngine.start({
      workers: 1,
      portMin: 33000,
      portMax: 33099,
      bindAddress: '127.0.0.1',
    });
    try {
      await expect(plain.crashWorker(0)).rejects.toMatchObject({ code: 'MEDIA_BAD_REQUEST' });
    } finally {
      await plain.close();
    }
  });
});
