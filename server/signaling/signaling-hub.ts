import type { TokenService } from '../auth/tokens.ts';
import { TokenError } from '../auth/tokens.ts';
import type { Logger } from '../ops/logger.ts';
import {
  ClientFrameSchema, CloseCode, parseJson, validate,
  type ClientFrame, type IceServer, type Link, type PeerSummary, type RelayedFrame, type Role, type ServerFrame,
} from '../protocol.ts';
import type { ServerMetrics } from '../ops/server-metrics.ts';
import type { Connection, ConnectionInfo, SocketLike } from './socket.ts';
import { createTokenBucket } from './token-bucket.ts';

/** One authenticated peer socket. */
export interface PeerSession {
  peerId: string;
  mesh: string;
  role: Role;
  cid: string;
  joinedAt: number;
  remoteAddress: string;
}

/** Hooks for the control plane; all optional so the hub stands alone in tests. */
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
  /** Closes every session that authenticated with credential `cid` (4403). */
  revoke(cid: string): number;
  peers(mesh: string): PeerSummary[];
  /** Open sockets (authenticated or not). */
  connectionCount(): number;
  /** Closes every socket with `code` (1001 on shutdown) and stops timers. */
  closeAll(code: number, reason: string): void;
}

// Backpressure: a receiver this far behind gets frames refused rather than queued without bound.
const MAX_RECEIVER_BUFFER = 4 * 1024 * 1024;
const MAX_PENDING_BEFORE_WELCOME = 64;
const ABUSE_LIMIT = 20;

