import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi, type LocalApiClient } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startLinkedPair, type NodePeer } from './helpers/tabmesh-cli.ts';

const KEY = 'agent-key-for-local-api-001';

let server: ServerProcess;
let front: NodePeer;
let back: NodePeer;
const clients: LocalApiClient[] = [];
const client = async (node: NodePeer) => {
  const c = await connectLocalApi(node.dataDir);
  clients.push(c);
  return c;
};
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (err: { code?: string }) => err.code);

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${KEY}` } });
  [front, back] = await startLinkedPair(server.url, KEY, { front: 'echo', back: 'echo,time' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([front?.stop('SIGKILL'), back?.stop('SIGKILL')]);
  await server?.stop();
});

describe('the node\'s local API', () => {
  it('calls a peer\'s skill over the node\'s link, by peer id and by skill name, and lists peers, agents and links', async () => {
    const api = await client(front);
    expect(api.peerId).toBe(front.peerId);
    const byId = await api.call('echo', { text: 'hi' }, { peer: back.peerId });
    expect(byId).toMatchObject({ output: { text: 'hi' }, peerId: back.peerId, tier: 'direct' });
    expect(await api.call('time')).toMatchObject({ peerId: back.peerId, tier: 'direct' });

    const { links } = await api.links();
    expect(links.find((l) => l.peerId === back.peerId)).toMatchObject({ state: 'open', tier: 'direct' });
    const { peers, source } = await api.peers();
    expect(source).toBe('server');
    expect(peers.map((p) => p.peerId).sort()).toEqual([front.peerId, back.peerId].sort());
    expect(peers.find((p) => p.peerId === back.peerId)!.agents).toEqual([expect.objectContaining({ name: 'back', skills: ['echo', 'time'] })]);
    const { agents } = await api.agents();
    expect(agents.map((a) => a.id).sort()).toEqual([`${back.peerId}:back`, `${front.peerId}:front`].sort());
  });

  it('serves a skill registered by a local process to a remote peer, streamed, and drops it when the process disconnects', async () => {
    const served = await client(front);
    const registered = await served.register('shouter', [{ name: 'shout', streaming: true }], async (_skill, input, ctx) => {
      const words = String(input).toUpperCase().split(/(?<= )/);
      for (const w of words) ctx.onChunk?.(w);
      return words.join('');
    });
    expect(registered).toEqual({ agent: 'shouter', skills: ['shout'], announced: true });

    const caller = await client(back);
    const chunks: unknown[] = [];
    const streamed = await caller.call('shout', 'hi there mesh', { peer: front.peerId, stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual(['HI ', 'THERE ', 'MESH']);
    expect(streamed).toMatchObject({ output: 'HI THERE MESH', peerId: front.peerId, tier: 'direct' });
    // Routed by name: the registry learnt the new agent.
    expect(await caller.call('shout', 'routed')).toMatchObject({ output: 'ROUTED', peerId: front.peerId });
    expect((await caller.agents()).agents.map((a) => a.id)).toContain(`${front.peerId}:shouter`);

    served.close();
    await served.closed;
    await waitFor(async () => (await codeOf(caller.call('shout', 'x', { peer: front.peerId }))) === 'unknown-skill', 10_000, 'shout to be gone from the node');
    await waitFor(async () => !(await caller.agents()).agents.some((a) => a.id === `${front.peerId}:shouter`), 10_000, 'the registry to drop the agent');
  });

  it('fails a remote call with agent-gone when the process serving it dies mid-call', async () => {
    const served = await client(front);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    await served.register('staller', [{ name: 'stall' }], () => {
      started();
      return new Promise(() => undefined);
    });
    const caller = await client(back);
    const call = codeOf(caller.call('stall', 1, { peer: front.peerId, timeoutMs: 120_000 }));
    await running;
    served.close();
    expect(await call).toBe('agent-gone');
  });

  it('refuses a skill or agent name already served on the node, and frees it when its process leaves', async () => {
    const first = await client(front);
    await first.register('dup-agent', [{ name: 'dup' }], () => 'first');
    const second = await client(front);
    expect(await codeOf(second.register('other', [{ name: 'dup' }], () => 'second'))).toBe('skill-taken');
    expect(await codeOf(second.register('other', [{ name: 'echo' }], () => 'second'))).toBe('skill-taken');
    expect(await codeOf(second.register('dup-agent', [{ name: 'fresh' }], () => 'second'))).toBe('agent-taken');
    expect(await codeOf(second.register('front', [{ name: 'fresh' }], () => 'second'))).toBe('agent-taken');
    first.close();
    await first.closed;
    await waitFor(() => second.register('other', [{ name: 'dup' }], () => 'second').then(() => true, () => false), 5000, 'the name to be free');
    const caller = await client(back);
    expect((await caller.call('dup', null, { peer: front.peerId })).output).toBe('second');
  });

  it('cancels a call by AbortSignal: the caller gets cancelled, the process serving it gets a cancel event', async () => {
    const served = await client(front);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let registered!: Promise<unknown>;
    const cancelled = new Promise<unknown>((resolve) => {
      // The node may forward a call before its answer to register arrives (the answer waits for the
      // announcement): kept and awaited below, so a close cannot leave it rejected unhandled.
      registered = served.register('slowpoke', [{ name: 'slow' }], (_skill, _input, ctx) => {
        started();
        ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason));
        return new Promise(() => undefined);
      });
    });
    const caller = await client(back);
    const abort = new AbortController();
    const call = codeOf(caller.call('slow', null, { peer: front.peerId, signal: abort.signal, timeoutMs: 120_000 }));
    await running;
    abort.abort();
    expect(await call).toBe('cancelled');
    expect(await cancelled).toMatchObject({ code: 'cancelled' });
    expect(await registered).toMatchObject({ agent: 'slowpoke', announced: true });
  });
});
