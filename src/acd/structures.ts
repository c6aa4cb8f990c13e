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

interface TreapNode<T> {
  value: T;
  priority: number;
  size: number;
  left: TreapNode<T> | null;
  right: TreapNode<T> | null;
}

function sizeOf<T>(node: TreapNode<T> | null): number {
  return node === null ? 0 : node.size;
}

/**
 * An ordered set with ranks (a treap whose nodes count their subtree), for waiting
 * interactions: the head is the next to serve, and `rank` gives a caller's position in
 * O(log n). The order must be total and an item's key must not change while it is inside.
 * Node priorities come from a fixed-seed generator, so the shape, and any timing, is the same
 * from run to run.
 */
export class OrderedSet<T> {
  private root: TreapNode<T> | null = null;
  /** The head, kept at hand: routing reads it far more often than it changes. */
  private minNode: TreapNode<T> | null = null;
  private seed = 0x9e3779b9;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return sizeOf(this.root);
  }

  first(): T | undefined {
    return this.minNode?.value;
  }

  insert(value: T): void {
    const node: TreapNode<T> = { value, priority: this.nextPriority(), size: 1, left: null, right: null };
    this.root = this.insertAt(this.root, node);
    if (this.minNode === null || this.compare(value, this.minNode.value) < 0) this.minNode = node;
  }

  /** Removes the item equal (by `compare`) to `value`; false when there is none. */
  delete(value: T): boolean {
    const before = this.size;
    const wasFirst = this.minNode !== null && this.compare(value, this.minNode.value) === 0;
    this.root = this.deleteAt(this.root, value);
    if (wasFirst) {
      let node = this.root;
      while (node !== null && node.left !== null) node = node.left;
      this.minNode = node;
    }
    return this.size < before;
  }

  /** How many items come strictly before `value` (which need not be in the set). */
  rank(value: T): number {
    let node = this.root;
    let count = 0;
    while (node !== null) {
      if (this.compare(node.value, value) < 0) {
        count += sizeOf(node.left) + 1;
        node = node.right;
      } else {
        node = node.left;
      }
    }
    return count;
  }

  /** In order; for snapshots and tests, not for routing. */
  *values(): Generator<T> {
    const stack: TreapNode<T>[] = [];
    let node = this.root;
    while (node !== null || stack.length > 0) {
      while (node !== null) {
        stack.push(node);
        node = node.left;
      }
      const top = stack.pop()!;
      yield top.value;
      node = top.right;
    }
  }

  private nextPriority(): number {
    // xorshift32: cheap, and fixed-seeded so the tree shape is reproducible.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  private insertAt(node: TreapNode<T> | null, fresh: TreapNode<T>): TreapNode<T> {
    if (node === null) return fresh;
    if (fresh.priority > node.priority) {
      const [left, right] = this.split(node, fresh.value);
      fresh.left = left;
      fresh.right = right;
      fresh.size = 1 + sizeOf(left) + sizeOf(right);
      return fresh;
    }
    if (this.compare(fresh.value, node.value) < 0) node.left = this.insertAt(node.left, fresh);
    else node.right = this.insertAt(node.right, fresh);
    node.size++;
    return node;
  }

  /** Splits into (items before `value`, items from `value` on). */
  private split(node: TreapNode<T> | null, value: T): [TreapNode<T> | null, TreapNode<T> | null] {
    if (node === null) return [null, null];
    if (this.compare(node.value, value) < 0) {
      const [left, right] = this.split(node.right, value);
      node.right = left;
      node.size = 1 + sizeOf(node.left) + sizeOf(left);
      return [node, right];
    }
    const [left, right] = this.split(node.left, value);
    node.left = right;
    node.size = 1 + sizeOf(right) + sizeOf(node.right);
    return [left, node];
  }

  private merge(left: TreapNode<T> | null, right: TreapNode<T> | null): TreapNode<T> | null {
    if (left === null) return right;
    if (right === null) return left;
    if (left.priority > right.priority) {
      left.right = this.merge(left.right, right);
      left.size = 1 + sizeOf(left.left) + sizeOf(left.right);
      return left;
    }
    right.left = this.merge(left, right.left);
    right.size = 1 + sizeOf(right.left) + sizeOf(right.right);
    return right;
  }

  private deleteAt(node: TreapNode<T> | null, value: T): TreapNode<T> | null {
    if (node === null) return null;
    const order = this.compare(value, node.value);
    if (order === 0) return this.merge(node.left, node.right);
    if (order < 0) node.left = this.deleteAt(node.left, value);
    else node.right = this.deleteAt(node.right, value);
    node.size = 1 + sizeOf(node.left) + sizeOf(node.right);
    return node;
  }
}
