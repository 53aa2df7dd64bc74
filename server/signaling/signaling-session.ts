import { TokenError } from '../auth/tokens.ts';
import {
  acceptNegotiationFrame, ClientFrameSchema, CloseCode, keptEveryKey, parseJson, validate,
  type ClientFrame, type IceServer, type PeerSummary, type RelayedFrame, type ServerFrame, type TokenClaims,
} from '../../protocol/index.ts';
import { createFrameGate } from './frame-gate.ts';
import { PresenceOutbox } from './presence-outbox.ts';
import type { PeerSession, SessionHost } from './session-host.ts';
import { clipReason, type Connection, type ConnectionInfo, type SocketLike } from './socket.ts';

// Backpressure: a receiver this far behind gets frames refused rather than queued without bound.
const MAX_RECEIVER_BUFFER = 4 * 1024 * 1024;
const MAX_PENDING_BEFORE_WELCOME = 64;
const RELAY_PREFIX = '{"type":"relay"';

/** One socket's state machine: hello → authenticating → open → closed, with its limits. */
export class SignalingSession implements Connection {
  session: PeerSession | undefined;
  fromSuffix = '';
  state: 'hello' | 'authenticating' | 'open' | 'closed' = 'hello';
  lastSeen: number;
  pending: Array<[string, number]> = [];
  gate: ReturnType<typeof createFrameGate>;
  /** Set once open: what this peer knows of the others and the presence changes it is owed. */
  presence: PresenceOutbox | undefined;
  /** This peer's summary, made once (relaying hands it to receivers that have not heard of it). */
  me: PeerSummary | undefined;
  authTimer: ReturnType<typeof setTimeout> | undefined;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly core: SessionHost<SignalingSession>, readonly socket: SocketLike, readonly info: ConnectionInfo) {
    this.lastSeen = core.now();
    this.gate = createFrameGate(core.limits.ratePerSec, core.now, { bytesPerSec: core.limits.relayBytesPerSec, maxFrameBytes: core.limits.maxFrameBytes });
    this.core.opened(this);
    // Covers the whole handshake (hello, token check, store lookups), not just the first frame.
    this.authTimer = setTimeout(() => this.shut(CloseCode.timeout, 'no welcome within auth timeout'), this.core.authTimeoutMs);
  }

  // A method, not an inline check, because TS narrows `state` across awaits and misses closes.
  isClosed(): boolean {
    return this.state === 'closed';
  }

  alive() {
    this.lastSeen = this.core.now();
  }

  binary(bytes: number) {
    this.alive();
    if (this.isClosed()) return;
    if (bytes > this.core.limits.maxFrameBytes) return this.oversized();
    this.refuse('bad-frame', 'binary frames are not supported; send JSON text');
  }

  oversized() {
    this.shut(CloseCode.frameTooBig, `frame exceeds ${this.core.limits.maxFrameBytes} bytes`);
  }

  message(data: string, bytes: number) {
    this.alive();
    if (this.isClosed()) return;
    if (bytes > this.core.limits.maxFrameBytes) return this.oversized();
    if (this.state === 'authenticating') {
      if (this.pending.length >= MAX_PENDING_BEFORE_WELCOME) return this.shut(CloseCode.protocolAbuse, 'too many frames before welcome');
      this.pending.push([data, bytes]);
      return;
    }
    // Relay frames (bulk on the fallback tier) are paced by bytes, everything else by frames. Our
    // clients write `type` first; a relay frame written otherwise just counts as a frame.
    const relay = data.startsWith(RELAY_PREFIX);
    const gate = relay ? this.gate.admitRelay(bytes) : this.gate.admit();
    if (!gate.admit) {
      if (gate.close) return this.shut(CloseCode.rateLimited, 'sustained rate-limit excess');
      const limit = relay ? `${this.core.limits.relayBytesPerSec} relay bytes/s` : `${this.core.limits.ratePerSec} frames/s`;
      if (gate.notify) this.refuse('rate-limited', `more than ${limit}; frame dropped`, relay ? 'relay' : undefined, false);
      else this.core.metrics.rejections.inc({ reason: 'rate-limited' });
      return;
    }
    // performance.now, not the injectable clock: sub-millisecond resolution for the histogram.
    const started = performance.now();
    try {
      const json = parseJson(data);
      if (json === undefined) return this.refuse('bad-json', 'frame is not valid JSON');
      // Offers, answers and candidates skip valibot; anything else (or invalid) goes through it.
      let frame: ClientFrame | undefined = acceptNegotiationFrame(json);
      if (!frame) {
        const parsed = validate(ClientFrameSchema, json);
        if (!parsed.ok) {
          // A hello the server cannot read (token empty, over 4096 chars, not a string) is an
          // authentication failure the client can act on, not a frame to wait out until 4408.
          if (this.state === 'hello' && refOf(json) === 'hello') return this.shut(CloseCode.unauthorized, `hello: ${parsed.message}`);
          return this.refuse('bad-frame', parsed.message, refOf(json));
        }
        frame = parsed.value;
      }
      this.handle(frame, data, json);
    } catch (err) {
      // A bug must cost one frame, not the process.
      this.core.logger.error('frame handler failed', { err, peerId: this.session?.peerId });
      this.core.send(this.socket, { type: 'error', code: 'internal', message: 'server error while handling the frame' });
    }
    this.core.metrics.frameSeconds.observe((performance.now() - started) / 1000);
  }

  closed() {
    if (this.isClosed()) return;
    this.state = 'closed';
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    this.pending = [];
    this.presence?.close();
    this.core.closed(this);
  }

  shut(code: number, reason: string) {
    if (!this.isClosed()) {
      this.core.metrics.rejections.inc({ reason: `close-${code}` });
      this.core.logger.debug('closing socket', { code, reason, peerId: this.session?.peerId });
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
    this.core.metrics.rejections.inc({ reason: code });
    this.core.send(this.socket, { type: 'error', code, message, ...(ref ? { ref } : {}) });
    if (counts && this.gate.strike()) this.shut(CloseCode.protocolAbuse, 'too many invalid frames');
  }

  /** `raw` is the frame's text and `json` its parse, for relaying the sender's own bytes. */
  handle(frame: ClientFrame, raw: string, json: unknown) {
    if (this.state === 'hello') {
      if (frame.type !== 'hello') return this.shut(CloseCode.unauthorized, 'first frame must be hello');
      this.state = 'authenticating';
      return this.background('authentication', this.authenticate(frame.token));
    }
    const s = this.session!;
    if ('from' in frame && frame.from !== undefined && frame.from !== s.peerId) {
      // The server saw this itself (unlike link-report claims): an attack signal nobody can forge.
      this.core.metrics.identityFailures.inc({ reason: 'forged-from' });
      return this.refuse('forged-from', `from must be your own peer id "${s.peerId}"`, frame.type);
    }
    switch (frame.type) {
      case 'hello':
        return this.refuse('bad-frame', 'already said hello');
      case 'auth':
        return this.background('token refresh', this.refresh(frame.token));
      case 'heartbeat':
        return this.core.guard('onHeartbeat hook', () => this.core.hooks.onHeartbeat?.(s, frame.payload?.load));
      case 'link-report':
        this.core.reportedFailures.count(s, frame.payload.identityFailures ?? []);
        return this.core.guard('onLinkReport hook', () => this.core.hooks.onLinkReport?.(s, frame.payload.links));
      default:
        return this.relay(frame, raw, json);
    }
  }

  /** Async work started by a frame: an unexpected failure closes this socket (1011), nothing else. */
  background(what: string, work: Promise<void>) {
    work.catch((err: unknown) => {
      this.core.logger.error(`${what} failed`, { err, peerId: this.session?.peerId });
      this.shut(CloseCode.internalError, `${what} failed`);
    });
  }

  relay(frame: RelayedFrame, raw: string, json: unknown) {
    const s = this.session!;
    const target = this.core.local(s.mesh, frame.to);
    if (!target && this.core.cluster) {
      // Publish at once, even on a cache miss (a peer that joined elsewhere a moment ago), so
      // frames keep their order; a miss is then checked against the store and reported.
      const known = this.core.cluster.hasRemote(s.mesh, frame.to);
      this.core.cluster.forward(s.mesh, frame.to, { ...frame, from: s.peerId } as ServerFrame);
      this.core.metrics.relayed.inc({ type: frame.type });
      if (!known) {
        void this.core.cluster.exists(s.mesh, frame.to).then((found) => {
          if (!found && !this.isClosed()) this.refuse('unknown-peer', `peer "${frame.to}" is not in this mesh`, frame.to, false);
        });
      }
      return;
    }
    if (!target || target === this) return this.refuse('unknown-peer', `peer "${frame.to}" is not in this mesh`, frame.to, false);
    // A peer hears of another before it hears from it (an offer, or a relay on the fallback tier).
    target.presence?.introduce(s.peerId, this.me!);
    if (target.socket.bufferedAmount > MAX_RECEIVER_BUFFER) {
      return this.refuse('peer-congested', `peer "${frame.to}" is not reading; frame dropped`, frame.to, false);
    }
    // The hot path: the frame is valid, has no `from` and no key the validator dropped, so stamp
    // it by appending to the text the sender wrote instead of re-serialising the parsed object (a
    // third of the per-frame cost). Anything else is re-serialised, so unknown keys never travel.
    if (frame.from === undefined && raw.charCodeAt(raw.length - 1) === 125 /* } */ && keptEveryKey(frame, json)) {
      this.core.sendText(target.socket, raw.slice(0, -1) + this.fromSuffix);
    } else {
      this.core.send(target.socket, { ...frame, from: s.peerId } as ServerFrame);
    }
    this.core.metrics.relayed.inc({ type: frame.type });
  }

  /** Refuses a peer id already live in the mesh (4409) or a full mesh (1008); true when it may join. */
  admissible(claims: TokenClaims): boolean {
    if (this.core.local(claims.mesh, claims.sub)) this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
    else if (this.core.localCount(claims.mesh) >= this.core.limits.maxPeersPerMesh) this.shut(CloseCode.meshFull, `mesh is full (${this.core.limits.maxPeersPerMesh} peers)`);
    else return true;
    return false;
  }

  async authenticate(token: string) {
    let claims: TokenClaims;
    try {
      claims = await this.core.tokens.verify(token);
    } catch (err) {
      return this.shut(CloseCode.unauthorized, err instanceof TokenError ? err.message : 'token is not valid');
    }
    if (await this.core.hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
    if (this.isClosed() || !this.admissible(claims)) return;
    const session: PeerSession = {
      peerId: claims.sub, mesh: claims.mesh, role: claims.role, cid: claims.cid,
      joinedAt: this.core.now(), remoteAddress: this.info.remoteAddress,
    };
    let iceServers: IceServer[] = [];
    try {
      iceServers = (await this.core.hooks.iceServersFor?.(session)) ?? [];
    } catch (err) {
      // Without ICE config the peer can still reach others on the fallback tier.
      this.core.logger.error('ICE server lookup failed', { err, peerId: session.peerId });
    }
    // Re-check after the awaits: another socket may have taken the id or filled the mesh meanwhile.
    if (this.isClosed() || !this.admissible(claims)) return;
    if (this.core.cluster) {
      const claim = await this.core.cluster.claim(session.mesh, summary(session), this.core.limits.maxPeersPerMesh);
      if (claim === 'duplicate') return this.shut(CloseCode.duplicatePeer, `peer id "${claims.sub}" is already connected`);
      if (claim === 'full') return this.shut(CloseCode.meshFull, `mesh is full (${this.core.limits.maxPeersPerMesh} peers)`);
      if (this.isClosed() || !this.admissible(claims)) return this.core.cluster.release(session.mesh, session.peerId);
    }
    clearTimeout(this.authTimer);
    this.session = session;
    this.fromSuffix = `,"from":${JSON.stringify(session.peerId)}}`;
    this.me = summary(session);
    this.presence = new PresenceOutbox({
      send: (frame) => this.core.send(this.socket, frame),
      intervalMs: this.core.presenceIntervalMs,
      now: this.core.now,
      meshSize: () => this.core.meshSize(session.mesh),
    });
    const entry = this.core.enter(this);
    // The peers listed in the welcome are known already: the outbox must not introduce them again.
    for (const p of entry.listed) this.presence.told(p.peerId);
    this.state = 'open';
    this.armExpiry(claims.exp * 1000);
    this.core.send(this.socket, {
      type: 'welcome', peerId: session.peerId, mesh: session.mesh, role: session.role, peers: entry.listed, meshSize: entry.meshSize, complete: entry.complete,
      iceServers, limits: this.core.limits, tokenExpiresAt: claims.exp * 1000, serverTime: this.core.now(), watch: entry.watch,
    });
    this.core.joined(this, entry);
    this.core.guard('onJoin hook', () => this.core.hooks.onJoin?.(session));
    this.core.logger.info('peer joined', { peerId: session.peerId, mesh: session.mesh, role: session.role });
    for (const [data, bytes] of this.pending.splice(0)) this.message(data, bytes);
  }

  async refresh(token: string) {
    let claims: TokenClaims;
    try {
      claims = await this.core.tokens.verify(token);
    } catch (err) {
      if (!this.isClosed()) this.refuse('bad-token', err instanceof TokenError ? err.message : 'token is not valid');
      return;
    }
    const s = this.session!;
    if (claims.sub !== s.peerId || claims.mesh !== s.mesh || claims.role !== s.role) {
      return this.refuse('bad-token', 'a refreshed token must have the same peer id, mesh and role');
    }
    if (await this.core.hooks.isRevoked?.(claims.cid)) return this.shut(CloseCode.revoked, 'credential revoked');
    if (this.isClosed()) return;
    s.cid = claims.cid;
    this.armExpiry(claims.exp * 1000);
    this.core.send(this.socket, { type: 'auth-ok', tokenExpiresAt: claims.exp * 1000 });
  }

  armExpiry(expiresAtMs: number) {
    clearTimeout(this.expiryTimer);
    // setTimeout overflows past 2^31-1 ms; tokens never live that long, but clamp anyway.
    const delay = Math.min(Math.max(0, expiresAtMs - this.core.now()), 2_147_483_647);
    this.expiryTimer = setTimeout(() => this.shut(CloseCode.unauthorized, 'token expired'), delay);
  }
}

/** What peers are told of a session: never its credential or address. */
export const summary = (s: PeerSession): PeerSummary => ({ peerId: s.peerId, role: s.role, joinedAt: s.joinedAt });

/** Echoes back what the bad frame was (its type), so a client can match the error. */
function refOf(json: unknown): string | undefined {
  const t = (json as { type?: unknown } | null)?.type;
  return typeof t === 'string' ? t.slice(0, 64) : undefined;
}
