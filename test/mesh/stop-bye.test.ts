import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer, waitFor } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-stop-bye-0123456789';

describe('a stopping peer says bye over its open DataChannels, not through the server', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  afterEach(() => stopPeers());

  async function byesRelayed(): Promise<number> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    return Number(/tabmesh_frames_relayed_total\{type="bye"\} (\d+)/.exec(await res.text())?.[1] ?? 0);
  }

  it('each peer it linked to hears "bye: stop" on the link itself; the server relays no bye', async () => {
    const a = await startPeer(ctx.server, 'sb-a', { autoConnect: false });
    const b = await startPeer(ctx.server, 'sb-b', { autoConnect: false });
    const c = await startPeer(ctx.server, 'sb-c', { autoConnect: false });
    await Promise.all([a.mesh.connect(b.id), a.mesh.connect(c.id)]);
    await linksOpen(a.mesh, [b.id, c.id], 'direct');
    const before = await byesRelayed();

    const heard = [b, c].map((p) =>
      waitFor(p.mesh, 'link', (l) => l.peerId === a.id && l.tier !== 'direct', 10_000).then(() => p.mesh.links().find((l) => l.peerId === a.id)?.lastError),
    );
    await a.mesh.stop();
    expect(await Promise.all(heard)).toEqual(['bye: stop', 'bye: stop']);
    expect(await byesRelayed()).toBe(before);
  });
});
