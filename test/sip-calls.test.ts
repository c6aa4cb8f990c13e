import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLineNumber } from '../src/app/index';
import { waitUntil } from './fixtures/sipp/peers';
import { rtpStream, type StreamPart, writePcap } from './support/pcap';
import { registerPhone } from './support/phones';
import { freeUdpPort, runSipp, type SippResult, sippFixtures } from './support/sipp';
import { startTestTeller, type TestTeller } from './support/teller';

/**
 * Calls through Teller's B2BUA with SIPp on both ends: the caller is extension 1001 (digest
 * authenticated), the callee a SIPp UAS registered as 1002. RTP comes from captures written per
 * test (test/support/pcap.ts): tones the test can find again in recordings, RFC 4733 keys.
 */

const work = mkdtempSync(path.join(tmpdir(), 'teller-calls-'));
const callerCsv = path.join(sippFixtures, 'caller-1001.csv');
let fileCount = 0;

/** With SIPP_TRACE=<dir>, every SIPp writes its message trace there (to debug a failing call). */
const trace = (name: string) =>
  process.env.SIPP_TRACE
    ? ['-trace_msg', '-message_file', path.join(process.env.SIPP_TRACE, `${name}-${fileCount++}.log`)]
    : [];

/** A copy of a fixture scenario with its `@PCAP@` replaced by a capture of `parts`. */
function scenarioPlaying(fixture: string, parts: StreamPart[]): string {
  const n = fileCount++;
  const pcap = path.join(work, `stream-${n}.pcap`);
  writeFileSync(pcap, writePcap(rtpStream(parts, { ssrc: 0x10000 + n })));
  const scenario = path.join(work, `${n}-${fixture}`);
  writeFileSync(scenario, readFileSync(path.join(sippFixtures, fixture), 'utf8').replaceAll('@PCAP@', pcap));
  return scenario;
}

/**
 * Scenarios written by the test: a callee that answers every INVITE with 408, and the caller that
 * then expects exactly `480 Temporarily Unavailable` (checked with ereg: a wrong reason phrase
 * fails the call) and acknowledges it.
 */
function timeoutScenarios(): { callee: string; caller: string } {
  const callee = path.join(work, 'callee-408.xml');
  writeFileSync(
    callee,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callee whose phone times out">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 408 Request Timeout
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
`,
  );
  const cancel = readFileSync(path.join(sippFixtures, 'call-cancel.xml'), 'utf8');
  // The authenticated INVITE of call-cancel.xml, then the 480 instead of ringing and cancelling.
  const head = cancel.slice(0, cancel.lastIndexOf('  <recv response="100" optional="true"/>'));
  const caller = path.join(work, 'caller-480.xml');
  writeFileSync(
    caller,
    `${head}  <recv response="100" optional="true"/>
  <recv response="480">
    <action>
      <ereg regexp="^SIP/2.0 480 Temporarily Unavailable\r" search_in="msg" check_it="true" assign_to="status_line"/>
      <log message="final: [$status_line]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`,
  );
  return { callee, caller };
}

async function canBind(port: number, address = '0.0.0.0'): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}

/** An even port for SIPp's media (it binds it and port + 2), outside Teller's RTP range. */
async function sippMediaPort(): Promise<number> {
  for (;;) {
    const port = 40000 + 2 * Math.floor(Math.random() * 4900);
    if ((await canBind(port, '127.0.0.1')) && (await canBind(port + 2, '127.0.0.1'))) return port;
  }
}

