import { createLazyAgentChannels } from '../channel/lazy-agent-channels.ts';
import { createEmitter } from '../emitter.ts';
import type { MeshError } from '../errors.ts';
import { createWireDecoder } from '../channel/wire-codec.ts';
import { createPeerLink } from '../link/peer-link.ts';
import type { PeerRoute, PeerRouteEvents, PeerRouteOptions, RouteInfo } from './peer-route-types.ts';
import { routeTransports } from './transports/index.ts';
import { createP2pPolicy } from './p2p-policy.ts';
import { createRouteWaiters } from './route-waiters.ts';
import { describeRoute, pickTransport } from './route-info.ts';
import { sendOnRoute } from './route-send.ts';
import { createRouteSeal } from './route-seal.ts';
import { createRouteSignal } from './route-signal.ts';

export type { PeerRoute, PeerRouteEvents, PeerRouteOptions, RouteInfo, RouteState } from './peer-route-types.ts';

/**
 * Creates the route for `peerId`, everything the mesh knows about reaching that peer: its
 * PeerLink and the transports that carry messages (transports/index.ts: the DataChannel, tier 1
 * or 2 as ICE selected, other peers' DataChannels (`routed`), and the tier-3 fallback through the
 * server). Messages take the DataChannel
 * when it is open; while a connection attempt runs they wait (up to the connect timeout); when p2p
 * failed, is disabled on either side, or the link cap refused it, they go through the server
 * (p2p-policy.ts decides which, and retries a failed link in the background).
 */
export function createPeerRoute(o: PeerRouteOptions): PeerRoute {
  const events = createEmitter<PeerRouteEvents>();
  const { clock, signaling, peerId } = o;
  let closed: MeshError | undefined;
  let lastUsed = clock.now();
  const waiters = createRouteWaiters(clock, peerId, o.connectTimeoutMs ?? 5000);
  let lastError: string | undefined;
  let lastKey = '';

  const link = createPeerLink({
    ...o,
    remoteId: peerId,
    signal: createRouteSignal({ signaling, route: () => route(), closed: () => closed !== undefined }),
  });
  const policy = createP2pPolicy({
    options: o, clock, link,
    route: () => self,
    closed: () => closed !== undefined,
    changed: () => changed(),
    setError: (reason) => (lastError = reason),
  });

  const agents = createLazyAgentChannels({
    link, peerId, localId: o.localId, clock, nextMsgId: o.nextMsgId,
    // Absent ones stay undefined members: agent-channels.ts reads them with a guard.
    reassembler: o.reassembler,
    sender: o.sender,
    adopter: o.adopter,
    onMessage: (value) => events.emit('message', value),
    onFrameError: (e) => events.emit('frame-error', e),
    onRefused: (e) => events.emit('channel-refused', e),
    onChange: () => changed(),
  });
  /** `link.close()` fires no state event: the agent channels go with it here. */
  const closeLink = () => (agents.close(), link.close());

  const seal = createRouteSeal(o, events, () => changed());
  const transports = routeTransports.map((create) => create({
    options: o, link, agents, events, seal,
    fallbackAllowed: () => policy.mode === 'fallback',
    closed: () => closed !== undefined,
    deliver: (bytes) => deliver(bytes),
    changed: () => changed(),
  }));

  /** The first registered transport that can carry a message now. */
  const route = () => pickTransport(transports);

  function info(): RouteInfo {
    return describeRoute({ peerId, pick: route(), closed, mode: policy.mode, rttMs: self.rttMs, link, transports, agents, lastError });
  }

  function changed(): void {
    waiters.wakeAll();
    const i = info();
    const key = `${i.state}|${i.tier}|${i.hops}|${self.generation}|${agents.version}`;
    if (key === lastKey) return;
    lastKey = key;
    events.emit('change', i);
  }

  link.on('state', ({ state, reason }) => {
    if (closed) return;
    if (reason) lastError = reason;
    policy.linkState(state);
    changed();
  });
  link.on('tier', () => changed());
  link.on('message', (bytes) => deliver(bytes));
  link.on('frame-error', (e) => events.emit('frame-error', e));
  link.on('identity', (v) => events.emit('identity', v));

  const deliver = createWireDecoder((r) => (r.ok ? events.emit('message', r.value) : events.emit('frame-error', r)));

  const self: PeerRoute = {
    peerId,
    link,
    rttMs: undefined,
    present: false,
    on: events.on,
    get info() {
      return info();
    },
    get generation() {
      return route()?.generation;
    },
    get lastUsed() {
      return lastUsed;
    },
    get error() {
      return closed;
    },
    connect: policy.connect,
    send(msg) {
      return sendOnRoute(msg, {
        peerId, maxMessageBytes: o.maxMessageBytes, policy, waiters,
        closed: () => closed,
        pick: route,
        connect: () => self.connect(),
        used: () => (lastUsed = clock.now()),
      });
    },
    handleSignal(frame) {
      if (closed) return;
      if (frame.type === 'bye') {
        const reason = frame.payload?.reason;
        // Not a refused offer of ours: a link ended (an eviction's DataChannel may close before its bye arrives).
        const open = link.state !== 'connecting';
        lastError = `bye: ${reason ?? 'no reason'}`;
        closeLink();
        policy.bye(reason, open);
        // closeLink fires no state event: say so here (nothing else may touch this route for a while).
        return changed();
      }
      if (frame.type === 'offer' && !policy.offer(frame.payload.repair)) return;
      link.handleSignal(frame);
    },
    handleRelay(payload) {
      if (closed) return;
      policy.relayed();
      for (const t of transports) t.receiveRelay?.(payload);
    },
    handleHop: (body) => void (closed || transports.forEach((t) => t.receiveHop?.(body))),
    overlayChanged: () => changed(),
    signalingChanged() {
      policy.signalingChanged();
      changed();
    },
    rejoined() {
      for (const t of transports) t.rejoined?.();
      policy.rejoined();
    },
    evict() {
      lastError = 'evicted by the link cap';
      closeLink();
      policy.capped();
      changed();
    },
    close(err) {
      if (closed) return;
      closed = err;
      lastError = err.message;
      policy.stop();
      closeLink();
      for (const t of transports) t.close?.();
      changed();
    },
  };
  return self;
}
