import type { MeshMessage } from '../../../protocol/index.ts';
import type { Clock } from '../platform.ts';

/**
 * The responder's memory of recent requests, keyed by `from/id`, so a retransmitted request is
 * never run twice: while it runs a duplicate is ignored, afterwards its final reply is replayed.
 * Bounded by count and age; the oldest entries go first. One small object per request, reused
 * from start to finish, so the 10 minutes of memory cost little to allocate and to collect.
 */
export interface CachedRequest {
  readonly peerId: string;
  /** Aborts the run; undefined once it finished (or for a cancel that came first). */
  abort: ((reason: unknown) => void) | undefined;
  final: MeshMessage | undefined;
  at: number;
}

export interface RequestCache {
  get(peerId: string, id: string): CachedRequest | undefined;
  /** Marks a request as running. */
  begin(peerId: string, id: string, abort: (reason: unknown) => void): void;
  /** Stores the final reply (replayed to retries until it ages out). */
  finish(peerId: string, id: string, final: MeshMessage): void;
  running(peerId?: string): CachedRequest[];
  clear(): void;
}

/** `max` entries (default 4096), finished ones kept `ttlMs` (default 10 min). */
export function createRequestCache(clock: Clock, max = 4096, ttlMs = 600_000): RequestCache {
  const map = new Map<string, CachedRequest>();
  const key = (peerId: string, id: string) => `${peerId}\u0000${id}`;

  function prune(): void {
    const cutoff = clock.now() - ttlMs;
    for (const [k, e] of map) {
      if (map.size <= max && e.at >= cutoff) break;
      if (e.final || map.size > max) map.delete(k);
    }
  }

  return {
    get: (peerId, id) => map.get(key(peerId, id)),
    begin(peerId, id, abort) {
      map.set(key(peerId, id), { peerId, abort, final: undefined, at: clock.now() });
      prune();
    },
    finish(peerId, id, final) {
      const k = key(peerId, id);
      const e = map.get(k) ?? { peerId, abort: undefined, final: undefined, at: 0 };
      e.abort = undefined;
      e.final = final;
      e.at = clock.now();
      // Re-inserted: the map stays in age order for `prune`.
      map.delete(k);
      map.set(k, e);
      prune();
    },
    running(peerId) {
      return [...map.values()].filter((e) => e.abort && !e.final && (peerId === undefined || e.peerId === peerId));
    },
    clear() {
      map.clear();
    },
  };
}
