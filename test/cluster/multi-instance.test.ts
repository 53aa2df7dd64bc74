import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { joinWith, openSocket } from '../helpers/ws-client.ts';
import { idFor } from '../helpers/test-identity.ts';

const KEY = 'cluster-admin-key-0123456789';
const env = (redis: RedisProcess) => ({
  TABMESH_REDIS_URL: redis.url,
  TABMESH_API_KEYS: `admin:${KEY}`,
  TABMESH_JWT_SECRET: 'cluster-jwt-secret-0123456789-0123456789',
  LOG_LEVEL: 'error',
});

describe('several server instances on one Redis', () => {
  let redis: RedisProcess;
  let s: ServerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    s = await Promise.all([0, 1, 2].map(() => startServer({ env: env(redis) })));
  });
  afterAll(async () => {
    await Promise.all(s.map((x) => x.stop()));
    await redis?.stop();
  });

  it('peers on different instances see each other and relay signaling', async () => {
    const a = await joinWith(s[0]!.wsUrl, await getToken(s[0]!.url, KEY, 'a'));
    const b = await joinWith(s[1]!.wsUrl, await getToken(s[1]!.url, KEY, 'b'));
    expect(await a.next('peer-joined')).toMatchObject({ peer: { peerId: idFor('b') } });
    expect((b.welcome.peers as Array<{ peerId: string }>).map((p) => p.peerId)).toEqual([idFor('a')]);
    const c = await joinWith(s[2]!.wsUrl, await getToken(s[2]!.url, KEY, 'c'));
    expect((c.welcome.peers as Array<{ peerId: string }>).map((p) => p.peerId).sort()).toEqual([idFor('a'), idFor('b')].sort());
    a.send({ type: 'offer', to: idFor('c'), payload: { sdp: 'v=0 from a' } });
    expect(await c.next('offer')).toMatchObject({ from: idFor('a'), payload: { sdp: 'v=0 from a' } });
    c.send({ type: 'answer', to: idFor('a'), payload: { sdp: 'v=0 from c' } });
    expect(await a.next('answer')).toMatchObject({ from: idFor('c') });
    // One peer id, one live socket, across the whole cluster.
    const dup = await openSocket(s[2]!.wsUrl);
    dup.send({ type: 'hello', token: await getToken(s[2]!.url, KEY, 'a') });
    expect((await dup.closed).code).toBe(4409);
    const peers = (await api(s[2]!, 'GET', '/api/peers', { token: await getToken(s[2]!.url, KEY, 'observer') })).body.peers;
    expect(peers.map((p: { peerId: string }) => p.peerId).sort()).toEqual([idFor('a'), idFor('b'), idFor('c')].sort());
    b.close();
    expect(await c.next('peer-left')).toEqual({ type: 'peer-left', peerId: idFor('b') });
    a.close();
    c.close();
  });

  it('pairing on one instance is valid on the others; revocation kicks on every instance', async () => {
    const admin0 = await getToken(s[0]!.url, KEY, 'admin-0');
    const { code } = (await api(s[0]!, 'POST', '/api/pairing/codes', { token: admin0 })).body;
    const r = (await api(s[1]!, 'POST', '/api/pairing/redeem', { body: { code, name: 'phone' } })).body;
    const waiting = api(s[1]!, 'GET', `/api/pairing/requests/${r.requestId}/status?wait=20`, { headers: { 'x-pairing-secret': r.secret } });
    await api(s[2]!, 'POST', `/api/pairing/requests/${r.requestId}/approve`, { token: await getToken(s[2]!.url, KEY, 'admin-2') });
    const { deviceToken, deviceId } = (await waiting).body;
    expect(deviceToken).toMatch(/^tmd_/);
    const phone = await joinWith(s[1]!.wsUrl, await getToken(s[0]!.url, deviceToken, 'phone'));
    await api(s[2]!, 'DELETE', `/api/devices/${deviceId}`, { token: await getToken(s[2]!.url, KEY, 'admin-2') });
    expect((await phone.closed).code).toBe(4403);
  });

  it('routes a task across instances: assignment and result are pushed to the right sockets', async () => {
    const agentTok = await getToken(s[0]!.url, KEY, 'agent-x');
    const agent = await joinWith(s[0]!.wsUrl, agentTok);
    await api(s[0]!, 'POST', '/api/agents', { token: agentTok, body: { name: 'echo', platform: 'node', skills: [{ name: 'echo' }] } });
    const subTok = await getToken(s[1]!.url, KEY, 'submitter');
    const sub = await joinWith(s[1]!.wsUrl, subTok);
    const created = (await api(s[1]!, 'POST', '/api/tasks', { token: subTok, body: { skill: 'echo', input: 42, requestId: 'x1' } })).body.task;
    expect(created.targetPeer).toBe(idFor('agent-x'));
    expect(((await agent.next('task-assigned')).payload as { id: string }).id).toBe(created.id);
    await api(s[2]!, 'PATCH', `/api/tasks/${created.id}`, { token: agentTok, body: { state: 'completed', output: 42 } });
    expect((await sub.next('task-updated')).payload).toMatchObject({ id: created.id, state: 'completed', output: 42 });
    // The same requestId on another instance is the same task, not a second run.
    const replay = await api(s[2]!, 'POST', '/api/tasks', { token: subTok, body: { skill: 'echo', input: 42, requestId: 'x1' } });
    expect(replay.status).toBe(200);
    expect(replay.body.task.id).toBe(created.id);
    agent.close();
    sub.close();
  });

  it('a killed instance: survivors report its peers gone; a Redis restart is survived and /ready shows the outage', async () => {
    const victim = await startServer({ env: env(redis) });
    const doomed = await joinWith(victim.wsUrl, await getToken(victim.url, KEY, 'doomed'));
    const watcher = await joinWith(s[0]!.wsUrl, await getToken(s[0]!.url, KEY, 'watcher'));
    expect((watcher.welcome.peers as Array<{ peerId: string }>).map((p) => p.peerId)).toContain(idFor('doomed'));
    await victim.stop('SIGKILL');
    void doomed.closed;
    expect(await watcher.next('peer-left', 20_000)).toEqual({ type: 'peer-left', peerId: idFor('doomed') });

    const admin0 = await getToken(s[0]!.url, KEY, 'admin-0');
    await redis.stop();
    await waitFor(async () => (await fetch(`${s[0]!.url}/ready`)).status === 503, 10_000, '/ready 503 during the outage');
    // Revocation checks need the store, so the server fails closed (503), never open.
    expect((await fetch(`${s[0]!.url}/api/token`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"peerId":"x"}' })).status).toBe(503);
    const during = await api(s[0]!, 'POST', '/api/pairing/codes', { token: admin0 });
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('store-unavailable');
    redis = await redis.restart();
    await waitFor(async () => (await fetch(`${s[0]!.url}/ready`)).status === 200, 15_000, '/ready 200 after Redis is back');
    const after = await api(s[1]!, 'POST', '/api/pairing/codes', { token: await getToken(s[1]!.url, KEY, 'admin-1') });
    expect(after.status).toBe(201);
    // Signaling across instances works again once presence is re-announced.
    const late = await joinWith(s[2]!.wsUrl, await getToken(s[2]!.url, KEY, 'late'));
    expect((await watcher.next('peer-joined', 10_000))).toMatchObject({ peer: { peerId: idFor('late') } });
    late.close();
    watcher.close();
  }, 60_000);

  it('a topology read on one instance starts the watch for the peers of every instance, and later welcomes anywhere carry it', async () => {
    const p = await joinWith(s[1]!.wsUrl, await getToken(s[1]!.url, KEY, 'watch-p'));
    expect(p.welcome.watch).toBe(0);
    const reader = await getToken(s[0]!.url, KEY, 'watch-reader');
    expect((await fetch(`${s[0]!.url}/api/topology`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
    // Through Redis to the peer on instance 1.
    expect(await p.next('presence')).toMatchObject({ left: [], joined: [], watch: 60_000 });
    // Instance 2 heard it too: its welcome says how long is left.
    const q = await joinWith(s[2]!.wsUrl, await getToken(s[2]!.url, KEY, 'watch-q'));
    expect(q.welcome.watch).toBeGreaterThan(50_000);
    p.close();
    q.close();
  });
});
