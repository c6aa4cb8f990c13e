import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Teller } from '../../src/app/index';
import type { IvrSession } from '../../src/ivr/index';
import { waitUntil } from '../fixtures/sipp/peers';
import { rtpStream, type StreamPart, writePcap } from './pcap';
import { freeUdpPort, runSipp, type SippResult, sippFixtures } from './sipp';

/**
 * Real phones for end-to-end tests, played by Debian's SIPp on loopback: a customer calling the
 * phone-banking line and keying step by step as the IVR asks (ivr-caller.xml), and people's
 * desk phones that register, ring and answer with a capture of their own voice (desk-phone.xml).
 * Voices are tones, so what each party heard can be told apart in a recording.
 */

const work = mkdtempSync(path.join(tmpdir(), 'teller-phones-'));
let captures = 0;

export async function canBind(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** An even port for SIPp's media (it binds it and port + 2), outside Teller's RTP range. */
export async function mediaPort(): Promise<number> {
  for (;;) {
    const port = 40000 + 2 * Math.floor(Math.random() * 4900);
    if ((await canBind(port)) && (await canBind(port + 2))) return port;
  }
}

/** Tells SIPp (its scenario waits in `<recv request="INFO">`) to go on: an INFO with the call's Call-ID. */
export async function sendInfo(
  port: number,
  callId: string,
  n: number,
  address = '127.0.0.1',
): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const local = socket.address().port;
  const message =
    `INFO sip:caller@127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-phone-test-${n}-${Date.now()}\r\n` +
    `From: <sip:test@127.0.0.1>;tag=phone-test\r\nTo: <sip:caller@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${100 + n} INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  await new Promise<void>((resolve, reject) =>
    socket.send(message, port, address, (error) => (error ? reject(error) : resolve())),
  );
  socket.close();
}

/** One keying of the caller: when the session is at `step` (its `visit`-th time), key `keys`. */
export interface IvrStep {
  step: string;
  /** The caller says something first: a tone of this frequency for `ms`. */
  tone?: { frequency: number; ms: number };
  /** 'prompt': while the step's prompt plays (a barge-in); 'input': once it waits for keys. */
  when: 'prompt' | 'input';
  keys: string;
  visit?: number;
}

/** A call on the phone-banking line, driven by the test. */
export interface IvrCall {
  record: { id: string; sipCallId: string };
  session: IvrSession;
  result: Promise<SippResult>;
  /** Plays the next of the `later` captures (the caller talking to the agent, say). */
  next(): Promise<void>;
  /** Has the caller hang up (one more INFO to SIPp) and waits for SIPp to finish. */
  hangUp(): Promise<SippResult>;
}

/**
 * Calls `number` (the phone-banking line) from `caller` on a trusted trunk and keys `steps` as
 * the IVR reaches them; resolves once the last step's keys went out. `later` are captures the
 * test plays afterwards, one per `next()`. SIPp's INFO-paced scenario is ivr-caller.xml.
 */
export async function callIvr(
  teller: Teller,
  o: {
    caller: string;
    steps: IvrStep[];
    later?: StreamPart[][];
    number?: string;
    /** The loopback address SIPp calls from (a trusted trunk's), default 127.0.0.1. */
    address?: string;
    /** What to add to the message when the IVR does not get where a step expects. */
    problems?: (session: IvrSession) => string;
  },
): Promise<IvrCall> {
  const n = ++captures;
  const ssrc = 0x2e000 + n;
  let sequence = 5000;
  let timestamp = 320_000;
  const blocks: string[] = [];
  const capture = (parts: StreamPart[], name: string) => {
    const packets = rtpStream(parts, { ssrc, firstSequence: sequence, firstTimestamp: timestamp });
    const last = packets.at(-1)!;
    sequence = last.sequenceNumber + 1;
    // The next capture starts later than this one ends: the timestamps keep rising like a clock.
    timestamp = last.timestamp + 8000 * 60;
    const file = path.join(work, `call-${n}-${name}.pcap`);
    writeFileSync(file, writePcap(packets));
    blocks.push(`<recv request="INFO"/>\n  <nop><action><exec play_pcap_audio="${file}"/></action></nop>`);
  };
  o.steps.forEach((step, i) => {
    const parts: StreamPart[] = step.tone
      ? [{ kind: 'tone', frequency: step.tone.frequency, durationMs: step.tone.ms, amplitude: 8000 }]
      : [];
    parts.push({ kind: 'keys', digits: step.keys, keyMs: 160, gapMs: 240 });
    capture(parts, `step-${i}`);
  });
  for (const [i, parts] of (o.later ?? []).entries()) capture(parts, `later-${i}`);
  const scenario = path.join(work, `call-${n}.xml`);
  writeFileSync(
    scenario,
    readFileSync(path.join(sippFixtures, 'ivr-caller.xml'), 'utf8').replace(
      '<!-- @STEPS@ -->',
      blocks.join('\n  '),
    ),
  );
  const sippPort = await freeUdpPort();
  const result = runSipp(
    `127.0.0.1:${teller.sip.port}`,
    [
      '-sf',
      scenario,
      '-s',
      o.number ?? '8888',
      '-set',
      'caller',
      o.caller,
      '-p',
      String(sippPort),
      '-mp',
      String(await mediaPort()),
      '-m',
      '1',
      ...(o.address ? ['-i', o.address] : []),
    ],
    300_000,
  );
  let exited: SippResult | undefined;
  void result.then((r) => {
    exited = r;
  });

  let found: { record: { id: string; sipCallId: string }; session: IvrSession } | undefined;
  const answered = await waitUntil(() => {
    if (exited) return true;
    for (const call of teller.calls.calls) {
      const onLine = teller.ivr.call(call.record.id);
      if (onLine?.session && call.record.caller === o.caller) {
        found = { record: call.record, session: onLine.session };
        return true;
      }
    }
    return false;
  }, 30_000);
  if (!answered || !found) throw new Error(`the line did not answer: ${exited?.output ?? ''}`);
  const { record, session } = found;

  let trigger = 0;
  const nudge = () => sendInfo(sippPort, record.sipCallId, ++trigger, o.address);
  for (const step of o.steps) {
    const visit = step.visit ?? 1;
    const ready = await waitUntil(
      () => {
        if (exited || session.state === 'ended') return true;
        const visits = session.path.filter((p) => p === step.step).length;
        if (visits < visit) return false;
        return step.when === 'input' ? session.state === 'awaiting-input' : session.state !== 'running';
      },
      120_000,
      10,
    );
    if (!ready || exited || session.state === 'ended') {
      throw new Error(
        `the IVR did not reach ${step.step}#${visit}: at ${session.path.at(-1)} (${session.state}); ` +
          `path ${session.path.join(' > ')}; media ${await callMedia(teller, record.id)}; ` +
          `SIPp ${exited?.output ?? 'running'}\n${o.problems?.(session) ?? ''}`,
      );
    }
    await nudge();
  }
  let played = 0;
  return {
    record,
    session,
    result,
    async next() {
      if (played >= (o.later?.length ?? 0)) throw new Error('no more captures to play');
      played++;
      await nudge();
    },
    async hangUp() {
      while (played < (o.later?.length ?? 0)) {
        played++;
        await nudge();
      }
      await nudge();
      return result;
    },
  };
}

