import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';
import { idFor } from '../helpers/test-identity.ts';

const echoAgent = { name: 'echoer', platform: 'node', skills: [{ name: 'echo', description: 'echoes' }] };

describe('registry and health', () => {
  let t: TestApp;
  let a: string;
  beforeEach(async () => {
    t = await createTestApp();
    a = await t.token('peer-a');
  });

  it('registers, lists, gets and deletes agents', async () => {
    const reg = await t.call('POST', '/api/agents', { token: a, body: echoAgent });
    expect(reg.status).toBe(201);
    expect(reg.body.agent).toMatchObject({ id: `${idFor('peer-a')}:echoer`, peerId: idFor('peer-a'), health: 'active', capabilities: [] });
    const list = await t.call('GET', '/api/agents?skill=echo', { token: a });
    expect(list.body.agents.map((x: { id: string }) => x.id)).toEqual([`${idFor('peer-a')}:echoer`]);
    expect((await t.call('GET', '/api/agents?skill=nope', { token: a })).body.agents).toEqual([]);
    expect((await t.call('GET', `/api/agents/${idFor('peer-a')}:echoer`, { token: a })).body.agent.name).toBe('echoer');
    const other = await t.token('peer-b');
    expect((await t.call('DELETE', `/api/agents/${idFor('peer-a')}:echoer`, { token: other })).status).toBe(403);
    expect((await t.call('DELETE', `/api/agents/${idFor('peer-a')}:echoer`, { token: a })).status).toBe(204);
    expect((await t.call('GET', `/api/agents/${idFor('peer-a')}:echoer`, { token: a })).status).toBe(404);
  });

  it('refuses bad registrations with 400 naming the field, and no token with 401', async () => {
    const bad = await t.call('POST', '/api/agents', { token: a, body: { ...echoAgent, platform: 'toaster' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid-body' });
    expect(bad.body.error.message).toMatch(/^platform: /);
    const badSkill = await t.call('POST', '/api/agents', { token: a, body: { ...echoAgent, skills: [{ name: 'Bad Name' }] } });
    expect(badSkill.body.error.message).toMatch(/^skills\.0\.name: /);
    expect((await t.call('POST', '/api/agents', { body: echoAgent })).status).toBe(401);
    expect((await t.call('GET', '/api/agents?health=zombie', { token: a })).status).toBe(400);
  });

  it('derives active → stale → offline from heartbeats on an injectable clock', async () => {
    await t.call('POST', '/api/agents', { token: a, body: echoAgent });
    // Tokens live 300 s; take a fresh one per look so the clock jumps do not expire it.
    const health = async () => (await t.call('GET', `/api/agents/${idFor('peer-a')}:echoer`, { token: await t.token('observer') })).body.agent.health;
    t.clock.advance(89_000);
    expect(await health()).toBe('active');
    t.clock.advance(2_000);
    expect(await health()).toBe('stale');
    expect((await t.call('POST', '/api/heartbeat', { token: a, body: { load: 1 } })).body.health).toBe('active');
    expect(await health()).toBe('active');
    t.clock.advance(270_000);
    expect(await health()).toBe('offline');
    await t.server.sweep();
    t.clock.advance(600_001);
    await t.server.sweep();
    expect((await t.call('GET', `/api/agents/${idFor('peer-a')}:echoer`, { token: await t.token('observer') })).status).toBe(404);
  });

  it('routes by skill only to connected, active agents; 404 names the skill when none', async () => {
    await t.call('POST', '/api/agents', { token: a, body: echoAgent });
    // Not connected over signaling: never chosen.
    const none = await t.call('GET', '/api/route?skill=echo', { token: a });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toContain('"echo"');
    expect((await t.call('GET', '/api/route', { token: a })).status).toBe(400);
  });

  it('rejects a wrong role with 403', async () => {
    expect((await t.call('GET', '/api/pairing/requests', { token: a })).status).toBe(403);
    const admin = await t.token('boss', ADMIN_KEY);
    expect((await t.call('GET', '/api/pairing/requests', { token: admin })).status).toBe(200);
  });
});
