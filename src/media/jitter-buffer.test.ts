import { describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitter-buffer';
import { ReceiveStats } from './rtp-stats';

function drain(jb: JitterBuffer<number>, ticks: number): (number | undefined)[] {
  return Array.from({ length: ticks }, () => jb.pop());
}

describe('jitter buffer', () => {
  it('waits for its target depth, then plays in sequence order', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 3 });
    jb.push(10, 10);
    expect(jb.pop()).toBeUndefined();
    jb.push(12, 12);
    jb.push(11, 11);
    expect(drain(jb, 3)).toEqual([10, 11, 12]);
    expect(jb.counters.lost).toBe(0);
  });

  it('puts reordered packets back in order, drops duplicates', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    for (const seq of [1, 3, 2, 3, 5, 4, 4]) jb.push(seq, seq);
    expect(drain(jb, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(jb.counters.duplicates).toBe(2);
  });

  it('counts a packet that arrives after its slot was given up as late, and the slot as lost', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    jb.push(1, 1);
    jb.push(3, 3);
    expect(drain(jb, 2)).toEqual([1, undefined]);
    expect(jb.counters.lost).toBe(1);
    expect(jb.push(2, 2)).toBe('late');
    expect(jb.pop()).toBe(3);
    expect(jb.counters.late).toBe(1);
  });

  it('counts a copy of a packet already played as a duplicate, not as late', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 1 });
    jb.push(1, 1);
    expect(jb.pop()).toBe(1);
    expect(jb.push(1, 1)).toBe('duplicate');
    expect(jb.counters).toMatchObject({ duplicates: 1, late: 0 });
  });

  it('remembers played packets for 128 slots: a copy within them is a duplicate, an older one late', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 1 });
    for (let seq = 0; seq < 200; seq++) {
      jb.push(seq, seq);
      expect(jb.pop()).toBe(seq);
    }
    expect(jb.push(199 - 127, 0)).toBe('duplicate');
    expect(jb.push(199 - 128, 0)).toBe('late');
    // A slot given up (lost) is not remembered as played: its copy is late.
    jb.push(201, 201);
    expect(jb.pop()).toBeUndefined();
    expect(jb.pop()).toBe(201);
    expect(jb.push(200, 200)).toBe('late');
  });

  it('plays a reordered packet whose extended number is below zero as new, not as a copy', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    jb.push(0, 0);
    expect(jb.push(-1, -1)).toBe('accepted');
    expect(drain(jb, 2)).toEqual([-1, 0]);
  });

  it('accepts a packet that was merely reordered before playout began', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 3 });
    jb.push(5, 5);
    jb.push(4, 4);
    jb.push(6, 6);
    expect(drain(jb, 3)).toEqual([4, 5, 6]);
    expect(jb.counters.late).toBe(0);
  });

  it('refills after running dry without declaring the slow packet lost', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    jb.push(1, 1);
    jb.push(2, 2);
    expect(drain(jb, 3)).toEqual([1, 2, undefined]);
    expect(jb.counters.underruns).toBe(1);
    jb.push(3, 3);
    expect(jb.pop()).toBeUndefined(); // refilling
    jb.push(4, 4);
    expect(drain(jb, 2)).toEqual([3, 4]);
    expect(jb.counters.lost).toBe(0);
  });

  it('passes over sequence numbers taken by RFC 4733 packets without counting loss', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    jb.push(1, 1);
    jb.skip(2);
    jb.skip(3);
    jb.push(4, 4);
    expect(drain(jb, 2)).toEqual([1, 4]);
    expect(jb.counters.lost).toBe(0);
  });

  it('bounds its delay by discarding the oldest packets', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 2, maxDepth: 4 });
    for (let seq = 1; seq <= 8; seq++) jb.push(seq, seq);
    expect(jb.size).toBe(4);
    expect(jb.counters.discarded).toBe(4);
    expect(jb.pop()).toBe(5);
  });

  it('plays straight through the 16-bit sequence wrap when fed extended numbers', () => {
    const stats = new ReceiveStats();
    const jb = new JitterBuffer<number>({ targetDepth: 2 });
    const played: (number | undefined)[] = [];
    const order = [65533, 65535, 65534, 0, 1, 3, 2, 4];
    for (const seq of order) {
      jb.push(stats.updateSeq(seq).extended, seq);
      played.push(jb.pop());
    }
    played.push(...drain(jb, 2));
    expect(played.filter((p) => p !== undefined)).toEqual([65533, 65534, 65535, 0, 1, 2, 3, 4]);
    expect(jb.counters.lost + jb.counters.late).toBe(0);
  });

  it('starts over after a jump far beyond its window (a new source)', () => {
    const jb = new JitterBuffer<number>({ targetDepth: 1, maxJump: 100 });
    jb.push(1, 1);
    jb.push(5000, 5000);
    expect(jb.counters.resyncs).toBe(1);
    expect(jb.pop()).toBe(5000);
  });
});
