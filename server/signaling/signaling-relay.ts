import type { TokenService } from '../auth/tokens.ts';
import type { Logger } from '../ops/logger.ts';
import type { ServerMetrics } from '../ops/server-metrics.ts';
import { CloseCode, type PeerSummary, type ServerFrame } from '../../protocol/index.ts';
import type { ClusterHandlers, ClusterLink } from './cluster.ts';
import { OVERLAY, PeerRing } from './overlay-picks.ts';
import type { RelayHooks, SessionHost } from './session-host.ts';
import { createReportedFailures } from './reported-failures.ts';
import { SignalingSession, summary } from './signaling-session.ts';
import { createTopologyWatch, TOPOLOGY_WATCH_MS } from './topology-watch.ts';
import type { Connection, ConnectionInfo, SocketLike } from './socket.ts';

export type { PeerSession, RelayHooks } from './session-host.ts';

export interface RelayOptions {
  tokens: TokenService;
  logger: Logger;
  metrics: ServerMetrics;
  maxPeersPerMesh: number;
  maxFrameBytes: number;
  rateLimitPerSec: number;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  now?: () => number;
  hooks?: RelayHooks;
  /** Bytes of `relay` frames a socket may send per second (default 32 MiB), apart from the frame rate. */
  relayBytesPerSec?: number;
  /** At most one presence frame per peer per this many ms (default 500). */
  presenceIntervalMs?: number;
  /** Random source for the overlay's random neighbours (tests pass a seeded one). */
  random?: () => number;
}

export interface SignalingRelay {
  /** Takes ownership of an accepted socket; the entry forwards its events to the result. */
  accept(socket: SocketLike, info: ConnectionInfo): Connection;
  /** Sends a server frame to a live peer; false when it is not connected here. */
  push(mesh: string, peerId: string, frame: ServerFrame): boolean;
  /** Closes one peer's socket with `code`; false when it is not connected here. */
  kick(mesh: string, peerId: string, code: number, reason: string): boolean;
  /** Closes every session that authenticated with credential `cid` (4403). */
  revoke(cid: string): number;
  peers(mesh: string): PeerSummary[];
  /** The credential id a peer connected here authenticated with (never sent to peers); undefined elsewhere. */
  credentialOf(mesh: string, peerId: string): string | undefined;
  /** Someone read `mesh`'s topology: its peers report link changes for a while (topology-watch.ts). */
  watchTopology(mesh: string): void;
  /** Whether `peerId` is connected to this mesh here or (in a cluster) on another instance; O(1). */
  isPresent(mesh: string, peerId: string): boolean;
  /** Open sockets (authenticated or not). */
  connectionCount(): number;
  /** What other instances call into (deliver, broadcast, revoke on this instance only). */
  readonly clusterHandlers: ClusterHandlers;
  /** Joins a cluster: presence, relay and revocation then span every instance on the store. */
  attachCluster(link: ClusterLink): void;
  /** Closes every socket with `code` (1001 on shutdown), stops timers and refuses later sockets. */
  closeAll(code: number, reason: string): void;
}

export const DEFAULT_RELAY_BYTES_PER_SEC = 32 * 1024 * 1024;

/**
 * Creates the in-process signaling relay (the server side of /ws; "hub" is the PWA): auth,
 * presence per mesh, relay, limits. It owns the sockets and meshes; each socket's
 * `SignalingSession` changes its membership only through the `SessionHost` callbacks below.
 */
