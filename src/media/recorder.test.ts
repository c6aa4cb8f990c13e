import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder } from './recorder';
import { decodeWav, parseWavHeader } from './wav';

const dir = mkdtempSync(path.join(tmpdir(), 'teller-rec-'));
const frame = (v: number) => new Int16Array(160).fill(v);

describe('recorder', () => {
  it('interleaves customer (left) and other party (right), silence where nothing was heard', () => {
    const file = path.join(dir, 'a.wav');
    const rec = new Recorder(file);
    rec.write(frame(1), frame(2), 160);
    rec.write(null, frame(3), 160);
    const info = rec.stop();
    expect(info).toEqual({ path: file, durationMs: 40, bytes: 44 + 2 * 160 * 4 });
    const wav = decodeWav(readFileSync(file));
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples.subarray(0, 4))).toEqual([1, 2, 1, 2]);
    expect(Array.from(wav.samples.subarray(320, 324))).toEqual([0, 3, 0, 3]);
  });

  it('rewrites the header sizes at every flush, so an unfinished file is valid', () => {
    const file = path.join(dir, 'b.wav');
    const rec = new Recorder(file, { flushEvery: 5 });
    for (let i = 0; i < 12; i++) rec.write(frame(i), frame(-i), 160);
    // Not stopped (as after a crash): 10 frames flushed, header says so.
    const bytes = readFileSync(file);
    const info = parseWavHeader(bytes);
    expect(info.dataLength).toBe(10 * 160 * 4);
    expect(bytes.readUInt32LE(4)).toBe(36 + 10 * 160 * 4);
    expect(decodeWav(bytes).samples.length).toBe(10 * 160 * 2);
    rec.stop();
    expect(parseWavHeader(readFileSync(file)).dataLength).toBe(12 * 160 * 4);
  });

  it('writes silence while paused, or nothing in skip mode; refuses illegal state changes naming both states', () => {
    const silent = new Recorder(path.join(dir, 'c.wav'));
    silent.write(frame(5), frame(5), 160);
    silent.pause();
    silent.write(frame(5), frame(5), 160);
    silent.resume();
    silent.write(frame(5), frame(5), 160);
    expect(silent.stop().durationMs).toBe(60);
    const samples = decodeWav(readFileSync(path.join(dir, 'c.wav'))).samples;
    expect(samples.subarray(320, 640).every((v) => v === 0)).toBe(true);
    expect(samples[640]).toBe(5);

    const skip = new Recorder(path.join(dir, 'd.wav'), { pauseMode: 'skip' });
    skip.write(frame(5), frame(5), 160);
    skip.pause();
    skip.write(frame(5), frame(5), 160);
    expect(() => skip.pause()).toThrow(/from paused to paused/);
    expect(skip.stop().durationMs).toBe(20);
    expect(() => skip.resume()).toThrow(/from stopped to recording/);
  });

  it('fails with MEDIA_IO when the file cannot be created', () => {
    expect(() => new Recorder(path.join(dir, 'no', 'such', 'dir.wav'))).toThrow(
      expect.objectContaining({ code: 'MEDIA_IO' }),
    );
  });
});
