import { MAX_MORE_CANDIDATES } from '../../../protocol/index.ts';
import { createCandidateGate, type CandidateGate } from './candidate-gate.ts';
import type { PeerLinkOptions } from './peer-link-types.ts';
import type { SignalFrame } from '../signaling/signaling-client.ts';

export type CandidatePayload = { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null; sid: string };
export type LinkGate = CandidateGate<CandidatePayload, RTCIceCandidateInit>;
type Description = Extract<SignalFrame, { type: 'offer' }>['payload'];
/**
 * How long an answer waits for the answerer's first local candidate, to carry it. Host candidates
 * come within milliseconds. Waiting longer costs the link nothing: until the answerer has a
 * candidate, neither side has a pair to check (only relay-only or no-network answerers wait).
 */
const ANSWER_CANDIDATE_WAIT_MS = 1000;

/** What the negotiation reads and asks of the link that owns the connection. */
export interface NegotiationHost {
  pc(): RTCPeerConnection | undefined;
  sid(): string | undefined;
  gate(): LinkGate | undefined;
  /** The remote description of the current connection is applied (the link proof waits for it). */
  described(): void;
  /** A new connection for session `id`, replacing any current one; undefined if the stack refused. */
  fresh(id: string): RTCPeerConnection | undefined;
  down(reason: string): void;
}

/**
 * The offer/answer and trickle-ICE half of a PeerLink (peer-link.ts describes the rules): perfect
 * negotiation with the polite side fixed by peer-id order, candidates only by trickle through
 * the CandidateGate, ICE restart offers on a live connection.
 */
