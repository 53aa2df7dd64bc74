import type { Logger } from '../ops/logger.ts';
import type { ServerMetrics } from '../ops/server-metrics.ts';
import { createTokenBucket } from '../../protocol/token-bucket.ts';

/** Peer-reported identity failures counted per reporting peer id: a burst of 10, then 1 a minute. */
export const REPORTS_BURST = 10;
export const REPORTS_PER_MINUTE = 1;
const MAX_TRACKED = 10_000;

/**
 * Caps what one reporter can add to `tabmesh_peer_reported_identity_failures_total`: a peer that
 * invents failures moves the series by at most 10 at once and 1 a minute after, so a rise across
 * many series entries means many reporters. Keyed by mesh and peer id (not the socket), so a
 * reconnect does not refill the budget.
 */
export function createReportLimiter(now: () => number) {
  const buckets = new Map<string, { bucket: ReturnType<typeof createTokenBucket>; last: number }>();
  const refillMs = (REPORTS_BURST / REPORTS_PER_MINUTE) * 60_000;
  return {
    /** How many of `wanted` entries `reporter` may have counted now. */
    admit(reporter: string, wanted: number): number {
      const t = now();
      if (buckets.size > MAX_TRACKED) {
        // A bucket idle long enough to be full again is the same as a new one: dropping it loses nothing.
        for (const [k, v] of buckets) if (t - v.last >= refillMs) buckets.delete(k);
      }
      let entry = buckets.get(reporter);
      if (!entry) buckets.set(reporter, (entry = { bucket: createTokenBucket(REPORTS_PER_MINUTE / 60, REPORTS_BURST, now), last: t }));
      entry.last = t;
      let n = 0;
      while (n < wanted && entry.bucket.take()) n += 1;
      return n;
    },
  };
}

export interface ReportedFailures {
  /** Counts what `reporter` says it refused (link-report `identityFailures`), within its budget. */
  count(reporter: { mesh: string; peerId: string }, failures: ReadonlyArray<{ reason: string; peer?: string }>): void;
}

/** Peers' own word: a separate series from what the server checked itself, capped per reporter. */
export function createReportedFailures(metrics: ServerMetrics, logger: Logger, now: () => number): ReportedFailures {
  const limiter = createReportLimiter(now);
  return {
    count(reporter, failures) {
      if (failures.length === 0) return;
      const counted = failures.slice(0, limiter.admit(`${reporter.mesh}/${reporter.peerId}`, failures.length));
      if (counted.length === 0) return;
      for (const f of counted) metrics.peerReportedIdentityFailures.inc({ reason: f.reason });
      logger.info('peer reported identity failures', { peerId: reporter.peerId, mesh: reporter.mesh, refused: counted.map((f) => `${f.peer ?? '?'}:${f.reason}`) });
    },
  };
}
