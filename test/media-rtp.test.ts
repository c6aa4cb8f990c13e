import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSample,
  encodeG711,
  MediaEngine,
  type MediaEvents,
  parseRtcp,
  serializeRtcp,
  ToneGenerator,
} from '../src/media/index';
import { RtpPeer } from './fixtures/media/rtp-peer';

let engine: MediaEngine;
const peers: RtpPeer[] = [];

beforeAll(async () => {
  engine = await MediaEngine.start({ workers: 1, portMin: 35000, portMax: 35999, bindAddress: '127.0.0.1' });
});

afterAll(async () => {
  for (const p of peers) p.close();
  await engine.close();
});

async function peer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RTP reception over real UDP', () => {
  it('counts loss, duplicates and late packets, and plays reordered packets in order across the sequence wrap', async () => {
    const phone = await peer();
    // A deep buffer (100 ms), so that a busy test machine delaying a send cannot turn the
    // reordered packet into a late one; the held-back packet is held far longer than that.
    const ep = await engine.createEndpoint({ remote: phone.remote, jitterPackets: 5 });
    await engine.echo(ep.id);
    const frame = (n: number) => encodeG711('pcmu', new Int16Array(160).fill(100 * (n + 1)));
    const send = (seq: number, n: number) =>
      phone.sendPacket(ep.port, {
        marker: false,
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: 160 * n,
        payload: frame(n),
      });
    // Sequence numbers 65530 … 65545 (wrapping), with 4 and 5 swapped, 7 sent twice, 10 never sent,
    // and 12 held back until long after its turn (late).
    const order = [0, 1, 2, 3, 5, 4, 6, 7, 7, 8, 9, 11, 13, 14, 15];
    for (const n of order) {
      send(65530 + n, n);
      await sleep(20);
    }
    await sleep(500);
    send(65530 + 12, 12);
    await sleep(100);
    const stats = await engine.stats(ep.id);
    expect(stats.packetsIn).toBe(16);
    expect(stats.duplicates).toBe(1);
    expect(stats.late).toBe(1);
    expect(stats.lost).toBe(0); // §A.3 counts the late packet as received: expected 16, received 16 (one duplicate)
    expect(stats.concealed).toBeGreaterThanOrEqual(1);
    // The echo carries the frames back in sequence order: levels 100·(n+1) rise without a step back.
    const levels = phone.received
      .map((r) => r.packet)
      .filter((p) => p.payloadType === 0)
      .map((p) => decodeSample('pcmu', p.payload[0]!))
      .filter((v) => v !== 0);
    expect(levels.length).toBeGreaterThanOrEqual(13);
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThan(levels[i - 1]!);
    await engine.closeEndpoint(ep.id);
  });

  it('ignores garbage datagrams and counts them', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({ symmetric: false });
    const junk = dgram.createSocket('udp4');
    for (const bytes of [
      [1, 2, 3],
      [0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    ]) {
      junk.send(Buffer.from(bytes), ep.port, '127.0.0.1');
    }
    phone.sendAudio(ep.port, new Int16Array(160));
    await sleep(100);
    const stats = await engine.stats(ep.id);
    expect(stats.malformed).toBe(3);
    expect(stats.packetsIn).toBe(1);
    junk.close();
    await engine.closeEndpoint(ep.id);
  });

  it('survives thousands of random datagrams on its RTP and RTCP ports and still carries audio', async () => {
    const ep = await engine.createEndpoint({ symmetric: false, telephoneEventPt: 101 });
    const junk = dgram.createSocket('udp4');
    let x = 99;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % 256;
    };
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(Array.from({ length: next() % 200 }, next));
      if (i % 3 === 0 && bytes.length > 1) bytes[0] = 0x80 | (bytes[0]! & 0x3f); // many look like version 2
      junk.send(bytes, i % 2 === 0 ? ep.port : ep.rtcpPort, '127.0.0.1');
      if (i % 100 === 0) await sleep(5);
    }
    junk.close();
    await sleep(100);
    const phone = await peer();
    await engine.updateEndpoint(ep.id, { remote: phone.remote });
    await engine.echo(ep.id);
    await phone.stream(ep.port, new ToneGenerator({ frequencies: [700] }).generate(8 * 400));
    await sleep(150);
    expect(phone.received.length).toBeGreaterThan(10);
    expect((await engine.workerStats()).length).toBe(1);
    await engine.closeEndpoint(ep.id);
  });
});

