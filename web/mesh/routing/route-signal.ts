import type { ClientFrame } from '../../../protocol/index.ts';
import { encodeJson } from '../channel/framing.ts';
import type { SignalingClient } from '../signaling/signaling-client.ts';
import type { TransportPick } from './transports/route-transport.ts';

export type NegotiationFrame = Extract<ClientFrame, { type: 'offer' | 'answer' | 'candidate' }>;

/**
 * Where a route's negotiation frames (offer, answer, candidates of a new DataChannel) go: while
 * the peer is reached over other peers, sealed over them as a `signal` message (docs/protocol.md
 * "Routing over peers"), so a peer already in the mesh opens links without server frames;
 * otherwise, or when that send fails, through the signaling server as always.
 */
export function createRouteSignal(o: { signaling: SignalingClient; route(): TransportPick | undefined; closed(): boolean }): (frame: NegotiationFrame) => void {
  return (frame) => {
    const r = o.route();
    if (r?.tier !== 'routed' || o.closed()) return void o.signaling.send(frame);
    const bytes = encodeJson({ v: 1, type: 'signal', frame });
    r.transport.send(undefined, bytes, bytes.length, r).catch(() => o.signaling.send(frame));
  };
}
