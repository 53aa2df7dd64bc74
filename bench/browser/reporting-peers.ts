import WebSocket from 'ws';
import { fetchTokenResponse, idFor } from '../../test/helpers/test-identity.ts';
import { ADMIN } from './hub-server.ts';

/**
 * `n` signaling-only peers that register a Node agent each and report measured links to their
 * neighbours every 2 s, so the hub has a mesh of `n` peers to draw (they answer no offers).
 */
export async function startReportingPeers(url: string, n: number, opts: { adminKey?: string; first?: number } = {}): Promise<{ stop(): void }> {
  const first = opts.first ?? 0;
  // Key-derived ids (the server issues tokens for nothing else), from fixed names so runs repeat.
  const names = Array.from({ length: n }, (_, i) => `bench-pi-${String(first + i).padStart(2, '0')}`);
  const ids = names.map(idFor);
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (const [i, peerId] of ids.entries()) {
    const { token } = await fetchTokenResponse(url, opts.adminKey ?? ADMIN, names[i]!);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
      ws.on('message', (d) => (JSON.parse(String(d)) as { type: string }).type === 'welcome' && resolve());
      ws.once('error', reject);
    });
    sockets.push(ws);
    await fetch(`${url}/api/agents`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: `kitchen-pi-${String(first + i).padStart(2, "0")}`, platform: 'node', skills: [{ name: 'echo' }, { name: 'time' }, { name: 'sysinfo' }] }),
    });
    // Each peer reports links to the next three: a readable but non-trivial mesh.
    const neighbours = [1, 2, 3].map((k) => ids[(i + k) % n]!).filter((p) => p !== peerId);
    const report = () => ws.send(JSON.stringify({
      type: 'link-report',
      payload: { links: neighbours.map((peer, k) => ({ peer, state: 'open', tier: k === 2 ? 'relayed' : 'direct', rttMs: 2 + ((i * 7 + k * 3) % 40) })) },
    }));
    report();
    timers.push(setInterval(report, 2000));
  }
  return { stop: () => (timers.forEach(clearInterval), sockets.forEach((s) => s.close())) };
}