describe('worker statistics', () => {
  it('report the worker thread’s own CPU time, not the whole process’s', async () => {
    const [before] = await engine.workerStats();
    const process0 = process.cpuUsage();
    // The main thread burns CPU; the idle worker's count must not take it in.
    const until = Date.now() + 300;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(process0);
    const processMs = (used.user + used.system) / 1000;
    const [after] = await engine.workerStats();
    expect(x).toBeGreaterThan(0);
    expect(before?.cpuMs).toEqual(expect.any(Number));
    const workerMs = after!.cpuMs! - before!.cpuMs!;
    expect(workerMs).toBeGreaterThanOrEqual(0);
    expect(workerMs).toBeLessThan(processMs / 2);
    expect(after!.lateTicks).toBeGreaterThanOrEqual(0);
  });
});

describe('RTCP over real UDP', () => {
  it('sends SR with SDES CNAME, takes in the peer’s RR, reports its BYE, and says BYE on close', async () => {
    const phone = await peer();
    const ep = await engine.createEndpoint({
      remote: phone.remote,
      rtcpIntervalMs: 200,
      cname: 'teller-test',
    });
    const tone = new ToneGenerator({ frequencies: [400] });
    for (let i = 0; i < 25; i++) {
      phone.sendAudio(ep.port, tone.generate(160));
      await sleep(20);
    }
    const reports = phone.receivedRtcp.map((b) => parseRtcp(new Uint8Array(b)));
    expect(reports.length).toBeGreaterThan(0);
    const last = reports.at(-1)!;
    expect(last[0]).toMatchObject({ type: 'sr' });
    const sr = last[0]!;
    if (sr.type !== 'sr') throw new Error('expected an SR first');
    expect(sr.packetCount).toBeGreaterThan(0);
    expect(sr.reports[0]).toMatchObject({ ssrc: phone.ssrc, cumulativeLost: 0 });
    expect(last[1]).toEqual({
      type: 'sdes',
      chunks: [{ ssrc: sr.ssrc, items: [{ type: 1, text: 'teller-test' }] }],
    });

    // The phone's receiver report about our stream, sent from its RTCP port.
    const rtcp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', () => r()));
    const rr = serializeRtcp([
      {
        type: 'rr',
        ssrc: phone.ssrc,
        reports: [
          {
            ssrc: sr.ssrc,
            fractionLost: 64,
            cumulativeLost: 3,
            highestSeq: 10,
            jitter: 80,
            lastSr: 0,
            delaySinceLastSr: 0,
          },
        ],
      },
    ]);
    rtcp.send(rr, ep.rtcpPort, '127.0.0.1');
    await sleep(100);
    expect((await engine.stats(ep.id)).remoteReport).toEqual({
      fractionLost: 0.25,
      cumulativeLost: 3,
      jitterMs: 10,
    });

    const bye = new Promise<MediaEvents['rtcp-bye']>((resolve) => engine.on('rtcp-bye', resolve));
    rtcp.send(
      serializeRtcp([
        { type: 'rr', ssrc: phone.ssrc, reports: [] },
        { type: 'bye', ssrcs: [phone.ssrc], reason: 'done' },
      ]),
      ep.rtcpPort,
      '127.0.0.1',
    );
    expect(await bye).toEqual({ endpointId: ep.id, reason: 'done' });
    rtcp.close();

    const before = phone.receivedRtcp.length;
    const final = await engine.closeEndpoint(ep.id);
    expect(final.rtcpIn).toBe(2);
    await sleep(100);
    const goodbye = phone.receivedRtcp.slice(before).map((b) => parseRtcp(new Uint8Array(b)));
    expect(goodbye.flat().some((p) => p.type === 'bye' && p.ssrcs[0] === sr.ssrc)).toBe(true);
  });
});
