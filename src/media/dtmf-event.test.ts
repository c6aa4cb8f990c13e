import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DtmfEventReceiver,
  DtmfEventSender,
  type DtmfReport,
  parseTelephoneEvent,
  writeTelephoneEvent,
} from './dtmf-event';
import { MediaError } from './errors';
import { parseRtp } from './rtp';

const ev = (event: number, end: boolean, duration: number) =>
  writeTelephoneEvent({ event, end, volume: 10, duration });

/** RTP payloads of a classic pcap (Ethernet, IPv4, UDP) such as SIPp's RFC 4733 captures. */
function rtpOfPcap(file: string): { atMs: number; bytes: Uint8Array }[] {
  const data = readFileSync(file);
  const out: { atMs: number; bytes: Uint8Array }[] = [];
  let offset = 24;
  while (offset + 16 <= data.length) {
    const sec = data.readUInt32LE(offset);
    const usec = data.readUInt32LE(offset + 4);
    const len = data.readUInt32LE(offset + 8);
    const frame = data.subarray(offset + 16, offset + 16 + len);
    const ipHeader = (frame[14]! & 0x0f) * 4;
    out.push({ atMs: sec * 1000 + usec / 1000, bytes: new Uint8Array(frame.subarray(14 + ipHeader + 8)) });
    offset += 16 + len;
  }
  return out;
}

describe('RFC 4733 telephone-event payload (§2.3)', () => {
  it('writes and reads event, end bit, volume and duration', () => {
    const bytes = writeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 0x08c0 });
    expect(Array.from(bytes)).toEqual([0x0b, 0x8a, 0x08, 0xc0]);
    expect(parseTelephoneEvent(bytes)).toEqual({ event: 11, end: true, volume: 10, duration: 0x08c0 });
  });

  it('takes the newest block of a redundant payload and refuses a ragged one', () => {
    const both = Uint8Array.from([...ev(1, true, 800), ...ev(2, false, 160)]);
    expect(parseTelephoneEvent(both).event).toBe(2);
    expect(() => parseTelephoneEvent(Uint8Array.from([1, 2, 3]))).toThrow(MediaError);
  });
});

describe('RFC 4733 receiver (§2.5.2)', () => {
  it('reports a key once although its end packet comes three times', () => {
    const rx = new DtmfEventReceiver();
    const reports: DtmfReport[] = [];
    reports.push(...rx.receive(1, 1000, ev(5, false, 160), 0));
    reports.push(...rx.receive(2, 1000, ev(5, false, 320), 20));
    for (let i = 0; i < 3; i++) reports.push(...rx.receive(3 + i, 1000, ev(5, true, 800), 40 + i * 20));
    expect(reports).toEqual([{ digit: '5', durationMs: 100, endLost: false }]);
  });

  it('reports the same key pressed twice as two presses (told apart by timestamp)', () => {
    const rx = new DtmfEventReceiver();
    const a = rx.receive(1, 1000, ev(1, true, 800), 0);
    const b = rx.receive(9, 3000, ev(1, true, 800), 250);
    expect([...a, ...b].map((r) => r.digit)).toEqual(['1', '1']);
  });

  it('closes an event whose end packets were all lost when the next one starts, or after silence', () => {
    const rx = new DtmfEventReceiver(8000, 250);
    rx.receive(1, 1000, ev(7, false, 480), 0);
    expect(rx.receive(2, 5000, ev(8, false, 160), 300)).toEqual([
      { digit: '7', durationMs: 60, endLost: true },
    ]);
    expect(rx.tick(400)).toEqual([]);
    expect(rx.tick(560)).toEqual([{ digit: '8', durationMs: 20, endLost: true }]);
    expect(rx.active).toBe(false);
  });

  it('ignores a late packet of an earlier event, across the sequence and timestamp wraps', () => {
    const rx = new DtmfEventReceiver();
    expect(rx.receive(65534, 0xffffff00, ev(3, true, 800), 0)).toHaveLength(1);
    expect(rx.receive(1, 0x00000100, ev(4, false, 160), 200)).toEqual([]);
    expect(rx.receive(65535, 0xffffff00, ev(3, true, 800), 210)).toEqual([]);
    expect(rx.receive(2, 0x00000100, ev(4, true, 800), 300)).toEqual([
      { digit: '4', durationMs: 100, endLost: false },
    ]);
  });

  const sipp = '/usr/share/sip-tester';
  it.skipIf(!existsSync(`${sipp}/dtmf_2833_5.pcap`))(
    "decodes SIPp's captures: one report per key, repeated end packets with the same sequence number ignored",
    () => {
      // In rising sequence-number order: the "0" capture has the highest sequence numbers of all
      // but a timestamp between those of "1" and "2", so only a receiver that orders by sequence accepts it.
      const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'star', 'pound', '0'];
      const rx = new DtmfEventReceiver();
      const digits: string[] = [];
      for (const key of keys) {
        for (const { atMs, bytes } of rtpOfPcap(`${sipp}/dtmf_2833_${key}.pcap`)) {
          const rtp = parseRtp(bytes);
          expect(rtp.payloadType).toBe(101);
          for (const r of rx.receive(rtp.sequenceNumber, rtp.timestamp, rtp.payload, atMs))
            digits.push(r.digit);
        }
      }
      expect(digits.join('')).toBe('123456789*#0');
    },
  );
});

