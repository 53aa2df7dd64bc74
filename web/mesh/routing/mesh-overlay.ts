import { KEY_PEER_ID_PATTERN } from '../../../protocol/identity.ts';
import { LINK_ROUTING_TYPES } from '../../../protocol/peer-routing-limits.ts';
import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute } from './peer-route-types.ts';
import { createLazyPeerOverlay, type LazyPeerOverlay } from './lazy-peer-overlay.ts';
import type { RelayBudgetOptions } from './relay-budget.ts';

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
  /** The route for a peer, made if need be (for a routed payload's source). */
  ensureRoute(peerId: string): PeerRoute;
  stopped(): boolean;
  /** Requests to or from `peerId` still waiting for a reply (a lost way must not strand them). */
  waiting(peerId: string): number;
  routing?: RoutingOptions | undefined;
}

export interface MeshOverlay {
  overlay: LazyPeerOverlay;
  /** A message a route delivered: true when it was link-level routing (`routes`, `hop`), handled here. */
  intercept(route: PeerRoute, raw: unknown): boolean;
  /** A route changed: its DataChannel is, or is no longer, a neighbour link. */
  routeChanged(route: PeerRoute): void;
}

/** Routes made on demand (sources of routed payloads, peers called by id) stop here: a peer's table of everyone it talks to. */
export const MAX_ROUTES = 4096;

/** Wires the overlay into the mesh's routes: neighbours are the peers with an open, verified DataChannel. */
export function createMeshOverlay(o: MeshOverlayOptions): MeshOverlay {
  const r = o.routing ?? {};
  const budget: RelayBudgetOptions = {
    ...(r.relayBytesPerSec === undefined ? {} : { bytesPerSec: r.relayBytesPerSec }),
    ...(r.relayInFlight === undefined ? {} : { maxInFlightPerPeer: r.relayInFlight }),
    ...(r.relayInFlightBytes === undefined ? {} : { maxInFlightBytes: r.relayInFlightBytes }),
  };
  const overlay = createLazyPeerOverlay({
    localId: o.localId,
    clock: o.clock,
    budget,
    ...(r.sendBytesPerSec === undefined ? {} : { sendBytesPerSec: r.sendBytesPerSec }),
    sendTo(id, bytes) {
      const route = o.routes.get(id);
      if (route?.link.state !== 'open') return Promise.reject(new MeshError('link-down', `no DataChannel to "${id}"`, { peerId: id }));
      return route.link.send(bytes);
    },
    deliver: (src, body) => routeFor(src)?.handleHop(body),
    changed() {
      for (const route of [...o.routes.values()]) {
        route.overlayChanged();
        // Its way over peers is gone and nothing replaced it: requests waiting on it try a
        // DataChannel (then the server's fallback) instead of waiting for their timeout.
        if (route.generation === undefined && !route.error && o.waiting(route.peerId) > 0) route.connect();
      }
    },
  });

  /** A payload proves nothing yet (its seal will): a bounded table, key-derived ids only. */
  function routeFor(src: string): PeerRoute | undefined {
    const known = o.routes.get(src);
    if (known) return known;
    if (o.routes.size >= MAX_ROUTES || !KEY_PEER_ID_PATTERN.test(src) || o.stopped()) return undefined;
    const route = o.ensureRoute(src);
    // It reached us over peers: it is in the mesh, even if the server never named it to us.
    route.present = true;
    return route;
  }

  /** Negotiation for a new DataChannel that came sealed from the peer itself (not through the server). */
  function signal(route: PeerRoute, raw: unknown): true {
    overlay.whenReady((real) => {
      const me = o.localId();
      const frame = real.parseSignal(raw);
      if (me && frame && !route.error) route.handleSignal({ ...frame, from: route.peerId, to: me } as Parameters<PeerRoute['handleSignal']>[0]);
    });
    return true;
  }

  return {
    overlay,
    intercept(route, raw) {
      const type = (raw as { type?: unknown } | null)?.type;
      if (type === 'signal') return signal(route, raw);
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
