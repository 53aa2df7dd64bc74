import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { MAX_HOP_BODY_BYTES } from '../../../protocol/peer-routing-limits.ts';

/**
 * What a peer spends forwarding other peers' routed payloads, bounded so that nobody can make it
 * exhaust its memory or its links: bytes per second per neighbour it forwards *for*, payloads in
 * flight (handed to the next link, not yet sent) per neighbour and in all, a size cap per payload,
 * and a window of payload ids already forwarded (loops and duplicates are dropped, not re-sent).
 */
export interface RelayBudgetOptions {
  /** Bytes per second forwarded for one neighbour (default 4 MiB/s; burst one second's worth). */
  bytesPerSec?: number;
  /** Payloads from one neighbour in flight at once (default 64). */
  maxInFlightPerPeer?: number;
  /** Bytes in flight for everyone together (default 8 MiB). */
  maxInFlightBytes?: number;
  /** Largest payload forwarded, bytes (default MAX_HOP_BODY_BYTES plus the hop header). */
  maxPayloadBytes?: number;
  /** Forwarded ids remembered (default 4096). */
  seenIds?: number;
}

export type RelayRefusal = 'duplicate' | 'too-large' | 'rate' | 'in-flight' | 'memory' | 'no-route' | 'ttl' | 'loop' | 'bad-hop';

export interface RelayStats {
  /** Payloads forwarded for others, and their bytes. */
  forwarded: number;
  forwardedBytes: number;
  /** Payloads refused, by reason. */
  refused: Partial<Record<RelayRefusal, number>>;
  /** Payloads and bytes handed to a link and not yet sent. */
  inFlight: number;
  inFlightBytes: number;
  /** Most bytes ever in flight at once. */
  peakInFlightBytes: number;
}

export interface RelayBudget {
  /** Takes the budget for one payload of `bytes` from neighbour `from`; a refusal reason or undefined (go). */
  admit(id: string, from: string, bytes: number): RelayRefusal | undefined;
  /** The admitted payload left (or failed to leave) on the next link: its in-flight share is free again. */
  release(from: string, bytes: number): void;
  refuse(reason: RelayRefusal): void;
  /** The neighbour is gone: forget its bucket (its in-flight payloads still release). */
  forget(from: string): void;
  readonly stats: RelayStats;
}

export const DEFAULT_RELAY_BYTES_PER_SEC = 4 * 1024 * 1024;

/** Creates a budget; `now` in ms. */
export function createRelayBudget(now: () => number, o: RelayBudgetOptions = {}): RelayBudget {
  const rate = o.bytesPerSec ?? DEFAULT_RELAY_BYTES_PER_SEC;
  const maxPerPeer = o.maxInFlightPerPeer ?? 64;
  const maxBytes = o.maxInFlightBytes ?? 8 * 1024 * 1024;
  const maxPayload = o.maxPayloadBytes ?? MAX_HOP_BODY_BYTES + 1024;
  const seenMax = o.seenIds ?? 4096;
  const buckets = new Map<string, ReturnType<typeof createTokenBucket>>();
  const perPeer = new Map<string, number>();
  // Insertion-ordered: the oldest id is dropped first.
  const seen = new Set<string>();
  const stats: RelayStats = { forwarded: 0, forwardedBytes: 0, refused: {}, inFlight: 0, inFlightBytes: 0, peakInFlightBytes: 0 };

  const refuse = (reason: RelayRefusal): RelayRefusal => ((stats.refused[reason] = (stats.refused[reason] ?? 0) + 1), reason);

  return {
    admit(id, from, bytes) {
      // The id alone decides: a payload that comes back over another neighbour is a loop or a copy.
      if (seen.has(id)) return refuse('duplicate');
      if (bytes > maxPayload) return refuse('too-large');
      if ((perPeer.get(from) ?? 0) >= maxPerPeer) return refuse('in-flight');
      if (stats.inFlightBytes + bytes > maxBytes) return refuse('memory');
      let bucket = buckets.get(from);
      if (!bucket) buckets.set(from, (bucket = createTokenBucket(rate, Math.max(rate, maxPayload), now)));
      if (!bucket.take(bytes)) return refuse('rate');
      seen.add(id);
      if (seen.size > seenMax) seen.delete(seen.values().next().value!);
      perPeer.set(from, (perPeer.get(from) ?? 0) + 1);
      stats.inFlight++;
      stats.inFlightBytes += bytes;
      stats.peakInFlightBytes = Math.max(stats.peakInFlightBytes, stats.inFlightBytes);
      stats.forwarded++;
      stats.forwardedBytes += bytes;
      return undefined;
    },
    release(from, bytes) {
      const n = (perPeer.get(from) ?? 1) - 1;
      if (n <= 0) perPeer.delete(from);
      else perPeer.set(from, n);
      stats.inFlight--;
      stats.inFlightBytes -= bytes;
    },
    refuse: (reason) => void refuse(reason),
    forget: (from) => void buckets.delete(from),
    stats,
  };
}