/** Channel `channel` (1 left, 2 right) of a WAV as 8 kHz 16-bit samples, decoded by sox. */
function channelSamples(file: string, channel: 1 | 2): Int16Array {
  const out = spawnSync(
    'sox',
    [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '8000', '-c', '1', '-', 'remix', String(channel)],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`sox ${file}: ${out.stderr.toString()}`);
  const bytes = out.stdout as Buffer;
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** sox `stat` of one channel: its RMS amplitude (full scale 1). */
function rmsOf(file: string, channel: 1 | 2): number {
  const out = spawnSync('sox', [file, '-n', 'remix', String(channel), 'stat'], { encoding: 'utf8' });
  const match = /RMS\s+amplitude:\s+([0-9.]+)/.exec(out.stderr);
  if (!match) throw new Error(`sox stat ${file}: ${out.stderr}`);
  return Number(match[1]);
}

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** Goertzel power at `frequency` over `block`, as a share of the block's energy (1 for a pure tone). */
function toneShare(block: Int16Array, frequency: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / 8000);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of block) {
    const s = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += x * x;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return (2 * power) / (block.length * energy);
}

/** Share of the whole signal's energy that is at `frequency` (20 ms blocks). */
function energyShare(samples: Int16Array, frequency: number): number {
  let total = 0;
  let at = 0;
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    const block = samples.subarray(i, i + 160);
    let energy = 0;
    for (const x of block) energy += x * x;
    total += energy;
    at += energy * toneShare(block, frequency);
  }
  return total === 0 ? 0 : at / total;
}

const LOW = [697, 770, 852, 941] as const;
const HIGH = [1209, 1336, 1477, 1633] as const;
const KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/**
 * The DTMF keys heard in a signal, in order: 20 ms blocks where one row and one column frequency
 * hold most of the energy, kept when they last at least 60 ms (a prompt's speech never does).
 */
function keysIn(samples: Int16Array): string {
  const blocks: (string | undefined)[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    const block = samples.subarray(i, i + 160);
    let energy = 0;
    for (const x of block) energy += x * x;
    if (energy / 160 < 200 * 200) {
      blocks.push(undefined);
      continue;
    }
    const low = LOW.map((f) => toneShare(block, f));
    const high = HIGH.map((f) => toneShare(block, f));
    const row = low.indexOf(Math.max(...low));
    const column = high.indexOf(Math.max(...high));
    const strong = low[row]! > 0.25 && high[column]! > 0.25 && low[row]! + high[column]! > 0.7;
    blocks.push(strong ? KEYPAD[row]![column] : undefined);
  }
  let keys = '';
  let run: string | undefined;
  let length = 0;
  for (const key of [...blocks, undefined]) {
    if (key === run) {
      length++;
      continue;
    }
    if (run !== undefined && length >= 3) keys += run;
    run = key;
    length = 1;
  }
  return keys;
}

interface CallRow {
  id: string;
  caller: string;
  callee: string;
  route: string;
  answered_at: number | null;
  ended_at: number | null;
  disposition: string | null;
  ended_by: string | null;
  recording_path: string | null;
}

