import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeWav,
  type EndpointId,
  encodeWav,
  MediaEngine,
  MediaError,
  type MediaEvents,
  ToneGenerator,
} from '../src/media/index';
import { RtpPeer, toneShare } from './fixtures/media/rtp-peer';

let engine: MediaEngine;
const dir = mkdtempSync(path.join(tmpdir(), 'teller-media-'));
const peers: RtpPeer[] = [];

async function peer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.push(p);
  return p;
}

function tone(frequency: number, ms: number, levelDbm0 = -10): Int16Array {
  return new ToneGenerator({ frequencies: [frequency], levelDbm0 }).generate(ms * 8);
}

function nextEvent<K extends keyof MediaEvents>(
  name: K,
  match: (e: MediaEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<MediaEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = engine.on(name, (e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

beforeAll(async () => {
  engine = await MediaEngine.start({ workers: 2, portMin: 31000, portMax: 31999, bindAddress: '127.0.0.1' });
});

afterAll(async () => {
  for (const p of peers) p.close();
  await engine.close();
});

describe('media engine over real UDP', () => {
  it('runs its workers through tsx and spreads endpoints over them', async () => {
    expect(engine.workerCount).toBe(2);
    const a = await engine.createEndpoint();
    const b = await engine.createEndpoint();
    expect(a.port % 2).toBe(0);
    expect(a.rtcpPort).toBe(a.port + 1);
    expect(a.port).toBeGreaterThanOrEqual(31000);
    expect(new Set([a.worker, b.worker]).size).toBe(2);
    const c = await engine.createEndpoint({ near: b.id });
    expect(c.worker).toBe(b.worker);
    for (const e of [a, b, c]) await engine.closeEndpoint(e.id);
  });

  it('bridges legs that started on different workers by moving the idle one, keeping its port and RTP stream', async () => {
    const customer = await peer();
    const agent = await peer();
    const a = await engine.createEndpoint({ remote: customer.remote });
    let b = await engine.createEndpoint({ remote: agent.remote });
    if (b.worker === a.worker) b = await engine.createEndpoint({ remote: agent.remote }); // least loaded: the other one
    expect(b.worker).not.toBe(a.worker);
    agent.sendAudio(b.port, tone(300, 20)); // latch, then move
    await new Promise((r) => setTimeout(r, 60));
    const before = agent.received.at(-1)?.packet;
    const { mixId } = await engine.bridge(a.id, b.id);
    expect(engine.workerOf(b.id)).toBe(a.worker);
    const [fromA, fromB] = [customer.received.length, agent.received.length];
    await Promise.all([customer.stream(a.port, tone(440, 600)), agent.stream(b.port, tone(1200, 600))]);
    await new Promise((r) => setTimeout(r, 150));
    expect(toneShare(agent.audio(0, fromB), 440)).toBeGreaterThan(0.3);
    expect(toneShare(customer.audio(0, fromA), 1200)).toBeGreaterThan(0.3);
    const after = agent.received.at(-1)!.packet;
    expect(after.ssrc).toBe(before!.ssrc); // the same stream, seen from the agent's phone
    expect((await engine.stats(b.id)).packetsIn).toBeGreaterThan(25);
    // A busy endpoint (here: playing) cannot move.
    const c = await engine.createEndpoint();
    const d = c.worker === a.worker ? await engine.createEndpoint() : c;
    const far = d.worker === a.worker ? await engine.createEndpoint() : d;
    await engine.play(far.id, { silenceMs: 5000 });
    await expect(
      engine.updateMix(mixId, { add: [{ endpointId: far.id, role: 'listen' }] }),
    ).rejects.toMatchObject({
      code: 'MEDIA_CROSS_WORKER',
    });
    await engine.destroyMix(mixId);
    for (const e of new Set([a.id, b.id, c.id, d.id, far.id])) await engine.closeEndpoint(e);
  });

  it('plays a WAV prompt as paced PCMU packets with rising sequence numbers and timestamps, then reports the end', async () => {
    const phone = await peer();
    const prompt = tone(1000, 400);
    const file = path.join(dir, 'prompt.wav');
    writeFileSync(file, encodeWav({ sampleRate: 8000, channels: 1, samples: prompt }));
    const ep = await engine.createEndpoint({ remote: phone.remote, symmetric: false });
    const finished = nextEvent('playback-finished', (e) => e.endpointId === ep.id);
    const playbackId = await engine.play(ep.id, { file });
    expect(await finished).toEqual({ endpointId: ep.id, playbackId, reason: 'completed' });
    await phone.waitFor(20);
    const packets = phone.received.map((r) => r.packet);
    for (let i = 1; i < packets.length; i++) {
      expect((packets[i]!.sequenceNumber - packets[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
      expect((packets[i]!.timestamp - packets[i - 1]!.timestamp) >>> 0).toBe(160);
      expect(packets[i]!.ssrc).toBe(packets[0]!.ssrc);
    }
    expect(packets.every((p) => p.payloadType === 0 && p.payload.length === 160)).toBe(true);
    // The prompt's 20 frames are in the stream, bit for bit (as µ-law), between silences.
    const heard = phone.audio(0);
    expect(toneShare(heard, 1000)).toBeGreaterThan(0.5);
    const spacing = phone.received.slice(1).map((r, i) => r.at - phone.received[i]!.at);
    expect(spacing.reduce((a, b) => a + b, 0) / spacing.length).toBeGreaterThan(10);
    await engine.closeEndpoint(ep.id);
  });

  it('plays a list of prompts back to back, raw µ-law and A-law files included, and loops hold music until stopped', async () => {
    const phone = await peer();
    const ulaw = path.join(dir, 'a.ulaw');
    const alawWav = path.join(dir, 'b.wav');
    writeFileSync(ulaw, Buffer.alloc(800, 0xff));
    writeFileSync(alawWav, encodeWav({ sampleRate: 8000, channels: 1, samples: tone(500, 100) }, 'pcma'));
    const ep = await engine.createEndpoint({ remote: phone.remote });
    const done = nextEvent('playback-finished', (e) => e.endpointId === ep.id);
    await engine.play(ep.id, [{ file: ulaw }, { file: alawWav }, { silenceMs: 40 }]);
    expect((await done).reason).toBe('completed');
    const music = await engine.play(ep.id, [{ file: alawWav }], { loop: true });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = nextEvent('playback-finished', (e) => e.playbackId === music);
    await engine.stopPlayback(ep.id);
    expect((await stopped).reason).toBe('stopped');
    await expect(engine.play(ep.id, { file: path.join(dir, 'missing.wav') })).rejects.toMatchObject({
      code: 'MEDIA_NOT_FOUND',
    });
    await engine.closeEndpoint(ep.id);
  });

  it('echoes received audio back to the sender', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint();
    await engine.echo(ep.id);
    await phone.stream(ep.port, tone(700, 600));
    await new Promise((r) => setTimeout(r, 150));
    const back = phone.audio(0);
    expect(toneShare(back, 700)).toBeGreaterThan(0.5);
    const stats = await engine.stats(ep.id);
    expect(stats.packetsIn).toBe(30);
    expect(stats.lost).toBe(0);
    await engine.closeEndpoint(ep.id);
  });

  it('bridges two legs: each phone hears the other, and the call is recorded in stereo (customer left)', async () => {
    const customer = await peer();
    const agent = await peer();
    const a = await engine.createEndpoint({ remote: customer.remote });
    const b = await engine.createEndpoint({ remote: agent.remote, near: a.id });
    const file = path.join(dir, 'bridge.wav');
    const { recordingId } = await engine.bridge(a.id, b.id, { record: { path: file } });
    expect(recordingId).toBeDefined();
    await Promise.all([customer.stream(a.port, tone(440, 1000)), agent.stream(b.port, tone(1200, 1000))]);
    await new Promise((r) => setTimeout(r, 200));
    expect(toneShare(agent.audio(0), 440)).toBeGreaterThan(0.4);
    expect(toneShare(customer.audio(0), 1200)).toBeGreaterThan(0.4);
    const info = await engine.stopRecording(recordingId!);
    expect(info.path).toBe(file);
    const wav = decodeWav(readFileSync(file));
    expect(wav.channels).toBe(2);
    const left = wav.samples.filter((_, i) => i % 2 === 0);
    const right = wav.samples.filter((_, i) => i % 2 === 1);
    expect(toneShare(left, 440)).toBeGreaterThan(0.4);
    expect(toneShare(right, 1200)).toBeGreaterThan(0.4);
    expect(info.durationMs).toBeGreaterThan(800);
    for (const e of [a, b]) await engine.closeEndpoint(e.id);
  });

  it('keeps the recording file playable while it is written, and writes silence while paused', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({ remote: phone.remote });
    const file = path.join(dir, 'live.wav');
    const rec = await engine.record(ep.id, { path: file });
    await phone.stream(ep.port, tone(600, 1400));
    // Not stopped yet: the header was rewritten after each second, so the file parses with its data.
    const live = decodeWav(readFileSync(file));
    expect(live.channels).toBe(2);
    expect(live.samples.length).toBeGreaterThan(0);
    await engine.pauseRecording(rec);
    await phone.stream(ep.port, tone(600, 400));
    await engine.resumeRecording(rec);
    const info = await engine.stopRecording(rec);
    const wav = decodeWav(readFileSync(file));
    const left = wav.samples.filter((_, i) => i % 2 === 0);
    expect(left.length * 2 * 2 + 44).toBe(info.bytes);
    // The paused stretch is digital silence.
    let longestSilence = 0;
    let run = 0;
    for (const s of left) {
      run = s === 0 ? run + 1 : 0;
      longestSilence = Math.max(longestSilence, run);
    }
    expect(longestSilence).toBeGreaterThan(250 * 8);
    await expect(engine.pauseRecording(rec)).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    await engine.closeEndpoint(ep.id);
  });

  it('reports RFC 4733 keys once each, and in-band keys from a peer without telephone-event', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({ telephoneEventPt: 101 });
    const got: string[] = [];
    const off = engine.on('dtmf', (e) => {
      if (e.endpointId === ep.id) got.push(`${e.digit}:${e.source}`);
    });
    for (const event of [1, 11, 0]) await phone.sendEvent(ep.port, event);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['1:rfc4733', '#:rfc4733', '0:rfc4733']);

    const legacy = await peer();
    const old = await engine.createEndpoint({ codec: 'pcma' });
    const inband = nextEvent('dtmf', (e) => e.endpointId === old.id);
    const keyed = new ToneGenerator({ frequencies: [852, 1477], levelDbm0: -10 }).generate(1200);
    await legacy.stream(old.port, Int16Array.from([...keyed, ...new Int16Array(2400)]), 'pcma');
    expect(await inband).toMatchObject({ digit: '9', source: 'inband' });
    off();
    for (const e of [ep, old]) await engine.closeEndpoint(e.id);
  });

  it('sends keys as RFC 4733 events with one timestamp per key and three end packets', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({ remote: phone.remote, telephoneEventPt: 101 });
    await engine.sendDtmf(ep.id, '4#');
    const events = phone.received.map((r) => r.packet).filter((p) => p.payloadType === 101);
    const ends = events.filter((p) => (p.payload[1]! & 0x80) !== 0);
    expect(ends.length).toBe(6);
    expect(new Set(events.map((p) => p.timestamp)).size).toBe(2);
    expect(events.filter((p) => p.marker).map((p) => p.payload[0])).toEqual([4, 11]);
    await expect(engine.sendDtmf(ep.id, '12x')).rejects.toThrow(MediaError);
    await engine.closeEndpoint(ep.id);
  });

  it('drops packets from a stranger once the peer is latched', async () => {
    const phone = await peer();
    const stranger = await peer();
    const ep = await engine.createEndpoint();
    const latched = nextEvent('remote-latched', (e) => e.endpointId === ep.id);
    phone.sendAudio(ep.port, tone(300, 20));
    expect(await latched).toMatchObject({ address: '127.0.0.1', port: phone.port });
    stranger.sendAudio(ep.port, tone(300, 20));
    await new Promise((r) => setTimeout(r, 100));
    // Dropped by the endpoint (counted as foreign) or, once the socket is connected to the
    // latched peer, by the kernel: either way it never counts as received.
    const stats = await engine.stats(ep.id);
    expect(stats.packetsIn).toBe(1);
    expect(stats.foreign).toBeLessThanOrEqual(1);
    await engine.closeEndpoint(ep.id);
  });

  it('takes a re-INVITE without telephone-event as turning RFC 4733 off, and then keys in band', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({ remote: phone.remote, telephoneEventPt: 101 });
    await engine.updateEndpoint(ep.id, { codec: 'pcma' });
    await expect(engine.sendDtmf(ep.id, '1', { mode: 'rfc4733' })).rejects.toMatchObject({
      code: 'MEDIA_BAD_STATE',
    });
    await engine.sendDtmf(ep.id, '5');
    const packets = phone.received.map((r) => r.packet);
    expect(packets.some((p) => p.payloadType === 101)).toBe(false);
    expect(packets.some((p) => p.payloadType === 8)).toBe(true);
    expect(toneShare(phone.audio(8), 770) + toneShare(phone.audio(8), 1336)).toBeGreaterThan(0.3);
    await engine.closeEndpoint(ep.id);
  });

  it('refuses unknown endpoints with a stable code', async () => {
    await expect(engine.stats('nope' as EndpointId)).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
  });
});
