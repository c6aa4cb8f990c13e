import { MediaError } from './errors';
import { seqDelta } from './rtp';

/**
 * RFC 4733 telephone-events for DTMF: the 4-byte payload (§2.3), a receiver that turns a
 * stream of event packets into one report per key press despite loss, reordering and the
 * triple end packet (§2.5.2), and a sender that follows the timestamp, duration, marker and
 * retransmission rules of §2.5.1.
 */

/** Event codes 0–15 of RFC 4733 §3.2 (Table 7): 0–9, *, #, A–D. */
export const DTMF_DIGITS = '0123456789*#ABCD';
export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

export function isDtmfDigit(value: string): value is DtmfDigit {
  return value.length === 1 && DTMF_DIGITS.includes(value.toUpperCase()) && value === value.toUpperCase();
}

export function digitOfEvent(event: number): DtmfDigit | undefined {
  return event < 16 ? (DTMF_DIGITS[event] as DtmfDigit) : undefined;
}

export function eventOfDigit(digit: DtmfDigit): number {
  return DTMF_DIGITS.indexOf(digit);
}

export interface TelephoneEvent {
  event: number;
  /** "E" bit: this packet carries the final duration of the event. */
  end: boolean;
  /** Power level in −dBm0, 0–63 (§2.3.4). */
  volume: number;
  /** In timestamp units since the event's RTP timestamp (§2.3.5). */
  duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  // §2.3: several 4-byte blocks may be stacked for redundancy (§2.5.1.5); the last is the newest.
  if (payload.length < 4 || payload.length % 4 !== 0) {
    throw new MediaError('MEDIA_BAD_PACKET', `telephone-event payload of ${payload.length} bytes`);
  }
  const at = payload.length - 4;
  return {
    event: payload[at]!,
    end: (payload[at + 1]! & 0x80) !== 0,
    volume: payload[at + 1]! & 0x3f,
    duration: (payload[at + 2]! << 8) | payload[at + 3]!,
  };
}

