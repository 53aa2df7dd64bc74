import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, MESH_WAIT_MS, openTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';

/**
 * What the hub needs from tabmesh/browser, as any page gets it (the hub runs on this API only):
 * a background join, built-in Worker agents and their transports, a pin store, link details,
 * identity events, chat, and a call to the page itself.
 */
const suite = hubSuite();

describe('tabmesh/browser: the API the hub runs on', () => {
  it('joins in the background with built-in Worker agents, pins keys, reports links, chats and calls itself', async () => {
    const tab = await openTab(suite.browser, `${suite.server.url}/examples/browser-library/`);
    const { page } = tab;
    // A string, so Vitest does not rewrite the dynamic import: the page loads the module itself.
    await page.evaluate(`import('/lib/tabmesh.js').then((m) => { globalThis.lib = m; })`);
    const out = await page.evaluate(async ({ key, waitMs }) => {
      const { lib } = globalThis as unknown as { lib: any };
      const within = <T>(p: Promise<T>, what: string) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what}`)), waitMs))]);
      const pinned: string[] = [];
      const pinMap = new Map<string, unknown>();
      const pins = { get: async (id: string) => pinMap.get(id), set: async (id: string, v: unknown) => void (pinned.push(id), pinMap.set(id, v)) };
      const signaling: string[] = [];
      const a = await lib.joinMesh({ apiKey: key, background: true, builtinAgents: ['basic', 'page'], pins, reconnect: { maxMs: 2000 } });
      // Resolved before the welcome: the mesh name comes with it.
      const meshBefore = a.mesh as string;
      const open = new Promise<void>((resolve) => a.on('signaling', (s: { state: string }) => (signaling.push(s.state), s.state === 'open' && resolve())));
      await within(open, 'signaling open');
      const verified = new Promise<string>((resolve) => a.on('identity', (e: { status: string; peerId: string }) => e.status === 'verified' && resolve(e.peerId)));
      const onChannels = new Promise<unknown[]>((resolve) => a.on('worker-agents', (v: Array<{ transport: string }>) => v.every((x) => x.transport === 'datachannel') && resolve(v)));
      const b = await lib.joinMesh({ apiKey: key, agentName: 'b', skills: { twice: async (x: number) => x * 2 } });
      const verifiedPeer = await within(verified, 'identity event');
      const channelViews = await within(onChannels, 'agent channels for the Worker agents');
      const link = a.links().find((l: { peerId: string }) => l.peerId === b.peerId);
      const pieces: string[] = [];
      const chat = await b.chat(a.peerId, 'hello there', { agent: 'basic', onChunk: (p: string) => pieces.push(p) });
      const self = await a.call(a.peerId, 'echo', { x: 1 });
      const doubled = await a.call(b.peerId, 'twice', 21);
      const registered = (await a.agents()).filter((x: { peerId: string }) => x.peerId === a.peerId)
        .map((x: { name: string; capabilities: string[] }) => `${x.name}:${x.capabilities.join(',')}`).sort();
      const views = await a.workerAgents();
      await b.leave();
      await a.leave();
      // A refused credential in the background: the join resolves, then `fatal` says why.
      const refused = await lib.joinMesh({ apiKey: 'not-a-key-0123456789abcdef', background: true });
      const fatal = await within(new Promise<{ name: string; code: string }>((resolve) => refused.on('fatal', resolve)), 'fatal');
      const badBuiltin = await lib.joinMesh({ apiKey: key, builtinAgents: ['nope'] }).then(() => 'joined', (e: Error) => `${e.name}: ${e.message}`);
      return {
        a: a.peerId as string, b: b.peerId as string, meshBefore, meshAfter: a.mesh as string, signaling, verifiedPeer, pinned,
        channelViews, link: link && { state: link.state, identity: link.identity, openMs: typeof link.openMs },
        chat: { text: chat.text, pieces: pieces.length, tier: chat.tier, agentChannel: chat.agentChannel }, self: { output: self.output, tier: self.tier },
        doubled: doubled.output, registered, views: views.map((v: { agent: string; channels: number; channelRuns: number; bridgeRuns: number }) => ({ agent: v.agent, channelRuns: v.channelRuns, bridgeRuns: v.bridgeRuns })),
        fatal: { name: fatal.name, code: fatal.code }, badBuiltin,
      };
    }, { key: ADMIN_KEY, waitMs: MESH_WAIT_MS });

    expect(out.meshBefore).toBe('');
    expect(out.meshAfter).not.toBe('');
    expect(out.signaling).toContain('open');
    expect(out.verifiedPeer).toBe(out.b);
    expect(out.pinned).toContain(out.b);
    expect(out.link).toEqual({ state: 'open', identity: 'verified', openMs: 'number' });
    expect(out.channelViews).toEqual([
      { agent: 'basic', transport: 'datachannel', channels: expect.any(Number), channelRuns: 0, bridgeRuns: 0 },
      { agent: 'page', transport: 'datachannel', channels: expect.any(Number), channelRuns: 0, bridgeRuns: 0 },
    ]);
    // The reply streams word by word from the `basic` agent's chat skill.
    expect(out.chat).toMatchObject({ text: 'You said: hello there', tier: 'direct' });
    expect(out.chat.pieces).toBeGreaterThan(1);
    // A call to itself runs the page's own agent in place; the bridge counts it.
    expect(out.self).toEqual({ output: { x: 1 }, tier: 'local' });
    expect(out.doubled).toBe(42);
    expect(out.registered).toEqual(['basic:web-worker', 'page:web-worker']);
    const basic = (out.views as Array<{ agent: string; channelRuns: number; bridgeRuns: number }>).find((v) => v.agent === 'basic')!;
    expect(basic.bridgeRuns + basic.channelRuns).toBe(2);
    expect(out.fatal).toEqual({ name: 'MeshError', code: 'unauthorized' });
    expect(out.badBuiltin).toBe('TypeError: joinMesh: builtinAgents: "nope" is not one of basic, page');
    expect(tab.problems.filter((p) => !p.includes('401'))).toEqual([]);
    await tab.context.close();
  });
});
