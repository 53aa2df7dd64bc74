import { createAgentChannels } from '../channel/agent-channels.ts';
import { createBackoff } from '../../../protocol/backoff.ts';
import { createEmitter } from '../emitter.ts';
import { MeshError } from '../errors.ts';
import { decodeMessage, encodeCheckedMessage } from '../channel/message-codec.ts';
import { createPeerLink } from '../link/peer-link.ts';
import type { PeerRoute, PeerRouteEvents, PeerRouteOptions, RouteInfo } from './peer-route-types.ts';
import { createRouteSeal } from './route-seal.ts';
import { createRouteSignal } from './route-signal.ts';
import { routeTransports, type TransportPick } from './transports/index.ts';

export type { PeerRoute, PeerRouteEvents, PeerRouteOptions, RouteInfo, RouteState } from './peer-route-types.ts';

const MAX_WAITING = 1024;
/** After the link cap refused or evicted this peer, p2p is tried again only on traffic after this long. */
const CAP_RETRY_MS = 60_000;

/**
 * Creates the route for `peerId`, everything the mesh knows about reaching that peer: its
 * PeerLink and the transports that carry messages (transports/index.ts: the DataChannel, tier 1
 * or 2 as ICE selected, and the tier-3 fallback through the server). Messages take the DataChannel
 * when it is open; while a connection attempt runs they wait (up to the connect timeout); when p2p
 * failed, is disabled on either side, or the link cap refused it, they go through the server. A
 * failed link is retried in the background with full-jitter backoff (1 s .. 30 s).
 */
