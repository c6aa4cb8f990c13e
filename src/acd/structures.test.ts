import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import { Scheduler } from './scheduler';
import { IndexedHeap, OrderedSet } from './structures';

/** A small seeded generator for the randomized checks (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Item {
  key: number;
  id: number;
  heapIndex: number;
}

describe('IndexedHeap', () => {
  it('pops in order and removes or re-keys any item, against a sorted reference', () => {
    const next = random(7);
    const heap = new IndexedHeap<Item>((a, b) => a.key < b.key || (a.key === b.key && a.id < b.id));
    const inside: Item[] = [];
    let id = 0;
    for (let step = 0; step < 5000; step++) {
      const r = next();
      if (r < 0.45 || inside.length === 0) {
        const item = { key: Math.floor(next() * 100), id: id++, heapIndex: -1 };
        heap.push(item);
        inside.push(item);
      } else if (r < 0.65) {
        const item = inside.splice(Math.floor(next() * inside.length), 1)[0]!;
        expect(heap.remove(item)).toBe(true);
        expect(heap.remove(item)).toBe(false);
      } else if (r < 0.85) {
        const item = inside[Math.floor(next() * inside.length)]!;
        item.key = Math.floor(next() * 100);
        heap.update(item);
      } else {
        inside.sort((a, b) => a.key - b.key || a.id - b.id);
        expect(heap.pop()).toBe(inside.shift());
      }
      expect(heap.size).toBe(inside.length);
      const min = [...inside].sort((a, b) => a.key - b.key || a.id - b.id)[0];
      expect(heap.peek()).toBe(min);
    }
  });
});

interface Keyed {
  key: number;
  treeLeft: Keyed | null;
  treeRight: Keyed | null;
  treeSize: number;
  treePriority: number;
}

const keyed = (key: number): Keyed => ({
  key,
  treeLeft: null,
  treeRight: null,
  treeSize: 0,
  treePriority: 0,
});

describe('OrderedSet', () => {
  it('keeps order, first and rank right through random inserts and deletes', () => {
    const next = random(11);
    const set = new OrderedSet<Keyed>((a, b) => a.key - b.key);
    const reference: Keyed[] = [];
    for (let step = 0; step < 4000; step++) {
      if (next() < 0.6 || reference.length === 0) {
        const value = Math.floor(next() * 1e6);
        if (reference.some((item) => item.key === value)) continue;
        const item = keyed(value);
        set.insert(item);
        reference.push(item);
        reference.sort((a, b) => a.key - b.key);
      } else {
        const item = reference.splice(Math.floor(next() * reference.length), 1)[0]!;
        expect(set.delete(item)).toBe(true);
        expect(set.delete(item)).toBe(false);
        // Out of the set, the item may go into another (or back into this one) afresh.
        if (next() < 0.2) {
          set.insert(item);
          reference.push(item);
          reference.sort((a, b) => a.key - b.key);
        }
      }
      expect(set.size).toBe(reference.length);
      expect(set.first()).toBe(reference[0]);
      const probe = keyed(Math.floor(next() * 1e6));
      expect(set.rank(probe)).toBe(reference.filter((v) => v.key < probe.key).length);
      if (reference.length > 0) {
        const pick = Math.floor(next() * reference.length);
        expect(set.rank(reference[pick]!)).toBe(pick);
      }
    }
    expect([...set.values()]).toEqual(reference);
  });
});

describe('Scheduler', () => {
  it('runs tasks in time order, same-instant tasks in scheduling order, never early', () => {
    const clock = new VirtualClock(1000);
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    scheduler.at(1500, () => ran.push(`b@${clock.now()}`));
    scheduler.at(1200, () => ran.push(`a@${clock.now()}`));
    scheduler.at(1500, () => ran.push(`c@${clock.now()}`));
    const dropped = scheduler.at(1300, () => ran.push('dropped'));
    scheduler.cancel(dropped);
    clock.advance(199);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual(['a@1200']);
    clock.advance(1000);
    expect(ran).toEqual(['a@1200', 'b@1500', 'c@1500']);
    expect(scheduler.pending).toBe(0);
  });

  it('lets a running task schedule and cancel others, including at the same instant', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    const later = scheduler.at(50, () => ran.push('later'));
    scheduler.at(10, () => {
      ran.push('first');
      scheduler.cancel(later);
      scheduler.at(10, () => ran.push('same-instant'));
      scheduler.at(20, () => ran.push('second'));
    });
    clock.advance(100);
    expect(ran).toEqual(['first', 'same-instant', 'second']);
  });

  it('re-arms for an earlier task scheduled after a later one', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const ran: number[] = [];
    scheduler.at(1000, () => ran.push(clock.now()));
    scheduler.at(100, () => ran.push(clock.now()));
    clock.advance(100);
    expect(ran).toEqual([100]);
    clock.advance(900);
    expect(ran).toEqual([100, 1000]);
  });
});
