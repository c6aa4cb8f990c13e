import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpPeer } from '../../test/fixtures/media/rtp-peer';
import { MediaEngine } from './engine';
import { decodeSample } from './g711';
import {
  chooseMediaIo,
  defaultSocketReceiveBytes,
  ip4ToNumber,
  ip4ToString,
  loadRtpIo,
  NativeRtpIo,
} from './native-io';

const addon = loadRtpIo();
const LOOPBACK = ip4ToNumber('127.0.0.1')!;

function packet(n: number, size = 172): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes[0] = 0x80;
  new DataView(bytes.buffer).setUint32(4, n);
  bytes.fill(n & 0xff, 12);
  return bytes;
}

describe('address helpers', () => {
  it('converts dotted IPv4 both ways and refuses anything else', () => {
    expect(ip4ToNumber('10.1.2.250')).toBe((10 << 24) + (1 << 16) + (2 << 8) + 250);
    expect(ip4ToString(ip4ToNumber('192.168.100.7')!)).toBe('192.168.100.7');
    expect(ip4ToNumber('::1')).toBeUndefined();
    expect(ip4ToNumber('1.2.3.256')).toBeUndefined();
    expect(ip4ToNumber('example.com')).toBeUndefined();
  });

  it('uses native when the addon is built unless dgram is asked for', () => {
    expect(chooseMediaIo('dgram')).toBe('dgram');
    expect(chooseMediaIo(undefined)).toBe(addon ? 'native' : 'dgram');
    expect(chooseMediaIo('')).toBe(addon ? 'native' : 'dgram');
    expect(chooseMediaIo('native')).toBe(addon ? 'native' : 'dgram');
  });
});

