import { RTCDataChannel } from 'node-datachannel/polyfill';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AgentHost } from '../../web/mesh/agent-host.ts';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-routed-tests-0001';
const SECRET = 'plaintext-that-only-a-and-c-may-read-7f3a';

/** Every DataChannel send in this process, as text (A, B and C all run here). */
const sent: string[] = [];
const proto = RTCDataChannel.prototype as unknown as { send(data: unknown): void };
const realSend = proto.send;
proto.send = function (this: unknown, data: unknown) {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) sent.push(Buffer.from(data as Uint8Array).toString('latin1'));
  return realSend.call(this, data);
};

/** Waits until each of the two sees the other on the routed tier (B's announcements reach them at different moments). */
async function routedBothWays(x: TestPeer, y: TestPeer): Promise<void> {
  for (const [from, to] of [[x, y], [y, x]] as const) {
    const routed = () => from.mesh.links().some((l) => l.peerId === to.id && l.tier === 'routed');
    await waitFor(from.mesh, 'link', routed, 10_000, routed);
  }
}

/** A host whose `slow` skill runs until the test releases it; counts its runs. */
function slowHost() {
  let release: (v: unknown) => void = () => undefined;
  const gate = new Promise((r) => (release = r));
  const runs: unknown[] = [];
  let started: () => void = () => undefined;
  const running = new Promise<void>((r) => (started = r));
  const host: AgentHost = {
    agents: () => [{ name: 'slow-agent', platform: 'node', skills: [{ name: 'slow' }, { name: 'echo' }] }],
    async run(skill, input) {
      runs.push(input);
      if (skill === 'echo') return input;
      started();
      return { done: await gate, input };
    },
    close: async () => undefined,
  };
  return { host, runs, running, release: (v: unknown) => release(v) };
}

