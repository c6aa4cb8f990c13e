import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './fixtures/sipp/peers';
import { canBindUdp, freeSipPort } from './support/ports';
import { startTestTeller, type TestTeller } from './support/teller';

/**
 * A real softphone against Teller: Debian's baresip, headless. Its microphone is a WAV file (the
 * `aufile` source), its speaker ALSA's `null` device, and the `sndfile` filter writes what it
 * decodes from the network to `dump-<peer>-dec.wav`, which the test reads with sox.
 */

const work = mkdtempSync(path.join(tmpdir(), 'teller-baresip-'));

/** 20 free-looking RTP ports for one softphone, outside Teller's 20000–29999. */
async function rtpRange(): Promise<[number, number]> {
  for (;;) {
    const start = 30000 + 20 * Math.floor(Math.random() * 490);
    if ((await canBindUdp(start)) && (await canBindUdp(start + 10))) return [start, start + 19];
  }
}

/** A mono 8 kHz 16-bit WAV of a sine, made by sox, for a softphone's microphone. */
function toneWav(frequency: number, seconds: number): string {
  const file = path.join(work, `tone-${frequency}.wav`);
  const made = spawnSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    file,
    'synth',
    String(seconds),
    'sine',
    String(frequency),
    'vol',
    '0.3',
  ]);
  if (made.status !== 0) throw new Error(`sox: ${made.stderr.toString()}`);
  return file;
}

let phones = 0;

interface Softphone {
  extension: string;
  dir: string;
  /** Where sndfile writes the audio of each call. */
  dumps: string;
}

