import { validate } from '../../../protocol/index.ts';
import { LinkSignalSchema } from '../../../protocol/peer-routing.ts';
import { encodeJson } from '../channel/framing.ts';
import { MeshError } from '../errors.ts';
import type { MeshOverlayOptions } from './mesh-overlay.ts';
import type { PeerRoute } from './peer-route-types.ts';
import { createWelcomeLinks, type WelcomeLinks } from './overlay-welcome.ts';
import { createPeerOverlay, type PeerOverlay } from './peer-overlay.ts';
import type { RelayBudgetOptions } from './relay-budget.ts';

/** The overlay, plus what a joining peer needs only when routing over peers runs (overlay-welcome.ts). */
export interface WiredOverlay extends PeerOverlay {
  welcome: WelcomeLinks;
  /** A sealed `signal` message from the peer itself: its negotiation frame, as if the server had relayed it. */
  signal(route: PeerRoute, raw: unknown): void;
  /**
   * The mesh stops: `bye` over this open DataChannel itself (a server frame per link was most of
   * the frames a link cost the server), then the link closes, letting it drain. Should it still be
   * lost, the peer sees the DataChannel close instead: the same outcome, a moment later.
   */
  bye(route: PeerRoute): void;
}

/** How long a stopping peer's connection may stay up for its bye to leave (it goes as soon as the channel has closed), ms. */
const BYE_DRAIN_MS = 1000;

/**
 * The overlay wired into the mesh's routes: what it sends on, delivers to and repairs. Loaded with
 * the overlay (lazy-peer-overlay.ts), so a page that never opens a DataChannel never loads it.
 */
export function wireOverlay(o: MeshOverlayOptions): WiredOverlay {
  const r = o.routing ?? {};
  const budget: RelayBudgetOptions = {
    ...(r.relayBytesPerSec === undefined ? {} : { bytesPerSec: r.relayBytesPerSec }),
    ...(r.relayInFlight === undefined ? {} : { maxInFlightPerPeer: r.relayInFlight }),
    ...(r.relayInFlightBytes === undefined ? {} : { maxInFlightBytes: r.relayInFlightBytes }),
  };

  const overlay = createPeerOverlay({
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
    changed(peers) {
      for (const route of [...peers].flatMap((id) => o.routes.get(id) ?? [])) {
        route.overlayChanged();
        // Its way over peers is gone and nothing replaced it: requests waiting on it try a
        // DataChannel (then the server's fallback) instead of waiting for their timeout.
        if (route.generation === undefined && !route.error && o.waiting(route.peerId) > 0) route.connect();
      }
    },
  });
  return Object.assign(overlay, {
    welcome: createWelcomeLinks(o.clock),
    signal(route: PeerRoute, raw: unknown) {
      const me = o.localId();
      const checked = validate(LinkSignalSchema, raw);
      if (me && checked.ok && !route.error) route.handleSignal({ ...checked.value.frame, from: route.peerId, to: me } as Parameters<PeerRoute['handleSignal']>[0]);
    },
    bye(route: PeerRoute) {
      route.link.send(encodeJson({ v: 1, type: 'signal', frame: { type: 'bye', to: route.peerId, payload: { reason: 'stop' } } })).catch(() => undefined);
      route.link.close(BYE_DRAIN_MS);
    },
  });
}
