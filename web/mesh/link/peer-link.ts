import { createEmitter } from '../emitter.ts';
import { MeshError } from '../errors.ts';
import { createLinkChannel, type LinkChannel } from './link-channel.ts';
import { refusesPeer, type HandshakeResult } from './link-handshake.ts';
import { createLinkNegotiation, describe, type LinkGate } from './link-negotiation.ts';
import type { PeerLink, PeerLinkEvents, PeerLinkOptions, PeerLinkState } from './peer-link-types.ts';
import { randomId } from '../platform.ts';
import type { LinkTier } from './tier.ts';

export type { LinkStats, PeerLink, PeerLinkEvents, PeerLinkOptions, PeerLinkState } from './peer-link-types.ts';

/** How long a refused peer's connection stays up (unread) so our link proof still reaches it, ms. */
const REFUSED_LINGER_MS = 2000;

/**
 * Creates the link to one remote peer: one RTCPeerConnection at a time, and on it one ordered
 * DataChannel "tabmesh" (link-channel.ts: framing and the link proof). Nothing happens until
 * `connect()` or an offer arrives.
 *
 * Negotiation: perfect negotiation with the polite side fixed by peer-id order (the larger id is
 * polite). Each connection attempt has a session id (`sid`) carried on offer, answer and
 * candidates. On glare the impolite side ignores the incoming offer; the polite side rolls back
 * by discarding its unanswered connection and answering the remote one (node-datachannel cannot
 * roll back, and a fresh connection works on every stack). An offer with a new sid while a link is
 * open means the remote gave up on the old connection: it is replaced.
 *
 * Trickle ICE goes through a CandidateGate (the node-datachannel race: there the offerer holds
 * its candidates until the answer is applied; `platform.holdCandidatesUntilAnswer`). The
 * offer/answer and candidate handling is link-negotiation.ts; this file owns the connection.
 */
