import { describe, expect, it } from 'vitest';
import { ReceiveStats } from './rtp-stats';

describe('receiver statistics (RFC 3550 Appendix A)', () => {
  it('extends sequence numbers across the wrap and counts no loss for an unbroken stream', () => {
    const stats = new ReceiveStats();
    const extended: number[] = [];
    for (let i = 0; i < 10; i++) extended.push(stats.updateSeq((65530 + i) & 0xffff).extended);
    expect(extended).toEqual([65530, 65531, 65532, 65533, 65534, 65535, 65536, 65537, 65538, 65539]);
    expect(stats.lost).toBe(0);
    expect(stats.reportBlock().highestSeq).toBe(65539);
  });

  it('counts lost packets and the fraction lost since the previous report (§A.3)', () => {
    const stats = new ReceiveStats();
    for (const seq of [1, 2, 3, 6, 7, 8, 9, 10]) stats.updateSeq(seq); // 4 and 5 lost
    expect(stats.lost).toBe(2);
    const first = stats.reportBlock();
    expect(first.cumulativeLost).toBe(2);
    expect(first.fractionLost).toBe(Math.floor((2 * 256) / 10));
    for (let seq = 11; seq <= 20; seq++) stats.updateSeq(seq);
    expect(stats.reportBlock().fractionLost).toBe(0);
  });

  it('gives a reordered packet its extended number and lets duplicates push loss negative', () => {
    const stats = new ReceiveStats();
    stats.updateSeq(65535);
    stats.updateSeq(1);
    expect(stats.updateSeq(0).extended).toBe(65536);
    expect(stats.lost).toBe(0);
    stats.updateSeq(1);
    expect(stats.lost).toBe(-1);
  });

  it('waits for a second packet before believing a large jump, then restarts (§A.1)', () => {
    const stats = new ReceiveStats();
    for (let seq = 100; seq < 105; seq++) stats.updateSeq(seq);
    expect(stats.updateSeq(40000).accepted).toBe(false);
    const second = stats.updateSeq(40001);
    expect(second).toEqual({ accepted: true, extended: 40001, restarted: true });
    expect(stats.lost).toBe(0);
  });

  it('estimates interarrival jitter (§A.8): zero for a steady stream, about the spread for a jittery one', () => {
    const steady = new ReceiveStats();
    for (let i = 0; i < 100; i++) steady.updateJitter(i * 160, 1000 + i * 20);
    expect(steady.jitterMs).toBe(0);
    const jittery = new ReceiveStats();
    for (let i = 0; i < 500; i++) jittery.updateJitter(i * 160, 1000 + i * 20 + (i % 2 === 0 ? 0 : 10));
    expect(jittery.jitterMs).toBeGreaterThan(8);
    expect(jittery.jitterMs).toBeLessThan(11);
  });
});
