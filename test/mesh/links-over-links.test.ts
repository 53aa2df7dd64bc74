import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer, waitFor } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-link-tests-00001';

describe('links negotiated over links', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  afterEach(stopPeers);

  /** Negotiation frames the server relayed so far, by type. */
  async function signalFrames(): Promise<number> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    const text = await res.text();
    let n = 0;
    for (const m of text.matchAll(/tabmesh_frames_relayed_total\{type="(offer|answer|candidate|bye|relay)"\} (\d+)/g)) n += Number(m[2]);
    return n;
  }

  it('a peer already in the mesh opens a DataChannel to a peer it reaches over others without a server frame', async () => {
    const b = await startPeer(ctx.server, 'll-b', { autoConnect: false });
    const a = await startPeer(ctx.server, 'll-a', { autoConnect: false });
    const c = await startPeer(ctx.server, 'll-c', { autoConnect: false });
    await a.mesh.connect(b.id);
    await c.mesh.connect(b.id);
    // Each side waits for its own view (B's announcements reach A and C at different moments).
    for (const [from, to] of [[a, c], [c, a]] as const) {
      const routed = () => from.mesh.links().some((l) => l.peerId === to.id && l.tier === 'routed');
      await waitFor(from.mesh, 'link', routed, 10_000, routed);
    }
    const before = await signalFrames();
    // connect() starts a DataChannel (it resolves at once: the routed tier already carries messages).
    // Offer, answer and candidates go sealed through B; the server relays none of them.
    await a.mesh.connect(c.id);
    await linksOpen(a.mesh, [c.id], 'direct');
    await linksOpen(c.mesh, [a.id], 'direct');
    expect((await a.mesh.call(c.id, 'echo', 'hi')).tier).toBe('direct');
    expect(await signalFrames()).toBe(before);
    expect(a.mesh.links().find((l) => l.peerId === c.id)).toMatchObject({ state: 'open', identity: 'verified' });
  });
});
