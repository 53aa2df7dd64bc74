import type { Emitter } from '../emitter.ts';
import { createLazyRelaySeal } from './lazy-relay-seal.ts';
import type { PeerRouteEvents, PeerRouteOptions } from './peer-route-types.ts';
import type { RelaySeal } from './relay-seal.ts';

/**
 * The one end-to-end seal of a route (one per remote peer), shared by the server relay and the
 * routed tier: both carry sealed frames, and one seal means one frame counter, so no AES-GCM
 * nonce is ever used twice under the pair's key. Hellos go over other peers when the overlay
 * has a way to the remote, else through the server (and through the server when peers fail).
 */
export function createRouteSeal(o: PeerRouteOptions, events: Emitter<PeerRouteEvents>, changed: () => void): RelaySeal {
  const { signaling, peerId, overlay } = o;
  return createLazyRelaySeal({
    localId: o.localId, remoteId: peerId, auth: o.auth, keys: o.sealKeys, clock: o.clock,
    ...(o.connectTimeoutMs === undefined ? {} : { timeoutMs: o.connectTimeoutMs }),
    sendHello: (hello) => {
      const viaPeers = overlay?.best(peerId);
      if (!viaPeers || viaPeers.hops < 2) return signaling.relay(peerId, hello);
      return overlay!.send(peerId, hello).then(() => undefined, () => signaling.relay(peerId, hello));
    },
    onVerified: (verdict) => (events.emit('identity', verdict), changed()),
    onProblem: (code, message, verdict) => (verdict ? events.emit('identity', verdict) : events.emit('frame-error', { code, message })),
  });
}
