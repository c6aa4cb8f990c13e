import { readFile, stat } from 'node:fs/promises';
import { isDtmfDigit } from './dtmf-event';
import { MediaError } from './errors';
import type { PlayItem } from './protocol';
import { dtmfTone, ToneGenerator } from './tone';
import { decodePromptFile } from './wav';

/**
 * Decoded prompts shared by every stream of a worker: hold music played to 500 callers is read
 * and decoded once. Keyed by path and modification time, so a re-recorded prompt is picked up;
 * the least recently used entries are dropped past `maxBytes`.
 */
export class PromptCache {
  private readonly entries = new Map<
    string,
    { mtimeMs: number; samples: Promise<Int16Array>; bytes: number }
  >();
  private total = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  async load(path: string): Promise<Int16Array> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new MediaError('MEDIA_NOT_FOUND', `prompt ${path} cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const hit = this.entries.get(path);
    if (hit && hit.mtimeMs === info.mtimeMs) {
      this.entries.delete(path);
      this.entries.set(path, hit); // most recently used last
      return hit.samples;
    }
    if (hit) this.forget(path);
    const samples = readFile(path).then((bytes) => decodePromptFile(path, bytes));
    const entry = { mtimeMs: info.mtimeMs, samples, bytes: info.size * 2 };
    this.entries.set(path, entry);
    this.total += entry.bytes;
    samples.catch(() => this.forget(path));
    while (this.total > this.maxBytes && this.entries.size > 1) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined || oldest === path) break;
      this.forget(oldest);
    }
    return samples;
  }

  private forget(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    this.total -= entry.bytes;
  }
}

/** One item ready to play: a sample source that fills frames until it runs out. */
interface Source {
  /** Writes up to `count` samples at `offset` of `out`; returns how many it wrote. */
  read(out: Int16Array, offset: number, count: number): number;
  rewind(): void;
}

class SampleSource implements Source {
  private position = 0;
  constructor(private readonly samples: Int16Array) {}
  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.samples.length - this.position);
    out.set(this.samples.subarray(this.position, this.position + n), offset);
    this.position += n;
    return n;
  }
  rewind(): void {
    this.position = 0;
  }
}

class GeneratedSource implements Source {
  private left: number;
  private generator: ToneGenerator | undefined;
  constructor(
    private readonly make: () => ToneGenerator | undefined,
    private readonly length: number,
  ) {
    this.left = length;
    this.generator = make();
  }
  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.left);
    const target = out.subarray(offset, offset + n);
    if (this.generator) this.generator.fill(target);
    else target.fill(0);
    this.left -= n;
    return n;
  }
  rewind(): void {
    this.left = this.length;
    this.generator = this.make();
  }
}

/** Turns the requested items into sources, loading files through the cache (all before playing starts). */
export async function prepareItems(
  items: readonly PlayItem[],
  cache: PromptCache,
  rate = 8000,
): Promise<Source[]> {
  if (items.length === 0)
    throw new MediaError('MEDIA_BAD_REQUEST', 'nothing to play: the item list is empty');
  const sources: Source[] = [];
  for (const item of items) {
    if ('file' in item) {
      sources.push(new SampleSource(await cache.load(item.file)));
    } else if ('tone' in item) {
      sources.push(
        new GeneratedSource(() => new ToneGenerator(item.tone), Math.round((item.durationMs * rate) / 1000)),
      );
    } else if ('digits' in item) {
      const toneLength = Math.round(((item.toneMs ?? 150) * rate) / 1000);
      const gapLength = Math.round(((item.gapMs ?? 100) * rate) / 1000);
      for (const d of item.digits) {
        if (!isDtmfDigit(d)) throw new MediaError('MEDIA_BAD_REQUEST', `'${d}' is not a DTMF key`);
        sources.push(new GeneratedSource(() => dtmfTone(d), toneLength));
        sources.push(new GeneratedSource(() => undefined, gapLength));
      }
    } else {
      sources.push(new GeneratedSource(() => undefined, Math.round((item.silenceMs * rate) / 1000)));
    }
  }
  return sources;
}

/**
 * Plays prompts back to back, optionally looping (hold music). `fill` is called once per tick
 * with the stream's frame and says whether the playback is still going.
 */
export class Player {
  private index = 0;
  constructor(
    private readonly sources: Source[],
    private readonly loop: boolean,
  ) {}

  /** Writes the next frame into `out`; returns false when the last item has ended (the rest is zeros). */
  fill(out: Int16Array): boolean {
    let written = 0;
    let emptyPasses = 0;
    while (written < out.length) {
      const source = this.sources[this.index];
      if (!source) {
        if (!this.loop || emptyPasses > 0) {
          out.fill(0, written);
          return false;
        }
        // A loop of only empty items would spin forever; one empty pass ends it.
        emptyPasses++;
        this.index = 0;
        for (const s of this.sources) s.rewind();
        continue;
      }
      const n = source.read(out, written, out.length - written);
      if (n > 0) emptyPasses = 0;
      written += n;
      if (written < out.length) this.index++;
    }
    return true;
  }
}
