import { expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createReassembler, decodeJson, type Reassembler } from '../../../web/mesh/channel/framing.ts';
import type { MeshPlatform } from '../../../web/mesh/platform.ts';
import type { Frame, MaliciousRelay } from './malicious-relay.ts';

/** What crossed the man in the middle: every DataChannel message (decoded) and every relay frame. */
export interface MitmTap {
  /** DataChannel messages forwarded, with their `type` as JSON (`?` when not JSON). */
  messages: Array<{ from: string; to: string; type: string }>;
  /** `relay` frames (fallback tier) seen between the two peers. */
  relayed: Array<{ from: string; to: string }>;
  /** Resolves once both DataChannels are open, i.e. the relay sits in the middle. */
  bridged: Promise<void>;
  stop(): void;
}

type CandidatePayload = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; sid?: string } | null;

interface Leg {
  /** The real peer on this leg, and whom the relay pretends to be towards it. */
  peer: string;
  posingAs: string;
  sid: string;
  pc: RTCPeerConnection;
  dc?: RTCDataChannel;
  remoteApplied: boolean;
  localOpen: boolean;
  heldLocal: CandidatePayload[];
  heldRemote: RTCIceCandidateInit[];
  /** Messages from this leg's peer waiting for the other leg to open. */
  pending: ArrayBuffer[];
}

const withoutCandidates = (sdp: string) => sdp.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '');

/**
 * The DTLS man in the middle a compromised signaling server can mount: when `a` and `b` try to
 * connect, the relay answers each itself with its own RTCPeerConnection (its own DTLS
 * certificate, i.e. rewritten fingerprints in the SDP each side sees), then forwards every
 * DataChannel byte between the two legs unchanged, link proofs included. Without `b`, `a`'s
 * connection to whoever it meets (or who meets it) first is taken over.
 */