describe('RFC 4733 sender (§2.5.1)', () => {
  it('keeps the start timestamp, grows the duration, marks the first packet and sends the end three times', () => {
    const tx = new DtmfEventSender({ durationMs: 100, gapMs: 40 });
    tx.enqueue(['9']);
    const packets = [];
    for (let tick = 0; tick < 10; tick++) {
      const p = tx.next(8000 + tick * 160);
      packets.push(p && { ts: p.timestamp, marker: p.marker, ...parseTelephoneEvent(p.payload) });
    }
    expect(packets.slice(0, 7)).toEqual([
      { ts: 8000, marker: true, event: 9, end: false, volume: 10, duration: 160 },
      { ts: 8000, marker: false, event: 9, end: false, volume: 10, duration: 320 },
      { ts: 8000, marker: false, event: 9, end: false, volume: 10, duration: 480 },
      { ts: 8000, marker: false, event: 9, end: false, volume: 10, duration: 640 },
      { ts: 8000, marker: false, event: 9, end: true, volume: 10, duration: 800 },
      { ts: 8000, marker: false, event: 9, end: true, volume: 10, duration: 800 },
      { ts: 8000, marker: false, event: 9, end: true, volume: 10, duration: 800 },
    ]);
    expect(packets.slice(7)).toEqual([undefined, undefined, undefined]);
    expect(tx.busy).toBe(false);
  });

  it('separates queued digits by a gap of audio and gives each its own timestamp', () => {
    const tx = new DtmfEventSender({ durationMs: 40, gapMs: 20 });
    tx.enqueue(['1', '#']);
    const seen: { ts: number; digit: number; end: boolean }[] = [];
    let gaps = 0;
    for (let tick = 0; tick < 14; tick++) {
      const p = tx.next(tick * 160);
      if (!p) gaps++;
      else
        seen.push({
          ts: p.timestamp,
          digit: parseTelephoneEvent(p.payload).event,
          end: parseTelephoneEvent(p.payload).end,
        });
    }
    expect(seen.filter((s) => s.digit === 1).every((s) => s.ts === 0)).toBe(true);
    const pound = seen.filter((s) => s.digit === 11);
    expect(pound.length).toBe(4);
    expect(pound[0]!.ts).toBe(5 * 160); // 2 tone packets (the 2nd is the first end), 2 more ends, 1 gap
    expect(gaps).toBeGreaterThanOrEqual(2);
  });

  it('is heard by the receiver as the digits it sent', () => {
    const tx = new DtmfEventSender();
    const rx = new DtmfEventReceiver();
    tx.enqueue(['1', '2', '3', '#']);
    const heard: string[] = [];
    let seq = 0;
    for (let tick = 0; tick < 100; tick++) {
      const p = tx.next(tick * 160);
      if (p) for (const r of rx.receive(seq++, p.timestamp, p.payload, tick * 20)) heard.push(r.digit);
    }
    expect(heard.join('')).toBe('123#');
  });
});
