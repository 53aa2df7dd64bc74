/** A DataChannel's tier: `relayed` when the selected candidate pair uses a TURN relay candidate. */
export type LinkTier = 'direct' | 'relayed';

type Stat = Record<string, unknown>;

/**
 * Reads the selected candidate pair from `getStats()` (transport.selectedCandidatePairId in
 * Chromium and node-datachannel, `selected` in Firefox). Unknown means `direct`.
 */
export async function detectTier(pc: RTCPeerConnection): Promise<LinkTier> {
  let report: Map<string, Stat>;
  try {
    report = new Map();
    (await pc.getStats()).forEach((s: Stat, id: string) => report.set(id, s));
  } catch {
    return 'direct';
  }
  let pair: Stat | undefined;
  for (const s of report.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = report.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    for (const s of report.values()) if (s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded'))) pair = s;
  }
  if (!pair) return 'direct';
  const types = [pair.localCandidateId, pair.remoteCandidateId].map((id) => (typeof id === 'string' ? report.get(id)?.candidateType : undefined));
  return types.includes('relay') ? 'relayed' : 'direct';
}
