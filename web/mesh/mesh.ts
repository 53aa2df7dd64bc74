import { createEmitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './channel/framing.ts';
import { createLazyLinkAuthenticator } from './link/lazy-link-identity.ts';
import { DEFAULT_MAX_LINKS } from './link/link-budget.ts';
import { createLazyLinkReporter } from './link/lazy-link-reporter.ts';
import { makeMessage, type MeshSend } from './calls/message-factory.ts';
import { createMessageRouter } from './routing/message-router.ts';
import { createMeshCalls } from './calls/mesh-calls.ts';
import type { Mesh, MeshEvents, MeshOptions } from './mesh-types.ts';
import type { PeerRoute } from './routing/peer-route.ts';
import { connectRoute } from './routing/connect-route.ts';
import { createSealKeys } from './routing/seal-keys.ts';
import { createMeshPeers } from './mesh-peers.ts';
import { wireMeshPresence } from './mesh-presence.ts';
import { createPendingRequests } from './calls/pending-requests.ts';
import { clockOf } from './platform.ts';
import { createSharedTimers } from './shared-timers.ts';
import { createSignalingClient } from './signaling/signaling-client.ts';
import { createMeshTasks } from './calls/mesh-tasks.ts';

export type { CallOptions, CallResult, ChatResult, Mesh, MeshEvents, MeshOptions, PeerInfo, PingResult } from './mesh-types.ts';

/** Creates a mesh peer on the injected platform; call `start()` to join. */
export function createMesh(opts: MeshOptions): Mesh {
  const clock = clockOf(opts.platform);
  const events = createEmitter<MeshEvents>();
  const p2p = opts.p2p ?? true;
  const maxLinks = opts.maxLinks ?? DEFAULT_MAX_LINKS[opts.peerKind ?? 'node'];
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const routes = new Map<string, PeerRoute>();
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
  const tasks = createMeshTasks({ opts, clock, events, signaling, localId: () => localId, stopped: () => stopped });
  const reporter = createLazyLinkReporter({ clock, signaling, intervalMs: opts.linkReportMs ?? 10_000, routes, ping: (peerId) => mesh.ping(peerId) });

  const auth = createLazyLinkAuthenticator({
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.pins ? { pins: opts.pins } : {}),
    ...(opts.pinPolicy ? { pinPolicy: opts.pinPolicy } : {}),
  });

  const peers = createMeshPeers({
    opts, clock, events, signaling, routes, pending, router, reporter, auth, sealKeys: createSealKeys(), p2p, maxLinks, maxMessageBytes,
    localId: () => localId,
    relaySession: () => relaySession,
    iceServers: () => iceServers,
    nextMsgId: () => (msgId = (msgId + 1) >>> 0),
    stopped: () => stopped,
    probe: (peerId, timeoutMs) => mesh.ping(peerId, { timeoutMs }),
  });
  const { roles } = peers;

  let started: { resolve(v: { peerId: string; mesh: string; peers: string[] }): void; reject(e: MeshError): void } | undefined;

  wireMeshPresence({
    signaling, routes, peers, events, auth, maxLinks, clock, autoConnect: opts.autoConnect ?? true,
    localId: () => localId,
    welcomed: (frame) => {
      localId = frame.peerId;
      iceServers = frame.iceServers;
      relaySession++;
    },
    settled: (frame) => {
      started?.resolve({ peerId: frame.peerId, mesh: frame.mesh, peers: frame.peers.map((p) => p.peerId) });
      started = undefined;
    },
  });
  signaling.on('signal', (frame) => {
    if (!stopped) peers.ensureRoute(frame.from).handleSignal(frame);
  });
  signaling.on('relay', ({ from, payload }) => {
    if (!stopped) peers.ensureRoute(from).handleRelay(payload);
  });
  signaling.on('fatal', (err) => {
    started?.reject(err);
    started = undefined;
    void mesh.stop();
    events.emit('fatal', err);
  });

  const calls = createMeshCalls({ clock, pending, routes, localId: () => localId, reach: (peerId) => peers.reach(peerId) });

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
      peers.stopBackground();
      for (const route of routes.values()) {
        // An open DataChannel carries it (overlay-wiring.ts); a link still being set up hears it from the server.
        if (route.link.state === 'open' && peers.overlay) peers.overlay.whenReady((w) => w.bye(route));
        else if (route.link.state !== 'idle') signaling.send({ type: 'bye', to: route.peerId, payload: { reason: 'stop' } });
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
    relayStats: () => peers.overlay?.stats,
    connect(peerId, o = {}) {
      const route = peers.reach(peerId);
      if (!route) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
      return connectRoute(route, clock, o.timeoutMs ?? 10_000);
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
