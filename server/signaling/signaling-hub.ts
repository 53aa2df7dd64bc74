import { TokenError, type TokenService } from '../auth/tokens.ts';
import type { Logger } from '../ops/logger.ts';
import type { ServerMetrics } from '../ops/server-metrics.ts';
import {
  ClientFrameSchema, CloseCode, parseJson, validate,
  type ClientFrame, type IceServer, type Link, type PeerSummary, type RelayedFrame, type Role, type ServerFrame,
  type TokenClaims,
} from '../protocol.ts';
import type { ClusterHandlers, ClusterLink } from './cluster.ts';
import { createFrameGate } from './frame-gate.ts';
import type { Connection, ConnectionInfo, SocketLike } from './socket.ts';

/** One authenticated peer socket. */
export interface PeerSession {
  peerId: string;
  mesh: string;
  role: Role;
  cid: string;
  joinedAt: number;
  remoteAddress: string;
}

/** Hooks for the control plane; all optional so the hub stands alone in tests. A throwing hook is logged, never fatal. */
export interface HubHooks {
  isRevoked?(cid: string): Promise<boolean>;
  iceServersFor?(session: PeerSession): Promise<IceServer[]>;
  onJoin?(session: PeerSession): void;
  onLeave?(session: PeerSession): void;
  onHeartbeat?(session: PeerSession, load: number | undefined): void;
  onLinkReport?(session: PeerSession, links: Link[]): void;
}

export interface HubOptions {
  tokens: TokenService;
  logger: Logger;
  metrics: ServerMetrics;
  maxPeersPerMesh: number;
  maxFrameBytes: number;
  rateLimitPerSec: number;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  now?: () => number;
  hooks?: HubHooks;
}

export interface SignalingHub {
  /** Takes ownership of an accepted socket; the entry forwards its events to the result. */
  accept(socket: SocketLike, info: ConnectionInfo): Connection;
  /** Sends a server frame to a live peer; false when it is not connected here. */
  push(mesh: string, peerId: string, frame: ServerFrame): boolean;
  /** Closes one peer's socket with `code`; false when it is not connected here. */
  kick(mesh: string, peerId: string, code: number, reason: string): boolean;
  /** Closes every session that authenticated with credential `cid` (4403). */
  revoke(cid: string): number;
  peers(mesh: string): PeerSummary[];
  /** Open sockets (authenticated or not). */
  connectionCount(): number;
  /** What other instances call into (deliver, broadcast, revoke on this instance only). */
  readonly clusterHandlers: ClusterHandlers;
  /** Joins a cluster: presence, relay and revocation then span every instance on the store. */
  attachCluster(link: ClusterLink): void;
  /** Closes every socket with `code` (1001 on shutdown), stops timers and refuses later sockets. */
  closeAll(code: number, reason: string): void;
}

// Backpressure: a receiver this far behind gets frames refused rather than queued without bound.
const MAX_RECEIVER_BUFFER = 4 * 1024 * 1024;
const MAX_PENDING_BEFORE_WELCOME = 64;
// RFC 6455 caps a close reason at 123 UTF-8 bytes; ws and Deno throw past it (leaving the socket open).
const MAX_REASON_BYTES = 123;