export function createPeerRoute(o: PeerRouteOptions): PeerRoute {
  const events = createEmitter<PeerRouteEvents>();
  const { clock, signaling, peerId } = o;
  const backoff = createBackoff({ baseMs: o.retry?.baseMs ?? 1000, maxMs: o.retry?.maxMs ?? 30_000 });
  let mode: 'p2p' | 'fallback' = o.p2p ? 'p2p' : 'fallback';
  let remoteDisabled = false;
  let capUntil = 0;
  let closed: MeshError | undefined;
  let retryTimer: unknown;
  let lastUsed = clock.now();
  let waiters: Array<() => void> = [];
  let lastError: string | undefined;
  let lastKey = '';

  const link = createPeerLink({
    ...o,
    remoteId: peerId,
    // While the peer is reached over others, negotiation goes sealed over them, not the server.
    signal: createRouteSignal({ signaling, route: () => route(), closed: () => closed !== undefined }),
  });

  const agents = createAgentChannels({
    link, peerId, localId: o.localId, clock, nextMsgId: o.nextMsgId,
    ...(o.reassembler ? { reassembler: o.reassembler } : {}),
    ...(o.sender ? { sender: o.sender } : {}),
    ...(o.adopter ? { adopter: o.adopter } : {}),
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
    fallbackAllowed: () => mode === 'fallback',
    closed: () => closed !== undefined,
    deliver: (bytes) => deliver(bytes),
    changed: () => changed(),
  }));

  const relayUp = () => signaling.state === 'open';
  const canP2p = () => o.p2p && !remoteDisabled && !closed;

  function route(): TransportPick | undefined {
    for (const t of transports) {
      const pick = t.pick();
      if (pick) return pick;
    }
    return undefined;
  }

  function info(): RouteInfo {
    const r = route();
    const stats = link.stats;
    const carried = transports.reduce((sum, t) => ({ sent: sum.sent + t.bytes.sent, received: sum.received + t.bytes.received }), { sent: 0, received: 0 });
    return {
      peerId,
      state: closed ? 'closed' : r ? 'open' : 'connecting',
      // No route yet: nothing was measured, so the tier is not claimed.
      tier: r?.tier ?? (mode === 'fallback' ? 'fallback' : 'unknown'),
      ...(r?.hops === undefined ? {} : { hops: r.hops }),
      rttMs: self.rttMs,
      bytesSent: carried.sent,
      bytesReceived: carried.received,
      sessionId: link.sessionId,
      sessions: link.sessions,
      openMs: link.openMs,
      verifyMs: link.verifyMs,
      identity: closed?.code === 'identity-failed' ? 'refused' : link.state === 'open' || r?.transport.verified ? 'verified' : 'unverified',
      maxBufferedAmount: stats.maxBufferedAmount,
      lastError,
      agentChannels: agents.ready,
    };
  }

  function changed(): void {
    for (const wake of waiters.splice(0)) wake();
    const i = info();
    const key = `${i.state}|${i.tier}|${i.hops}|${self.generation}|${agents.version}`;
    if (key === lastKey) return;
    lastKey = key;
    events.emit('change', i);
  }

  function waitForChange(): Promise<void> {
    if (waiters.length >= MAX_WAITING) return Promise.reject(new MeshError('backpressure', `more than ${MAX_WAITING} messages waiting for a route to ${peerId}`, { peerId }));
    return new Promise<void>((resolve) => {
      const wake = () => (clock.clear(timer), resolve());
      // Re-check now and then too: a stack that loses a close event must not strand messages.
      const timer = clock.set(() => {
        waiters = waiters.filter((w) => w !== wake);
        resolve();
      }, o.connectTimeoutMs ?? 5000);
      waiters.push(wake);
    });
  }

  function capped(): void {
    capUntil = clock.now() + CAP_RETRY_MS;
    mode = 'fallback';
    changed();
  }

  function scheduleRetry(): void {
    clock.clear(retryTimer);
    retryTimer = undefined;
    if (!canP2p() || capUntil > clock.now()) return;
    retryTimer = clock.set(() => {
      retryTimer = undefined;
      if (self.present && relayUp()) self.connect();
      else scheduleRetry();
    }, backoff.next());
  }

  link.on('state', ({ state, reason }) => {
    if (closed) return;
    if (reason) lastError = reason;
    if (state === 'open') {
      mode = 'p2p';
      backoff.reset();
      clock.clear(retryTimer);
      retryTimer = undefined;
    } else if (state === 'idle') {
      mode = 'fallback';
      scheduleRetry();
    }
    changed();
  });
  link.on('tier', () => changed());
  link.on('message', (bytes) => deliver(bytes));
  link.on('frame-error', (e) => events.emit('frame-error', e));
  link.on('identity', (v) => events.emit('identity', v));

  function deliver(bytes: Uint8Array): void {
    const r = decodeMessage(bytes);
    if (r.ok) events.emit('message', r.value);
    else events.emit('frame-error', r);
  }

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
    connect() {
      if (!canP2p() || link.state !== 'idle' || !relayUp() || capUntil > clock.now()) return;
      capUntil = 0;
      if (!o.acquireSlot(self)) return capped();
      link.connect();
    },
    async send(msg) {
      const { bytes, length } = encodeCheckedMessage(msg, o.maxMessageBytes, peerId);
      lastUsed = clock.now();
      for (;;) {
        if (closed) throw closed;
        const r = route();
        if (!r) {
          if (mode === 'p2p') self.connect();
          // connect() may have settled the route synchronously (e.g. the cap said fallback).
          if (!route()) await waitForChange();
          continue;
        }
        if (!r.transport.usesLink && capUntil !== 0 && capUntil <= clock.now()) self.connect();
        try {
          return await r.transport.send(msg, bytes, length, r);
        } catch (err) {
          // The route died under this message: wait for the next one and send it again.
          if (!(err instanceof MeshError) || (err.code !== 'link-down' && err.code !== 'signaling-lost')) throw err;
          if (route()?.generation === r.generation) await waitForChange();
        }
      }
    },
    handleSignal(frame) {
      if (closed) return;
      if (frame.type === 'bye') {
        const reason = frame.payload?.reason;
        lastError = `bye: ${reason ?? 'no reason'}`;
        closeLink();
        if (reason === 'link-cap') return capped();
        mode = 'fallback';
        if (reason === 'p2p-disabled') remoteDisabled = true;
        return changed();
      }
      if (frame.type === 'offer') {
        if (!o.p2p) return void signaling.send({ type: 'bye', to: peerId, payload: { reason: 'p2p-disabled' } });
        remoteDisabled = false;
        if (link.state === 'idle' && !o.acquireSlot(self)) {
          signaling.send({ type: 'bye', to: peerId, payload: { reason: 'link-cap' } });
          lastError = 'refused an offer: link cap reached';
          return capped();
        }
      }
      link.handleSignal(frame);
    },
    handleRelay(payload) {
      if (closed) return;
      // The peer reaches us through the server, so it can hear us that way too: answer on the
      // fallback tier now instead of waiting out a DataChannel attempt it may never complete.
      if (mode === 'p2p' && link.state !== 'open') {
        mode = 'fallback';
        self.connect();
        changed();
      }
      for (const t of transports) t.receiveRelay?.(payload);
    },
    handleHop(body) {
      if (closed) return;
      for (const t of transports) t.receiveHop?.(body);
    },
    overlayChanged: () => changed(),
    signalingChanged() {
      if (relayUp() && mode === 'fallback' && link.state === 'idle' && retryTimer === undefined) scheduleRetry();
      changed();
    },
    rejoined() {
      seal.reset();
      for (const t of transports) t.rejoined?.();
      remoteDisabled = false;
    },
    evict() {
      lastError = 'evicted by the link cap';
      closeLink();
      capped();
    },
    close(err) {
      if (closed) return;
      closed = err;
      lastError = err.message;
      clock.clear(retryTimer);
      closeLink();
      for (const t of transports) t.close?.();
      changed();
    },
  };
  return self;
}
