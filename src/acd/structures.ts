/**
 * The two indexes routing decisions run on. Both keep each operation O(log n), so no decision
 * ever scans all agents or all waiting interactions.
 */

/** Something that can sit in one IndexedHeap at a time: it keeps its own slot there. */
export interface HeapItem {
  /** −1 when not in a heap. */
  heapIndex: number;
}

/**
 * A binary heap whose items know their own slot (`heapIndex`), so an item can be removed or
 * re-keyed in O(log n) without searching for it. The slot is a plain field rather than a
 * callback: heaps sit on the routing path, and a field write is the cheapest bookkeeping there is.
 */
export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  /** `before(a, b)`: true when `a` must come out before `b`. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(item: T): boolean {
    const index = item.heapIndex;
    return index >= 0 && this.items[index] === item;
  }

  push(item: T): void {
    this.items.push(item);
    item.heapIndex = this.items.length - 1;
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return false;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last !== item) {
      this.items[index] = last;
      last.heapIndex = index;
      this.down(this.up(index));
    }
    return true;
  }

  /** Restores the order after the item's key changed. */
  update(item: T): void {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return;
    this.down(this.up(index));
  }

  values(): readonly T[] {
    return this.items;
  }

  private up(start: number): number {
    const items = this.items;
    const item = items[start]!;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!this.before(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
    return index;
  }

  private down(start: number): void {
    const items = this.items;
    const length = items.length;
    const item = items[start]!;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.before(items[right]!, items[left]!)) child = right;
      const next = items[child]!;
      if (!this.before(next, item)) break;
      items[index] = next;
      next.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}

/**
 * The links an item carries to sit in one OrderedSet at a time: the set's tree is made of the
 * items themselves (an intrusive treap), so inserting allocates nothing and walking the tree
 * reads the keys it compares from the same objects as the links.
 */
export interface TreeItem<T> {
  treeLeft: T | null;
  treeRight: T | null;
  /** Items in the subtree rooted here (this one included). */
  treeSize: number;
  /** The treap's heap priority, drawn when the item goes in. */
  treePriority: number;
}

function sizeOf<T extends TreeItem<T>>(node: T | null): number {
  return node === null ? 0 : node.treeSize;
}

/**
 * An ordered set with ranks (a treap whose nodes count their subtree), for waiting
 * interactions: the head is the next to serve, and `rank` gives a caller's position in
 * O(log n). The order must be total and an item's key must not change while it is inside; an
 * item is in at most one set at a time (it carries that set's links). Node priorities come from
 * a fixed-seed generator, so the shape, and any timing, is the same from run to run.
 */
export class OrderedSet<T extends TreeItem<T>> {
  private root: T | null = null;
  /** The head, kept at hand: routing reads it far more often than it changes. */
  private min: T | null = null;
  private seed = 0x9e3779b9;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return sizeOf(this.root);
  }

  first(): T | undefined {
    return this.min ?? undefined;
  }

  insert(item: T): void {
    item.treeLeft = null;
    item.treeRight = null;
    item.treeSize = 1;
    item.treePriority = this.nextPriority();
    this.root = this.insertAt(this.root, item);
    if (this.min === null || this.compare(item, this.min) < 0) this.min = item;
  }

  /** Removes the item equal (by `compare`) to `item`; false when there is none. */
  delete(item: T): boolean {
    const before = this.size;
    const wasFirst = this.min !== null && this.compare(item, this.min) === 0;
    this.root = this.deleteAt(this.root, item);
    if (wasFirst) {
      let node = this.root;
      while (node !== null && node.treeLeft !== null) node = node.treeLeft;
      this.min = node;
    }
    return this.size < before;
  }

  /** How many items come strictly before `item` (which need not be in the set). */
  rank(item: T): number {
    const compare = this.compare;
    let node = this.root;
    let count = 0;
    while (node !== null) {
      if (compare(node, item) < 0) {
        count += sizeOf(node.treeLeft) + 1;
        node = node.treeRight;
      } else {
        node = node.treeLeft;
      }
    }
    return count;
  }

  /** In order; for snapshots and tests, not for routing. */
  *values(): Generator<T> {
    const stack: T[] = [];
    let node = this.root;
    while (node !== null || stack.length > 0) {
      while (node !== null) {
        stack.push(node);
        node = node.treeLeft;
      }
      const top = stack.pop()!;
      node = top.treeRight;
      yield top;
    }
  }

  private nextPriority(): number {
    // xorshift32: cheap, and fixed-seeded so the tree shape is reproducible.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    // 31 bits: a small integer for V8, so the priority field never holds a boxed double.
    return this.seed >>> 1;
  }

  /** Binary-search-tree insert, then rotations restore the heap order on priorities (no split, no tuples). */
  private insertAt(node: T | null, fresh: T): T {
    if (node === null) return fresh;
    node.treeSize++;
    if (this.compare(fresh, node) < 0) {
      const left = this.insertAt(node.treeLeft, fresh);
      node.treeLeft = left;
      if (left.treePriority > node.treePriority) {
        node.treeLeft = left.treeRight;
        left.treeRight = node;
        left.treeSize = node.treeSize;
        node.treeSize = 1 + sizeOf(node.treeLeft) + sizeOf(node.treeRight);
        return left;
      }
    } else {
      const right = this.insertAt(node.treeRight, fresh);
      node.treeRight = right;
      if (right.treePriority > node.treePriority) {
        node.treeRight = right.treeLeft;
        right.treeLeft = node;
        right.treeSize = node.treeSize;
        node.treeSize = 1 + sizeOf(node.treeLeft) + sizeOf(node.treeRight);
        return right;
      }
    }
    return node;
  }

  private merge(left: T | null, right: T | null): T | null {
    if (left === null) return right;
    if (right === null) return left;
    if (left.treePriority > right.treePriority) {
      left.treeRight = this.merge(left.treeRight, right);
      left.treeSize = 1 + sizeOf(left.treeLeft) + sizeOf(left.treeRight);
      return left;
    }
    right.treeLeft = this.merge(left, right.treeLeft);
    right.treeSize = 1 + sizeOf(right.treeLeft) + sizeOf(right.treeRight);
    return right;
  }

  private deleteAt(node: T | null, item: T): T | null {
    if (node === null) return null;
    const order = this.compare(item, node);
    if (order === 0) {
      const rest = this.merge(node.treeLeft, node.treeRight);
      node.treeLeft = null;
      node.treeRight = null;
      return rest;
    }
    if (order < 0) node.treeLeft = this.deleteAt(node.treeLeft, item);
    else node.treeRight = this.deleteAt(node.treeRight, item);
    node.treeSize = 1 + sizeOf(node.treeLeft) + sizeOf(node.treeRight);
    return node;
  }
}
