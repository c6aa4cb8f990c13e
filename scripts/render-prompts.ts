/**
 * Renders the IVR prompt library offline into 8 kHz mono G.711 µ-law WAV files under
 * `prompts/<lang>/…`, so that the running system needs no speech synthesiser.
 *
 *   node --import tsx scripts/render-prompts.ts            render what changed
 *   node --import tsx scripts/render-prompts.ts --force    render everything again
 *   node --import tsx scripts/render-prompts.ts --check    render nothing; exit 1 if anything is stale
 *
 * Needs espeak-ng and sox (`apt-get install -y espeak-ng sox`). Mandarin is read by the
 * `cmn-latn-pinyin` voice: Debian's plain `cmn` voice spells many characters as English
 * pinyin-with-tone-digits ("wan four"), the pinyin voice reads characters and tone-numbered
 * pinyin correctly. `prompts/manifest.json` records what each file was rendered from; a
 * prompt whose text and settings are unchanged is not rendered again. sox runs without
 * dither, so a render is byte-for-byte reproducible.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { allPrompts, type Lang, languages, type RenderablePrompt } from '../src/ivr/index';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'prompts');
const manifestPath = path.join(outDir, 'manifest.json');

/** Voice settings; changing one re-renders that language. */
const voices: Record<Lang, { voice: string; speed: number; pitch: number }> = {
  zh: { voice: 'cmn-latn-pinyin', speed: 210, pitch: 50 },
  en: { voice: 'en-us', speed: 180, pitch: 50 },
};

/**
 * Effects after synthesis: normalise to -3 dBFS, trim silence at both ends, cap the pauses
 * between clauses at a quarter second (menus are long enough), keep a short pause after.
 */
const soxEffects = [
  ...['norm', '-3'],
  ...['silence', '-l', '1', '0.005', '1%', '-1', '0.25', '1%'],
  ...['reverse', 'silence', '1', '0.005', '1%', 'reverse'],
  ...['pad', '0.02', '0.08'],
];

interface ManifestEntry {
  speak: string;
  settings: string;
  bytes: number;
}
interface Manifest {
  format: 'teller-prompts/1';
  encoding: 'audio/PCMU;rate=8000 in RIFF/WAVE';
  prompts: Record<string, ManifestEntry>;
}

function settingsOf(prompt: RenderablePrompt): string {
  const v = voices[prompt.lang];
  return `${v.voice} s${v.speed} p${v.pitch} | sox ${soxEffects.join(' ')}`;
}

function readManifest(): Manifest {
  try {
    return JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return { format: 'teller-prompts/1', encoding: 'audio/PCMU;rate=8000 in RIFF/WAVE', prompts: {} };
  }
}

function fileOf(id: string): string {
  return path.join(outDir, `${id}.wav`);
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

async function render(prompt: RenderablePrompt, scratch: string): Promise<number> {
  const v = voices[prompt.lang];
  const raw = path.join(scratch, `${prompt.id.replaceAll('/', '_')}.wav`);
  await run('espeak-ng', [
    '-v',
    v.voice,
    '-s',
    String(v.speed),
    '-p',
    String(v.pitch),
    '-w',
    raw,
    prompt.speak,
  ]);
  const out = fileOf(prompt.id);
  mkdirSync(path.dirname(out), { recursive: true });
  await run('sox', ['-D', raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', out, ...soxEffects]);
  rmSync(raw);
  return statSync(out).size;
}

function filesUnder(dir: string): string[] {
  if (!readdirSafe(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function readdirSafe(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

async function main(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const check = args.includes('--check');
  const prompts = allPrompts();
  const manifest = readManifest();
  const stale = prompts.filter((prompt) => {
    const entry = manifest.prompts[prompt.id];
    return (
      force ||
      !entry ||
      entry.speak !== prompt.speak ||
      entry.settings !== settingsOf(prompt) ||
      !exists(fileOf(prompt.id))
    );
  });
  const wanted = new Set(prompts.map((prompt) => fileOf(prompt.id)));
  // Only the language folders are the library's: other files under prompts/ (hold music) are not ours to prune.
  const orphans = languages
    .flatMap((lang) => filesUnder(path.join(outDir, lang)))
    .filter((file) => file.endsWith('.wav') && !wanted.has(file));

  if (check) {
    for (const prompt of stale) console.log(`stale: ${prompt.id}`);
    for (const file of orphans) console.log(`orphan: ${path.relative(root, file)}`);
    console.log(`${prompts.length} prompts, ${stale.length} stale, ${orphans.length} orphaned`);
    return stale.length + orphans.length === 0 ? 0 : 1;
  }

  await run('espeak-ng', ['--version']).catch(() => {
    throw new Error('espeak-ng is missing: apt-get install -y espeak-ng sox');
  });
  const scratch = mkdtempSync(path.join(tmpdir(), 'teller-prompts-'));
  const width = String(stale.length).length;
  let done = 0;
  let next = 0;
  // Two at a time: the machine's two cores are shared with other work.
  const worker = async (): Promise<void> => {
    while (next < stale.length) {
      const prompt = stale[next++]!;
      const bytes = await render(prompt, scratch);
      manifest.prompts[prompt.id] = { speak: prompt.speak, settings: settingsOf(prompt), bytes };
      done++;
      const seconds = ((bytes - 58) / 8000).toFixed(1);
      console.log(
        `[${String(done).padStart(width)}/${stale.length}] ${prompt.id.padEnd(36)} ${seconds.padStart(5)} s  ${prompt.text}`,
      );
    }
  };
  await Promise.all([worker(), worker()]);
  rmSync(scratch, { recursive: true, force: true });

  for (const file of orphans) {
    rmSync(file);
    console.log(`removed ${path.relative(root, file)}`);
  }
  const ids = new Set(prompts.map((prompt) => prompt.id));
  for (const id of Object.keys(manifest.prompts)) if (!ids.has(id)) delete manifest.prompts[id];
  manifest.prompts = Object.fromEntries(
    Object.entries(manifest.prompts).sort(([a], [b]) => a.localeCompare(b)),
  );
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  const total = Object.values(manifest.prompts).reduce((sum, entry) => sum + entry.bytes, 0);
  console.log(
    `${prompts.length} prompts (${stale.length} rendered, ${prompts.length - stale.length} unchanged), ${(total / 1024 / 1024).toFixed(2)} MB, ${(total / 8000 / 60).toFixed(1)} min of audio`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
