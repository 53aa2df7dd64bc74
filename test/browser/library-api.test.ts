import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, MESH_WAIT_MS, openTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { createInvite } from './helpers/invites.ts';

/**
 * The library's API driven from a page's own code (page.evaluate imports /lib/tabmesh.js as a
 * page module would): every credential kind, rejoining with a device token, events, registry
 * lookups and refusals.
 */
const suite = hubSuite();

describe('tabmesh/browser from page code', () => {
  it('joins by invite, rejoins with the device token, joins with a token callback, sees peers come and go, and refuses bad credentials', async () => {
    const tab = await openTab(suite.browser, `${suite.server.url}/examples/browser-library/`);
    const { page } = tab;
    const { code } = await createInvite(suite.server.url, true);

    // A string, so Vitest does not rewrite the dynamic import: the page loads the module itself.
    await page.evaluate(`import('/lib/tabmesh.js').then((m) => { globalThis.lib = m; })`);
    const rejoin = await page.evaluate(async (invite) => {
      const { lib } = globalThis as unknown as { lib: any };
      const { identity } = await lib.generateIdentity();
      // A Worker module that is no skills module fails the join, naming module and export, before the invite is spent.
      const badModule = await lib.joinMesh({ invite, identity, workers: [{ name: 'bad', url: '/lib/tabmesh.js' }] }).then(
        () => 'joined', (e: Error) => `${e.name}: ${e.message}`);
      const first = await lib.joinMesh({ invite, identity, name: 'api test' });
      const paired = { peerId: first.peerId as string, deviceToken: first.deviceToken as string };
      await first.leave();
      // The same key and the device token: the same peer, no code needed.
      const again = await lib.joinMesh({ deviceToken: paired.deviceToken, identity, agentName: 'b', skills: { hello: async () => 'hi' } });
      const events: Array<{ e: string; peerId: string; tier?: string }> = [];
      for (const e of ['peer-joined', 'peer-left', 'tier']) again.on(e, (v: { peerId: string; tier?: string }) => events.push({ e, peerId: v.peerId, ...(v.tier ? { tier: v.tier } : {}) }));
      Object.assign(globalThis, { lib, again, events });
      return { badModule, paired, identityPeer: identity.peerId as string, again: again.peerId as string };
    }, code);
    expect(rejoin.badModule).toMatch(/^SkillsModuleError: http:\/\/\S+\/lib\/tabmesh\.js: export "MeshError": needs a "description" string property/);
    expect(rejoin.paired.peerId).toBe(rejoin.identityPeer);
    expect(rejoin.again).toBe(rejoin.identityPeer);
    expect(rejoin.paired.deviceToken).toMatch(/^tmd_/);

    const withCallback = await page.evaluate(async ({ key, waitMs }) => {
      const { lib, again, events } = globalThis as unknown as { lib: any; again: any; events: Array<{ e: string; peerId: string; tier?: string }> };
      const { identity } = await lib.generateIdentity();
      // A token callback, as a page's own backend would answer it: nonce, signed proof, JWT.
      const post = async (path: string, body?: unknown) => (await fetch(path, {
        method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
      })).json();
      const getToken = async () => {
        const { nonce } = await post('/api/token/nonce');
        return (await post('/api/token', { peerId: identity.peerId, identity: await lib.tokenProof(identity, nonce) })).token as string;
      };
      const other = await lib.joinMesh({ getToken, identity, agentName: 'c', skills: { 'ping-back': async (x: unknown) => ({ back: x }) } });
      const until = (ok: () => boolean, what: string) => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what}: ${JSON.stringify(events)}`)), waitMs);
        const check = () => ok() && (clearTimeout(timer), resolve());
        check();
        for (const e of ['peer-joined', 'peer-left', 'tier']) again.on(e, check);
      });
      await until(() => events.some((x) => x.e === 'tier' && x.peerId === other.peerId), 'tier event');
      const res = await again.call(other.peerId, 'ping-back', 42);
      const routed = await again.callSkill('ping-back', 'by name');
      const registry = await again.agents({ skill: 'ping-back' });
      const theirSkills = await again.skills(other.peerId);
      const listed = again.peers().find((p: { peerId: string }) => p.peerId === other.peerId);
      await other.leave();
      await until(() => events.some((x) => x.e === 'peer-left' && x.peerId === other.peerId), 'peer-left');
      return {
        other: other.peerId as string, identityPeer: identity.peerId as string, res: { output: res.output, tier: res.tier }, routed: { output: routed.output, peerId: routed.peerId },
        registry: registry.map((a: { peerId: string; name: string }) => `${a.peerId}:${a.name}`), theirSkills: theirSkills.map((a: { name: string; skills: Array<{ name: string }> }) => [a.name, a.skills.map((s) => s.name)]),
        listed, events,
      };
    }, { key: ADMIN_KEY, waitMs: MESH_WAIT_MS });
    expect(withCallback.other).toBe(withCallback.identityPeer);
    expect(withCallback.res).toEqual({ output: { back: 42 }, tier: 'direct' });
    expect(withCallback.routed).toEqual({ output: { back: 'by name' }, peerId: withCallback.other });
    expect(withCallback.registry).toEqual([`${withCallback.other}:c`]);
    expect(withCallback.theirSkills).toEqual([['c', ['ping-back']]]);
    expect(withCallback.listed).toMatchObject({ peerId: withCallback.other, present: true, state: 'open', tier: 'direct' });
    const about = withCallback.events.filter((e) => e.peerId === withCallback.other);
    // Joined, then its link's tier (direct); when it leaves, the route may fall back to the relay
    // for a moment (a second `tier` event) before `peer-left`.
    expect(about.slice(0, 2), JSON.stringify(about)).toEqual([{ e: 'peer-joined', peerId: withCallback.other }, { e: 'tier', peerId: withCallback.other, tier: 'direct' }]);
    expect(about.at(-1), JSON.stringify(about)).toEqual({ e: 'peer-left', peerId: withCallback.other });

    const refused = await page.evaluate(async () => {
      const { lib, again } = globalThis as unknown as { lib: any; again: any };
      const outcome = (p: Promise<unknown>) => p.then(() => 'joined', (e: { name: string; code?: string; message: string }) => ({ name: e.name, code: e.code, message: e.message }));
      const wrongKey = await outcome(lib.joinMesh({ apiKey: 'not-a-key-0123456789abcdef' }));
      const none = await outcome(lib.joinMesh({}));
      const badSkill = await outcome(lib.joinMesh({ apiKey: 'x', skills: { 'No Caps': async () => 1 } }));
      await again.leave();
      return { wrongKey, none, badSkill };
    });
    expect(refused.wrongKey).toMatchObject({ name: 'MeshError', code: 'unauthorized' });
    expect(refused.none).toEqual({ name: 'TypeError', code: undefined, message: 'joinMesh: give exactly one of invite, deviceToken, apiKey, getToken (got none)' });
    expect(refused.badSkill).toMatchObject({ name: 'TypeError', message: 'skills["No Caps"]: a skill name must be 1-64 chars of a-z 0-9 _ . -' });
    // A refused join is an error the page handles, not one it logs; nothing else went wrong.
    expect(tab.problems.filter((p) => !p.includes('401'))).toEqual([]);
    await tab.context.close();
  });
});