describe('routed tier: calls over other peers\' DataChannels', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  afterEach(stopPeers);
  afterAll(() => void (proto.send = realSend));

  async function relayFrames(): Promise<number> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    const text = await res.text();
    return Number(/tabmesh_frames_relayed_total\{type="relay"\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  /** A and C keep one link each (to B) and link to nobody on their own: A reaches C only through B. */
  async function line(names: [string, string, string], c: Partial<Parameters<typeof startPeer>[2]> = {}) {
    const b = await startPeer(ctx.server, names[1], { autoConnect: false });
    const a = await startPeer(ctx.server, names[0], { autoConnect: false, maxLinks: 1 });
    const cc = await startPeer(ctx.server, names[2], { autoConnect: false, maxLinks: 1, ...c });
    await a.mesh.connect(b.id);
    await cc.mesh.connect(b.id);
    await linksOpen(b.mesh, [a.id, cc.id]);
    await routedBothWays(a, cc);
    return { a, b, c: cc };
  }

  it('A calls C through B: tier routed, 2 hops, sealed end to end (nothing on any DataChannel holds the plaintext), no server relay', async () => {
    const { a, b, c } = await line(['rt-a', 'rt-b', 'rt-c']);
    const relayedBefore = await relayFrames();
    sent.length = 0;
    const r = await a.mesh.call(c.id, 'echo', { secret: SECRET });
    expect(r).toMatchObject({ output: { secret: SECRET }, tier: 'routed', hops: 2 });
    expect((await c.mesh.ping(a.id)).tier).toBe('routed');
    expect(a.mesh.links().find((l) => l.peerId === c.id)).toMatchObject({ tier: 'routed', hops: 2, identity: 'verified' });
    // B carried it (and C's answer) without holding anything it could read.
    expect(b.mesh.relayStats()!.forwarded).toBeGreaterThanOrEqual(2);
    expect(sent.some((s) => s.includes('"type":"hop"'))).toBe(true);
    expect(sent.filter((s) => s.includes(SECRET))).toEqual([]);
    // The server carried no relay frame, and no direct link was opened.
    expect(await relayFrames()).toBe(relayedBefore);
    expect(a.mesh.links().filter((l) => l.sessions > 0).map((l) => l.peerId)).toEqual([b.id]);
    // The spy does see plaintext where there is some: A's call to B itself, on their DataChannel.
    expect((await a.mesh.call(b.id, 'echo', { secret: SECRET })).tier).toBe('direct');
    expect(sent.some((s) => s.includes(SECRET))).toBe(true);
  });

  it('reaches a peer three hops away: A-B-D-C, every relay forwarding what it cannot read', async () => {
    const b = await startPeer(ctx.server, 'r3-b', { autoConnect: false, maxLinks: 2 });
    const d = await startPeer(ctx.server, 'r3-d', { autoConnect: false, maxLinks: 2 });
    const a = await startPeer(ctx.server, 'r3-a', { autoConnect: false, maxLinks: 1 });
    const c = await startPeer(ctx.server, 'r3-c', { autoConnect: false, maxLinks: 1 });
    await b.mesh.connect(d.id);
    await a.mesh.connect(b.id);
    await c.mesh.connect(d.id);
    await routedBothWays(a, c);
    sent.length = 0;
    const r = await a.mesh.call(c.id, 'echo', { secret: SECRET });
    expect(r).toMatchObject({ output: { secret: SECRET }, tier: 'routed', hops: 3 });
    expect(b.mesh.relayStats()!.forwarded).toBeGreaterThanOrEqual(2);
    expect(d.mesh.relayStats()!.forwarded).toBeGreaterThanOrEqual(2);
    expect(sent.filter((s) => s.includes(SECRET))).toEqual([]);
  });

  it('B leaves mid-call: the call re-routes (its answer arrives once, the skill ran once), never hangs', async () => {
    const slow = slowHost();
    const { a, b, c } = await line(['rl-a', 'rl-b', 'rl-c'], { host: slow.host });
    const call = a.mesh.call(c.id, 'slow', 'x', { timeoutMs: 30_000 });
    call.catch(() => undefined);
    await slow.running;
    await b.mesh.stop();
    // A re-routes on its own while C still runs the skill (nobody has anything to send yet).
    const moved = () => a.mesh.links().some((l) => l.peerId === c.id && l.state === 'open' && (l.tier === 'direct' || l.tier === 'fallback'));
    await waitFor(a.mesh, 'link', moved, 15_000, moved);
    slow.release('released');
    const r = await call;
    expect(r.output).toEqual({ done: 'released', input: 'x' });
    expect(['direct', 'fallback']).toContain(r.tier);
    expect(slow.runs).toEqual(['x']);
  });

  it('a flood of routed payloads through B stays within B\'s relay budget; B keeps relaying after it', async () => {
    const b = await startPeer(ctx.server, 'rf-b', { autoConnect: false, routing: { relayBytesPerSec: 64 * 1024, relayInFlightBytes: 256 * 1024 } });
    // A paces nothing (a misbehaving sender); C is the destination.
    const a = await startPeer(ctx.server, 'rf-a', { autoConnect: false, maxLinks: 1, routing: { sendBytesPerSec: 1e9 } });
    const c = await startPeer(ctx.server, 'rf-c', { autoConnect: false, maxLinks: 1 });
    await a.mesh.connect(b.id);
    await c.mesh.connect(b.id);
    await routedBothWays(a, c);
    const t0 = performance.now();
    // 2 MB in ~16 KiB sealed frames: far beyond 64 KiB/s; the call cannot complete and times out.
    await expect(a.mesh.call(c.id, 'size', 'z'.repeat(2_000_000), { timeoutMs: 3000 })).rejects.toMatchObject({ code: 'timeout' });
    const elapsed = (performance.now() - t0) / 1000;
    const s = b.mesh.relayStats()!;
    expect(s.refused.rate).toBeGreaterThan(0);
    // Burst (one second's worth) plus the rate for the time it ran, whatever the sender did.
    expect(s.forwardedBytes).toBeLessThanOrEqual(64 * 1024 * (1 + elapsed) + 32 * 1024);
    expect(s.peakInFlightBytes).toBeLessThanOrEqual(256 * 1024);
    // The bucket refilled while the call waited for its timeout: small calls through B work again.
    expect(await a.mesh.call(c.id, 'echo', 'after', { timeoutMs: 10_000 })).toMatchObject({ output: 'after', tier: 'routed', hops: 2 });
  });
});