/** The caller leg's media counters (received, lost, discarded, keys), for a failing call's message. */
async function callMedia(teller: Teller, callId: string): Promise<string> {
  const live = [...teller.calls.calls].find((c) => c.record.id === callId);
  if (!live) return 'call gone';
  try {
    return JSON.stringify(await teller.media.stats(live.a.endpoint.id));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** SIPp registers `extension` (digest, password teller-demo) from `port`, where a later SIPp plays its phone. */
export async function registerPhone(teller: Teller, extension: string, port: number): Promise<void> {
  const registered = await runSipp(
    `127.0.0.1:${teller.sip.port}`,
    [
      '-sf',
      path.join(sippFixtures, 'register.xml'),
      '-s',
      extension,
      '-au',
      extension,
      '-ap',
      'teller-demo',
      '-p',
      String(port),
      '-mp',
      String(await mediaPort()),
      '-m',
      '1',
    ],
    60_000,
  );
  if (registered.status !== 0) throw new Error(`${extension} did not register: ${registered.output}`);
}

/**
 * A registered extension's phone (SIPp as a UAS on the registered port) that answers the next
 * call and plays `voice`; resolves once it listens. With `interaction`, the INVITE must carry
 * `X-Teller-Interaction` with that id or SIPp fails the call.
 */
export async function deskPhone(
  teller: Teller,
  o: { extension: string; port: number; voice: StreamPart[]; interaction?: string; ssrc?: number },
): Promise<{ result: Promise<SippResult> }> {
  const n = ++captures;
  const pcap = path.join(work, `phone-${n}.pcap`);
  writeFileSync(pcap, writePcap(rtpStream(o.voice, { ssrc: o.ssrc ?? 0x3e000 + n })));
  const invite = '<recv request="INVITE" crlf="true" rrs="true"/>';
  const checked = o.interaction
    ? '<recv request="INVITE" crlf="true" rrs="true"><action>' +
      `<ereg regexp="${o.interaction}" search_in="hdr" header="X-Teller-Interaction:" check_it="true" assign_to="interaction"/>` +
      '</action></recv>\n  <Reference variables="interaction"/>'
    : invite;
  const scenario = path.join(work, `phone-${n}.xml`);
  writeFileSync(
    scenario,
    readFileSync(path.join(sippFixtures, 'desk-phone.xml'), 'utf8')
      .replaceAll('@PCAP@', pcap)
      .replace(invite, checked),
  );
  const run = runSipp(
    `127.0.0.1:${teller.sip.port}`,
    ['-sf', scenario, '-s', o.extension, '-p', String(o.port), '-mp', String(await mediaPort()), '-m', '1'],
    300_000,
  );
  let exited = false;
  void run.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 20_000;
  let listening = false;
  while (!listening && !exited && Date.now() < deadline) {
    listening = !(await canBind(o.port));
    if (!listening) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!listening)
    throw new Error(`SIPp as ${o.extension} did not listen on ${o.port}: ${(await run).output}`);
  return { result: run };
}

/** Channel `channel` (1 left: the customer) of a WAV as 8 kHz 16-bit samples, decoded by sox. */
export function channelSamples(file: string, channel: 1 | 2): Int16Array {
  const out = spawnSync(
    'sox',
    [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '8000', '-c', '1', '-', 'remix', String(channel)],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`sox ${file}: ${out.stderr.toString()}`);
  const bytes = out.stdout as Buffer;
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/**
 * How many 20 ms blocks of `samples` carry `frequency` clearly: Goertzel power at least
 * `share` of the block's energy (0.8: a pure tone; lower when several voices are mixed).
 */
export function toneBlocks(samples: Int16Array, frequency: number, share = 0.8): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / 8000);
  let blocks = 0;
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let j = i; j < i + 160; j++) {
      const x = samples[j]!;
      const s0 = x + coefficient * s1 - s2;
      s2 = s1;
      s1 = s0;
      energy += x * x;
    }
    if (energy / 160 < 500 * 500) continue;
    const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    if ((2 * power) / (160 * energy) > share) blocks++;
  }
  return blocks;
}
