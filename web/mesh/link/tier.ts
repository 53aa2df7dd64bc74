import type { Clock } from '../platform.ts';

/**
 * A DataChannel's tier: `relayed` when the selected candidate pair uses a TURN relay candidate,
 * `direct` when it is known not to, `unknown` while the stats do not say (no stats, no selected
 * pair yet, or candidates without a type): a tier is never guessed.
 */
export type LinkTier = 'direct' | 'relayed' | 'unknown';

type Stat = Record<string, unknown>;

/**
 * Reads the selected candidate pair from `getStats()` (transport.selectedCandidatePairId in
 * Chromium and node-datachannel, `selected` in Firefox).
 */
export async function detectTier(pc: RTCPeerConnection): Promise<LinkTier> {
  let report: Map<string, Stat>;
  try {
    report = new Map();
    (await pc.getStats()).forEach((s: Stat, id: string) => report.set(id, s));
  } catch {
    return 'unknown';
  }
  let pair: Stat | undefined;
  for (const s of report.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = report.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    for (const s of report.values()) if (s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded'))) pair = s;
  }
  if (!pair) return 'unknown';
  const types = [pair.localCandidateId, pair.remoteCandidateId].map((id) => (typeof id === 'string' ? report.get(id)?.candidateType : undefined));
  if (types.includes('relay')) return 'relayed';
  return types.every((t) => typeof t === 'string') ? 'direct' : 'unknown';
}

/** Delays between re-reads of a tier that the stats did not give at open, ms. */
export const TIER_RETRY_MS = [250, 1000, 4000] as const;

/**
 * Re-reads an `unknown` tier a few times (stats can lag the channel opening) and calls `onKnown`
 * once they tell. Returns a cancel function (the connection was replaced or closed).
 */
export function retryUnknownTier(pc: RTCPeerConnection, clock: Clock, onKnown: (tier: LinkTier) => void): () => void {
  let timer: unknown;
  let cancelled = false;
  const attempt = (i: number) => {
    const delay = TIER_RETRY_MS[i];
    if (delay === undefined || cancelled) return;
    timer = clock.set(() => {
      timer = undefined;
      void detectTier(pc).then((t) => {
        if (cancelled) return;
        if (t === 'unknown') attempt(i + 1);
        else onKnown(t);
      });
    }, delay);
  };
  attempt(0);
  return () => {
    cancelled = true;
    clock.clear(timer);
  };
}