describe('calls through the B2BUA, against SIPp', () => {
  let teller: TestTeller;
  let target: string;
  /** The SIP port SIPp plays extension 1002 on, registered once for the whole suite. */
  let calleePort: number;
  const seen = new Set<string>();

  /** The one call record written since the previous call to this, once the call has ended. */
  async function nextRecord(): Promise<CallRow> {
    let found: CallRow | undefined;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const rows = (await teller.store.db
        .selectFrom('call_records')
        .selectAll()
        .execute()) as unknown as CallRow[];
      const fresh = rows.filter((r) => !seen.has(r.id));
      if (fresh.length > 1) throw new Error(`more than one new call record: ${JSON.stringify(fresh)}`);
      found = fresh[0];
      if (found && found.ended_at !== null) {
        seen.add(found.id);
        return found;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no ended call record; last seen ${JSON.stringify(found)}`);
  }

  function caller(scenario: string, dialled: string, pauseMs: number, mediaPort: number) {
    return runSipp(
      target,
      [
        '-sf',
        scenario,
        '-inf',
        callerCsv,
        '-s',
        dialled,
        '-au',
        '1001',
        '-ap',
        'teller-demo',
        // SIPp's digest uri is the remote host unless told; Teller checks it against the Request-URI.
        '-auth_uri',
        `${dialled}@127.0.0.1:${teller.sip.port}`,
        '-mp',
        String(mediaPort),
        '-d',
        String(pauseMs),
        '-m',
        '1',
        ...trace('caller'),
      ],
      90_000,
    );
  }

  /** Starts SIPp as extension 1002's phone (a UAS on the registered port) and waits until it listens. */
  async function callee(
    scenario: string,
    pauseMs: number,
    mediaPort: number,
    phone: { extension: string; port: number; extra?: string[] } = { extension: '1002', port: calleePort },
  ): Promise<{ result: Promise<SippResult> }> {
    const port = phone.port;
    const run = runSipp(
      target,
      [
        '-sf',
        scenario,
        '-s',
        phone.extension,
        '-p',
        String(port),
        '-mp',
        String(mediaPort),
        '-d',
        String(pauseMs),
        '-m',
        '1',
        ...(phone.extra ?? trace('callee')),
      ],
      90_000,
    );
    let exited = false;
    void run.then(() => {
      exited = true;
    });
    let listening = false;
    const deadline = Date.now() + 20_000;
    while (!listening && !exited && Date.now() < deadline) {
      listening = !(await canBind(port));
      if (!listening) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!listening)
      throw new Error(`SIPp as ${phone.extension} did not bind port ${port}: ${(await run).output}`);
    // Wrapped: an async function that returned the promise itself would wait for SIPp to end.
    return { result: run };
  }

  /** The call in progress once `ready` holds for it (Teller's own call objects, read as a debug hook). */
  async function callWhen(ready: (call: NonNullable<ReturnType<typeof currentCall>>) => boolean) {
    let call: ReturnType<typeof currentCall>;
    const found = await waitUntil(
      () => {
        call = currentCall();
        return call !== undefined && ready(call);
      },
      30_000,
      10,
    );
    if (!found || !call) throw new Error('the call did not get there');
    return call;
  }

  function currentCall() {
    return [...teller.calls.calls][0];
  }

  /** SIPp registers `extension` (digest) from `port`, where a later SIPp plays its phone. */
  const register = (extension: string, port: number) => registerPhone(teller, extension, port);

  beforeAll(async () => {
    teller = await startTestTeller({ env: { TELLER_SIP_DIGEST_ALGORITHMS: 'MD5' } });
    target = `127.0.0.1:${teller.sip.port}`;
    calleePort = await freeUdpPort();
    await register('1002', calleePort);
  }, 120_000);
  afterAll(() => teller?.close());

  it('1001 calls the line test (8889): answered, prompt and each RFC 4733 key played back as its tone, recorded in stereo', async () => {
    const keys = '17#5';
    const digits: string[] = [];
    const stop = teller.media.on('dtmf', (event) => digits.push(event.digit));
    const stats: { packetsIn: number; dtmfIn: number }[] = [];
    // The caller talks (a 440 Hz tone) for a second, then keys; the call lasts until the tones are played.
    const scenario = scenarioPlaying('call-audio.xml', [
      { kind: 'tone', frequency: 440, durationMs: 1000 },
      { kind: 'keys', digits: keys, keyMs: 160, gapMs: 340 },
    ]);
    const sampler = (async () => {
      // Counters of the caller's endpoint just before it closes: read while the call lasts.
      const call = await callWhen(() => true);
      while (teller.calls.calls.has(call)) {
        try {
          stats.push(await teller.media.stats(call.a.endpoint.id));
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const result = await caller(scenario, testLineNumber, 4500, await sippMediaPort());
    stop();
    await sampler;
    expect(result.status, result.output).toBe(0);

    const record = await nextRecord();
    expect(record).toMatchObject({
      caller: '1001',
      callee: testLineNumber,
      route: 'app:test',
      disposition: 'answered',
      ended_by: 'caller',
    });
    expect(record.answered_at).not.toBeNull();
    expect(record.recording_path).toBe(path.join(teller.config.dataDir, 'recordings', `${record.id}.wav`));

    // Teller heard every key once, in order, as RFC 4733 events.
    expect(digits.join('')).toBe(keys);
    const last = stats.at(-1);
    expect(last?.dtmfIn).toBe(keys.length);
    expect(last?.packetsIn).toBeGreaterThan(40);

    // The recording: left the caller (the 440 Hz tone), right what Teller played (prompt, tones).
    const file = record.recording_path!;
    const info = spawnSync('soxi', ['-c', file], { encoding: 'utf8' });
    expect(info.stdout.trim()).toBe('2');
    expect(rmsOf(file, 1)).toBeGreaterThan(0.01);
    expect(rmsOf(file, 2)).toBeGreaterThan(0.01);
    expect(energyShare(channelSamples(file, 1), 440)).toBeGreaterThan(0.8);
    expect(keysIn(channelSamples(file, 2))).toBe(keys);
  }, 120_000);

  it('1001 calls 1002: both legs answered and bridged, audio crosses both ways', async () => {
    const calleeRun = await callee(
      scenarioPlaying('callee-answer.xml', [{ kind: 'tone', frequency: 1000, durationMs: 4000 }]),
      0,
      await sippMediaPort(),
    );
    const callerRun = caller(
      scenarioPlaying('call-audio.xml', [{ kind: 'tone', frequency: 440, durationMs: 4000 }]),
      '1002',
      5000,
      await sippMediaPort(),
    );
    // Each leg recorded on its own as soon as Teller has both (left what Teller receives on it,
    // right what it sends); the tones last long enough for a slow machine to catch them.
    const call = await callWhen((c) => c.b !== undefined);
    const a = call.a.endpoint.id;
    const b = call.b!.endpoint.id;
    const aFile = path.join(work, 'leg-a.wav');
    const bFile = path.join(work, 'leg-b.wav');
    const stopped = new Set<string>();
    const stop = teller.media.on('recording-stopped', (event) => stopped.add(event.path));
    await teller.media.record(a, { path: aFile });
    await teller.media.record(b, { path: bFile });
    await callWhen((c) => c.mixId !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const aStats = await teller.media.stats(a);
    const bStats = await teller.media.stats(b);

    const [callerResult, calleeResult] = await Promise.all([callerRun, calleeRun.result]);
    expect(callerResult.status, callerResult.output).toBe(0);
    expect(calleeResult.status, calleeResult.output).toBe(0);
    expect(await waitUntil(() => stopped.has(aFile) && stopped.has(bFile), 20_000)).toBe(true);
    stop();

    const record = await nextRecord();
    expect(record).toMatchObject({
      caller: '1001',
      callee: '1002',
      route: 'extension:1002',
      disposition: 'answered',
      ended_by: 'caller',
    });
    expect(record.answered_at).not.toBeNull();
    expect(aStats.packetsIn).toBeGreaterThan(25);
    expect(bStats.packetsIn).toBeGreaterThan(25);
    // Caller → Teller → callee: the 440 Hz tone came in on leg a and went out on leg b.
    expect(energyShare(channelSamples(aFile, 1), 440)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(bFile, 2), 440)).toBeGreaterThan(0.8);
    // Callee → Teller → caller: the 1000 Hz tone came in on leg b and went out on leg a.
    expect(energyShare(channelSamples(bFile, 1), 1000)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(aFile, 2), 1000)).toBeGreaterThan(0.8);
  }, 120_000);

  it('CANCEL while 1002 rings: the caller gets 487, the callee the CANCEL, the record says cancelled', async () => {
    const calleeRun = await callee(path.join(sippFixtures, 'callee-rings.xml'), 0, await sippMediaPort());
    const callerResult = await caller(
      path.join(sippFixtures, 'call-cancel.xml'),
      '1002',
      1000,
      await sippMediaPort(),
    );
    const calleeResult = await calleeRun.result;
    expect(callerResult.status, callerResult.output).toBe(0);
    expect(calleeResult.status, calleeResult.output).toBe(0);
    const record = await nextRecord();
    expect(record).toMatchObject({
      caller: '1001',
      callee: '1002',
      disposition: 'cancelled',
      ended_by: 'caller',
      answered_at: null,
    });
  }, 120_000);

  // The call layer passes the callee's 408 on as 480 with the 408's phrase; the SIP layer pairs
  // every status with its own phrase, so the caller sees "480 Temporarily Unavailable".
  it('a 408 from the callee reaches the caller as 480 Temporarily Unavailable (status and reason paired)', async () => {
    const scenarios = timeoutScenarios();
    const calleeRun = await callee(scenarios.callee, 0, await sippMediaPort());
    const callerResult = await caller(scenarios.caller, '1002', 0, await sippMediaPort());
    const calleeResult = await calleeRun.result;
    expect(calleeResult.status, calleeResult.output).toBe(0);
    expect(callerResult.status, callerResult.output).toBe(0);
    const record = await nextRecord();
    expect(record).toMatchObject({ callee: '1002', disposition: 'no-answer', answered_at: null });
  }, 120_000);

  it('blind transfer: 1002 REFERs 1001 to 1003 — 202, NOTIFY sipfrag from 100 Trying to 200 OK, 1003 rings and answers, 1002 is released, 1001 and 1003 talk', async () => {
    const targetPort = await freeUdpPort();
    await register('1003', targetPort);
    // 1003 answers and sends a 1000 Hz tone; 1002 (before it transfers) a 700 Hz one; 1001 440 Hz.
    const targetRun = await callee(
      scenarioPlaying('callee-answer.xml', [{ kind: 'tone', frequency: 1000, durationMs: 6000 }]),
      0,
      await sippMediaPort(),
      { extension: '1003', port: targetPort, extra: trace('target') },
    );
    const notifyLog = path.join(work, `transferor-${fileCount++}.log`);
    const transferor = path.join(work, `${fileCount++}-refer-transferor.xml`);
    writeFileSync(
      transferor,
      readFileSync(
        scenarioPlaying('refer-transferor.xml', [{ kind: 'tone', frequency: 700, durationMs: 1000 }]),
        'utf8',
      ).replaceAll('@TARGET@', '1003'),
    );
    const transferorRun = await callee(transferor, 1500, await sippMediaPort(), {
      extension: '1002',
      port: calleePort,
      extra: ['-trace_msg', '-message_file', notifyLog],
    });
    const callerRun = caller(
      scenarioPlaying('call-audio.xml', [{ kind: 'tone', frequency: 440, durationMs: 9000 }]),
      '1002',
      8000,
      await sippMediaPort(),
    );

    // Once 1003's leg is bridged to 1001's, each is recorded on its own (as in the bridged test).
    const call = await callWhen((c) => c.b?.party === '1003' && c.mixId !== undefined);
    const a = call.a.endpoint.id;
    const b = call.b!.endpoint.id;
    const aFile = path.join(work, 'transfer-a.wav');
    const bFile = path.join(work, 'transfer-b.wav');
    const stopped = new Set<string>();
    const stop = teller.media.on('recording-stopped', (event) => stopped.add(event.path));
    await teller.media.record(a, { path: aFile });
    await teller.media.record(b, { path: bFile });

    const [callerResult, transferorResult, targetResult] = await Promise.all([
      callerRun,
      transferorRun.result,
      targetRun.result,
    ]);
    expect(transferorResult.status, transferorResult.output).toBe(0);
    expect(targetResult.status, targetResult.output).toBe(0);
    expect(callerResult.status, callerResult.output).toBe(0);
    expect(await waitUntil(() => stopped.has(aFile) && stopped.has(bFile), 20_000)).toBe(true);
    stop();

    // RFC 3515 §2.4.5: the NOTIFYs carry the transfer's progress as sipfrag status lines, the
    // last (subscription terminated) the final answer of 1003.
    const notifies = readFileSync(notifyLog, 'utf8')
      .replaceAll('\r\n', '\n')
      .split(/\n-{20,}[^\n]*\n/)
      .filter((block) => /message received/.test(block))
      .map((block) => block.slice(block.indexOf(':\n') + 2).trim())
      .filter((message) => message.startsWith('NOTIFY '));
    const frags = notifies.map(
      (m) =>
        m
          .slice(m.indexOf('\n\n') + 2)
          .trim()
          .split('\n')[0],
    );
    expect(frags[0]).toBe('SIP/2.0 100 Trying');
    expect(frags.at(-1)).toBe('SIP/2.0 200 OK');
    expect(frags.filter((f) => f !== 'SIP/2.0 180 Ringing').length).toBe(2);
    expect(notifies.at(-1)).toMatch(/Subscription-State:\s*terminated/i);
    expect(notifies.every((m) => /Event:\s*refer/i.test(m) && /message\/sipfrag/i.test(m))).toBe(true);

    const record = await nextRecord();
    expect(record).toMatchObject({ caller: '1001', disposition: 'answered', ended_by: 'caller' });
    // After the transfer 1001 and 1003 hear each other, and nothing of 1002.
    expect(energyShare(channelSamples(aFile, 1), 440)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(aFile, 2), 1000)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(bFile, 1), 1000)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(bFile, 2), 440)).toBeGreaterThan(0.8);
    expect(energyShare(channelSamples(aFile, 2), 700)).toBeLessThan(0.05);
  }, 150_000);

  it('hold by re-INVITE (sendonly → recvonly, the callee hears music) and resume (sendrecv)', async () => {
    const calleeRun = await callee(
      scenarioPlaying('callee-answer.xml', [{ kind: 'tone', frequency: 0, durationMs: 200 }]),
      0,
      await sippMediaPort(),
    );
    const callerRun = caller(path.join(sippFixtures, 'call-hold.xml'), '1002', 2000, await sippMediaPort());
    // The caller sends no audio, so what leg b sends (the right channel of its recording) is only
    // the music on hold: there while the caller holds, gone once it resumes (-d ms before BYE).
    const call = await callWhen((c) => c.b !== undefined);
    const bFile = path.join(work, 'hold-b.wav');
    let stopped = false;
    const stop = teller.media.on('recording-stopped', (event) => {
      if (event.path === bFile) stopped = true;
    });
    await teller.media.record(call.b!.endpoint.id, { path: bFile });

    const [callerResult, calleeResult] = await Promise.all([callerRun, calleeRun.result]);
    expect(callerResult.status, callerResult.output).toBe(0);
    expect(calleeResult.status, calleeResult.output).toBe(0);
    expect(await waitUntil(() => stopped, 20_000)).toBe(true);
    stop();
    expect(rmsOf(bFile, 2)).toBeGreaterThan(0.01);
    const heard = channelSamples(bFile, 2);
    expect(rms(heard.subarray(heard.length - 4000))).toBeLessThan(100);
    const record = await nextRecord();
    expect(record).toMatchObject({ callee: '1002', disposition: 'answered', ended_by: 'caller' });
  }, 120_000);

  it('BYE from the callee ends the caller’s leg too', async () => {
    const calleeRun = await callee(
      scenarioPlaying('callee-hangs-up.xml', [{ kind: 'tone', frequency: 1000, durationMs: 500 }]),
      1500,
      await sippMediaPort(),
    );
    const callerResult = await caller(
      scenarioPlaying('call-hung-up.xml', [{ kind: 'tone', frequency: 440, durationMs: 500 }]),
      '1002',
      0,
      await sippMediaPort(),
    );
    const calleeResult = await calleeRun.result;
    expect(calleeResult.status, calleeResult.output).toBe(0);
    expect(callerResult.status, callerResult.output).toBe(0);
    const record = await nextRecord();
    expect(record).toMatchObject({ callee: '1002', disposition: 'answered', ended_by: 'callee' });
    expect(teller.calls.active).toBe(0);
  }, 120_000);
});