export function createPeerLink(o: PeerLinkOptions): PeerLink {
  const events = createEmitter<PeerLinkEvents>();
  const { clock } = o;
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  let pc: RTCPeerConnection | undefined;
  let ch: LinkChannel | undefined;
  let sid: string | undefined;
  let state: PeerLinkState = 'idle';
  let gate: LinkGate | undefined;
  /** Resolves once this connection's remote description is applied (the link proof needs its fingerprint). */
  let described: { promise: Promise<void>; resolve: () => void } | undefined;
  let connectTimer: unknown;
  let graceTimer: unknown;
  let startedAt = 0;
  let openMs: number | undefined;
  let tier: LinkTier | undefined;
  let sessions = 0;
  const totals = { sent: 0, received: 0, maxBuffered: 0 };

  const neg = createLinkNegotiation(o, {
    pc: () => pc,
    sid: () => sid,
    gate: () => gate,
    described: () => described?.resolve(),
    fresh: (id) => fresh(id),
    down: (reason) => down(reason),
  });

  function setState(next: PeerLinkState, reason?: string): void {
    state = next;
    events.emit('state', reason === undefined ? { state: next } : { state: next, reason });
  }

  /** Forgets the current connection; its transport closes now, or after `lingerMs`. */
  function teardown(lingerMs = 0): void {
    clock.clear(connectTimer);
    clock.clear(graceTimer);
    connectTimer = graceTimer = undefined;
    if (ch) {
      const s = ch.stats;
      totals.sent += s.bytesSent;
      totals.received += s.bytesReceived;
      totals.maxBuffered = Math.max(totals.maxBuffered, s.maxBufferedAmount);
      ch.dispose(new MeshError('link-down', `DataChannel to ${o.remoteId} closed`, { peerId: o.remoteId }));
    }
    const [oldPc, oldDc] = [pc, ch?.channel];
    pc = ch = sid = tier = openMs = undefined;
    neg.reset();
    gate = undefined;
    state = 'idle';
    const close = () => {
      try {
        oldDc?.close();
        oldPc?.close();
      } catch {
        // Closing a dead connection can throw on some stacks; it is gone either way.
      }
    };
    if (lingerMs > 0 && oldPc) clock.set(close, lingerMs);
    else close();
  }

  function down(reason: string): void {
    if (!pc) return;
    teardown();
    setState('idle', reason);
  }

  /** A new connection for session `id`, replacing any current one; undefined if the stack refused. */
  function fresh(id: string): RTCPeerConnection | undefined {
    teardown();
    sessions++;
    let me: RTCPeerConnection;
    try {
      me = new o.platform.RTCPeerConnection({ iceServers: o.iceServers(), ...o.platform.rtcConfig } as RTCConfiguration);
    } catch (err) {
      // E.g. an ICE server URL this stack rejects: a link failure, and the fallback tier takes over.
      setState('idle', `cannot create RTCPeerConnection: ${describe(err)}`);
      return undefined;
    }
    sid = id;
    startedAt = clock.now();
    pc = me;
    let resolveDescribed!: () => void;
    described = { promise: new Promise<void>((r) => (resolveDescribed = r)), resolve: () => resolveDescribed() };
    gate = neg.gateFor(me);
    me.onicecandidate = (e) => {
      if (pc === me) neg.onLocalCandidate(e.candidate);
    };
    me.oniceconnectionstatechange = () => {
      if (pc === me) onIceState(me.iceConnectionState);
    };
    me.onconnectionstatechange = () => {
      if (pc === me && me.connectionState === 'failed') recover('connection failed');
    };
    me.ondatachannel = (e) => {
      if (pc !== me) return;
      if (e.channel.label !== 'tabmesh') events.emit('channel', e.channel);
      else if (!ch) attach(e.channel, false);
    };
    connectTimer = clock.set(() => {
      if (pc === me && state !== 'open') down(`no DataChannel within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    setState('connecting');
    return me;
  }

  /** `opener`: we created the channel (else the remote did, and we received it via `datachannel`). */
  function attach(channel: RTCDataChannel, opener: boolean): void {
    const me = pc!;
    const mine: LinkChannel = (ch = createLinkChannel({
      channel, opener, pc: me, described: described?.promise,
      localId: o.localId, remoteId: o.remoteId, auth: o.auth, clock, nextMsgId: o.nextMsgId,
      ...(o.sender ? { sender: o.sender } : {}), ...(o.reassembler ? { reassembler: o.reassembler } : {}),
      proofTimeoutMs: connectTimeoutMs,
      onOpen() {
        clock.clear(connectTimer);
        connectTimer = undefined;
        openMs = clock.now() - startedAt;
      },
      onVerdict: (verdict, detected) => judged(mine, verdict, detected),
      onTier: (detected) => {
        if (ch !== mine || state !== 'open') return;
        tier = detected;
        events.emit('tier', detected);
      },
      onMessage: (bytes) => events.emit('message', bytes),
      onFrameError: (e) => events.emit('frame-error', e),
      onClose: () => down('DataChannel closed'),
    }));
  }

  function judged(mine: LinkChannel, verdict: HandshakeResult, detected: LinkTier): void {
    if (refusesPeer(verdict)) {
      // Nothing more is read or sent, but the transport stays up a moment: our proof (already
      // sent) must still reach the remote so that it, too, can judge the connection.
      teardown(REFUSED_LINGER_MS);
      events.emit('identity', verdict);
      return setState('idle', `identity check failed (${verdict.reason}): ${verdict.message}`);
    }
    events.emit('identity', verdict);
    if (ch !== mine) return;
    if (!verdict.ok) return down(`identity check failed (${verdict.reason}): ${verdict.message}`);
    tier = detected;
    setState('open');
    // What the peer sent right after its proof, held until now, in order.
    mine.deliver();
  }

  function onIceState(s: RTCIceConnectionState): void {
    if (s === 'connected' || s === 'completed') {
      clock.clear(graceTimer);
      graceTimer = undefined;
    } else if (s === 'failed') {
      recover('ICE failed');
    } else if (s === 'disconnected' && state === 'open' && graceTimer === undefined) {
      graceTimer = clock.set(() => {
        graceTimer = undefined;
        recover('ICE disconnected past the grace period');
      }, o.disconnectGraceMs ?? 4000);
    }
  }

  function recover(reason: string): void {
    const me = pc;
    if (!me) return;
    if (state !== 'open' || !neg.canRestart()) return down(reason);
    try {
      me.restartIce();
    } catch {
      return down(reason);
    }
    gate?.close();
    connectTimer = clock.set(() => {
      if (pc === me && !gate?.remoteOpen) down(`ICE restart got no answer within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    void neg.makeOffer(me);
  }

  return {
    on: events.on,
    get state() {
      return state;
    },
    get sessionId() {
      return sid;
    },
    get tier() {
      return tier;
    },
    get sessions() {
      return sessions;
    },
    get openMs() {
      return openMs;
    },
    get verifyMs() {
      return ch?.verifyMs;
    },
    get stats() {
      const s = ch?.stats;
      return {
        bytesSent: totals.sent + (s?.bytesSent ?? 0),
        bytesReceived: totals.received + (s?.bytesReceived ?? 0),
        maxBufferedAmount: Math.max(totals.maxBuffered, s?.maxBufferedAmount ?? 0),
      };
    },
    connect() {
      if (state !== 'idle') return;
      const me = fresh(randomId());
      if (!me) return;
      try {
        attach(me.createDataChannel('tabmesh', { ordered: true }), true);
      } catch (err) {
        return down(`cannot create the DataChannel: ${describe(err)}`);
      }
      void neg.makeOffer(me);
    },
    handleSignal: neg.handleSignal,
    send(bytes) {
      if (state !== 'open' || !ch) return Promise.reject(new MeshError('link-down', `no open DataChannel to ${o.remoteId}`, { peerId: o.remoteId }));
      return ch.send(bytes);
    },
    close() {
      teardown();
    },
    openChannel(label) {
      return state === 'open' && pc ? pc.createDataChannel(label, { ordered: true }) : undefined;
    },
  };
}
