import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaError } from './errors';
import { encodeG711 } from './g711';
import { decodePromptFile, decodeWav, encodeWav, parseWavHeader, rawLawOfPath, wavHeader } from './wav';

const hasSox = (() => {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const ramp = Int16Array.from({ length: 800 }, (_, i) => ((i * 97) % 30000) - 15000);

describe('WAV files', () => {
  it('round-trips 16-bit PCM mono and stereo with the canonical 44-byte header', () => {
    for (const channels of [1, 2]) {
      const bytes = encodeWav({ sampleRate: 8000, channels, samples: ramp });
      const info = parseWavHeader(bytes);
      expect(info).toMatchObject({
        encoding: 'pcm16',
        channels,
        sampleRate: 8000,
        dataOffset: 44,
        dataLength: 1600,
      });
      expect(Array.from(decodeWav(bytes).samples)).toEqual(Array.from(ramp));
    }
  });

  it('writes G.711 WAV with format tags 7 (µ-law) and 6 (A-law), an 18-byte fmt chunk and a fact chunk', () => {
    for (const [encoding, tag] of [
      ['pcmu', 7],
      ['pcma', 6],
    ] as const) {
      const bytes = encodeWav({ sampleRate: 8000, channels: 1, samples: ramp }, encoding);
      const view = new DataView(bytes.buffer);
      expect(view.getUint16(20, true)).toBe(tag);
      expect(view.getUint32(16, true)).toBe(18);
      expect(String.fromCharCode(...bytes.subarray(38, 42))).toBe('fact');
      const decoded = decodeWav(bytes);
      expect(decoded.samples.length).toBe(ramp.length);
      expect(Math.max(...decoded.samples.map((v, i) => Math.abs(v - ramp[i]!)))).toBeLessThan(600);
    }
  });

  it('skips unknown chunks (LIST, odd sizes padded) and reads WAVE_FORMAT_EXTENSIBLE', () => {
    const plain = encodeWav({ sampleRate: 8000, channels: 1, samples: ramp.subarray(0, 4) });
    const list = Uint8Array.from([...Buffer.from('LIST'), 3, 0, 0, 0, 1, 2, 3, 0]);
    const withList = new Uint8Array(plain.length + list.length);
    withList.set(plain.subarray(0, 12));
    withList.set(list, 12);
    withList.set(plain.subarray(12), 12 + list.length);
    expect(Array.from(decodeWav(withList).samples)).toEqual(Array.from(ramp.subarray(0, 4)));

    const ext = new Uint8Array(12 + 8 + 40 + 8 + 8);
    const v = new DataView(ext.buffer);
    ext.set(Buffer.from('RIFF'), 0);
    ext.set(Buffer.from('WAVE'), 8);
    ext.set(Buffer.from('fmt '), 12);
    v.setUint32(16, 40, true);
    v.setUint16(20, 0xfffe, true);
    v.setUint16(22, 1, true);
    v.setUint32(24, 8000, true);
    v.setUint16(34, 8, true);
    v.setUint16(44, 7, true); // SubFormat GUID starts with the format tag: µ-law
    ext.set(Buffer.from('data'), 60);
    v.setUint32(64, 8, true);
    ext.set(encodeG711('pcmu', Int16Array.from([0, 0, 1000, 1000, -1000, -1000, 0, 0])), 68);
    expect(decodeWav(ext).samples[2]).toBeGreaterThan(900);
  });

  it('reads a recording cut short by a crash: data size 0 or past the end means "to the end of the file"', () => {
    const bytes = encodeWav({ sampleRate: 8000, channels: 2, samples: ramp });
    const header = wavHeader({ encoding: 'pcm16', channels: 2, sampleRate: 8000, dataLength: 0 });
    const crashed = new Uint8Array(bytes.length);
    crashed.set(bytes);
    crashed.set(header);
    expect(decodeWav(crashed).samples.length).toBe(ramp.length);
    expect(decodeWav(bytes.subarray(0, 44 + 1000)).samples.length).toBe(500);
  });

  it('refuses what it cannot play with a reason', () => {
    expect(() => parseWavHeader(Buffer.from('RIFF0000AVI LIST'))).toThrow(/not a RIFF\/WAVE/);
    const float = encodeWav({ sampleRate: 8000, channels: 1, samples: ramp });
    new DataView(float.buffer).setUint16(20, 3, true);
    expect(() => decodeWav(float)).toThrow(MediaError);
    const wide = encodeWav({ sampleRate: 16000, channels: 1, samples: ramp });
    expect(() => decodePromptFile('hello.wav', wide)).toThrow(/16000 Hz.*8000/);
  });

  it('reads raw G.711 files by extension and mixes stereo prompts down to mono', () => {
    expect(rawLawOfPath('/x/hold.ulaw')).toBe('pcmu');
    expect(rawLawOfPath('/x/hold.AL')).toBe('pcma');
    expect(rawLawOfPath('/x/hold.wav')).toBeUndefined();
    expect(Array.from(decodePromptFile('a.alaw', Uint8Array.from([0xd5, 0x55])))).toEqual([8, -8]);
    const stereo = encodeWav({
      sampleRate: 8000,
      channels: 2,
      samples: Int16Array.from([100, 300, -100, -300]),
    });
    expect(Array.from(decodePromptFile('s.wav', stereo))).toEqual([200, -200]);
  });

  it.skipIf(!hasSox)('writes files that sox reads with the same samples, and reads files sox writes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'teller-wav-'));
    for (const encoding of ['pcm16', 'pcmu', 'pcma'] as const) {
      const file = path.join(dir, `ours-${encoding}.wav`);
      writeFileSync(file, encodeWav({ sampleRate: 8000, channels: 2, samples: ramp }, encoding));
      const info = execFileSync('sox', ['--i', file]).toString();
      expect(info).toMatch(/Channels\s*: 2/);
      expect(info).toMatch(/Sample Rate\s*: 8000/);
      const raw = execFileSync('sox', ['-D', file, '-t', 'raw', '-e', 'signed', '-b', '16', '-']);
      const ours = decodeWav(readFileSync(file)).samples;
      expect(Array.from(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2))).toEqual(
        Array.from(ours),
      );
    }
    for (const [flag, bits, encoding] of [
      ['u-law', '8', 'pcmu'],
      ['a-law', '8', 'pcma'],
      ['signed', '16', 'pcm16'],
    ] as const) {
      const file = path.join(dir, `sox-${encoding}.wav`);
      const args = [
        '-D',
        '-n',
        '-r',
        '8000',
        '-c',
        '1',
        '-e',
        flag,
        '-b',
        bits,
        file,
        'synth',
        '0.1',
        'sine',
        '440',
      ];
      execFileSync('sox', args);
      const info = parseWavHeader(readFileSync(file));
      expect(info.encoding).toBe(encoding);
      expect(decodeWav(readFileSync(file)).samples.length).toBe(800);
    }
  });
});
