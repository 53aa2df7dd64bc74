import type { AgentChannels } from '../channel/agent-channels.ts';
import type { MeshError } from '../errors.ts';
import type { PeerLink } from '../link/peer-link-types.ts';
import type { RouteInfo } from './peer-route-types.ts';
import type { RouteTransport, TransportPick } from './transports/index.ts';

export interface RouteInfoSources {
  peerId: string;
  /** The transport carrying messages now, if any. */
  pick: TransportPick | undefined;
  closed: MeshError | undefined;
  mode: 'p2p' | 'fallback';
  rttMs: number | undefined;
  link: PeerLink;
  transports: readonly RouteTransport[];
  agents: AgentChannels;
  lastError: string | undefined;
}

/** The route's public snapshot (LinkSchema fields), from what the route knows now. */
export function describeRoute(s: RouteInfoSources): RouteInfo {
  const { pick: r, closed, link } = s;
  const stats = link.stats;
  const carried = s.transports.reduce((sum, t) => ({ sent: sum.sent + t.bytes.sent, received: sum.received + t.bytes.received }), { sent: 0, received: 0 });
  return {
    peerId: s.peerId,
    state: closed ? 'closed' : r ? 'open' : 'connecting',
    // No route yet: nothing was measured, so the tier is not claimed.
    tier: r?.tier ?? (s.mode === 'fallback' ? 'fallback' : 'unknown'),
    ...(r?.hops === undefined ? {} : { hops: r.hops }),
    rttMs: s.rttMs,
    bytesSent: carried.sent,
    bytesReceived: carried.received,
    sessionId: link.sessionId,
    sessions: link.sessions,
    openMs: link.openMs,
    verifyMs: link.verifyMs,
    identity: closed?.code === 'identity-failed' ? 'refused' : link.state === 'open' || r?.transport.verified ? 'verified' : 'unverified',
    maxBufferedAmount: stats.maxBufferedAmount,
    lastError: s.lastError,
    agentChannels: s.agents.ready,
  };
}

/** The first transport, in registration order, that can carry a message now. */
export function pickTransport(transports: readonly RouteTransport[]): TransportPick | undefined {
  for (const t of transports) {
    const pick = t.pick();
    if (pick) return pick;
  }
  return undefined;
}
