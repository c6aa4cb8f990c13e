/**
 * Where a media worker keeps the RTP payloads its jitter buffers hold when they arrived through
 * the native receive (ADR 016), whose buffer the next tick rewrites: copies into one ring of
 * bytes, instead of a new ArrayBuffer per packet. At 1,200 calls that was 30,000 off-heap
 * allocations a second per worker, and the young-generation collections that freed them took
 * 50–500 ms each: long enough to make a tick late (bench/RESULTS.md, sip-load, 2026-11-29).
 *
 * The ring is overwritten as it wraps. A packet is held for a few ticks, but a jitter buffer
 * may keep one for as long as its stream is silent, so every copy has a stamp and `intact`
 * says whether the ring has come round over it since: a copy older than a full lap (seconds at
 * the default size) is stale audio anyway, and is dropped rather than played.
 */
export class PacketArena {
  private readonly bytes: Uint8Array;
  /** Bytes handed out since the start, the tail skipped at each wrap included. */
  private end = 0;
  /** The stamp of the last `copy`. */
  lastStamp = 0;

  constructor(readonly size = 4 << 20) {
    this.bytes = new Uint8Array(size);
  }

  /** Copies `source` into the ring; the copy's stamp is then `lastStamp`. */
  copy(source: Uint8Array): Uint8Array {
    const n = source.length;
    if (n > this.size) throw new RangeError(`a ${n}-byte packet does not fit a ${this.size}-byte arena`);
    let at = this.end % this.size;
    if (at + n > this.size) {
      this.end += this.size - at; // never split a copy over the wrap
      at = 0;
    }
    this.lastStamp = this.end;
    this.end += n;
    const view = this.bytes.subarray(at, at + n);
    view.set(source);
    return view;
  }

  /** Whether the copy made at `stamp` still holds its bytes (the ring has not come round over it). */
  intact(stamp: number): boolean {
    return this.end - stamp <= this.size;
  }
}
