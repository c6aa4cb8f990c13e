import type { ReportBlock } from './rtcp';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface SeqUpdate {
  /** False while a large jump waits for a second packet to confirm it (§A.1 "bad_seq"). */
  accepted: boolean;
  /** The 32-bit extended sequence number of this packet when accepted. */
  extended: number;
  /** True when the source was judged to have restarted its sequence (§A.1, two in-order packets after a jump). */
  restarted: boolean;
}

/**
 * What RFC 3550 Appendix A asks a receiver to track for one source: sequence number
 * validation with wraparound (§A.1), loss (§A.3) and interarrival jitter (§A.8). Probation is
 * zero: the SDP already told us which source to expect, and dropping the first packets of
 * a call to validate it would clip the customer's first word.
 */
export class ReceiveStats {
  private initialized = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private haveTransit = false;
  /** §A.8 jitter estimate in timestamp units, kept as a float (the RFC keeps it scaled by 16). */
  private jitterUnits = 0;
  received = 0;
  ssrc = 0;
  /** The answer of `updateSeq`, one object per source rather than one per packet. */
  private readonly update: SeqUpdate = { accepted: false, extended: -1, restarted: false };

  constructor(private readonly clockRate = 8000) {}

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /**
   * §A.1 `update_seq`. Called for every packet, so the answer is one object reused by the next
   * call: read it before then.
   */
  updateSeq(seq: number): Readonly<SeqUpdate> {
    if (!this.initialized) {
      this.initialized = true;
      this.initSeq(seq);
      this.received = 1;
      return this.answer(true, seq, false);
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    let restarted = false;
    if (udelta < MAX_DROPOUT) {
      // in order, with a permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // "the sequence number made a very large jump"
      if (seq === this.badSeq) {
        // "Two sequential packets -- assume that the other side restarted without telling us"
        this.initSeq(seq);
        restarted = true;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return this.answer(false, -1, false);
      }
    }
    // else: duplicate or reordered packet
    this.received++;
    const maxExtended = this.cycles + this.maxSeq;
    const extended = maxExtended + ((((seq - this.maxSeq) & 0xffff) << 16) >> 16);
    return this.answer(true, extended, restarted);
  }

  private answer(accepted: boolean, extended: number, restarted: boolean): SeqUpdate {
    const update = this.update;
    update.accepted = accepted;
    update.extended = extended;
    update.restarted = restarted;
    return update;
  }

  /** §A.8: `arrivalMs` is the local arrival time; only audio packets feed the estimate. */
  updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = Math.round(arrivalMs * (this.clockRate / 1000));
    const transit = (arrival - rtpTimestamp) | 0;
    if (this.haveTransit) {
      const d = Math.abs((transit - this.transit) | 0);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.transit = transit;
    this.haveTransit = true;
  }

  /** Interarrival jitter in milliseconds. */
  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** §A.3 cumulative number of packets lost (negative when duplicates outnumber losses). */
  get lost(): number {
    if (!this.initialized) return 0;
    return this.extendedMax - this.baseSeq + 1 - this.received;
  }

  /** A reception report block for this source (§6.4.1), advancing the "prior" counters of §A.3. */
  reportBlock(lastSr = 0, delaySinceLastSr = 0): ReportBlock {
    const expected = this.extendedMax - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, this.lost));
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: lost,
      highestSeq: this.extendedMax >>> 0,
      jitter: Math.floor(this.jitterUnits) >>> 0,
      lastSr,
      delaySinceLastSr,
    };
  }
}
