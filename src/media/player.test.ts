import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Player, PromptCache, prepareItems } from './player';
import { encodeWav } from './wav';

const dir = mkdtempSync(path.join(tmpdir(), 'teller-player-'));

function frames(player: Player, count: number): { frames: Int16Array[]; going: boolean[] } {
  const out = { frames: [] as Int16Array[], going: [] as boolean[] };
  for (let i = 0; i < count; i++) {
    const f = new Int16Array(160);
    out.going.push(player.fill(f));
    out.frames.push(f);
  }
  return out;
}

describe('player', () => {
  it('plays items back to back across frame boundaries and says when it is done', async () => {
    const a = path.join(dir, 'a.wav');
    writeFileSync(a, encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(200).fill(7) }));
    const b = path.join(dir, 'b.ulaw');
    writeFileSync(b, Buffer.alloc(100, 0x80)); // µ-law 0x80 = +32124
    const player = new Player(await prepareItems([{ file: a }, { file: b }], new PromptCache()), false);
    const { frames: f, going } = frames(player, 3);
    expect(going).toEqual([true, false, false]);
    expect(f[0]!.every((v) => v === 7)).toBe(true);
    expect(Array.from(f[1]!.subarray(0, 40))).toEqual(new Array(40).fill(7));
    expect(Array.from(f[1]!.subarray(40, 140))).toEqual(new Array(100).fill(32124));
    expect(f[1]!.subarray(140).every((v) => v === 0)).toBe(true);
  });

  it('loops hold music seamlessly', async () => {
    const ramp = Int16Array.from({ length: 100 }, (_, i) => i + 1);
    const file = path.join(dir, 'ramp.wav');
    writeFileSync(file, encodeWav({ sampleRate: 8000, channels: 1, samples: ramp }));
    const player = new Player(await prepareItems([{ file }], new PromptCache()), true);
    const { frames: f, going } = frames(player, 5);
    expect(going.every(Boolean)).toBe(true);
    const joined = f.flatMap((x) => Array.from(x));
    expect(joined.slice(95, 105)).toEqual([96, 97, 98, 99, 100, 1, 2, 3, 4, 5]);
  });

  it('ends a loop made only of empty items instead of spinning', async () => {
    const player = new Player(await prepareItems([{ silenceMs: 0 }], new PromptCache()), true);
    expect(player.fill(new Int16Array(160))).toBe(false);
  });

  it('plays tones, DTMF keys and silences of the asked lengths', async () => {
    const player = new Player(
      await prepareItems(
        [
          { tone: { frequencies: [1000] }, durationMs: 20 },
          { silenceMs: 20 },
          { digits: '1', toneMs: 20, gapMs: 20 },
        ],
        new PromptCache(),
      ),
      false,
    );
    const { frames: f, going } = frames(player, 5);
    expect(going).toEqual([true, true, true, true, false]);
    expect(f[0]!.some((v) => v !== 0)).toBe(true);
    expect(f[1]!.every((v) => v === 0)).toBe(true);
    expect(f[2]!.some((v) => v !== 0)).toBe(true);
    expect(f[3]!.every((v) => v === 0)).toBe(true);
    await expect(prepareItems([{ digits: '1x' }], new PromptCache())).rejects.toMatchObject({
      code: 'MEDIA_BAD_REQUEST',
    });
    await expect(prepareItems([], new PromptCache())).rejects.toMatchObject({ code: 'MEDIA_BAD_REQUEST' });
  });

  it('caches decoded prompts and reloads a file that changed on disk', async () => {
    const file = path.join(dir, 'changing.wav');
    writeFileSync(file, encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(10).fill(1) }));
    const cache = new PromptCache();
    const first = await cache.load(file);
    expect(await cache.load(file)).toBe(first);
    writeFileSync(file, encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(10).fill(2) }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await cache.load(file))[0]).toBe(2);
    await expect(cache.load(path.join(dir, 'none.wav'))).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
  });
});