/** A baresip configuration directory for one extension registered with Teller. */
async function softphone(extension: string, tellerPort: number, microphone: string): Promise<Softphone> {
  const dir = path.join(work, `${extension}-${phones++}`);
  const dumps = path.join(dir, 'dumps');
  mkdirSync(dumps, { recursive: true });
  const [rtpMin, rtpMax] = await rtpRange();
  const sipPort = await freeSipPort();
  writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'call_local_timeout 120',
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `audio_source aufile,${microphone}`,
      `rtp_ports ${rtpMin}-${rtpMax}`,
      'jitter_buffer_delay 5-10',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module alsa.so',
      'module aufile.so',
      'module sndfile.so',
      'module_tmp account.so',
      'module_app menu.so',
      `snd_path ${dumps}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'accounts'),
    `<sip:${extension}@127.0.0.1:${tellerPort};transport=udp>;auth_pass=teller-demo;answermode=auto;audio_codecs=PCMA,PCMU;regint=600\n`,
  );
  return { extension, dir, dumps };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts baresip on a configuration; `-s` traces SIP into the output the test shows on failure. */
function startBaresip(phone: Softphone, args: string[]): Run {
  const child = spawn('baresip', ['-f', phone.dir, '-s', ...args], {
    cwd: phone.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

/** Waits for a baresip to end, stopping it (SIGTERM: it hangs up and unregisters) after `ms`. */
async function stopAfter(run: Run, ms: number): Promise<number | null> {
  const timer = setTimeout(() => run.child.kill('SIGTERM'), ms);
  const code = await run.exited;
  clearTimeout(timer);
  return code;
}

/** The WAV sndfile wrote of what a softphone decoded in its call. */
function received(phone: Softphone): string {
  const files = readdirSync(phone.dumps).filter((f) => f.endsWith('-dec.wav'));
  if (files.length !== 1)
    throw new Error(`expected one decoded dump in ${phone.dumps}, found ${files.join(', ')}`);
  return path.join(phone.dumps, files[0]!);
}

/** sox `stat` of a file (mono), as its RMS amplitude (full scale 1). */
function rmsOf(file: string, remix?: 1 | 2): number {
  const out = spawnSync('sox', [file, '-n', ...(remix ? ['remix', String(remix)] : []), 'stat'], {
    encoding: 'utf8',
  });
  const match = /RMS\s+amplitude:\s+([0-9.]+)/.exec(out.stderr);
  if (!match) throw new Error(`sox stat ${file}: ${out.stderr}`);
  return Number(match[1]);
}

/** Samples of a file (one channel of it) at 8 kHz, decoded by sox. */
function samples(file: string, remix: 1 | 2 = 1): Int16Array {
  const out = spawnSync(
    'sox',
    [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '8000', '-c', '1', '-', 'remix', String(remix)],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`sox ${file}: ${out.stderr.toString()}`);
  const bytes = out.stdout as Buffer;
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Share of a signal's energy at `frequency` (Goertzel over 20 ms blocks, 1 for a pure tone). */
function energyShare(signal: Int16Array, frequency: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / 8000);
  let total = 0;
  let at = 0;
  for (let i = 0; i + 160 <= signal.length; i += 160) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let j = i; j < i + 160; j++) {
      const x = signal[j]!;
      const s = x + coefficient * s1 - s2;
      s2 = s1;
      s1 = s;
      energy += x * x;
    }
    if (energy === 0) continue;
    const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    total += energy;
    at += (2 * power) / 160;
  }
  return total === 0 ? 0 : at / total;
}

interface CallRow {
  id: string;
  caller: string;
  callee: string;
  answered_at: number | null;
  ended_at: number | null;
  disposition: string | null;
  recording_path: string | null;
}

describe('a real softphone (baresip) against Teller', () => {
  let teller: TestTeller;

  beforeAll(async () => {
    teller = await startTestTeller({ env: { TELLER_SIP_DIGEST_ALGORITHMS: 'MD5' } });
  }, 120_000);
  afterEach(() => {
    // A failed test must not leave a softphone running into the next one.
    for (const child of running) child.kill('SIGKILL');
  });
  afterAll(() => teller?.close());

  /** Whether a call to `callee` was answered (both legs, for an extension) within a minute. */
  async function answeredCall(callee: string): Promise<boolean> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const row = await teller.store.db
        .selectFrom('call_records')
        .select('answered_at')
        .where('callee', '=', callee)
        .where('answered_at', 'is not', null)
        .executeTakeFirst();
      if (row) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  async function endedCall(callee: string): Promise<CallRow> {
    let row: CallRow | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      row = (await teller.store.db
        .selectFrom('call_records')
        .selectAll()
        .where('callee', '=', callee)
        .orderBy('started_at', 'desc')
        .executeTakeFirst()) as CallRow | undefined;
      if (row?.ended_at != null) return row;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no ended call to ${callee}: ${JSON.stringify(row)}`);
  }

  it('registers as 1001 and calls 8888: answered, and the audio it receives is not silent', async () => {
    const phone = await softphone('1001', teller.sip.port, toneWav(440, 20));
    const run = startBaresip(phone, ['-e', '/dial 8888']);
    expect(await answeredCall('8888'), run.output()).toBe(true);
    // It registered too (REGISTER and INVITE go out together as it starts).
    const registered = await waitUntil(
      () => teller.sip.location.lookup('sip:1001@teller').length > 0,
      30_000,
    );
    expect(registered, run.output()).toBe(true);
    // Let the prompt play out, then hang up (baresip sends BYE as it quits).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await stopAfter(run, 0), run.output()).toBe(0);

    const record = await endedCall('8888');
    expect(record).toMatchObject({ caller: '1001', disposition: 'answered' });
    // What baresip heard: Teller's welcome prompt.
    const heard = received(phone);
    expect(rmsOf(heard), run.output()).toBeGreaterThan(0.01);
    // What Teller heard and recorded on the left: baresip's microphone, the 440 Hz tone.
    expect(rmsOf(record.recording_path!, 1)).toBeGreaterThan(0.01);
    expect(energyShare(samples(record.recording_path!, 1), 440)).toBeGreaterThan(0.8);
  }, 120_000);

  it('1001 calls 1002, both baresip: audio both ways', async () => {
    const callee = await softphone('1002', teller.sip.port, toneWav(1000, 20));
    const calleeRun = startBaresip(callee, []);
    const registered = await waitUntil(
      () => teller.sip.location.lookup('sip:1002@teller').length > 0,
      60_000,
    );
    expect(registered, calleeRun.output()).toBe(true);

    const caller = await softphone('1001', teller.sip.port, toneWav(440, 20));
    const callerRun = startBaresip(caller, ['-e', '/dial 1002']);
    expect(await answeredCall('1002'), `${callerRun.output()}\n----\n${calleeRun.output()}`).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await stopAfter(callerRun, 0), callerRun.output()).toBe(0);
    const record = await endedCall('1002');
    expect(record).toMatchObject({ caller: '1001', callee: '1002', disposition: 'answered' });
    expect(await stopAfter(calleeRun, 0), calleeRun.output()).toBe(0);

    // Each side heard the other's tone: 1000 Hz at the caller, 440 Hz at the callee.
    expect(energyShare(samples(received(caller)), 1000)).toBeGreaterThan(0.8);
    expect(energyShare(samples(received(callee)), 440)).toBeGreaterThan(0.8);
  }, 120_000);
});