/** Creates the in-process signaling hub: auth, presence per mesh, relay, limits. */
export function createSignalingHub(opts: HubOptions): SignalingHub {
  const now = opts.now ?? Date.now;
  const hooks = opts.hooks ?? {};
  const meshes = new Map<string, Map<string, Conn>>();
  const all = new Set<Conn>();
  const { metrics, logger } = opts;
  const idleTimer = setInterval(() => {
    const t = now();
    for (const c of all) {
      if (t - c.lastSeen > opts.idleTimeoutMs) c.shut(CloseCode.timeout, 'idle timeout');
      else c.socket.ping?.();
    }
  }, Math.max(250, Math.floor(opts.idleTimeoutMs / 3)));
  (idleTimer as { unref?: () => void }).unref?.();

  const send = (socket: SocketLike, frame: ServerFrame) => {
    try {
      socket.send(JSON.stringify(frame));
    } catch {
      // The socket is already closing; its close event does the cleanup.
    }
  };
  const broadcast = (mesh: string, except: string, frame: ServerFrame) => {
    for (const c of meshes.get(mesh)?.values() ?? []) if (c.session?.peerId !== except) send(c.socket, frame);
  };
  const summary = (s: PeerSession): PeerSummary => ({ peerId: s.peerId, role: s.role, joinedAt: s.joinedAt });

  class Conn implements Connection {
    session: PeerSession | undefined;
    state: 'hello' | 'authenticating' | 'open' | 'closed' = 'hello';
    lastSeen = now();
    pending: Array<[string, number]> = [];
    errors = 0;
    drops = 0;
    bucket = createTokenBucket(opts.rateLimitPerSec, opts.rateLimitPerSec * 2, now);
    authTimer: ReturnType<typeof setTimeout> | undefined;
    expiryTimer: ReturnType<typeof setTimeout> | undefined;

    constructor(readonly socket: SocketLike, readonly info: ConnectionInfo) {
      all.add(this);
      metrics.connections.set(all.size);
      this.authTimer = setTimeout(() => this.shut(CloseCode.timeout, 'no hello within auth timeout'), opts.authTimeoutMs);
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
      if (bytes > opts.maxFrameBytes) return this.shut(CloseCode.frameTooBig, 'frame too big');
      this.refuse('bad-frame', 'binary frames are not supported; send JSON text');
    }

    message(data: string, bytes: number) {
      this.alive();
      if (this.state === 'closed') return;
      if (bytes > opts.maxFrameBytes) return this.shut(CloseCode.frameTooBig, `frame exceeds ${opts.maxFrameBytes} bytes`);
      if (this.state === 'authenticating') {
        if (this.pending.length >= MAX_PENDING_BEFORE_WELCOME) return this.shut(CloseCode.protocolAbuse, 'too many frames before welcome');
        this.pending.push([data, bytes]);
        return;
      }
      if (!this.bucket.take()) {
        metrics.rejections.inc({ reason: 'rate-limited' });
        if (++this.drops > opts.rateLimitPerSec * 4) return this.shut(CloseCode.rateLimited, 'sustained rate-limit excess');
        if (this.drops === 1 || this.drops % 100 === 0) this.refuse('rate-limited', `more than ${opts.rateLimitPerSec} frames/s; frame dropped`, undefined, false);
        return;
      }
      this.drops = 0;
      const started = now();
      const json = parseJson(data);
      if (json === undefined) return this.refuse('bad-json', 'frame is not valid JSON');
      const parsed = validate(ClientFrameSchema, json);
      if (!parsed.ok) return this.refuse('bad-frame', parsed.message, refOf(json));
      this.handle(parsed.value);
      metrics.frameSeconds.observe((now() - started) / 1000);
    }

    closed() {
      if (this.state === 'closed') return;
      this.state = 'closed';
      clearTimeout(this.authTimer);
      clearTimeout(this.expiryTimer);
      all.delete(this);
      metrics.connections.set(all.size);
      const s = this.session;
      if (!s) return;
      const peers = meshes.get(s.mesh);
      if (peers?.get(s.peerId) === this) {
        peers.delete(s.peerId);
        if (peers.size === 0) meshes.delete(s.mesh);
        metrics.peers.inc({}, -1);
        broadcast(s.mesh, s.peerId, { type: 'peer-left', peerId: s.peerId });
        hooks.onLeave?.(s);
        logger.info('peer left', { peerId: s.peerId, mesh: s.mesh });
      }
    }

    shut(code: number, reason: string) {
      if (this.state !== 'closed') {
        metrics.rejections.inc({ reason: `close-${code}` });
        logger.debug('closing socket', { code, reason, peerId: this.session?.peerId });
      }
      try {
        this.socket.close(code, reason);
      } catch {
        // Already closed.
      }
      this.closed();
    }

    refuse(code: string, message: string, ref?: string, counts = true) {
      metrics.rejections.inc({ reason: code });
      send(this.socket, { type: 'error', code, message, ...(ref ? { ref } : {}) });
      if (counts && ++this.errors > ABUSE_LIMIT) this.shut(CloseCode.protocolAbuse, 'too many invalid frames');
    }

    handle(frame: ClientFrame) {
      if (this.state === 'hello') {
        if (frame.type !== 'hello') return this.shut(CloseCode.unauthorized, 'first frame must be hello');
        this.state = 'authenticating';
        void this.authenticate(frame.token);
        return;
      }
      const s = this.session!;
      if ('from' in frame && frame.from !== undefined && frame.from !== s.peerId) {
        return this.refuse('forged-from', `from must be your own peer id "${s.peerId}"`, frame.type);
      }
      switch (frame.type) {
        case 'hello':
          return this.refuse('bad-frame', 'already said hello');
        case 'auth':
          return void this.refresh(frame.token);
        case 'heartbeat':
          return hooks.onHeartbeat?.(s, frame.payload?.load);
        case 'link-report':
          return hooks.onLinkReport?.(s, frame.payload.links);
        default:
          return this.relay(frame);
      }
    }

    relay(frame: RelayedFrame) {
      const s = this.session!;
      const target = meshes.get(s.mesh)?.get(frame.to);
      if (!target || target === this) return this.refuse('unknown-peer', `peer "${frame.to}" is not in this mesh`, frame.to, false);
      if (target.socket.bufferedAmount > MAX_RECEIVER_BUFFER) {
        return this.refuse('peer-congested', `peer "${frame.to}" is not reading; frame dropped`, frame.to, false);
      }
      send(target.socket, { ...frame, from: s.peerId } as ServerFrame);
      metrics.relayed.inc({ type: frame.type });
    }

    async authenticate(token: string) {
      clearTimeout(this.authTimer);
      let claims;
      try {
        claims = await opts.tokens.verify(token);
        if (await hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
      } catch (err) {
        return this.shut(CloseCode.unauthorized, err instanceof TokenError ? err.message : 'token check failed');
      }
      if (this.isClosed()) return;
      const peers = meshes.get(claims.mesh) ?? new Map<string, Conn>();
      if (peers.has(claims.sub)) return this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
      if (peers.size >= opts.maxPeersPerMesh) return this.shut(CloseCode.meshFull, `mesh is full (${opts.maxPeersPerMesh} peers)`);
      const session: PeerSession = {
        peerId: claims.sub, mesh: claims.mesh, role: claims.role, cid: claims.cid,
        joinedAt: now(), remoteAddress: this.info.remoteAddress,
      };
      const iceServers = (await hooks.iceServersFor?.(session)) ?? [];
      if (this.isClosed()) return;
      if (peers.has(claims.sub)) return this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
      this.session = session;
      meshes.set(claims.mesh, peers);
      const others = [...peers.values()].map((c) => summary(c.session!));
      peers.set(claims.sub, this);
      metrics.peers.inc();
      this.state = 'open';
      this.armExpiry(claims.exp * 1000);
      send(this.socket, {
        type: 'welcome', peerId: session.peerId, mesh: session.mesh, role: session.role, peers: others, iceServers,
        limits: { maxFrameBytes: opts.maxFrameBytes, ratePerSec: opts.rateLimitPerSec, maxPeersPerMesh: opts.maxPeersPerMesh },
        tokenExpiresAt: claims.exp * 1000, serverTime: now(),
      });
      broadcast(session.mesh, session.peerId, { type: 'peer-joined', peer: summary(session) });
      hooks.onJoin?.(session);
      logger.info('peer joined', { peerId: session.peerId, mesh: session.mesh, role: session.role });
      for (const [data, bytes] of this.pending.splice(0)) this.message(data, bytes);
    }

    async refresh(token: string) {
      const s = this.session!;
      try {
        const claims = await opts.tokens.verify(token);
        if (claims.sub !== s.peerId || claims.mesh !== s.mesh) return this.refuse('bad-token', 'refreshed token must have the same peer id and mesh');
        if (await hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
        s.cid = claims.cid;
        this.armExpiry(claims.exp * 1000);
        send(this.socket, { type: 'auth-ok', tokenExpiresAt: claims.exp * 1000 });
      } catch (err) {
        this.refuse('bad-token', err instanceof TokenError ? err.message : 'token check failed');
      }
    }

    armExpiry(expiresAtMs: number) {
      clearTimeout(this.expiryTimer);
      // setTimeout overflows past 2^31-1 ms; tokens never live that long, but clamp anyway.
      const delay = Math.min(Math.max(0, expiresAtMs - now()), 2_147_483_647);
      this.expiryTimer = setTimeout(() => this.shut(CloseCode.unauthorized, 'token expired'), delay);
    }
  }

  return {
    accept: (socket, info) => new Conn(socket, info),
    push(mesh, peerId, frame) {
      const c = meshes.get(mesh)?.get(peerId);
      if (!c) return false;
      send(c.socket, frame);
      return true;
    },
    revoke(cid) {
      let n = 0;
      for (const c of [...all]) if (c.session?.cid === cid) (c.shut(CloseCode.revoked, 'credential revoked'), n++);
      return n;
    },
    peers: (mesh) => [...(meshes.get(mesh)?.values() ?? [])].map((c) => summary(c.session!)),
    connectionCount: () => all.size,
    closeAll(code, reason) {
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