export function createLinkNegotiation(o: PeerLinkOptions, h: NegotiationHost) {
  const polite = o.localId > o.remoteId;
  let makingOffer = false;
  let awaitingAnswer = false;
  let remoteCanRestart = false;
  const canRestartLocally = () => o.platform.iceRestart !== false && typeof o.platform.RTCPeerConnection.prototype.restartIce === 'function';

  /** `repair`: an overlay repair link, which the remote takes only into a free slot (docs/protocol.md). */
  async function makeOffer(me: RTCPeerConnection, repair?: boolean): Promise<void> {
    makingOffer = true;
    try {
      const offer = await me.createOffer();
      if (h.pc() !== me) return;
      // node-datachannel already applied its offer when the DataChannel was created.
      if (me.signalingState !== 'have-local-offer') await me.setLocalDescription(offer);
      if (h.pc() !== me) return;
      if (!offer.sdp) throw new Error('no local description');
      const sdp = withoutCandidates(offer.sdp);
      awaitingAnswer = true;
      o.signal({ type: 'offer', to: o.remoteId, payload: { sdp, sid: h.sid()!, iceRestart: canRestartLocally(), repair, candidatesInAnswer: true } });
      // Behind the offer on the same socket, so they cannot overtake it.
      if (!o.platform.holdCandidatesUntilAnswer) h.gate()?.openLocal();
    } catch (err) {
      if (h.pc() === me) h.down(`offer failed: ${describe(err)}`);
    } finally {
      if (h.pc() === me) makingOffer = false;
    }
  }

  async function answer(me: RTCPeerConnection, p: Description): Promise<void> {
    await me.setRemoteDescription({ type: 'offer', sdp: p.sdp });
    if (h.pc() !== me) return;
    h.described();
    awaitingAnswer = false;
    h.gate()?.openRemote();
    const local = await me.createAnswer();
    if (h.pc() !== me) return;
    await me.setLocalDescription(local);
    if (h.pc() !== me) return;
    if (!local.sdp) throw new Error('no local description');
    // An offerer that reads `candidates` (a server or peer older than that strips the flag) gets our first ones here.
    const candidates = p.candidatesInAnswer ? (await h.gate()?.take(MAX_MORE_CANDIDATES, ANSWER_CANDIDATE_WAIT_MS))?.map(({ sid: _, ...c }) => c) : undefined;
    if (h.pc() !== me) return;
    o.signal({ type: 'answer', to: o.remoteId, payload: { sdp: withoutCandidates(local.sdp), sid: h.sid()!, iceRestart: canRestartLocally(), ...(candidates?.length ? { candidates } : {}) } });
    h.gate()?.openLocal();
  }

  async function onOffer(p: Description): Promise<void> {
    if (!p.sid) return;
    remoteCanRestart = p.iceRestart === true;
    const live = h.pc();
    if (live && p.sid === h.sid()) {
      // Renegotiation of this very connection: an ICE restart from a browser peer.
      if ((makingOffer || live.signalingState !== 'stable') && !polite) return;
      h.gate()?.close();
      return answer(live, p).catch((err) => {
        if (h.pc() === live) h.down(`ICE restart answer failed: ${describe(err)}`);
      });
    }
    if ((makingOffer || awaitingAnswer) && !polite) return;
    const me = h.fresh(p.sid);
    if (!me) return;
    return answer(me, p).catch((err) => {
      if (h.pc() === me) h.down(`answer failed: ${describe(err)}`);
    });
  }

  async function onAnswer(p: Description): Promise<void> {
    const me = h.pc();
    if (!me || p.sid !== h.sid() || !awaitingAnswer) return;
    awaitingAnswer = false;
    remoteCanRestart = p.iceRestart === true;
    try {
      await me.setRemoteDescription({ type: 'answer', sdp: p.sdp });
    } catch (err) {
      if (h.pc() === me) h.down(`answer rejected: ${describe(err)}`);
      return;
    }
    if (h.pc() !== me) return;
    h.described();
    h.gate()?.openRemote();
    remoteCandidates(p.candidates);
    h.gate()?.openLocal();
  }

  function onRemoteCandidate(p: Extract<SignalFrame, { type: 'candidate' }>['payload']): void {
    if (p && h.pc() && p.sid === h.sid()) remoteCandidates([p, ...(p.more ?? [])]);
  }

  function remoteCandidates(list: Description['candidates']): void {
    for (const c of list ?? []) {
      if (c.candidate) h.gate()?.remote({ candidate: c.candidate, sdpMid: c.sdpMid ?? (c.sdpMLineIndex == null ? '0' : null), sdpMLineIndex: c.sdpMLineIndex ?? null });
    }
  }

  return {
    makeOffer,
    canRestart: () => remoteCanRestart && canRestartLocally(),
    /** The connection is gone: no offer of ours is outstanding any more. */
    reset(): void {
      makingOffer = awaitingAnswer = false;
    },
    /** The gate for connection `me`: batches and sends our candidates, applies the remote's. */
    gateFor(me: RTCPeerConnection): LinkGate {
      return createCandidateGate(
        (payload: CandidatePayload) => o.signal({ type: 'candidate', to: o.remoteId, payload }),
        (init: RTCIceCandidateInit) => addCandidate(me, init),
        (batch: CandidatePayload[]) => {
          for (let i = 0; i < batch.length; i += MAX_MORE_CANDIDATES + 1) {
            const [first, ...rest] = batch.slice(i, i + MAX_MORE_CANDIDATES + 1);
            const more = rest.map(({ candidate, sdpMid, sdpMLineIndex }) => ({ candidate, sdpMid, sdpMLineIndex }));
            o.signal({ type: 'candidate', to: o.remoteId, payload: more.length ? { ...first!, more } : first! });
          }
        },
      );
    },
    onLocalCandidate(c: RTCIceCandidate | null): void {
      const sid = h.sid();
      if (!c?.candidate || !sid) return;
      h.gate()?.local({ candidate: c.candidate.replace(/^a=/, ''), sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null, sid });
    },
    handleSignal(frame: SignalFrame): void {
      if (frame.type === 'offer') void onOffer(frame.payload);
      else if (frame.type === 'answer') void onAnswer(frame.payload);
      else if (frame.type === 'candidate') onRemoteCandidate(frame.payload);
    },
  };
}

export const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

function addCandidate(me: RTCPeerConnection, init: RTCIceCandidateInit): void {
  try {
    // A candidate the stack rejects (wrong generation, unsupported) is simply not used.
    me.addIceCandidate(init).catch(() => undefined);
  } catch {
    // Same, for stacks that throw synchronously.
  }
}

/**
 * Candidates travel only by trickle, through the gate. libdatachannel's `localDescription`
 * accumulates gathered candidates, and an offer carrying them lets the answerer start ICE checks
 * before we know its fingerprint (the "certificate verify failed" race), so none may ride along.
 */
function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '');
}
