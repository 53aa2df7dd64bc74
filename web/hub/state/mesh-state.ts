import { computed, signal } from '@preact/signals';
import type { Role, Tier } from '../../../protocol/index.ts';

export type SignalingStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** This tab's view of its link to one peer. */
export interface LinkView {
  peerId: string;
  state: 'connecting' | 'open' | 'closed' | 'failed';
  tier: Tier;
  rttMs?: number;
  /** RTCPeerConnection creation to DataChannel open on this side, ms. */
  openMs?: number;
  /** `verified`: the DataChannel's peer proved its key; `refused`: it failed and is cut off. */
  identity?: 'verified' | 'unverified' | 'refused';
  /** Why the last connection ended (for a refused peer: what the identity check found). */
  lastError?: string;
}

/** Live state of this tab as a peer, fed by the mesh core's events. */
export const signalingStatus = signal<SignalingStatus>('connecting');
/** Peers connected to the signaling server right now. */
export const livePeers = signal<Array<{ peerId: string; role: Role }>>([]);
export const links = signal<Map<string, LinkView>>(new Map());

/** Counts of open links per tier: the "tier of this tab" summary in the header. */
export const tierSummary = computed(() => {
  const counts: Record<Tier, number> = { direct: 0, relayed: 0, routed: 0, fallback: 0, unknown: 0 };
  for (const l of links.value.values()) if (l.state === 'open') counts[l.tier]++;
  return counts;
});

/** Replaces one link's view (a new Map so signals notice). */
export function setLink(link: LinkView): void {
  const next = new Map(links.value);
  // A refused peer stays listed: the warning is the point.
  if (link.state === 'closed' && link.identity !== 'refused') next.delete(link.peerId);
  else next.set(link.peerId, link);
  links.value = next;
}
