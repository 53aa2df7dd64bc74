import { createEmitter } from '../emitter.ts';
import { MeshError } from '../errors.ts';
import { createLinkChannel, type LinkChannel } from './link-channel.ts';
import { refusesPeer, type HandshakeResult } from './link-handshake.ts';
import { createLinkNegotiation, describe } from './link-negotiation.ts';
import { createLazyIceRecovery } from './lazy-link-recovery.ts';
import { closeConnection, linkView, newLinkConnection, releaseConnection } from './link-state.ts';
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
  const c = newLinkConnection();

  const neg = createLinkNegotiation(o, {
    pc: () => c.pc,
    sid: () => c.sid,
    gate: () => c.gate,
    described: () => c.described?.resolve(),
    fresh: (id) => fresh(id),
    down: (reason) => down(reason),
  });
  const ice = createLazyIceRecovery({
    clock, connectTimeoutMs, graceMs: o.disconnectGraceMs ?? 4000, link: c,
    canRestart: () => neg.canRestart(),
    makeOffer: (pc) => neg.makeOffer(pc),
    down: (reason) => down(reason),
  });

  function setState(next: PeerLinkState, reason?: string): void {
    c.state = next;
    events.emit('state', reason === undefined ? { state: next } : { state: next, reason });
  }

  /** Forgets the current connection; its transport closes now, or after `lingerMs`. */
  function teardown(lingerMs = 0, drain?: boolean): void {
    const old = releaseConnection(c, clock, o.remoteId);
    neg.reset();
    c.gate = undefined;
    c.state = 'idle';
    closeConnection(clock, old, lingerMs, drain);
  }

  function down(reason: string): void {
    if (!c.pc) return;
    teardown();
    setState('idle', reason);
  }

  /** A new connection for session `id`, replacing any current one; undefined if the stack refused. */
  function fresh(id: string): RTCPeerConnection | undefined {
    teardown();
    c.sessions++;
    let me: RTCPeerConnection;
    try {
      me = new o.platform.RTCPeerConnection({ iceServers: o.iceServers(), ...o.platform.rtcConfig } as RTCConfiguration);
    } catch (err) {
      // E.g. an ICE server URL this stack rejects: a link failure, and the fallback tier takes over.
      setState('idle', `cannot create RTCPeerConnection: ${describe(err)}`);
      return undefined;
    }
    c.sid = id;
    c.startedAt = clock.now();
    c.pc = me;
    let resolveDescribed!: () => void;
    c.described = { promise: new Promise<void>((r) => (resolveDescribed = r)), resolve: () => resolveDescribed() };
    c.gate = neg.gateFor(me);
    me.onicecandidate = (e) => {
      if (c.pc === me) neg.onLocalCandidate(e.candidate);
    };
    me.oniceconnectionstatechange = () => {
      if (c.pc === me) ice.onIceState(me.iceConnectionState);
    };
    me.onconnectionstatechange = () => {
      if (c.pc === me && me.connectionState === 'failed') ice.recover('connection failed');
    };
    me.ondatachannel = (e) => {
      if (c.pc !== me) return;
      if (e.channel.label !== 'tabmesh') events.emit('channel', e.channel);
      else if (!c.ch) attach(e.channel, false);
    };
    c.connectTimer = clock.set(() => {
      if (c.pc === me && c.state !== 'open') down(`no DataChannel within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    setState('connecting');
    return me;
  }

  /** `opener`: we created the channel (else the remote did, and we received it via `datachannel`). */
  function attach(channel: RTCDataChannel, opener: boolean): void {
    const me = c.pc!;
    const mine: LinkChannel = (c.ch = createLinkChannel({
      channel, opener, pc: me, described: c.described?.promise,
      localId: o.localId, remoteId: o.remoteId, auth: o.auth, clock, nextMsgId: o.nextMsgId,
      ...(o.sender ? { sender: o.sender } : {}), ...(o.reassembler ? { reassembler: o.reassembler } : {}),
      proofTimeoutMs: connectTimeoutMs,
      onOpen() {
        clock.clear(c.connectTimer);
        c.connectTimer = undefined;
        c.openMs = clock.now() - c.startedAt;
      },
      onVerdict: (verdict, detected) => judged(mine, verdict, detected),
      onTier: (detected) => {
        if (c.ch !== mine || c.state !== 'open') return;
        c.tier = detected;
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
    if (c.ch !== mine) return;
    if (!verdict.ok) return down(`identity check failed (${verdict.reason}): ${verdict.message}`);
    c.tier = detected;
    setState('open');
    // What the peer sent right after its proof, held until now, in order.
    mine.deliver();
  }

  return linkView(c, events, {
    connect(repair) {
      if (c.state !== 'idle') return;
      const me = fresh(randomId());
      if (!me) return;
      try {
        attach(me.createDataChannel('tabmesh', { ordered: true }), true);
      } catch (err) {
        return down(`cannot create the DataChannel: ${describe(err)}`);
      }
      void neg.makeOffer(me, repair);
    },
    handleSignal: neg.handleSignal,
    send(bytes) {
      if (c.state !== 'open' || !c.ch) return Promise.reject(new MeshError('link-down', `no open DataChannel to ${o.remoteId}`, { peerId: o.remoteId }));
      return c.ch.send(bytes);
    },
    close(drainMs) {
      teardown(drainMs, true);
    },
    openChannel(label) {
      return c.state === 'open' && c.pc ? c.pc.createDataChannel(label, { ordered: true }) : undefined;
    },
  });
}
