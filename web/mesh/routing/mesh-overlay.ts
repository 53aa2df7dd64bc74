import { LINK_ROUTING_TYPES } from '../../../protocol/peer-routing-limits.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute } from './peer-route-types.ts';
import { createLazyPeerOverlay, type LazyPeerOverlay } from './lazy-peer-overlay.ts';
import type { WiredOverlay } from './overlay-wiring.ts';

/** `routing` in MeshOptions: the limits of routing over peers (docs/architecture.md "Routing over peers"). */
export interface RoutingOptions {
  /** Bytes per second forwarded for one neighbour (4 MiB/s). */
  relayBytesPerSec?: number;
  /** Payloads from one neighbour forwarded at once (64). */
  relayInFlight?: number;
  /** Bytes forwarded at once for everyone together (8 MiB). */
  relayInFlightBytes?: number;
  /** Bytes per second this peer originates through one neighbour (2 MiB/s). */
  sendBytesPerSec?: number;
}

export interface MeshOverlayOptions {
  routes: ReadonlyMap<string, PeerRoute>;
  localId(): string | undefined;
  clock: Clock;
  /** The route for a peer, made on demand for a key-derived id within the route cap (mesh-peers.ts `reach`). */
  reach(peerId: string): PeerRoute | undefined;
  /** Requests to or from `peerId` still waiting for a reply (a lost way must not strand them). */
  waiting(peerId: string): number;
  routing?: RoutingOptions | undefined;
}

export interface MeshOverlay {
  overlay: LazyPeerOverlay<WiredOverlay>;
  /** A message a route delivered: true when it was link-level routing (`routes`, `hop`), handled here. */
  intercept(route: PeerRoute, raw: unknown): boolean;
  /** A route changed: its DataChannel is, or is no longer, a neighbour link. */
  routeChanged(route: PeerRoute): void;
}

/** Routes made on demand (sources of routed payloads, peers called by id) stop here: a peer's table of everyone it talks to. */
export const MAX_ROUTES = 4096;

/** Wires the overlay into the mesh's routes: neighbours are the peers with an open, verified DataChannel. */
export function createMeshOverlay(o: MeshOverlayOptions): MeshOverlay {
  // The wiring (budget, sending, delivering, repair) loads with the overlay itself: overlay-wiring.ts.
  const overlay = createLazyPeerOverlay(() => import('./overlay-wiring.ts').then((m) => m.wireOverlay(o)));

  return {
    overlay,
    intercept(route, raw) {
      const type = (raw as { type?: unknown } | null)?.type;
      // Negotiation for a new DataChannel that came sealed from the peer itself (overlay-wiring.ts).
      if (type === 'signal') return (overlay.whenReady((w) => w.signal(route, raw)), true);
      if (typeof type !== 'string' || !LINK_ROUTING_TYPES.has(type)) return false;
      // Only a neighbour's own DataChannel carries these; anything else is dropped here.
      if (route.link.state === 'open' && !route.error) {
        overlay.linkUp(route.peerId);
        overlay.receive(route.peerId, raw);
      }
      return true;
    },
    routeChanged(route) {
      if (route.link.state === 'open' && !route.error) overlay.linkUp(route.peerId);
      else overlay.linkDown(route.peerId);
    },
  };
}