/** Creates the in-process signaling hub: auth, presence per mesh, relay, limits. */
export function createSignalingHub(opts: HubOptions): SignalingHub {
  const now = opts.now ?? Date.now;
  const hooks = opts.hooks ?? {};
  const meshes = new Map<string, Map<string, Conn>>();
  const all = new Set<Conn>();
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
  const broadcast = (mesh: string, except: string, frame: ServerFrame) => {
    for (const c of meshes.get(mesh)?.values() ?? []) if (c.session?.peerId !== except) send(c.socket, frame);
  };
  const summary = (s: PeerSession): PeerSummary => ({ peerId: s.peerId, role: s.role, joinedAt: s.joinedAt });
  const limits = { maxFrameBytes: opts.maxFrameBytes, ratePerSec: opts.rateLimitPerSec, maxPeersPerMesh: opts.maxPeersPerMesh };

  class Conn implements Connection {
    session: PeerSession | undefined;
    fromSuffix = '';
    state: 'hello' | 'authenticating' | 'open' | 'closed' = 'hello';
    lastSeen = now();
    pending: Array<[string, number]> = [];
    gate = createFrameGate(opts.rateLimitPerSec, now);
    authTimer: ReturnType<typeof setTimeout> | undefined;
    expiryTimer: ReturnType<typeof setTimeout> | undefined;

    constructor(readonly socket: SocketLike, readonly info: ConnectionInfo) {
      all.add(this);
      metrics.connections.set(all.size);
      // Covers the whole handshake (hello, token check, store lookups), not just the first frame.
      this.authTimer = setTimeout(() => this.shut(CloseCode.timeout, 'no welcome within auth timeout'), opts.authTimeoutMs);
    }

    // A method, not an inline check, because TS narrows `state` across awaits and misses closes.
    isClosed(): boolean {
      return this.state === 'closed';
    }

    alive() {
      this.lastSeen = now();
    }

    binary(bytes: number) {
      this.alive();
      if (this.isClosed()) return;
      if (bytes > opts.maxFrameBytes) return this.oversized();
      this.refuse('bad-frame', 'binary frames are not supported; send JSON text');
    }

    oversized() {
      this.shut(CloseCode.frameTooBig, `frame exceeds ${opts.maxFrameBytes} bytes`);
    }

    message(data: string, bytes: number) {
      this.alive();
      if (this.isClosed()) return;
      if (bytes > opts.maxFrameBytes) return this.oversized();
      if (this.state === 'authenticating') {
        if (this.pending.length >= MAX_PENDING_BEFORE_WELCOME) return this.shut(CloseCode.protocolAbuse, 'too many frames before welcome');
        this.pending.push([data, bytes]);
        return;
      }
      const gate = this.gate.admit();
      if (!gate.admit) {
        if (gate.close) return this.shut(CloseCode.rateLimited, 'sustained rate-limit excess');
        if (gate.notify) this.refuse('rate-limited', `more than ${opts.rateLimitPerSec} frames/s; frame dropped`, undefined, false);
        else metrics.rejections.inc({ reason: 'rate-limited' });
        return;
      }
      // performance.now, not the injectable clock: sub-millisecond resolution for the histogram.
      const started = performance.now();
      try {
        const json = parseJson(data);
        if (json === undefined) return this.refuse('bad-json', 'frame is not valid JSON');
        const parsed = validate(ClientFrameSchema, json);
        if (!parsed.ok) return this.refuse('bad-frame', parsed.message, refOf(json));
        this.handle(parsed.value, data);
      } catch (err) {
        // A bug must cost one frame, not the process.
        logger.error('frame handler failed', { err, peerId: this.session?.peerId });
        send(this.socket, { type: 'error', code: 'internal', message: 'server error while handling the frame' });
      }
      metrics.frameSeconds.observe((performance.now() - started) / 1000);
    }

    closed() {
      if (this.isClosed()) return;
      this.state = 'closed';
      clearTimeout(this.authTimer);
      clearTimeout(this.expiryTimer);
      this.pending = [];
      all.delete(this);
      metrics.connections.set(all.size);
      const s = this.session;
      if (!s) return;
      const peers = meshes.get(s.mesh);
      if (peers?.get(s.peerId) !== this) return;
      peers.delete(s.peerId);
      if (peers.size === 0) meshes.delete(s.mesh);
      metrics.peers.inc({}, -1);
      broadcast(s.mesh, s.peerId, { type: 'peer-left', peerId: s.peerId });
      cluster?.broadcast(s.mesh, s.peerId, { type: 'peer-left', peerId: s.peerId });
      cluster?.release(s.mesh, s.peerId);
      guard('onLeave hook', () => hooks.onLeave?.(s));
      logger.info('peer left', { peerId: s.peerId, mesh: s.mesh });
    }

    shut(code: number, reason: string) {
      if (!this.isClosed()) {
        metrics.rejections.inc({ reason: `close-${code}` });
        logger.debug('closing socket', { code, reason, peerId: this.session?.peerId });
      }
      try {
        this.socket.close(code, clipReason(reason));
      } catch {
        // Already closed.
      }
      this.closed();
    }

    /** Answers a bad frame with an `error` frame; `counts` spends the invalid-frame budget (4400). */
    refuse(code: string, message: string, ref?: string, counts = true) {
      metrics.rejections.inc({ reason: code });
      send(this.socket, { type: 'error', code, message, ...(ref ? { ref } : {}) });
      if (counts && this.gate.strike()) this.shut(CloseCode.protocolAbuse, 'too many invalid frames');
    }

    handle(frame: ClientFrame, raw: string) {
      if (this.state === 'hello') {
        if (frame.type !== 'hello') return this.shut(CloseCode.unauthorized, 'first frame must be hello');
        this.state = 'authenticating';
        return this.background('authentication', this.authenticate(frame.token));
      }
      const s = this.session!;
      if ('from' in frame && frame.from !== undefined && frame.from !== s.peerId) {
        return this.refuse('forged-from', `from must be your own peer id "${s.peerId}"`, frame.type);
      }
      switch (frame.type) {
        case 'hello':
          return this.refuse('bad-frame', 'already said hello');
        case 'auth':
          return this.background('token refresh', this.refresh(frame.token));
        case 'heartbeat':
          return guard('onHeartbeat hook', () => hooks.onHeartbeat?.(s, frame.payload?.load));
        case 'link-report':
          for (const f of frame.payload.identityFailures ?? []) metrics.identityFailures.inc({ reason: f.reason });
          return guard('onLinkReport hook', () => hooks.onLinkReport?.(s, frame.payload.links));
        default:
          return this.relay(frame, raw);
      }
    }

    /** Async work started by a frame: an unexpected failure closes this socket (1011), nothing else. */
    background(what: string, work: Promise<void>) {
      work.catch((err: unknown) => {
        logger.error(`${what} failed`, { err, peerId: this.session?.peerId });
        this.shut(CloseCode.internalError, `${what} failed`);
      });
    }

    relay(frame: RelayedFrame, raw: string) {
      const s = this.session!;
      const target = meshes.get(s.mesh)?.get(frame.to);
      if (!target && cluster) {
        // Publish at once, even on a cache miss (a peer that joined elsewhere a moment ago), so
        // frames keep their order; a miss is then checked against the store and reported.
        const known = cluster.hasRemote(s.mesh, frame.to);
        cluster.forward(s.mesh, frame.to, { ...frame, from: s.peerId } as ServerFrame);
        metrics.relayed.inc({ type: frame.type });
        if (!known) {
          void cluster.exists(s.mesh, frame.to).then((found) => {
            if (!found && !this.isClosed()) this.refuse('unknown-peer', `peer "${frame.to}" is not in this mesh`, frame.to, false);
          });
        }
        return;
      }
      if (!target || target === this) return this.refuse('unknown-peer', `peer "${frame.to}" is not in this mesh`, frame.to, false);
      if (target.socket.bufferedAmount > MAX_RECEIVER_BUFFER) {
        return this.refuse('peer-congested', `peer "${frame.to}" is not reading; frame dropped`, frame.to, false);
      }
      // The hot path: the frame is valid and has no `from`, so stamp it by appending to the text
      // the sender wrote instead of re-serialising the parsed object (a third of the per-frame cost).
      if (frame.from === undefined && raw.charCodeAt(raw.length - 1) === 125 /* } */) sendText(target.socket, raw.slice(0, -1) + this.fromSuffix);
      else send(target.socket, { ...frame, from: s.peerId } as ServerFrame);
      metrics.relayed.inc({ type: frame.type });
    }

    /** Refuses a peer id already live in the mesh (4409) or a full mesh (1008); true when it may join. */
    admissible(claims: TokenClaims): boolean {
      const peers = meshes.get(claims.mesh);
      if (peers?.has(claims.sub)) this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
      else if ((peers?.size ?? 0) >= opts.maxPeersPerMesh) this.shut(CloseCode.meshFull, `mesh is full (${opts.maxPeersPerMesh} peers)`);
      else return true;
      return false;
    }

    async authenticate(token: string) {
      let claims: TokenClaims;
      try {
        claims = await opts.tokens.verify(token);
      } catch (err) {
        return this.shut(CloseCode.unauthorized, err instanceof TokenError ? err.message : 'token is not valid');
      }
      if (await hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
      if (this.isClosed() || !this.admissible(claims)) return;
      const session: PeerSession = {
        peerId: claims.sub, mesh: claims.mesh, role: claims.role, cid: claims.cid,
        joinedAt: now(), remoteAddress: this.info.remoteAddress,
      };
      let iceServers: IceServer[] = [];
      try {
        iceServers = (await hooks.iceServersFor?.(session)) ?? [];
      } catch (err) {
        // Without ICE config the peer can still reach others on the fallback tier.
        logger.error('ICE server lookup failed', { err, peerId: session.peerId });
      }
      // Re-check after the awaits: another socket may have taken the id or filled the mesh meanwhile.
      if (this.isClosed() || !this.admissible(claims)) return;
      if (cluster) {
        const claim = await cluster.claim(session.mesh, summary(session), opts.maxPeersPerMesh);
        if (claim === 'duplicate') return this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
        if (claim === 'full') return this.shut(CloseCode.meshFull, `mesh is full (${opts.maxPeersPerMesh} peers)`);
        if (this.isClosed() || !this.admissible(claims)) return cluster.release(session.mesh, session.peerId);
      }
      clearTimeout(this.authTimer);
      this.session = session;
      this.fromSuffix = `,"from":${JSON.stringify(session.peerId)}}`;
      let peers = meshes.get(session.mesh);
      if (!peers) meshes.set(session.mesh, (peers = new Map()));
      const others = [...[...peers.values()].map((c) => summary(c.session!)), ...(cluster?.remotePeers(session.mesh) ?? [])];
      peers.set(session.peerId, this);
      metrics.peers.inc();
      this.state = 'open';
      this.armExpiry(claims.exp * 1000);
      send(this.socket, {
        type: 'welcome', peerId: session.peerId, mesh: session.mesh, role: session.role, peers: others, iceServers, limits,
        tokenExpiresAt: claims.exp * 1000, serverTime: now(),
      });
      broadcast(session.mesh, session.peerId, { type: 'peer-joined', peer: summary(session) });
      cluster?.broadcast(session.mesh, session.peerId, { type: 'peer-joined', peer: summary(session) });
      guard('onJoin hook', () => hooks.onJoin?.(session));
      logger.info('peer joined', { peerId: session.peerId, mesh: session.mesh, role: session.role });
      for (const [data, bytes] of this.pending.splice(0)) this.message(data, bytes);
    }

    async refresh(token: string) {
      let claims: TokenClaims;
      try {
        claims = await opts.tokens.verify(token);
      } catch (err) {
        if (!this.isClosed()) this.refuse('bad-token', err instanceof TokenError ? err.message : 'token is not valid');
        return;
      }
      const s = this.session!;
      if (claims.sub !== s.peerId || claims.mesh !== s.mesh || claims.role !== s.role) {
        return this.refuse('bad-token', 'a refreshed token must have the same peer id, mesh and role');
      }
      if (await hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
      if (this.isClosed()) return;
      s.cid = claims.cid;
      this.armExpiry(claims.exp * 1000);
      send(this.socket, { type: 'auth-ok', tokenExpiresAt: claims.exp * 1000 });
    }

    armExpiry(expiresAtMs: number) {
      clearTimeout(this.expiryTimer);
      // setTimeout overflows past 2^31-1 ms; tokens never live that long, but clamp anyway.
      const delay = Math.min(Math.max(0, expiresAtMs - now()), 2_147_483_647);
      this.expiryTimer = setTimeout(() => this.shut(CloseCode.unauthorized, 'token expired'), delay);
    }
  }

  const revokeLocal = (cid: string) => {
    let n = 0;
    for (const c of [...all]) if (c.session?.cid === cid) (c.shut(CloseCode.revoked, 'credential revoked'), n++);
    return n;
  };

  return {
    accept(socket, info) {
      const conn = new Conn(socket, info);
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
    peers: (mesh) => [...[...(meshes.get(mesh)?.values() ?? [])].map((c) => summary(c.session!)), ...(cluster?.remotePeers(mesh) ?? [])],
    clusterHandlers: {
      deliver: (mesh, to, frame) => {
        const c = meshes.get(mesh)?.get(to);
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

/** Echoes back what the bad frame was (its type), so a client can match the error. */
function refOf(json: unknown): string | undefined {
  const t = (json as { type?: unknown } | null)?.type;
  return typeof t === 'string' ? t.slice(0, 64) : undefined;
}

/** Cuts a close reason to what RFC 6455 allows, on a character boundary. */
function clipReason(reason: string): string {
  const enc = new TextEncoder();
  if (enc.encode(reason).byteLength <= MAX_REASON_BYTES) return reason;
  let out = '';
  for (const ch of reason) {
    if (enc.encode(out + ch + '…').byteLength > MAX_REASON_BYTES) break;
    out += ch;
  }
  return out + '…';
}