describe.skipIf(!addon)(
  'native RTP I/O addon (skipped: build/native/rtpio.node not built — node scripts/build-native.mjs)',
  () => {
    const sets: NativeRtpIo[] = [];
    afterEach(() => {
      for (const s of sets.splice(0)) s.closeAll();
    });
    // Room for the bursts these tests send at once (Teller's own sockets queue far less).
    const burstSocketBytes = 256 * 1024;
    function makeSet(receiveBytes?: number): NativeRtpIo {
      const io = new NativeRtpIo(addon!, receiveBytes, undefined, burstSocketBytes);
      sets.push(io);
      return io;
    }

    it('carries packets between two handles with their source address, port and bytes', async () => {
      const io = makeSet();
      const seen: { to: string; ip: string; port: number; n: number; size: number }[] = [];
      const a = io.open('127.0.0.1', 0, (data, ip4, port) =>
        seen.push({ to: 'a', ip: ip4ToString(ip4), port, n: data.readUInt32BE(4), size: data.length }),
      );
      const b = io.open('127.0.0.1', 0, (data, ip4, port) =>
        seen.push({ to: 'b', ip: ip4ToString(ip4), port, n: data.readUInt32BE(4), size: data.length }),
      );
      const portA = io.localPort(a);
      const portB = io.localPort(b);
      expect(portA).toBeGreaterThan(0);
      expect(portB).not.toBe(portA);
      const failures: number[] = [];
      io.queue(a, LOOPBACK, portB, packet(1), (e) => failures.push(e));
      io.queue(b, LOOPBACK, portA, packet(2, 33), (e) => failures.push(e));
      io.flush();
      for (let tries = 0; tries < 50 && seen.length < 2; tries++) {
        io.receive();
        if (seen.length < 2) await new Promise((r) => setTimeout(r, 20));
      }
      expect(failures).toEqual([]);
      expect(seen.sort((x, y) => x.n - y.n)).toEqual([
        { to: 'b', ip: '127.0.0.1', port: portA, n: 1, size: 172 },
        { to: 'a', ip: '127.0.0.1', port: portB, n: 2, size: 33 },
      ]);
    });

    it('stamps each datagram with its arrival time on the wall clock', async () => {
      const io = makeSet();
      const times: number[] = [];
      const a = io.open('127.0.0.1', 0, (_d, _ip, _port, at) => times.push(at));
      const before = Date.now();
      const sender = dgram.createSocket('udp4');
      await new Promise<void>((r) => sender.send(packet(7), io.localPort(a), '127.0.0.1', () => r()));
      sender.close();
      for (let tries = 0; tries < 50 && times.length === 0; tries++) {
        io.receive();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(times).toHaveLength(1);
      expect(times[0]!).toBeGreaterThanOrEqual(before - 1);
      expect(times[0]!).toBeLessThanOrEqual(Date.now() + 1);
    });

    it('sends a batch of many packets in one flush and receives all of them in order per socket', async () => {
      const io = makeSet();
      const received: number[] = [];
      const sink = io.open('127.0.0.1', 0, (data) => received.push(data.readUInt32BE(4)));
      const sources = Array.from({ length: 20 }, () => io.open('127.0.0.1', 0, () => {}));
      const port = io.localPort(sink);
      let n = 0;
      // 20 sockets × 10 packets, interleaved as a tick queues them (one per endpoint, round after round)
      for (let round = 0; round < 10; round++) {
        for (const s of sources) io.queue(s, LOOPBACK, port, packet(n++), () => {});
      }
      io.flush();
      for (let tries = 0; tries < 50 && received.length < n; tries++) {
        io.receive();
        if (received.length < n) await new Promise((r) => setTimeout(r, 20));
      }
      expect(received).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    it('signals a full buffer and hands over the rest on the next call', async () => {
      const raw = addon!;
      const set = raw.createSet(burstSocketBytes);
      const sink = raw.open(set, '127.0.0.1', 0);
      const port = raw.localPort(set, sink);
      const sender = dgram.createSocket('udp4');
      const total = 100;
      for (let i = 0; i < total; i++) {
        await new Promise<void>((r) => sender.send(packet(i), port, '127.0.0.1', () => r()));
      }
      sender.close();
      // Room for three 2 KiB datagrams at first, fewer as it fills: far less than 100 packets.
      const small = new Uint8Array(new ArrayBuffer(3 * (24 + 2048)));
      const words = new Uint32Array(small.buffer);
      const order: number[] = [];
      let calls = 0;
      let sawFull = false;
      while (order.length < total && calls < 200) {
        const result = raw.recvAll(set, small);
        calls++;
        if (result < 0) sawFull = true;
        let at = 0;
        for (let i = 0; i < Math.abs(result); i++) {
          expect(words[at / 4]).toBe(sink);
          const length = words[at / 4 + 3]!;
          order.push(new DataView(small.buffer, at + 24 + 4, 4).getUint32(0));
          at += 24 + ((length + 7) & ~7);
        }
        if (result === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(sawFull).toBe(true);
      expect(order).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(raw.recvAll(set, small)).toBe(0);
      raw.close(set, sink);
    });

    it('queues only a fraction of a second per socket by default: a backlog beyond it is dropped by the kernel', async () => {
      const io = new NativeRtpIo(addon!);
      sets.push(io);
      let received = 0;
      const handle = io.open('127.0.0.1', 0, () => {
        received++;
      });
      const sender = dgram.createSocket('udp4');
      const packet = Buffer.alloc(172, 0x80); // one 20 ms G.711 packet's size
      for (let i = 0; i < 200; i++) sender.send(packet, io.localPort(handle), '127.0.0.1');
      await new Promise((r) => setTimeout(r, 200));
      sender.close();
      io.receive();
      expect(received).toBeGreaterThan(5);
      expect(received).toBeLessThan(60); // 200 × 20 ms = 4 s of audio sent; at most ~1 s queued
      expect(defaultSocketReceiveBytes).toBe(8 * 1024);
    });

    it('refuses a receive buffer too small for one datagram', () => {
      const set = addon!.createSet();
      expect(() => addon!.recvAll(set, new Uint8Array(new ArrayBuffer(1024)))).toThrow(/2072/);
    });

    it('closes a handle: its port is free again, and the handle is refused afterwards', () => {
      const io = makeSet();
      const a = io.open('127.0.0.1', 0, () => {});
      const port = io.localPort(a);
      expect(() => io.open('127.0.0.1', port, () => {})).toThrow(
        expect.objectContaining({ code: 'EADDRINUSE' }),
      );
      io.close(a);
      expect(() => io.localPort(a)).toThrow(expect.objectContaining({ code: 'RTPIO_BAD_HANDLE' }));
      const again = io.open('127.0.0.1', port, () => {});
      expect(io.localPort(again)).toBe(port);
    });

    it('refuses to send through a handle of another set', () => {
      const one = makeSet();
      const other = makeSet();
      const foreign = other.open('127.0.0.1', 0, () => {});
      one.queue(foreign, LOOPBACK, 9, packet(1), () => {});
      expect(() => one.flush()).toThrow(/foreign handle/);
    });

    it('reports a packet the kernel refuses to its sender instead of throwing', () => {
      const io = makeSet();
      const a = io.open('127.0.0.1', 0, () => {});
      const errors: number[] = [];
      // port 0 is not a destination: sendmsg fails with EINVAL
      io.queue(a, LOOPBACK, 0, packet(1), (e) => errors.push(e));
      io.flush();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeGreaterThan(0);
    });
  },
);

describe.skipIf(!addon)(
  'media engine on the native RTP I/O (skipped: build/native/rtpio.node not built)',
  () => {
    it('latches to the source, echoes its audio and counts what it received', async () => {
      const engine = await MediaEngine.start({
        workers: 1,
        portMin: 36000,
        portMax: 36999,
        bindAddress: '127.0.0.1',
        mediaIo: 'native',
      });
      const phone = await RtpPeer.open();
      try {
        expect((await engine.workerStats())[0]!.mediaIo).toBe('native');
        const latched: unknown[] = [];
        engine.on('remote-latched', (e) => latched.push(e));
        // No remote in the SDP: the endpoint learns it from the first packet (symmetric RTP).
        const ep = await engine.createEndpoint({});
        await engine.echo(ep.id);
        const level = 1000;
        for (let i = 0; i < 25; i++) {
          phone.sendAudio(ep.port, new Int16Array(160).fill(level));
          await new Promise((r) => setTimeout(r, 20));
        }
        await phone.waitFor(10);
        const stats = await engine.stats(ep.id);
        expect(latched).toEqual([{ endpointId: ep.id, address: '127.0.0.1', port: phone.port }]);
        expect(stats.packetsIn).toBe(25);
        expect(stats.bytesIn).toBe(25 * 172);
        expect(stats.malformed).toBe(0);
        const echoed = phone.received
          .map((r) => r.packet)
          .filter((p) => p.payloadType === 0)
          .map((p) => decodeSample('pcmu', p.payload[0]!));
        expect(echoed.some((v) => Math.abs(v - level) < 64)).toBe(true);
        await engine.closeEndpoint(ep.id);
      } finally {
        phone.close();
        await engine.close();
      }
    });
  },
);
