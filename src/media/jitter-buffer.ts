/**
 * A packet-ordered playout buffer for one RTP source, keyed by extended sequence number
 * (RFC 3550 §A.1, so it is immune to the 16-bit wraparound). It holds `targetDepth` packets
 * before playing, then gives out one packet per call of `pop()`:
 *  - reordered packets are put back in order; duplicates are dropped and counted;
 *  - a packet for a slot already played (or declared lost) is late: dropped and counted;
 *  - a missing packet is declared lost only when a later one is waiting, otherwise the buffer
 *    has run dry and refills to `targetDepth` (the sender paused, or the network stalled);
 *  - when more than `maxDepth` packets wait (a sender whose clock runs fast, a burst after a
 *    stall), the oldest are discarded so that delay cannot grow without bound;
 *  - sequence numbers used by non-audio packets (RFC 4733 events) are marked with `skip`, so
 *    their slots are passed over instead of being counted as lost.
 *
 *   buffering ──depth reached──► playing ──ran dry──► buffering
 */
export interface JitterCounters {
  /** Packets accepted into the buffer. */
  accepted: number;
  duplicates: number;
  /** Packets that arrived after their slot was played or given up. */
  late: number;
  /** Slots given up because their packet never came while later ones did. */
  lost: number;
  /** Packets thrown away to bound the delay. */
  discarded: number;
  /** Times the buffer ran dry while playing. */
  underruns: number;
  /** Times a sequence jump made the buffer start over. */
  resyncs: number;
}

export interface JitterBufferOptions {
  /** Packets held before playout starts (default 2: 40 ms at 20 ms packets). */
  targetDepth?: number;
  /** Most packets held before the oldest are discarded (default 10). */
  maxDepth?: number;
  /** A jump of more than this many sequence numbers restarts the buffer (default 500). */
  maxJump?: number;
}

type State = 'buffering' | 'playing';

/** How far back played sequence numbers are remembered (2.5 s of 20 ms packets); a power of two. */
const PLAYED_MEMORY = 128;

export class JitterBuffer<T> {
  private readonly slots = new Map<number, T>();
  private readonly skipped = new Set<number>();
  /**
   * Recently played sequence numbers, so that a copy of a played packet counts as a duplicate,
   * not late: a ring indexed by the low bits, where playing a slot overwrites the one
   * PLAYED_MEMORY before it (a set would cost two hash operations per packet played).
   */
  private readonly played = new Float64Array(PLAYED_MEMORY).fill(Number.NaN);
  private state: State = 'buffering';
  /** The next extended sequence number to play; undefined before the first packet. */
  private cursor: number | undefined;
  private highest = -1;
  /** True once a slot has been played or given up: from then on the cursor never moves back. */
  private started = false;
  readonly counters: JitterCounters = {
    accepted: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    discarded: 0,
    underruns: 0,
    resyncs: 0,
  };
  private readonly targetDepth: number;
  private readonly maxDepth: number;
  private readonly maxJump: number;

  constructor(options: JitterBufferOptions = {}) {
    this.targetDepth = Math.max(1, options.targetDepth ?? 2);
    this.maxDepth = Math.max(this.targetDepth + 1, options.maxDepth ?? 10);
    this.maxJump = options.maxJump ?? 500;
  }

  get size(): number {
    return this.slots.size;
  }

  get playing(): boolean {
    return this.state === 'playing';
  }

  private transition(to: State): void {
    if (this.state === to) throw new Error(`jitter buffer: illegal transition ${this.state} -> ${to}`);
    this.state = to;
  }

  /** Drops everything (a new source, or the stream was re-targeted). Counters are kept. */
  reset(): void {
    this.slots.clear();
    this.skipped.clear();
    this.played.fill(Number.NaN);
    this.cursor = undefined;
    this.highest = -1;
    this.started = false;
    if (this.state === 'playing') this.transition('buffering');
  }

  private outOfRange(seq: number): boolean {
    return this.cursor !== undefined && Math.abs(seq - Math.max(this.cursor, this.highest)) > this.maxJump;
  }

  /** Offers a packet; returns what became of it. */
  push(seq: number, item: T): 'accepted' | 'duplicate' | 'late' {
    if (this.outOfRange(seq)) {
      this.counters.resyncs++;
      this.reset();
    }
    if (this.cursor !== undefined && seq < this.cursor) {
      if (this.played[seq & (PLAYED_MEMORY - 1)] === seq) {
        this.counters.duplicates++;
        return 'duplicate';
      }
      if (!this.started) {
        this.cursor = seq; // reordered before playout began: it still has its slot
      } else {
        this.counters.late++;
        return 'late';
      }
    }
    if (this.slots.has(seq)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    this.slots.set(seq, item);
    this.counters.accepted++;
    if (this.cursor === undefined) this.cursor = seq;
    if (seq > this.highest) this.highest = seq;
    if (this.state === 'buffering' && this.slots.size >= this.targetDepth) this.transition('playing');
    while (this.slots.size > this.maxDepth) this.discardOldest();
    return 'accepted';
  }

  /** Marks a sequence number as taken by a non-audio packet (its slot is passed over silently). */
  skip(seq: number): void {
    if (this.cursor === undefined || seq < this.cursor) return;
    if (this.outOfRange(seq)) return;
    this.skipped.add(seq);
    if (seq > this.highest) this.highest = seq;
  }

  private discardOldest(): void {
    while (this.cursor !== undefined) {
      const seq = this.cursor;
      this.cursor++;
      this.started = true;
      this.skipped.delete(seq);
      if (this.slots.delete(seq)) {
        this.counters.discarded++;
        return;
      }
    }
  }

  /** The packet for this playout slot, or undefined (lost, or the buffer is filling). */
  pop(): T | undefined {
    if (this.state !== 'playing' || this.cursor === undefined) return undefined;
    this.started = true;
    if (this.skipped.size > 0) while (this.skipped.delete(this.cursor)) this.cursor++;
    const seq = this.cursor;
    const item = this.slots.get(seq);
    if (item !== undefined) {
      this.slots.delete(seq);
      this.cursor++;
      this.played[seq & (PLAYED_MEMORY - 1)] = seq;
      return item;
    }
    if (this.slots.size > 0) {
      // A later packet is here, so this one is lost rather than merely slow.
      this.counters.lost++;
      this.cursor++;
      return undefined;
    }
    this.counters.underruns++;
    this.transition('buffering');
    return undefined;
  }
}
