import { afterEach, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { getToken } from '../helpers/server-process.ts';
import { idFor } from '../helpers/test-identity.ts';
import { joinWith, type TestSocket } from '../helpers/ws-client.ts';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-answer-candidates-01';
type Frame = { type: string; from?: string; payload: { sdp?: string; sid?: string; candidates?: Array<{ candidate: string }>; candidate?: string } };

describe('the answer carries the answerer\'s first candidates', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await stopPeers();
  });

  /** Negotiation frames the server relayed so far, by type. */
  async function relayed(): Promise<Record<string, number>> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    const out: Record<string, number> = {};
    for (const m of (await res.text()).matchAll(/tabmesh_frames_relayed_total\{type="(offer|answer|candidate)"\} (\d+)/g)) out[m[1]!] = Number(m[2]);
    return out;
  }

  it('a DataChannel brokered by the server costs it two frames: the offer, the answer with candidates (a Node offerer keeps its own: they gain nothing here)', async () => {
    const b = await startPeer(ctx.server, 'ac-b', { autoConnect: false });
    const a = await startPeer(ctx.server, 'ac-a', { autoConnect: false });
    const before = await relayed();
    await a.mesh.connect(b.id);
    await linksOpen(a.mesh, [b.id], 'direct');
    await linksOpen(b.mesh, [a.id], 'direct');
    expect((await a.mesh.call(b.id, 'echo', 'hi')).tier).toBe('direct');
    const after = await relayed();
    const added = Object.fromEntries(['offer', 'answer', 'candidate'].map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
    expect(added).toEqual({ offer: 1, answer: 1, candidate: 0 });
  });

  /** A raw signaling client with a real offer (node-datachannel on 127.0.0.1) for peer `to`. */
  async function rawOffer(name: string): Promise<{ socket: TestSocket; sdp: string }> {
    const socket = await joinWith(ctx.server.wsUrl, await getToken(ctx.server.url, AGENT_KEY, name));
    const pc = new (createNodePlatform({ bindAddress: '127.0.0.1' }).RTCPeerConnection)({ iceServers: [] });
    cleanups.push(() => (socket.close(), pc.close()));
    pc.createDataChannel('tabmesh');
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    return { socket, sdp: offer.sdp!.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '') };
  }

  it('carries them only when the offer says it reads them; otherwise (an older offerer, or a server that strips the flag) they trickle as before', async () => {
    const b = await startPeer(ctx.server, 'ac-answerer', { autoConnect: false });
    const older = await rawOffer('ac-older');
    older.socket.send({ type: 'offer', to: b.id, payload: { sdp: older.sdp, sid: 'older-1' } });
    const plain = await older.socket.next<Frame>('answer', 10_000);
    expect(plain.payload.sid).toBe('older-1');
    expect(plain.payload.candidates).toBeUndefined();
    expect((await older.socket.next<Frame>('candidate', 10_000)).payload).toMatchObject({ sid: 'older-1', candidate: expect.stringMatching(/^candidate:/) });

    const newer = await rawOffer('ac-newer');
    newer.socket.send({ type: 'offer', to: b.id, payload: { sdp: newer.sdp, sid: 'newer-1', candidatesInAnswer: true } });
    const carrying = await newer.socket.next<Frame>('answer', 10_000);
    expect(carrying.payload.sid).toBe('newer-1');
    expect(carrying.payload.candidates?.length).toBeGreaterThan(0);
    for (const c of carrying.payload.candidates ?? []) expect(c.candidate).toMatch(/^candidate:.* 127\.0\.0\.1 /);
  });

  /**
   * A raw answerer: answers a real Node offerer's offer with a real SDP (never connected) and the
   * candidates given, then waits for the offerer's own candidates.
   */
  async function offerersCandidatesFor(name: string, candidates: string[]): Promise<Frame> {
    const answerer = await joinWith(ctx.server.wsUrl, await getToken(ctx.server.url, AGENT_KEY, name));
    const pc = new (createNodePlatform({ bindAddress: '127.0.0.1' }).RTCPeerConnection)({ iceServers: [] });
    cleanups.push(() => (answerer.close(), pc.close()));
    const a = await startPeer(ctx.server, `${name}-offerer`, { autoConnect: false });
    void a.mesh.connect(idFor(name)).catch(() => undefined);
    const offer = await answerer.next<Frame>('offer', 10_000);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.payload.sdp! });
    const answer = await pc.createAnswer();
    answerer.send({
      type: 'answer', to: offer.from, payload: {
        sdp: answer.sdp!.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, ''), sid: offer.payload.sid,
        candidates: candidates.map((candidate) => ({ candidate, sdpMid: '0', sdpMLineIndex: 0 })),
      },
    });
    const sent = await answerer.next<Frame>('candidate', 10_000);
    expect(sent.payload.sid).toBe(offer.payload.sid);
    return sent;
  }

  it('the offerer sends its candidates when the answerer names a non-host one (behind a NAT it must send first)', async () => {
    const sent = await offerersCandidatesFor('ac-srflx', ['candidate:2 1 UDP 1686052607 127.0.0.1 9 typ srflx raddr 127.0.0.1 rport 9']);
    expect(sent.payload.candidate).toMatch(/^candidate:.* 127\.0\.0\.1 .* typ host/);
  });

  it('the offerer sends its candidates when the answerer\'s host addresses do not connect (a firewall that admits only its own traffic)', async () => {
    // UDP port 9 (discard) on loopback: nobody answers the checks.
    const sent = await offerersCandidatesFor('ac-silent', ['candidate:1 1 UDP 2122317823 127.0.0.1 9 typ host']);
    expect(sent.payload.candidate).toMatch(/^candidate:.* 127\.0\.0\.1 .* typ host/);
  });
});
