import { afterEach, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { getToken } from '../helpers/server-process.ts';
import { joinWith, type TestSocket } from '../helpers/ws-client.ts';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-answer-candidates-01';
type Frame = { type: string; payload: { sid?: string; candidates?: Array<{ candidate: string }>; candidate?: string } };

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

  it('a DataChannel brokered by the server costs it three frames: offer, answer with candidates, the offerer\'s candidates', async () => {
    const b = await startPeer(ctx.server, 'ac-b', { autoConnect: false });
    const a = await startPeer(ctx.server, 'ac-a', { autoConnect: false });
    const before = await relayed();
    await a.mesh.connect(b.id);
    await linksOpen(a.mesh, [b.id], 'direct');
    await linksOpen(b.mesh, [a.id], 'direct');
    expect((await a.mesh.call(b.id, 'echo', 'hi')).tier).toBe('direct');
    const after = await relayed();
    const added = Object.fromEntries(['offer', 'answer', 'candidate'].map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
    expect(added).toEqual({ offer: 1, answer: 1, candidate: 1 });
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
});
