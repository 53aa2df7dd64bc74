import type { MeshMessage } from '../../server/protocol.ts';
import type { Clock } from './platform.ts';

/**
 * The responder's memory of recent requests, keyed by `from/id`, so a retransmitted request is
 * never run twice: while it runs a duplicate is ignored, afterwards its final reply is replayed.
 * Bounded by count and age; the oldest entries go first.
 */
export interface CachedRequest {
  peerId: string;
  controller: AbortController | undefined;
  final: MeshMessage | undefined;
  at: number;
}

export interface RequestCache {
  get(peerId: string, id: string): CachedRequest | undefined;
  /** Marks a request as running. */
  begin(peerId: string, id: string, controller: AbortController): void;
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
    begin(peerId, id, controller) {
      map.set(key(peerId, id), { peerId, controller, final: undefined, at: clock.now() });
      prune();
    },
    finish(peerId, id, final) {
      const k = key(peerId, id);
      map.delete(k);
      map.set(k, { peerId, controller: undefined, final, at: clock.now() });
      prune();
    },
    running(peerId) {
      return [...map.values()].filter((e) => e.controller && !e.final && (peerId === undefined || e.peerId === peerId));
    },
    clear() {
      map.clear();
    },
  };
}
