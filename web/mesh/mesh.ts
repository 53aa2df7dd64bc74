import { KEY_PEER_ID_PATTERN, type PeerSummary, type Role } from '../../protocol/index.ts';
import { createEmitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './channel/framing.ts';
import { refusesPeer, type HandshakeResult } from './link/link-handshake.ts';
import { createLinkAuthenticator } from './link/link-identity.ts';
import { DEFAULT_MAX_LINKS, OVERLAY_DEGREE } from './link/link-budget.ts';
import { createLinkReporter } from './link/link-reporter.ts';
import { makeMessage, type MeshSend } from './calls/message-factory.ts';
import { createMessageRouter } from './routing/message-router.ts';
import { createMeshCalls } from './calls/mesh-calls.ts';
import type { Mesh, MeshEvents, MeshOptions } from './mesh-types.ts';
import { createPeerRoute, type PeerRoute, type RouteInfo } from './routing/peer-route.ts';
import { createSealKeys } from './routing/seal-keys.ts';
import { createPendingRequests } from './calls/pending-requests.ts';
import { clockOf } from './platform.ts';
import { createSharedTimers } from './shared-timers.ts';
import { createSignalingClient } from './signaling/signaling-client.ts';
import { createLazyTaskRunner } from './calls/lazy-task-runner.ts';
import { parseTask } from './calls/task-payload.ts';

export type { CallOptions, CallResult, ChatResult, Mesh, MeshEvents, MeshOptions, PeerInfo, PingResult } from './mesh-types.ts';


/** Creates a mesh peer on the injected platform; call `start()` to join. */
export function createMesh(opts: MeshOptions): Mesh {
  const clock = clockOf(opts.platform);
  const events = createEmitter<MeshEvents>();
  const p2p = opts.p2p ?? true;
  const maxLinks = opts.maxLinks ?? DEFAULT_MAX_LINKS[opts.peerKind ?? 'node'];
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const routes = new Map<string, PeerRoute>();
  const roles = new Map<string, Role>();
  let localId: string | undefined;
  let relaySession = 0;
  let msgId = 0;
  let stopped = false;
  let iceServers: RTCIceServer[] = [];

  const signaling = createSignalingClient({
    url: opts.signalingUrl ?? `${opts.url.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`,
    platform: opts.platform,
    getToken: opts.getToken,
    ...(opts.reconnect ? { backoff: opts.reconnect } : {}),
    ...(opts.refreshLeadMs === undefined ? {} : { refreshLeadMs: opts.refreshLeadMs }),
    ...(opts.heartbeatMs === undefined ? {} : { heartbeatMs: opts.heartbeatMs }),
    load: () => router.running() + tasks.running(),
  });

  const send: MeshSend = (peerId, msg) => {
    if (stopped) return Promise.reject(new MeshError('stopped', 'the mesh is stopped'));
    const route = routes.get(peerId);
    if (!route) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
    return route.send(msg);
  };
  // Every call sets a timeout on both ends and nearly always clears it: one shared platform timer.
  const callTimers = createSharedTimers(clock);
  const pending = createPendingRequests(send, callTimers);
  const router = createMessageRouter({
    localId: () => localId ?? '',
    host: opts.host,
    send,
    pending,
    clock: callTimers,
    ...(opts.maxTaskMs === undefined ? {} : { maxTaskMs: opts.maxTaskMs }),
    onStatus: (peerId, payload) => events.emit('status', { peerId, ...payload }),
    onRemoteError: (peerId, p) => events.emit('error', { code: p.code, message: p.message, peerId }),
  });
  const tasks = createLazyTaskRunner({
    url: opts.url,
    host: opts.host,
    fetch: opts.platform.fetch,
    getToken: opts.getToken,
    clock,
    localId: () => localId,
    ...(opts.maxConcurrentTasks === undefined ? {} : { maxConcurrent: opts.maxConcurrentTasks }),
    ...(opts.maxTaskMs === undefined ? {} : { maxTaskMs: opts.maxTaskMs }),
    onError: (e) => events.emit('error', e),
  });
  const reporter = createLinkReporter({
    clock,
    intervalMs: opts.linkReportMs ?? 10_000,
    collect: () => [...routes.values()].map((r) => r.info).filter((i) => i.sessions > 0 || i.tier === 'fallback'),
    send: (links, identityFailures) => signaling.send({ type: 'link-report', payload: { links, ...(identityFailures.length ? { identityFailures } : {}) } }),
    probe: async () => {
      await Promise.all([...routes.values()].filter((r) => r.info.state === 'open').map((r) => mesh.ping(r.peerId).catch(() => undefined)));
    },
  });

  const activeLinks = () => {
    let n = 0;
    for (const r of routes.values()) if (r.link.state !== 'idle') n++;
    return n;
  };
  let topUpTimer: unknown;
  /**
   * Overlay repair: a peer that lost links keeps at least min(maxLinks, OVERLAY_DEGREE) by linking
   * to present peers it knows but has no link to (chosen at random, so the repaired overlay keeps
   * its shortcuts). Runs after the whole presence batch is applied, so the server's suggested
   * replacement is among the candidates.
   */
  function scheduleTopUp(): void {
    if (topUpTimer !== undefined || !(opts.autoConnect ?? true)) return;
    topUpTimer = clock.set(() => {
      topUpTimer = undefined;
      if (stopped) return;
      const want = Math.min(maxLinks, OVERLAY_DEGREE) - activeLinks();
      if (want <= 0) return;
      const spare = [...routes.values()].filter((r) => r.present && r.link.state === 'idle');
      for (let i = 0; i < want && spare.length; i++) spare.splice(Math.floor(Math.random() * spare.length), 1)[0]!.connect();
    }, 0);
  }

  /** Connection cap: take a slot, evicting the least recently used idle link if all are taken. */
  function acquireSlot(route: PeerRoute): boolean {
    const active = [...routes.values()].filter((r) => r !== route && r.link.state !== 'idle');
    if (active.length < maxLinks) return true;
    const victim = active
      .filter((r) => r.link.state === 'open' && pending.count(r.peerId) === 0 && router.running(r.peerId) === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!victim) return false;
    signaling.send({ type: 'bye', to: victim.peerId, payload: { reason: 'link-cap' } });
    victim.evict();
    return true;
  }

  const auth = createLinkAuthenticator({
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.pins ? { pins: opts.pins } : {}),
    ...(opts.pinPolicy ? { pinPolicy: opts.pinPolicy } : {}),
  });

  const sealKeys = createSealKeys();

  /** A verified peer is announced; one that failed its link proof is cut off on every tier. */
  function onIdentity(route: PeerRoute, v: HandshakeResult): void {
    const peerId = route.peerId;
    if (v.ok) {
      const status = v.pin === 'changed' ? 'key-changed' : 'verified';
      events.emit('identity', { peerId, status, identity: v.identity, keyDerived: v.keyDerived, firstContact: v.pin === 'new' });
      if (status === 'key-changed') events.emit('error', { code: 'identity-key-changed', message: `peer "${peerId}" now presents another key than pinned (accepted: pin policy "warn")`, peerId });
      return;
    }
    if (!refusesPeer(v)) return;
    // Cut off on every tier: a peer that failed a link proof or a seal-hello is not who it claims.
    const err = new MeshError('identity-failed', `peer "${peerId}" failed the identity check (${v.reason}): ${v.message}`, { peerId, retryable: false });
    cutOff(route, err);
    reporter.identityFailed({ peer: peerId, reason: v.reason });
    events.emit('identity', { peerId, status: 'refused', reason: v.reason, message: v.message });
    events.emit('error', { code: 'identity-failed', message: err.message, peerId });
  }

  function ensureRoute(peerId: string): PeerRoute {
    const existing = routes.get(peerId);
    if (existing) return existing;
    const route = createPeerRoute({
      peerId, localId: localId!, platform: opts.platform, clock, signaling, p2p, maxMessageBytes,
      relaySession: () => relaySession,
      acquireSlot,
      iceServers: () => iceServers,
      nextMsgId: () => (msgId = (msgId + 1) >>> 0),
      reassembler: { maxMessageBytes },
      auth,
      sealKeys,
      ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
      ...(opts.disconnectGraceMs === undefined ? {} : { disconnectGraceMs: opts.disconnectGraceMs }),
      ...(opts.sender ? { sender: opts.sender } : {}),
      ...(opts.agentChannels ? { adopter: opts.agentChannels } : {}),
    });
    route.on('message', (raw) => router.receive(peerId, raw));
    route.on('identity', (v) => onIdentity(route, v));
    route.on('channel-refused', (e) => events.emit('error', { code: 'agent-channel-refused', message: `closed DataChannel "${e.label}" from ${peerId} (${e.reason}): ${e.message}`, peerId }));
    route.on('frame-error', (e) => {
      router.replyError(peerId, e.raw, e.code, e.message);
      events.emit('error', { code: e.code, message: e.message, peerId });
    });
    route.on('change', (info) => {
      if (routes.get(peerId) !== route) return;
      const generation = route.generation;
      if (generation) pending.retransmit(peerId, generation);
      events.emit('link', info);
      reporter.changed();
      if (!route.present && route.link.state === 'idle' && signaling.state === 'open') removePeer(peerId, 'left the mesh');
    });
    routes.set(peerId, route);
    return route;
  }

  function join(p: PeerSummary): PeerRoute {
    const route = ensureRoute(p.peerId);
    const wasPresent = route.present;
    route.present = true;
    roles.set(p.peerId, p.role);
    if (!wasPresent) events.emit('peer-joined', { peerId: p.peerId, role: p.role });
    return route;
  }

  function removePeer(peerId: string, reason: string): void {
    const route = routes.get(peerId);
    if (!route) return;
    routes.delete(peerId);
    roles.delete(peerId);
    cutOff(route, new MeshError('peer-left', `peer "${peerId}" ${reason}`, { peerId }));
    reporter.closed(route.info);
    events.emit('peer-left', { peerId, reason });
  }

  /** A key-derived id must be our key's hash, else every peer refuses our DataChannels: say so. */
  async function checkOwnId(peerId: string): Promise<void> {
    const own = (await auth.identity()).peerId;
    if (own !== peerId) events.emit('error', { code: 'identity-mismatch', message: `the server calls this peer "${peerId}" but its identity key stands for "${own}": peers will refuse its DataChannels (pass the key behind the id as \`identity\`)` });
  }

  /** Fails every request to and from the peer with `err` and closes its route for good. */
  function cutOff(route: PeerRoute, err: MeshError): void {
    pending.failPeer(route.peerId, err);
    router.abortFrom(route.peerId, err.message);
    route.close(err);
  }

  /** The server says the peer is gone, but a live DataChannel outranks that: ask the peer itself. */
  function probeOrRemove(route: PeerRoute, reason: string): void {
    if (route.link.state !== 'open') return removePeer(route.peerId, reason);
    mesh.ping(route.peerId, { timeoutMs: opts.peerLeftProbeMs ?? 2000 }).catch(() => {
      if (!route.present && routes.get(route.peerId) === route) removePeer(route.peerId, reason);
    });
  }

  let started: { resolve(v: { peerId: string; mesh: string; peers: string[] }): void; reject(e: MeshError): void } | undefined;

  signaling.on('welcome', ({ frame, resumed }) => {
    if (localId !== frame.peerId && KEY_PEER_ID_PATTERN.test(frame.peerId)) void checkOwnId(frame.peerId);
    localId = frame.peerId;
    iceServers = frame.iceServers;
    relaySession++;
    const listed = new Set(frame.peers.map((p) => p.peerId));
    // An incomplete list (a large mesh) names neighbours, not everyone: silence about a peer is not news.
    if (frame.complete ?? true) {
      for (const route of [...routes.values()]) {
        if (listed.has(route.peerId)) continue;
        route.present = false;
        probeOrRemove(route, 'left the mesh while signaling was down');
      }
    }
    // Links to the listed peers in the server's order (neighbours first), up to the link budget;
    // the rest are reachable on demand. Healthy links are left alone: connect() is a no-op unless idle.
    let budget = maxLinks - activeLinks();
    for (const p of frame.peers) {
      const route = join(p);
      if ((opts.autoConnect ?? true) && route.link.state === 'idle' && budget > 0) (route.connect(), budget--);
    }
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'open', resumed });
    started?.resolve({ peerId: frame.peerId, mesh: frame.mesh, peers: frame.peers.map((p) => p.peerId) });
    started = undefined;
  });
  signaling.on('peer-joined', (p) => join(p).rejoined());
  signaling.on('peer-left', ({ peerId }) => {
    const route = routes.get(peerId);
    if (!route) return;
    route.present = false;
    probeOrRemove(route, 'left the mesh');
    scheduleTopUp();
  });
  signaling.on('signal', (frame) => {
    if (!stopped) ensureRoute(frame.from).handleSignal(frame);
  });
  signaling.on('relay', ({ from, payload }) => {
    if (!stopped) ensureRoute(from).handleRelay(payload);
  });
  signaling.on('task', (frame) => {
    if (stopped) return;
    if (frame.type === 'task-assigned') return tasks.assigned(frame.payload);
    const parsed = parseTask(frame.payload);
    if (!parsed.ok) return events.emit('error', { code: 'bad-task', message: parsed.message });
    // Pushed to the assignee when the server ended a task it runs: abort it; not a task of ours to report.
    if (parsed.value.targetPeer === localId) tasks.ended(parsed.value);
    if (parsed.value.targetPeer !== localId || parsed.value.submitter === localId) events.emit('task-updated', parsed.value);
  });
  signaling.on('server-error', (e) => {
    const route = e.code === 'unknown-peer' && e.ref ? routes.get(e.ref) : undefined;
    if (route && route.link.state !== 'open') removePeer(route.peerId, 'is not in the mesh');
    events.emit('error', e);
  });
  signaling.on('disconnected', ({ code, reason }) => {
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'connecting', code, reason });
  });
  signaling.on('fatal', (err) => {
    started?.reject(err);
    started = undefined;
    void mesh.stop();
    events.emit('fatal', err);
  });

  const calls = createMeshCalls({ clock, pending, routes, localId: () => localId });

  const mesh: Mesh = {
    on: events.on,
    get peerId() {
      return localId;
    },
    start() {
      if (stopped) return Promise.reject(new MeshError('stopped', 'the mesh is stopped'));
      return new Promise((resolve, reject) => {
        started = { resolve, reject };
        signaling.start();
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const err = new MeshError('stopped', 'the mesh is stopping');
      reporter.stop();
      clock.clear(topUpTimer);
      for (const route of routes.values()) {
        if (route.link.state !== 'idle') signaling.send({ type: 'bye', to: route.peerId, payload: { reason: 'stop' } });
      }
      pending.failAll(err);
      router.stop();
      callTimers.dispose();
      const reported = tasks.stop();
      for (const route of routes.values()) route.close(err);
      routes.clear();
      signaling.stop();
      started?.reject(err);
      events.emit('signaling', { state: 'stopped' });
      // Server-assigned tasks cut short are reported failed, so their submitters need not wait for the TTL.
      await reported;
    },
    peers: () => [...routes.values()].map((r) => ({ peerId: r.peerId, role: roles.get(r.peerId), present: r.present, link: r.info })),
    links: () => [...routes.values()].map((r) => r.info),
    connect(peerId, o = {}) {
      const route = routes.get(peerId);
      if (!route) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
      return new Promise((resolve, reject) => {
        const done = (info: RouteInfo) => {
          if (info.state === 'connecting') return false;
          off();
          clock.clear(timer);
          if (info.state === 'open') resolve(info);
          else reject(route.error ?? new MeshError('peer-left', `peer "${peerId}" left`, { peerId }));
          return true;
        };
        const off = route.on('change', done);
        const timer = clock.set(() => (off(), reject(new MeshError('timeout', `no route to ${peerId} within ${o.timeoutMs ?? 10_000} ms`, { peerId }))), o.timeoutMs ?? 10_000);
        route.connect();
        done(route.info);
      });
    },
    ...calls,
    setStatus(status) {
      for (const route of routes.values()) {
        if (route.info.state === 'open') void send(route.peerId, makeMessage(localId ?? '', route.peerId, 'status', status)).catch(() => undefined);
      }
    },
  };
  return mesh;
}