export function createSignalingRelay(opts: RelayOptions): SignalingRelay {
  const now = opts.now ?? Date.now;
  const hooks = opts.hooks ?? {};
  const meshes = new Map<string, Map<string, SignalingSession>>();
  const all = new Set<SignalingSession>();
  const { metrics, logger } = opts;
  let stopped = false;
  let cluster: ClusterLink | undefined;
  const idleTimer = setInterval(() => {
    const t = now();
    for (const c of all) {
      // A runtime that cannot ping from here (Deno) runs its own idle timeout on the socket.
      if (!c.socket.ping) continue;
      if (t - c.lastSeen > opts.idleTimeoutMs) c.shut(CloseCode.timeout, 'idle timeout');
      else guard('ping', () => c.socket.ping!());
    }
  }, Math.max(250, Math.floor(opts.idleTimeoutMs / 3)));
  (idleTimer as { unref?: () => void }).unref?.();

  /** Runs control-plane code so that neither a throw nor a rejected promise can take the process down. */
  const guard = (what: string, fn: () => unknown) => {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((err: unknown) => logger.error(`${what} failed`, { err }));
    } catch (err) {
      logger.error(`${what} failed`, { err });
    }
  };
  const sendText = (socket: SocketLike, text: string) => {
    try {
      socket.send(text);
    } catch {
      // The socket is already closing; its close event does the cleanup.
    }
  };
  const send = (socket: SocketLike, frame: ServerFrame) => sendText(socket, JSON.stringify(frame));
  const rings = new Map<string, PeerRing>();
  const ring = (mesh: string) => {
    let r = rings.get(mesh);
    if (!r) rings.set(mesh, (r = new PeerRing()));
    return r;
  };
  const random = opts.random ?? Math.random;
  /** A peer `self` was not told about, at random: a few draws, then a scan from a random place (so there is one whenever one exists). */
  const randomStranger = (ids: readonly string[], self: string, known: ReadonlySet<string>) => {
    if (ids.length === 0) return undefined;
    for (let tries = 0; tries < 8; tries++) {
      const id = ids[Math.floor(random() * ids.length)]!;
      if (id !== self && !known.has(id)) return id;
    }
    const start = Math.floor(random() * ids.length);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[(start + k) % ids.length]!;
      if (id !== self && !known.has(id)) return id;
    }
    return undefined;
  };
  const announceLeft = (mesh: string, peerId: string) => {
    const peers = meshes.get(mesh);
    if (!peers) return rings.delete(mesh), undefined;
    const r = ring(mesh);
    for (const c of peers.values()) {
      const o = c.presence;
      if (!o?.known.has(peerId)) continue;
      o.leave(peerId);
      // Repair: in a large mesh a peer that lost a neighbour is offered another one at random.
      if (peers.size > OVERLAY.completeUpTo) {
        const spare = randomStranger(r.all(), c.session!.peerId, o.known);
        const sc = spare === undefined ? undefined : peers.get(spare)?.session;
        if (sc) o.join(summary(sc));
      }
    }
  };
  const watches = createTopologyWatch(now);
  const meshSize = (mesh: string) => (meshes.get(mesh)?.size ?? 0) + (cluster?.remotePeers(mesh).length ?? 0);
  /** Sends to every local peer of `mesh` but `except`; presence goes through each peer's batching outbox. */
  const broadcast = (mesh: string, except: string, frame: ServerFrame) => {
    // A watch another instance started: our later welcomes must say so too.
    if (frame.type === 'presence' && frame.watch !== undefined) watches.heard(mesh, frame.watch);
    const peers = meshes.get(mesh);
    if (!peers) return;
    if (frame.type === 'peer-joined') {
      for (const c of peers.values()) if (c.session?.peerId !== except) c.presence?.join(frame.peer);
      return;
    }
    if (frame.type === 'peer-left') return announceLeft(mesh, frame.peerId);
    // Serialised once, not once per receiver.
    const text = JSON.stringify(frame);
    for (const c of peers.values()) if (c.session?.peerId !== except) sendText(c.socket, text);
  };
  const limits = {
    maxFrameBytes: opts.maxFrameBytes, ratePerSec: opts.rateLimitPerSec, maxPeersPerMesh: opts.maxPeersPerMesh,
    relayBytesPerSec: opts.relayBytesPerSec ?? DEFAULT_RELAY_BYTES_PER_SEC,
  };
  const host: SessionHost<SignalingSession> = {
    tokens: opts.tokens, authTimeoutMs: opts.authTimeoutMs, limits, presenceIntervalMs: opts.presenceIntervalMs ?? 500,
    now, hooks, metrics, logger, guard, send, sendText,
    reportedFailures: createReportedFailures(metrics, logger, now),
    get cluster() { return cluster; },
    local: (mesh, peerId) => meshes.get(mesh)?.get(peerId),
    localCount: (mesh) => meshes.get(mesh)?.size ?? 0,
    meshSize,
    opened(c) {
      all.add(c);
      metrics.connections.set(all.size);
    },
    enter(c) {
      const session = c.session!;
      let peers = meshes.get(session.mesh);
      if (!peers) meshes.set(session.mesh, (peers = new Map()));
      const remote = cluster?.remotePeers(session.mesh) ?? [];
      const others = peers.size + remote.length;
      // A small mesh is introduced in full; a large one gets a bounded set of neighbours.
      const complete = others <= OVERLAY.completeUpTo;
      const r = ring(session.mesh);
      const local = peers;
      const listed = complete
        ? [...[...peers.values()].map((p) => summary(p.session!)), ...remote]
        : r.pick(session.peerId, OVERLAY.near, OVERLAY.random, random).map((id) => summary(local.get(id)!.session!));
      peers.set(session.peerId, c);
      r.add(session.peerId);
      metrics.peers.inc();
      return { listed, complete, meshSize: others + 1, watch: watches.remaining(session.mesh) };
    },
    joined(c, entry) {
      const s = c.session!;
      const me = c.me!;
      const peers = meshes.get(s.mesh);
      // Everyone in a small mesh hears of the newcomer; in a large one, only the neighbours it was given.
      if (peers && entry.complete) for (const p of peers.values()) (p !== c && p.presence?.join(me));
      else if (peers) for (const p of entry.listed) peers.get(p.peerId)?.presence?.join(me);
      cluster?.broadcast(s.mesh, s.peerId, { type: 'peer-joined', peer: me });
    },
    closed(c) {
      all.delete(c);
      metrics.connections.set(all.size);
      const s = c.session;
      if (!s) return;
      const peers = meshes.get(s.mesh);
      if (peers?.get(s.peerId) !== c) return;
      peers.delete(s.peerId);
      ring(s.mesh).remove(s.peerId);
      if (peers.size === 0) meshes.delete(s.mesh);
      metrics.peers.inc({}, -1);
      announceLeft(s.mesh, s.peerId);
      cluster?.broadcast(s.mesh, s.peerId, { type: 'peer-left', peerId: s.peerId });
      cluster?.release(s.mesh, s.peerId);
      guard('onLeave hook', () => hooks.onLeave?.(s));
      logger.info('peer left', { peerId: s.peerId, mesh: s.mesh });
    },
  };

  const revokeLocal = (cid: string) => {
    let n = 0;
    for (const c of [...all]) if (c.session?.cid === cid) (c.shut(CloseCode.revoked, 'credential revoked'), n++);
    return n;
  };

  return {
    accept(socket, info) {
      const conn = new SignalingSession(host, socket, info);
      if (stopped) conn.shut(CloseCode.goingAway, 'server shutting down');
      return conn;
    },
    push(mesh, peerId, frame) {
      const c = meshes.get(mesh)?.get(peerId);
      if (c) return send(c.socket, frame), true;
      if (!cluster?.hasRemote(mesh, peerId)) return false;
      cluster.forward(mesh, peerId, frame);
      return true;
    },
    kick(mesh, peerId, code, reason) {
      const c = meshes.get(mesh)?.get(peerId);
      c?.shut(code, reason);
      return c !== undefined;
    },
    revoke(cid) {
      cluster?.revoke(cid);
      return revokeLocal(cid);
    },
    watchTopology(mesh) {
      if (!watches.touch(mesh)) return;
      // An empty presence batch: clients that predate watching read it as nothing.
      const frame: ServerFrame = { type: 'presence', left: [], joined: [], meshSize: meshSize(mesh), watch: TOPOLOGY_WATCH_MS };
      broadcast(mesh, '', frame);
      cluster?.broadcast(mesh, '', frame);
    },
    isPresent: (mesh, peerId) => meshes.get(mesh)?.has(peerId) === true || cluster?.hasRemote(mesh, peerId) === true,
    peers: (mesh) => [...[...(meshes.get(mesh)?.values() ?? [])].map((c) => summary(c.session!)), ...(cluster?.remotePeers(mesh) ?? [])],
    credentialOf: (mesh, peerId) => meshes.get(mesh)?.get(peerId)?.session?.cid,
    clusterHandlers: {
      deliver: (mesh, to, frame) => {
        const c = meshes.get(mesh)?.get(to);
        if (c && 'from' in frame) c.presence?.introduce(frame.from);
        if (c) send(c.socket, frame);
      },
      broadcast,
      revoke: (cid) => void revokeLocal(cid),
      kick: (mesh, peerId, code, reason) => void meshes.get(mesh)?.get(peerId)?.shut(code, reason),
    },
    attachCluster(link) {
      cluster = link;
    },
    connectionCount: () => all.size,
    closeAll(code, reason) {
      stopped = true;
      clearInterval(idleTimer);
      for (const c of [...all]) c.shut(code, reason);
    },
  };
}
