/** A binary min-heap: push and pop in O(log n), so planning never re-sorts what it already ordered. */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  /** `before(a, b)` is true when `a` must come out before `b`. */
  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let child = items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#before(items[child] as T, items[parent] as T)) break;
      this.#swap(child, parent);
      child = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let parent = 0;
    for (;;) {
      const left = parent * 2 + 1;
      const right = left + 1;
      let first = parent;
      if (left < items.length && this.#before(items[left] as T, items[first] as T)) first = left;
      if (right < items.length && this.#before(items[right] as T, items[first] as T)) first = right;
      if (first === parent) return top;
      this.#swap(parent, first);
      parent = first;
    }
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const held = items[i] as T;
    items[i] = items[j] as T;
    items[j] = held;
  }
}
