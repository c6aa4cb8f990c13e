import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPrompts, languages, validateFlow } from '../src/ivr/index';

const root = path.resolve(import.meta.dirname, '..');
const promptDir = path.join(root, 'prompts');

interface Manifest {
  prompts: Record<string, { speak: string; bytes: number }>;
}

function wavFormat(file: string): {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  data: number;
} {
  const bytes = readFileSync(file);
  expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
  expect(bytes.toString('ascii', 8, 12)).toBe('WAVE');
  let offset = 12;
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      format = {
        tag: bytes.readUInt16LE(offset + 8),
        channels: bytes.readUInt16LE(offset + 10),
        rate: bytes.readUInt32LE(offset + 12),
        bits: bytes.readUInt16LE(offset + 22),
      };
    }
    if (id === 'data' && format) return { ...format, data: size };
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no fmt and data chunks`);
}

describe('rendered prompts', () => {
  const manifest = JSON.parse(readFileSync(path.join(promptDir, 'manifest.json'), 'utf8')) as Manifest;

  it('every prompt and number fragment has a file rendered from its current text', () => {
    const missing: string[] = [];
    const stale: string[] = [];
    for (const prompt of allPrompts()) {
      const file = path.join(promptDir, `${prompt.id}.wav`);
      try {
        statSync(file);
      } catch {
        missing.push(prompt.id);
        continue;
      }
      if (manifest.prompts[prompt.id]?.speak !== prompt.speak) stale.push(prompt.id);
    }
    expect(missing, 'run: node --import tsx scripts/render-prompts.ts').toEqual([]);
    expect(stale, 'run: node --import tsx scripts/render-prompts.ts').toEqual([]);
  });

  it('every file is 8 kHz mono G.711 µ-law with some audio in it', () => {
    for (const prompt of allPrompts()) {
      const format = wavFormat(path.join(promptDir, `${prompt.id}.wav`));
      expect(format, prompt.id).toMatchObject({ tag: 7, channels: 1, rate: 8000, bits: 8 });
      // At least 100 ms: a fragment that rendered to silence would be trimmed to almost nothing.
      expect(format.data, prompt.id).toBeGreaterThan(800);
    }
  });

  it('holds no file that no prompt names, and stays a few megabytes', () => {
    const wanted = new Set(allPrompts().map((prompt) => `${prompt.id}.wav`));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
      );
    // The language folders are the library's; prompts/ may hold other audio (hold music) too.
    const wavs = languages
      .flatMap((lang) => files(path.join(promptDir, lang)))
      .filter((file) => file.endsWith('.wav'));
    expect(wavs.map((file) => path.relative(promptDir, file)).filter((name) => !wanted.has(name))).toEqual(
      [],
    );
    const total = wavs.reduce((sum, file) => sum + statSync(file).size, 0);
    expect(total).toBeLessThan(6 * 1024 * 1024);
  });
});

describe('prompts the flows play', () => {
  it('every prompt a flow under flows/ names exists as a file in each language the flow speaks', () => {
    const flowDir = path.join(root, 'flows');
    const names = readdirSync(flowDir).filter((name) => name.endsWith('.json'));
    expect(names).toContain('phone-banking.json');
    const exists = (id: string) => {
      try {
        return statSync(path.join(promptDir, `${id}.wav`)).isFile();
      } catch {
        return false;
      }
    };
    for (const name of names) {
      const result = validateFlow(JSON.parse(readFileSync(path.join(flowDir, name), 'utf8')), {
        promptExists: exists,
      });
      expect(result.ok ? [] : result.issues, name).toEqual([]);
    }
  });
});
