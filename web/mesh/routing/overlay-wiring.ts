import { MeshError } from '../errors.ts';
import type { MeshOverlayOptions } from './mesh-overlay.ts';
import { createPeerOverlay, type PeerOverlay } from './peer-overlay.ts';
import type { RelayBudgetOptions } from './relay-budget.ts';

/**
 * The overlay wired into the mesh's routes: what it sends on, delivers to and repairs. Loaded with
 * the overlay (lazy-peer-overlay.ts), so a page that never opens a DataChannel never loads it.
 */
export function wireOverlay(o: MeshOverlayOptions): PeerOverlay {
  const r = o.routing ?? {};
  const budget: RelayBudgetOptions = {
    ...(r.relayBytesPerSec === undefined ? {} : { bytesPerSec: r.relayBytesPerSec }),
    ...(r.relayInFlight === undefined ? {} : { maxInFlightPerPeer: r.relayInFlight }),
    ...(r.relayInFlightBytes === undefined ? {} : { maxInFlightBytes: r.relayInFlightBytes }),
  };

  return createPeerOverlay({
    localId: o.localId,
    clock: o.clock,
    budget,
    ...(r.sendBytesPerSec === undefined ? {} : { sendBytesPerSec: r.sendBytesPerSec }),
    sendTo(id, bytes) {
      const route = o.routes.get(id);
      if (route?.link.state !== 'open') return Promise.reject(new MeshError('link-down', `no DataChannel to "${id}"`, { peerId: id }));
      return route.link.send(bytes);
    },
    // A payload proves nothing yet (its seal will); it reached us over peers, so its source is in
    // the mesh even if the server never named it to us: the same on-demand route as a call.
    deliver: (src, body) => o.reach(src)?.handleHop(body),
    changed() {
      for (const route of [...o.routes.values()]) {
        route.overlayChanged();
        // Its way over peers is gone and nothing replaced it: requests waiting on it try a
        // DataChannel (then the server's fallback) instead of waiting for their timeout.
        if (route.generation === undefined && !route.error && o.waiting(route.peerId) > 0) route.connect();
      }
    },
  });
}
