import type { Emitter } from '../emitter.ts';
import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';
import type { LinkChannel } from './link-channel.ts';
import type { LinkGate } from './link-negotiation.ts';
import type { PeerLink, PeerLinkEvents, PeerLinkState } from './peer-link-types.ts';
import type { LinkTier } from './tier.ts';

/** What a PeerLink knows about its current connection (one RTCPeerConnection at a time). */
export interface LinkConnection {
  pc: RTCPeerConnection | undefined;
  ch: LinkChannel | undefined;
  /** Session id of the current connection attempt. */
  sid: string | undefined;
  state: PeerLinkState;
  gate: LinkGate | undefined;
  /** Resolves once this connection's remote description is applied (the link proof needs its fingerprint). */
  described: { promise: Promise<void>; resolve: () => void } | undefined;
  connectTimer: unknown;
  graceTimer: unknown;
  startedAt: number;
  openMs: number | undefined;
  tier: LinkTier | undefined;
  /** Connections created so far. */
  sessions: number;
  /** Bytes of connections already torn down. */
  totals: { sent: number; received: number; maxBuffered: number };
}

export function newLinkConnection(): LinkConnection {
  return {
    pc: undefined, ch: undefined, sid: undefined, state: 'idle', gate: undefined, described: undefined,
    connectTimer: undefined, graceTimer: undefined, startedAt: 0, openMs: undefined, tier: undefined, sessions: 0,
    totals: { sent: 0, received: 0, maxBuffered: 0 },
  };
}

/**
 * Forgets the current connection: its timers stop, its channel is disposed (its bytes go to the
 * totals) and its fields clear. Returns the transport, still to be closed.
 */
export function releaseConnection(c: LinkConnection, clock: Clock, remoteId: string): OldConnection {
  clock.clear(c.connectTimer);
  clock.clear(c.graceTimer);
  c.connectTimer = c.graceTimer = undefined;
  if (c.ch) {
    const s = c.ch.stats;
    c.totals.sent += s.bytesSent;
    c.totals.received += s.bytesReceived;
    c.totals.maxBuffered = Math.max(c.totals.maxBuffered, s.maxBufferedAmount);
    c.ch.dispose(new MeshError('link-down', `DataChannel to ${remoteId} closed`, { peerId: remoteId }));
  }
  const old = { pc: c.pc, dc: c.ch?.channel };
  c.pc = c.ch = c.sid = c.tier = c.openMs = undefined;
  return old;
}

export interface OldConnection {
  pc: RTCPeerConnection | undefined;
  dc: RTCDataChannel | undefined;
}

/**
 * Closes a released connection now, or after `lingerMs`; `drain`: its DataChannel closes now
 * (after what is queued on it is sent, then the stream is reset) and the connection as soon as
 * the channel has closed.
 */
export function closeConnection(clock: Clock, old: OldConnection, lingerMs: number, drain?: boolean): void {
  const close = () => {
    try {
      old.dc?.close();
      old.pc?.close();
    } catch {
      // Closing a dead connection can throw on some stacks; it is gone either way.
    }
  };
  if (!(lingerMs > 0 && old.pc)) return close();
  const timer = clock.set(close, lingerMs);
  if (drain && old.dc) {
    old.dc.onclose = () => (clock.clear(timer), close());
    old.dc.close();
  }
}

type LinkActions = Omit<PeerLink, 'on' | 'state' | 'sessionId' | 'tier' | 'sessions' | 'openMs' | 'verifyMs' | 'stats'>;

/** The PeerLink the route sees: live reads of `c`, and the link's actions. */
export function linkView(c: LinkConnection, events: Emitter<PeerLinkEvents>, actions: LinkActions): PeerLink {
  return {
    on: events.on,
    get state() {
      return c.state;
    },
    get sessionId() {
      return c.sid;
    },
    get tier() {
      return c.tier;
    },
    get sessions() {
      return c.sessions;
    },
    get openMs() {
      return c.openMs;
    },
    get verifyMs() {
      return c.ch?.verifyMs;
    },
    get stats() {
      const s = c.ch?.stats;
      return {
        bytesSent: c.totals.sent + (s?.bytesSent ?? 0),
        bytesReceived: c.totals.received + (s?.bytesReceived ?? 0),
        maxBufferedAmount: Math.max(c.totals.maxBuffered, s?.maxBufferedAmount ?? 0),
      };
    },
    connect: actions.connect,
    handleSignal: actions.handleSignal,
    send: actions.send,
    close: actions.close,
    openChannel: actions.openChannel,
  };
}
