export interface ExpiryMark {
  at: number;
  ns: string;
  id: string;
}

/**
 * Min-heap of expiry times, so a sweep touches only what is due instead of scanning every
 * entry. Marks are never updated in place: a rewritten entry pushes a new mark, and the sweeper
 * checks the entry's current expiry before removing it (stale marks are just dropped).
 */
export class ExpiryHeap {
  private readonly items: ExpiryMark[] = [];

  get size(): number {
    return this.items.length;
  }

  push(mark: ExpiryMark): void {
    const a = this.items;
    a.push(mark);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.at <= a[i]!.at) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest mark if it is due at `now`. */
  popDue(now: number): ExpiryMark | undefined {
    const a = this.items;
    if (a.length === 0 || a[0]!.at > now) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.at < a[m]!.at) m = l;
        if (r < a.length && a[r]!.at < a[m]!.at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