export function writeTelephoneEvent(
  e: TelephoneEvent,
  out: Uint8Array = new Uint8Array(4),
  offset = 0,
): Uint8Array {
  if (e.event < 0 || e.event > 255) throw new MediaError('MEDIA_BAD_PACKET', `event code ${e.event}`);
  if (e.duration < 0 || e.duration > 0xffff)
    throw new MediaError('MEDIA_BAD_PACKET', `event duration ${e.duration}`);
  out[offset] = e.event;
  out[offset + 1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out[offset + 2] = e.duration >> 8;
  out[offset + 3] = e.duration & 0xff;
  return out;
}

export interface DtmfReport {
  digit: DtmfDigit;
  /** Duration in milliseconds, from the last duration heard. */
  durationMs: number;
  /** True when no end packet arrived and the event was closed by a newer event or by silence. */
  endLost: boolean;
}

const noReports: readonly DtmfReport[] = Object.freeze([]);

/**
 * Receiver state for one stream. An event is named by its RTP timestamp (§2.5.2.1: "a new
 * event is ... identified by a new timestamp"), so retransmitted end packets, which repeat the
 * timestamp, are recognised and dropped. Whether a packet with another timestamp is newer or a
 * late packet of an earlier event is judged by its sequence number, not its timestamp: SIPp's
 * captures, replayed one after another, carry rising sequence numbers but unordered timestamps.
 *
 *   idle ──packet(ts new)──► active ──E bit──► ended ──packet(ts newer)──► active
 *                              │  └─newer ts / silence (end lost)──► ended
 */
export class DtmfEventReceiver {
  private current:
    | { ts: number; seq: number; event: number; duration: number; ended: boolean; lastAt: number }
    | undefined;

  /** `silenceMs`: an event with no packet for this long is closed as if its end had arrived. */
  constructor(
    private readonly clockRate = 8000,
    private readonly silenceMs = 250,
  ) {}

  private close(reports: DtmfReport[], endLost: boolean): void {
    const c = this.current;
    if (!c || c.ended) return;
    c.ended = true;
    const digit = digitOfEvent(c.event);
    if (digit) reports.push({ digit, durationMs: Math.round((c.duration * 1000) / this.clockRate), endLost });
  }

  /** Feeds one telephone-event packet; returns the key presses it completes (usually none or one). */
  receive(seq: number, timestamp: number, payload: Uint8Array, nowMs: number): DtmfReport[] {
    const e = parseTelephoneEvent(payload);
    const reports: DtmfReport[] = [];
    const c = this.current;
    if (c && timestamp === c.ts) {
      c.lastAt = nowMs;
      if (seqDelta(seq, c.seq) > 0) c.seq = seq;
      if (c.ended) return reports; // §2.5.1.4 retransmitted end packet, or a late update of an ended event
      if (e.duration > c.duration) c.duration = e.duration;
      if (e.end) this.close(reports, false);
      return reports;
    }
    if (c && seqDelta(seq, c.seq) < 0) return reports; // a late packet of an earlier event
    // A new event; the previous one, if still open, lost its end packets (§2.5.2.2).
    this.close(reports, true);
    this.current = { ts: timestamp, seq, event: e.event, duration: e.duration, ended: false, lastAt: nowMs };
    if (e.end) this.close(reports, false);
    return reports;
  }

  /**
   * Called on every tick: closes an event whose packets stopped without an end. Runs for every
   * stream on every tick, so the usual answer (nothing) is one shared empty list, not a new one.
   */
  tick(nowMs: number): readonly DtmfReport[] {
    const c = this.current;
    if (!c || c.ended || nowMs - c.lastAt < this.silenceMs) return noReports;
    const reports: DtmfReport[] = [];
    this.close(reports, true);
    return reports;
  }

  /** True while an event is in progress (audio from the same source is then usually suppressed). */
  get active(): boolean {
    return this.current !== undefined && !this.current.ended;
  }
}

export interface EventPacket {
  /** RTP timestamp: the event's start, the same for all its packets (§2.5.1.2). */
  timestamp: number;
  /** Set on the first packet of an event only (§2.5.1.3). */
  marker: boolean;
  payload: Uint8Array;
}

export interface DtmfSenderOptions {
  /** Length of each tone, default 100 ms. */
  durationMs?: number;
  /** Silence between two digits, default 60 ms. */
  gapMs?: number;
  /** Power in −dBm0, default 10. */
  volume?: number;
  clockRate?: number;
  /** Packet interval, default 20 ms (one tick). */
  packetMs?: number;
}

/**
 * Sends queued digits as RFC 4733 events, one call of `next()` per packet interval. Each packet
 * takes the next RTP sequence number (the caller assigns it); the timestamp stays at the event's
 * start while the duration grows; the end packet is sent three times (§2.5.1.4: "the final packet
 * for each event ... SHOULD be sent a total of three times at the interval used by the source for
 * updates"). `next()` returns undefined between digits, when the stream carries audio again.
 */
export class DtmfEventSender {
  private readonly queue: DtmfDigit[] = [];
  private state:
    | { kind: 'idle' }
    | { kind: 'tone'; digit: DtmfDigit; ts: number; elapsed: number }
    | { kind: 'end'; digit: DtmfDigit; ts: number; duration: number; left: number }
    | { kind: 'gap'; left: number } = { kind: 'idle' };
  private readonly durationUnits: number;
  private readonly gapPackets: number;
  private readonly step: number;
  private readonly volume: number;

  constructor(options: DtmfSenderOptions = {}) {
    const rate = options.clockRate ?? 8000;
    const packetMs = options.packetMs ?? 20;
    this.step = (rate * packetMs) / 1000;
    const durationMs = Math.max(packetMs * 2, options.durationMs ?? 100);
    this.durationUnits = Math.min(0xffff, Math.round((durationMs * rate) / 1000));
    this.gapPackets = Math.max(1, Math.round((options.gapMs ?? 60) / packetMs));
    this.volume = options.volume ?? 10;
  }

  enqueue(digits: readonly DtmfDigit[]): void {
    this.queue.push(...digits);
  }

  /** Digits not yet started, plus one if a digit is under way. */
  get pending(): number {
    return this.queue.length + (this.state.kind === 'tone' || this.state.kind === 'end' ? 1 : 0);
  }

  get busy(): boolean {
    return this.state.kind !== 'idle' || this.queue.length > 0;
  }

  /**
   * The packet for this interval. `timestampNow` is the stream's current RTP timestamp
   * (the one an audio packet sent now would carry).
   */
  next(timestampNow: number): EventPacket | undefined {
    const s = this.state;
    if (s.kind === 'gap') {
      s.left--;
      if (s.left <= 0) this.state = { kind: 'idle' };
      return undefined;
    }
    if (s.kind === 'idle') {
      const digit = this.queue.shift();
      if (digit === undefined) return undefined;
      this.state = { kind: 'tone', digit, ts: timestampNow >>> 0, elapsed: 0 };
    }
    const t = this.state;
    if (t.kind === 'tone') {
      const first = t.elapsed === 0;
      t.elapsed += this.step;
      if (t.elapsed >= this.durationUnits) {
        this.state = { kind: 'end', digit: t.digit, ts: t.ts, duration: this.durationUnits, left: 3 };
        return this.endPacket(first);
      }
      return {
        timestamp: t.ts,
        marker: first,
        payload: writeTelephoneEvent({
          event: eventOfDigit(t.digit),
          end: false,
          volume: this.volume,
          duration: t.elapsed,
        }),
      };
    }
    return this.endPacket(false);
  }

  private endPacket(marker: boolean): EventPacket | undefined {
    const e = this.state;
    if (e.kind !== 'end') return undefined;
    e.left--;
    const packet = {
      timestamp: e.ts,
      marker,
      payload: writeTelephoneEvent({
        event: eventOfDigit(e.digit),
        end: true,
        volume: this.volume,
        duration: e.duration,
      }),
    };
    if (e.left <= 0) this.state = { kind: 'gap', left: this.gapPackets };
    return packet;
  }
}
