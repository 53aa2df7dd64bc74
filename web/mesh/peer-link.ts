import type { ClientFrame } from '../../server/protocol.ts';
import { createCandidateGate, type CandidateGate } from './candidate-gate.ts';
import { createChannelSender, type ChannelSender, type SenderOptions } from './channel-sender.ts';
import { createEmitter, type Emitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { createReassembler, type MessageBytes, type ReassemblerOptions } from './framing.ts';
import { refusesPeer, startLinkHandshake, type HandshakeResult, type LinkHandshake } from './link-handshake.ts';
import type { LinkAuthenticator } from './link-identity.ts';
import { randomId, type Clock, type MeshPlatform } from './platform.ts';
import type { SignalFrame } from './signaling-client.ts';
import { detectTier, type LinkTier } from './tier.ts';

/**
 * One RTCPeerConnection (and one ordered DataChannel, label "tabmesh") to one remote peer.
 *
 * Negotiation: perfect negotiation with the polite side fixed by peer-id order (the larger id is
 * polite). Each connection attempt has a session id (`sid`) carried on offer, answer and
 * candidates. On glare the impolite side ignores the incoming offer; the polite side rolls back
 * by discarding its unanswered connection and answering the remote one (node-datachannel cannot
 * roll back, and a fresh connection works on every stack). An offer with a new sid while a link is
 * open means the remote gave up on the old connection: it is replaced.
 *
 * Trickle ICE goes through a CandidateGate (the node-datachannel race: there the offerer holds
 * its candidates until the answer is applied; `platform.holdCandidatesUntilAnswer`).
 */
export type PeerLinkState = 'idle' | 'connecting' | 'open';

export interface PeerLinkEvents {
  /** Every transition; `reason` says why a link went idle (timeout, ICE failed, channel closed, ...). */
  state: { state: PeerLinkState; reason?: string };
  /** A complete inbound message (framing removed). */
  message: Uint8Array;
  /** A frame that broke the framing rules; the peer gets an `error` reply from the mesh. */
  'frame-error': { code: string; message: string };
  /** The verdict on the remote's link proof, before the link opens (or goes down on a failure). */
  identity: HandshakeResult;
  /** A DataChannel the remote opened with another label than "tabmesh" (agent-channels.ts judges it). */
  channel: RTCDataChannel;
}

export interface PeerLinkOptions {
  localId: string;
  remoteId: string;
  platform: MeshPlatform;
  clock: Clock;
  iceServers: () => RTCIceServer[];
  /** Sends offer/answer/candidate frames through signaling. */
  signal: (frame: Extract<ClientFrame, { type: 'offer' | 'answer' | 'candidate' }>) => void;
  /** An attempt that has no open DataChannel after this long is abandoned (default 5 s). */
  connectTimeoutMs?: number;
  /** ICE `disconnected` for this long triggers restartIce or a fresh connection (default 4 s). */
  disconnectGraceMs?: number;
  reassembler?: ReassemblerOptions;
  sender?: SenderOptions;
  nextMsgId: () => number;
  /** Signs our link proof and checks the remote's: the link opens only for a peer that proved itself. */
  auth: LinkAuthenticator;
}

export interface LinkStats {
  bytesSent: number;
  bytesReceived: number;
  maxBufferedAmount: number;
}

export interface PeerLink extends Pick<Emitter<PeerLinkEvents>, 'on'> {
  readonly state: PeerLinkState;
  readonly sessionId: string | undefined;
  readonly tier: LinkTier | undefined;
  /** Connections created so far (1 for a link that never had to reconnect). */
  readonly sessions: number;
  /** Time from starting the attempt to the DataChannel opening, for the current connection. */
  readonly openMs: number | undefined;
  /** Time from the DataChannel opening to the remote's link proof verified (the identity cost), ms. */
  readonly verifyMs: number | undefined;
  readonly stats: LinkStats;
  /** Starts an attempt as the offerer unless one is already connecting or open. */
  connect(): void;
  /** Feeds an offer, answer or candidate from this remote peer. */
  handleSignal(frame: SignalFrame): void;
  /** Sends one encoded message over the DataChannel (rejects with `link-down` when not open). */
  send(bytes: MessageBytes): Promise<void>;
  /** Closes the connection quietly (no `state` event); the link can connect again later. */
  close(): void;
  /** Opens an extra DataChannel on this connection; only while `open` (the remote is verified). */
  openChannel(label: string): RTCDataChannel | undefined;
}

/** How long a refused peer's connection stays up (unread) so our link proof still reaches it, ms. */
const REFUSED_LINGER_MS = 2000;

type CandidatePayload = { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null; sid: string };


/** Creates the link; nothing happens until `connect()` or an offer arrives. */
export function createPeerLink(o: PeerLinkOptions): PeerLink {
  const events = createEmitter<PeerLinkEvents>();
  const { clock } = o;
  const polite = o.localId > o.remoteId;
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  const reassembler = createReassembler(o.reassembler);
  let pc: RTCPeerConnection | undefined;
  let dc: RTCDataChannel | undefined;
  let sender: ChannelSender | undefined;
  let sid: string | undefined;
  let state: PeerLinkState = 'idle';
  let makingOffer = false;
  let awaitingAnswer = false;
  let gate: CandidateGate<CandidatePayload, RTCIceCandidateInit> | undefined;
  /** Resolves once this connection's remote description is applied (the link proof needs its fingerprint). */
  let described: { promise: Promise<void>; resolve: () => void } | undefined;
  let remoteCanRestart = false;
  let connectTimer: unknown;
  let graceTimer: unknown;
  let startedAt = 0;
  let openMs: number | undefined;
  let verifyMs: number | undefined;
  let handshake: LinkHandshake | undefined;
  let dcOpener = false;
  let tier: LinkTier | undefined;
  let sessions = 0;
  const totals = { sent: 0, received: 0, maxBuffered: 0 };

  const canRestartLocally = () => o.platform.iceRestart !== false && typeof o.platform.RTCPeerConnection.prototype.restartIce === 'function';
  const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

  function setState(next: PeerLinkState, reason?: string): void {
    state = next;
    events.emit('state', reason === undefined ? { state: next } : { state: next, reason });
  }

  /** Forgets the current connection; its transport closes now, or after `lingerMs`. */
  function teardown(lingerMs = 0): void {
    clock.clear(connectTimer);
    clock.clear(graceTimer);
    connectTimer = graceTimer = undefined;
    if (sender) {
      totals.sent += sender.stats.bytesSent;
      totals.maxBuffered = Math.max(totals.maxBuffered, sender.stats.maxBufferedAmount);
      sender.close(new MeshError('link-down', `DataChannel to ${o.remoteId} closed`, { peerId: o.remoteId }));
    }
    handshake?.cancel();
    const [oldPc, oldDc] = [pc, dc];
    pc = dc = sender = sid = tier = openMs = verifyMs = handshake = undefined;
    makingOffer = awaitingAnswer = false;
    gate = undefined;
    reassembler.clear();
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
    gate = createCandidateGate(
      (payload: CandidatePayload) => o.signal({ type: 'candidate', to: o.remoteId, payload }),
      (init: RTCIceCandidateInit) => addCandidate(me, init),
    );
    me.onicecandidate = (e) => {
      if (pc === me) onLocalCandidate(e.candidate);
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
      else if (!dc) attach(e.channel, false);
    };
    connectTimer = clock.set(() => {
      if (pc === me && state !== 'open') down(`no DataChannel within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    setState('connecting');
    return me;
  }

  async function makeOffer(me: RTCPeerConnection): Promise<void> {
    makingOffer = true;
    try {
      const offer = await me.createOffer();
      if (pc !== me) return;
      // node-datachannel already applied its offer when the DataChannel was created.
      if (me.signalingState !== 'have-local-offer') await me.setLocalDescription(offer);
      if (pc !== me) return;
      if (!offer.sdp) throw new Error('no local description');
      const sdp = withoutCandidates(offer.sdp);
      awaitingAnswer = true;
      o.signal({ type: 'offer', to: o.remoteId, payload: { sdp, sid: sid!, iceRestart: canRestartLocally() } });
      // Behind the offer on the same socket, so they cannot overtake it.
      if (!o.platform.holdCandidatesUntilAnswer) gate?.openLocal();
    } catch (err) {
      if (pc === me) down(`offer failed: ${describe(err)}`);
    } finally {
      if (pc === me) makingOffer = false;
    }
  }

  async function answer(me: RTCPeerConnection, sdp: string): Promise<void> {
    await me.setRemoteDescription({ type: 'offer', sdp });
    if (pc !== me) return;
    described?.resolve();
    awaitingAnswer = false;
    gate?.openRemote();
    const local = await me.createAnswer();
    if (pc !== me) return;
    await me.setLocalDescription(local);
    if (pc !== me) return;
    if (!local.sdp) throw new Error('no local description');
    o.signal({ type: 'answer', to: o.remoteId, payload: { sdp: withoutCandidates(local.sdp), sid: sid!, iceRestart: canRestartLocally() } });
    gate?.openLocal();
  }

  async function onOffer(p: { sdp: string; sid?: string; iceRestart?: boolean }): Promise<void> {
    if (!p.sid) return;
    remoteCanRestart = p.iceRestart === true;
    const live = pc;
    if (live && p.sid === sid) {
      // Renegotiation of this very connection: an ICE restart from a browser peer.
      if ((makingOffer || live.signalingState !== 'stable') && !polite) return;
      gate?.close();
      return answer(live, p.sdp).catch((err) => {
        if (pc === live) down(`ICE restart answer failed: ${describe(err)}`);
      });
    }
    if ((makingOffer || awaitingAnswer) && !polite) return;
    const me = fresh(p.sid);
    if (!me) return;
    return answer(me, p.sdp).catch((err) => {
      if (pc === me) down(`answer failed: ${describe(err)}`);
    });
  }

  async function onAnswer(p: { sdp: string; sid?: string; iceRestart?: boolean }): Promise<void> {
    const me = pc;
    if (!me || p.sid !== sid || !awaitingAnswer) return;
    awaitingAnswer = false;
    remoteCanRestart = p.iceRestart === true;
    try {
      await me.setRemoteDescription({ type: 'answer', sdp: p.sdp });
    } catch (err) {
      if (pc === me) down(`answer rejected: ${describe(err)}`);
      return;
    }
    if (pc !== me) return;
    described?.resolve();
    gate?.openRemote();
    gate?.openLocal();
  }

  function onLocalCandidate(c: RTCIceCandidate | null): void {
    if (!c?.candidate || !sid) return;
    gate?.local({ candidate: c.candidate.replace(/^a=/, ''), sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null, sid });
  }

  function onRemoteCandidate(p: Extract<SignalFrame, { type: 'candidate' }>['payload']): void {
    if (!p?.candidate || !pc || p.sid !== sid) return;
    gate?.remote({ candidate: p.candidate, sdpMid: p.sdpMid ?? (p.sdpMLineIndex == null ? '0' : null), sdpMLineIndex: p.sdpMLineIndex ?? null });
  }

  function addCandidate(me: RTCPeerConnection, init: RTCIceCandidateInit): void {
    try {
      // A candidate the stack rejects (wrong generation, unsupported) is simply not used.
      me.addIceCandidate(init).catch(() => undefined);
    } catch {
      // Same, for stacks that throw synchronously.
    }
  }

  /** `opener`: we created the channel (else the remote did, and we received it via `datachannel`). */
  function attach(channel: RTCDataChannel, opener: boolean): void {
    dc = channel;
    dcOpener = opener;
    channel.binaryType = 'arraybuffer';
    channel.onopen = () => {
      if (dc === channel) void opened(channel);
    };
    channel.onclose = () => {
      if (dc === channel) down('DataChannel closed');
    };
    channel.onmessage = (ev: MessageEvent) => {
      if (dc !== channel) return;
      // node-datachannel can deliver the answerer's first messages before its `open` event: a
      // message proves the channel open, and the first one is the remote's link proof.
      if (!sender) void opened(channel);
      onData(ev.data);
    };
    if (channel.readyState === 'open') void opened(channel);
  }

  async function opened(channel: RTCDataChannel): Promise<void> {
    const me = pc;
    // node-datachannel hands the answerer an already-open channel and then fires `open` as well.
    if (state === 'open' || sender || !me) return;
    clock.clear(connectTimer);
    connectTimer = undefined;
    const out = (sender = createChannelSender(channel, clock, o.nextMsgId, o.sender));
    const openedAt = clock.elapsed();
    openMs = clock.now() - startedAt;
    // Both SDPs as this connection applied them: their fingerprints are what DTLS checked.
    // Read when used: Chromium can open the offerer's channel before the answer is applied.
    const ctx = {
      localId: o.localId, remoteId: o.remoteId,
      get localSdp() { return me.localDescription?.sdp; },
      get remoteSdp() { return me.remoteDescription?.sdp; },
    };
    // The end that received the channel sends its proof only after the opener's first message (Chromium drops earlier sends).
    const hs = (handshake = startLinkHandshake({
      auth: o.auth, ctx, send: (b) => out.send(b), clock, timeoutMs: connectTimeoutMs, waitForRemote: !dcOpener,
      ...(me.remoteDescription || !described ? {} : { ready: described.promise }),
    }));
    const verified = hs.result.then((v) => {
      if (handshake === hs) verifyMs = clock.elapsed() - openedAt;
      return v;
    });
    const [detected, verdict] = await Promise.all([detectTier(me), verified]);
    if (pc !== me || dc !== channel || handshake !== hs) return;
    if (refusesPeer(verdict)) {
      // Nothing more is read or sent, but the transport stays up a moment: our proof (already
      // sent) must still reach the remote so that it, too, can judge the connection.
      teardown(REFUSED_LINGER_MS);
      events.emit('identity', verdict);
      return setState('idle', `identity check failed (${verdict.reason}): ${verdict.message}`);
    }
    events.emit('identity', verdict);
    if (pc !== me) return;
    if (!verdict.ok) return down(`identity check failed (${verdict.reason}): ${verdict.message}`);
    tier = detected;
    setState('open');
    // What the peer sent right after its proof, held until now, in order.
    for (const bytes of hs.release()) if (pc === me) events.emit('message', bytes);
  }

  function onData(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      events.emit('frame-error', { code: 'bad-frame', message: 'only binary frames are part of the protocol' });
      return;
    }
    totals.received += data.byteLength;
    const r = reassembler.push(new Uint8Array(data));
    if (!r.ok) events.emit('frame-error', { code: r.code, message: r.message });
    // Nothing reaches the application before the peer proved itself (the handshake holds it).
    else if (r.message && !handshake?.receive(r.message) && state === 'open') events.emit('message', r.message);
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
    if (state !== 'open' || !remoteCanRestart || !canRestartLocally()) return down(reason);
    try {
      me.restartIce();
    } catch {
      return down(reason);
    }
    gate?.close();
    connectTimer = clock.set(() => {
      if (pc === me && !gate?.remoteOpen) down(`ICE restart got no answer within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    void makeOffer(me);
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
      return verifyMs;
    },
    get stats() {
      return {
        bytesSent: totals.sent + (sender?.stats.bytesSent ?? 0),
        bytesReceived: totals.received,
        maxBufferedAmount: Math.max(totals.maxBuffered, sender?.stats.maxBufferedAmount ?? 0),
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
      void makeOffer(me);
    },
    handleSignal(frame) {
      if (frame.type === 'offer') void onOffer(frame.payload);
      else if (frame.type === 'answer') void onAnswer(frame.payload);
      else if (frame.type === 'candidate') onRemoteCandidate(frame.payload);
    },
    send(bytes) {
      if (state !== 'open' || !sender) return Promise.reject(new MeshError('link-down', `no open DataChannel to ${o.remoteId}`, { peerId: o.remoteId }));
      return sender.send(bytes);
    },
    close() {
      teardown();
    },
    openChannel(label) {
      return state === 'open' && pc ? pc.createDataChannel(label, { ordered: true }) : undefined;
    },
  };
}

/**
 * Candidates travel only by trickle, through the gate. libdatachannel's `localDescription`
 * accumulates gathered candidates, and an offer carrying them lets the answerer start ICE checks
 * before we know its fingerprint (the "certificate verify failed" race), so none may ride along.
 */
function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '');
}
