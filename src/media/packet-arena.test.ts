import { describe, expect, it } from 'vitest';
import { PacketArena } from './packet-arena';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('packet arena', () => {
  it('hands out copies that keep their bytes while the source buffer is rewritten', () => {
    const arena = new PacketArena(64);
    const source = bytes(10, 1);
    const copy = arena.copy(source);
    const stamp = arena.lastStamp;
    source.fill(9);
    expect([...copy]).toEqual(Array(10).fill(1));
    expect(arena.intact(stamp)).toBe(true);
  });

  it('never splits a copy over the wrap, and says a copy is stale once the ring has come round over it', () => {
    const arena = new PacketArena(32);
    const first = arena.copy(bytes(10, 1)); // [0, 10)
    const firstStamp = arena.lastStamp;
    arena.copy(bytes(10, 2)); // [10, 20)
    const third = arena.copy(bytes(10, 3)); // [20, 30)
    const thirdStamp = arena.lastStamp;
    expect(arena.intact(firstStamp)).toBe(true);
    const fourth = arena.copy(bytes(10, 4)); // 2 bytes left at the end: wraps to [0, 10), over the first
    expect(fourth.byteOffset).toBe(0);
    expect([...fourth]).toEqual(Array(10).fill(4));
    expect(arena.intact(firstStamp)).toBe(false);
    expect([...first]).toEqual(Array(10).fill(4)); // what `intact` warned of
    expect(arena.intact(thirdStamp)).toBe(true);
    expect([...third]).toEqual(Array(10).fill(3));
    arena.copy(bytes(10, 5)); // [10, 20)
    arena.copy(bytes(10, 6)); // [20, 30): over the third
    expect(arena.intact(thirdStamp)).toBe(false);
  });

  it('refuses a packet larger than the arena', () => {
    expect(() => new PacketArena(16).copy(bytes(17, 0))).toThrow(RangeError);
  });
});