export function startDtlsMitm(relay: MaliciousRelay, o: { a: string; b?: string; platform: MeshPlatform }): MitmTap {
  const legs = new Map<string, Leg>();
  /** The newest leg per real peer (a retry replaces the older one). */
  const current = new Map<string, Leg>();
  const pcs: RTCPeerConnection[] = [];
  const tap: MitmTap = { messages: [], relayed: [], bridged: Promise.resolve(), stop };
  let bridgedResolve!: () => void;
  tap.bridged = new Promise<void>((r) => (bridgedResolve = r));
  let b = o.b;
  const targeted = (from: string, to: string) => (from === o.a && (b === undefined || to === b)) || (to === o.a && (b === undefined || from === b));

  function newLeg(peer: string, posingAs: string, sid: string): Leg {
    const pc = new o.platform.RTCPeerConnection({ iceServers: [], ...o.platform.rtcConfig } as RTCConfiguration);
    pcs.push(pc);
    const leg: Leg = { peer, posingAs, sid, pc, remoteApplied: false, localOpen: false, heldLocal: [], heldRemote: [], pending: [] };
    legs.set(sid, leg);
    current.set(peer, leg);
    pc.onicecandidate = (e) => {
      const payload = e.candidate?.candidate
        ? { candidate: e.candidate.candidate.replace(/^a=/, ''), sdpMid: e.candidate.sdpMid ?? null, sdpMLineIndex: e.candidate.sdpMLineIndex ?? null, sid }
        : null;
      if (!payload) return;
      if (leg.localOpen) sendCandidate(leg, payload);
      else leg.heldLocal.push(payload);
    };
    return leg;
  }

  const sendCandidate = (leg: Leg, payload: CandidatePayload) =>
    relay.inject(leg.peer, { type: 'candidate', from: leg.posingAs, to: leg.peer, payload });

  function openLocal(leg: Leg): void {
    leg.localOpen = true;
    for (const c of leg.heldLocal.splice(0)) sendCandidate(leg, c);
  }

  function remoteApplied(leg: Leg): void {
    leg.remoteApplied = true;
    for (const c of leg.heldRemote.splice(0)) leg.pc.addIceCandidate(c).catch(() => undefined);
  }

  function attach(leg: Leg, dc: RTCDataChannel): void {
    leg.dc = dc;
    dc.binaryType = 'arraybuffer';
    const reassembler: Reassembler = createReassembler();
    dc.onmessage = (e: MessageEvent) => {
      const data = e.data as ArrayBuffer;
      const r = reassembler.push(new Uint8Array(data));
      if (r.ok && r.message) {
        const v = decodeJson(r.message) as { type?: unknown } | undefined;
        tap.messages.push({ from: leg.peer, to: leg.posingAs, type: typeof v?.type === 'string' ? v.type : '?' });
      }
      const out = current.get(leg.posingAs)?.dc;
      if (out?.readyState === 'open') out.send(data);
      else leg.pending.push(data);
    };
    dc.onopen = flush;
    if (dc.readyState === 'open') flush();
  }

  function flush(): void {
    const open = [...current.values()].filter((l) => l.dc?.readyState === 'open');
    if (open.length < 2) return;
    bridgedResolve();
    for (const l of open) for (const d of l.pending.splice(0)) current.get(l.posingAs)!.dc!.send(d);
  }

  /** `from` offered to `to`: answer it ourselves, and offer to `to` ourselves in `from`'s name. */
  async function intercept(from: string, to: string, sid: string, sdp: string): Promise<void> {
    b ??= from === o.a ? to : from;
    const toFrom = newLeg(from, to, sid);
    toFrom.pc.ondatachannel = (e) => attach(toFrom, e.channel);
    await toFrom.pc.setRemoteDescription({ type: 'offer', sdp });
    remoteApplied(toFrom);
    const answer = await toFrom.pc.createAnswer();
    await toFrom.pc.setLocalDescription(answer);
    relay.inject(from, { type: 'answer', from: to, to: from, payload: { sdp: withoutCandidates(answer.sdp!), sid } });
    openLocal(toFrom);

    const toTo = newLeg(to, from, randomUUID().replace(/-/g, ''));
    attach(toTo, toTo.pc.createDataChannel('tabmesh', { ordered: true }));
    const offer = await toTo.pc.createOffer();
    if (toTo.pc.signalingState !== 'have-local-offer') await toTo.pc.setLocalDescription(offer);
    // Candidates wait for the answer (the node-datachannel race rule the real peers follow too).
    relay.inject(to, { type: 'offer', from, to, payload: { sdp: withoutCandidates(offer.sdp!), sid: toTo.sid, iceRestart: false } });
  }

  const remove = relay.use({
    up(from, f: Frame) {
      const to = f.to;
      if (to === undefined || !targeted(from, to)) return undefined;
      const p = f.payload as { sdp?: string; sid?: string } & CandidatePayload;
      if (f.type === 'relay') {
        tap.relayed.push({ from, to });
        return undefined;
      }
      if (f.type === 'offer' && p?.sid && p.sdp) {
        if (!legs.has(p.sid)) void intercept(from, to, p.sid, p.sdp);
        return null;
      }
      const leg = p?.sid ? legs.get(p.sid) : undefined;
      if (!leg || leg.peer !== from) return undefined;
      if (f.type === 'answer' && p?.sdp) {
        void leg.pc.setRemoteDescription({ type: 'answer', sdp: p.sdp }).then(() => (remoteApplied(leg), openLocal(leg)));
      } else if (f.type === 'candidate' && p?.candidate) {
        const init = { candidate: p.candidate, sdpMid: p.sdpMid ?? '0', sdpMLineIndex: p.sdpMLineIndex ?? 0 };
        if (leg.remoteApplied) leg.pc.addIceCandidate(init).catch(() => undefined);
        else leg.heldRemote.push(init);
      }
      return null;
    },
  });

  function stop(): void {
    remove();
    for (const pc of pcs) {
      try {
        pc.close();
      } catch {
        // Already closed by the remote's teardown.
      }
    }
  }
  return tap;
}

/**
 * Asserts that nothing but link proofs crossed the man in the middle, from both `peers`, on any
 * tier: one each way, plus re-sends when one was slow to come (at most 3 each way, answers included).
 */
export function expectOnlyLinkProofs(tap: MitmTap, peers: string[]): void {
  const types = tap.messages.map((m) => m.type);
  expect(new Set(types)).toEqual(new Set(['link-proof']));
  expect(types.length).toBeGreaterThanOrEqual(2);
  expect(types.length).toBeLessThanOrEqual(2 + 12);
  expect(new Set(tap.messages.map((m) => m.from))).toEqual(new Set(peers));
  expect(tap.relayed).toEqual([]);
}
