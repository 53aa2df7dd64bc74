/**
 * Which peers a newcomer is introduced to. Up to `COMPLETE_UP_TO` others, everyone (a small mesh
 * stays a full mesh, as before); beyond that its ring neighbours by peer id (each side, so the
 * overlay is one connected ring whatever order peers join in) plus random others (shortcuts:
 * with a few per peer the ring's diameter falls from N/2 to about log N).
 */
export const OVERLAY = { completeUpTo: 32, near: 4, random: 4 } as const;

/** Peer ids of one mesh in sorted order, for ring neighbours without sorting per join. */
export class PeerRing {
  private readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  add(id: string): void {
    const i = this.indexOf(id);
    if (this.ids[i] !== id) this.ids.splice(i, 0, id);
  }

  remove(id: string): void {
    const i = this.indexOf(id);
    if (this.ids[i] === id) this.ids.splice(i, 1);
  }

  all(): readonly string[] {
    return this.ids;
  }

  /** First index whose id is >= `id` (binary search). */
  indexOf(id: string): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * `near` ring neighbours of `self` (alternating successor, predecessor) then `random` others,
   * never `self`, no repeats. `self` need not be in the ring. Deterministic but for `random()`.
   */
  pick(self: string, near: number, random: number, rand: () => number): string[] {
    const ids = this.ids;
    const n = ids.length;
    const out = new Set<string>();
    const start = this.indexOf(self);
    const selfIn = ids[start] === self;
    const others = n - (selfIn ? 1 : 0);
    const want = Math.min(others, near + random);
    // Successors from just after self, predecessors from just before.
    let succ = selfIn ? start + 1 : start;
    let pred = start - 1;
    for (let k = 0; out.size < Math.min(near, others) && k < 2 * n; k++) {
      const id = k % 2 === 0 ? ids[((succ++ % n) + n) % n]! : ids[((pred-- % n) + n) % n]!;
      if (id !== self) out.add(id);
    }
    // Random draws; bounded tries, then a linear scan fills whatever is still missing.
    for (let tries = 0; out.size < want && tries < 8 * (random + 1); tries++) {
      const id = ids[Math.floor(rand() * n)]!;
      if (id !== self) out.add(id);
    }
    for (let i = 0; out.size < want && i < n; i++) if (ids[i] !== self) out.add(ids[i]!);
    return [...out];
  }
}
