import type { MeshMessage, Tier } from '../../server/protocol.ts';
import { fromBase64, toBase64 } from '../../server/protocol/base64.ts';
import { createBackoff } from './backoff.ts';
import { createEmitter, type Emitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { createReassembler, encodeFrames, messageLength, type MessageBytes } from './framing.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';
import type { SendReceipt } from './message-factory.ts';
import type { HandshakeResult } from './link-handshake.ts';
import { createPeerLink, type PeerLink, type PeerLinkOptions } from './peer-link.ts';
import type { Clock } from './platform.ts';
import type { SignalFrame, SignalingClient } from './signaling-client.ts';

/**
 * Everything the mesh knows about reaching one remote peer: its PeerLink (DataChannel) and the
 * tier-3 fallback through the server. Messages take the DataChannel when it is open; while a
 * connection attempt runs they wait (up to the connect timeout); when p2p failed, is disabled on
 * either side, or the link cap refused it, they go through the server in `relay` frames. A failed
 * link is retried in the background with full-jitter backoff (1 s .. 30 s).
 */
export type RouteState = 'connecting' | 'open' | 'closed';

export interface RouteInfo {
  peerId: string;
  /** LinkSchema state: `open` means messages flow, on any tier. */
  state: RouteState;
  tier: Tier;
  rttMs: number | undefined;
  bytesSent: number;
  bytesReceived: number;
  /** Current RTCPeerConnection's session id (undefined on the fallback tier). */
  sessionId: string | undefined;
  /** RTCPeerConnections created for this peer so far. */
  sessions: number;
  /** DataChannel setup time of the current connection, ms. */
  openMs: number | undefined;
  /** DataChannel open to the peer's link proof verified, ms (the identity check's cost). */
  verifyMs: number | undefined;
  /**
   * `verified`: messages go over a DataChannel whose peer proved its key; `refused`: the peer
   * failed the link proof and is cut off; `unverified`: no DataChannel (the server carries it).
   */
  identity: 'verified' | 'unverified' | 'refused';
  /** Largest DataChannel `bufferedAmount` seen after a send (backpressure evidence), bytes. */
  maxBufferedAmount: number;
  /** Why the last DataChannel attempt or connection ended (timeout, ICE failed, bye, ...). */
  lastError: string | undefined;
}

export interface PeerRouteEvents {
  /** An inbound message (decoded, binary values in place; not yet validated). */
  message: unknown;
  /** `raw`: what could be decoded of a bad message, so the error reply can name its request. */
  'frame-error': { code: string; message: string; raw?: unknown };
  /** Something about the route changed (state, tier, generation). */
  change: RouteInfo;
  /** The verdict on the peer's link proof for a new DataChannel. */
  identity: HandshakeResult;
}

export interface PeerRouteOptions extends Omit<PeerLinkOptions, 'remoteId' | 'signal'> {
  peerId: string;
  signaling: SignalingClient;
  /** Local p2p switch; false = every message to this peer goes through the server. */
  p2p: boolean;
  maxMessageBytes: number;
  /** Counter bumped by the mesh on every new signaling session (relay generation). */
  relaySession: () => number;
  /** Asks the mesh for a connection slot (per-peer connection cap). */
  acquireSlot: (route: PeerRoute) => boolean;
  retry?: { baseMs?: number; maxMs?: number };
}

export interface PeerRoute extends Pick<Emitter<PeerRouteEvents>, 'on'> {
  readonly peerId: string;
  readonly link: PeerLink;
  readonly info: RouteInfo;
  /** Generation of the usable route, or undefined while there is none. */
  readonly generation: string | undefined;
  /** Last time a message was sent to this peer (for the cap's LRU eviction). */
  readonly lastUsed: number;
  rttMs: number | undefined;
  /** Whether the peer is in the signaling server's peer list. */
  present: boolean;
  /** Why the route was closed (`peer-left`, `identity-failed`, `stopped`), undefined while usable. */
  readonly error: MeshError | undefined;
  /** Starts a DataChannel unless one is up, p2p is off, or no slot is free. */
  connect(): void;
  send(msg: MeshMessage): Promise<SendReceipt>;
  handleSignal(frame: SignalFrame): void;
  handleRelay(payload: unknown): void;
  /** The signaling session changed (up or down): wake waiting messages. */
  signalingChanged(): void;
  /** The peer (re)joined the server: forget its old relay partials and "p2p disabled" verdict. */
  rejoined(): void;
  /** Gives the slot back (cap eviction): close the DataChannel, use the fallback tier for a while. */
  evict(): void;
  /** The peer is gone: rejects waiting messages with `err`, closes the link. */
  close(err: MeshError): void;
}

const MAX_WAITING = 1024;
const RELAY_FRAME_OVERHEAD = 256;
/** After the link cap refused or evicted this peer, p2p is tried again only on traffic after this long. */
const CAP_RETRY_MS = 60_000;

/** Creates the route for `peerId`. */
export function createPeerRoute(o: PeerRouteOptions): PeerRoute {
  const events = createEmitter<PeerRouteEvents>();
  const { clock, signaling, peerId } = o;
  const relayIn = createReassembler({ maxMessageBytes: o.maxMessageBytes, maxFrameBytes: 64 * 1024 });
  const backoff = createBackoff({ baseMs: o.retry?.baseMs ?? 1000, maxMs: o.retry?.maxMs ?? 30_000 });
  let mode: 'p2p' | 'fallback' = o.p2p ? 'p2p' : 'fallback';
  let remoteDisabled = false;
  let capUntil = 0;
  let closed: MeshError | undefined;
  let retryTimer: unknown;
  let lastUsed = clock.now();
  const relayBytes = { sent: 0, received: 0 };
  let waiters: Array<() => void> = [];
  let lastError: string | undefined;
  let lastKey = '';

  const link = createPeerLink({
    ...o,
    remoteId: peerId,
    signal: (frame) => void signaling.send(frame),
  });

  const relayUp = () => signaling.state === 'open';
  const canP2p = () => o.p2p && !remoteDisabled && !closed;

  function route(): { kind: 'dc' | 'relay'; tier: Tier; generation: string } | undefined {
    if (link.state === 'open') return { kind: 'dc', tier: link.tier ?? 'direct', generation: `dc:${link.sessionId}` };
    if (mode === 'fallback' && relayUp()) return { kind: 'relay', tier: 'fallback', generation: `relay:${o.relaySession()}` };
    return undefined;
  }

  function info(): RouteInfo {
    const r = route();
    const stats = link.stats;
    return {
      peerId,
      state: closed ? 'closed' : r ? 'open' : 'connecting',
      tier: r?.tier ?? (mode === 'fallback' ? 'fallback' : 'direct'),
      rttMs: self.rttMs,
      bytesSent: stats.bytesSent + relayBytes.sent,
      bytesReceived: stats.bytesReceived + relayBytes.received,
      sessionId: link.sessionId,
      sessions: link.sessions,
      openMs: link.openMs,
      verifyMs: link.verifyMs,
      identity: closed?.code === 'identity-failed' ? 'refused' : link.state === 'open' ? 'verified' : 'unverified',
      maxBufferedAmount: stats.maxBufferedAmount,
      lastError,
    };
  }

  function changed(): void {
    for (const wake of waiters.splice(0)) wake();
    const i = info();
    const key = `${i.state}|${i.tier}|${self.generation}`;
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
  link.on('message', (bytes) => deliver(bytes));
  link.on('frame-error', (e) => events.emit('frame-error', e));
  link.on('identity', (v) => events.emit('identity', v));

  function deliver(bytes: Uint8Array): void {
    const r = decodeMessage(bytes);
    if (r.ok) events.emit('message', r.value);
    else events.emit('frame-error', r);
  }

  async function relay(msg: MeshMessage, bytes: MessageBytes, length: number): Promise<void> {
    const max = signaling.session?.limits.maxFrameBytes ?? 65_536;
    // A binary envelope cannot ride in a JSON frame: it always goes as framed base64.
    if (bytes instanceof Uint8Array && length + RELAY_FRAME_OVERHEAD <= max) {
      await signaling.relay(peerId, msg);
    } else {
      // Too big for one server frame: the same framing, base64 inside `{ frame }` payloads.
      const frameBytes = Math.min(48 * 1024, Math.floor(((max - RELAY_FRAME_OVERHEAD) * 3) / 4));
      for (const frame of encodeFrames(o.nextMsgId(), bytes, frameBytes)) await signaling.relay(peerId, { frame: toBase64(frame) });
    }
    relayBytes.sent += length;
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
      let bytes: MessageBytes;
      try {
        bytes = encodeMessage(msg);
      } catch (err) {
        throw err instanceof MeshError ? new MeshError(err.code, err.message, { peerId }) : err;
      }
      const length = messageLength(bytes);
      if (length > o.maxMessageBytes) throw new MeshError('too-large', `message of ${length} bytes exceeds the ${o.maxMessageBytes}-byte limit`, { peerId });
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
        if (r.kind === 'relay' && capUntil !== 0 && capUntil <= clock.now()) self.connect();
        try {
          await (r.kind === 'dc' ? link.send(bytes) : relay(msg, bytes, length));
          return { tier: r.tier, generation: r.generation, bytes: length };
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
        link.close();
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
      const frame = (payload as { frame?: unknown } | null)?.frame;
      if (typeof frame !== 'string' || (payload as { v?: unknown }).v !== undefined) {
        relayBytes.received += JSON.stringify(payload)?.length ?? 0;
        return events.emit('message', payload);
      }
      const bytes = fromBase64(frame);
      if (!bytes) return events.emit('frame-error', { code: 'bad-frame', message: 'relayed frame is not base64' });
      relayBytes.received += bytes.length;
      const r = relayIn.push(bytes);
      if (!r.ok) events.emit('frame-error', { code: r.code, message: r.message });
      else if (r.message) deliver(r.message);
    },
    signalingChanged() {
      if (relayUp() && mode === 'fallback' && link.state === 'idle' && retryTimer === undefined) scheduleRetry();
      changed();
    },
    rejoined() {
      relayIn.clear();
      remoteDisabled = false;
    },
    evict() {
      lastError = 'evicted by the link cap';
      link.close();
      capped();
    },
    close(err) {
      if (closed) return;
      closed = err;
      lastError = err.message;
      clock.clear(retryTimer);
      link.close();
      relayIn.clear();
      changed();
    },
  };
  return self;
}
