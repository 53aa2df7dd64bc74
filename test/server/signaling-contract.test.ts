import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken, startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith, openSocket } from '../helpers/ws-client.ts';
import { idFor } from '../helpers/test-identity.ts';

// One contract suite, run against both runtime entries as real processes.
describe.each<Runtime>(['node', 'deno'])('signaling contract on %s', (runtime) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ runtime });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('relays an offer between two peers of one mesh with from stamped', async () => {
    const a = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `a-${runtime}`));
    const b = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `b-${runtime}`));
    expect(await a.next('peer-joined')).toMatchObject({ peer: { peerId: idFor(`b-${runtime}`) } });
    expect((b.welcome.peers as Array<{ peerId: string }>).map((p) => p.peerId)).toContain(idFor(`a-${runtime}`));
    a.send({ type: 'offer', to: idFor(`b-${runtime}`), payload: { sdp: 'v=0' } });
    expect(await b.next('offer')).toEqual({ type: 'offer', to: idFor(`b-${runtime}`), from: idFor(`a-${runtime}`), payload: { sdp: 'v=0' } });
    b.close();
    expect(await a.next('peer-left')).toEqual({ type: 'peer-left', peerId: idFor(`b-${runtime}`) });
    a.close();
  });

  it('relays only what the validators know: unknown keys, at the top or inside the payload, never travel', async () => {
    const a = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `u-${runtime}`));
    const b = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `v-${runtime}`));
    const to = idFor(`v-${runtime}`);
    const from = idFor(`u-${runtime}`);
    a.send({ type: 'candidate', to, payload: { candidate: 'c', sdpMid: '0' }, note: 'x'.repeat(1000) });
    expect(await b.next('candidate')).toEqual({ type: 'candidate', to, from, payload: { candidate: 'c', sdpMid: '0' } });
    a.send({ type: 'answer', to, payload: { sdp: 'v=0', sid: 's1', extra: { nested: true } } });
    expect(await b.next('answer')).toEqual({ type: 'answer', to, from, payload: { sdp: 'v=0', sid: 's1' } });
    a.send({ type: 'bye', to, payload: { reason: 'done', why: 'because' }, __proto__x: 1 });
    expect(await b.next('bye')).toEqual({ type: 'bye', to, from, payload: { reason: 'done' } });
    // A frame with nothing unknown still arrives whole (the fast path that forwards the sender's text).
    a.send({ type: 'offer', to, payload: { sdp: 'v=0', sid: 's2', iceRestart: true, repair: true } });
    expect(await b.next('offer')).toEqual({ type: 'offer', to, from, payload: { sdp: 'v=0', sid: 's2', iceRestart: true, repair: true } });
    a.close();
    b.close();
  });

  it('refuses a forged from with an error frame naming the rule', async () => {
    const a = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `f-${runtime}`));
    a.send({ type: 'offer', to: 'x', from: 'someone-else', payload: { sdp: 'v=0' } });
    expect(await a.next('error')).toMatchObject({ code: 'forged-from' });
    a.close();
  });

  it('closes with 4401 when the first frame is not a valid hello', async () => {
    const s = await openSocket(server.wsUrl);
    s.send({ type: 'hello', token: 'not-a-jwt' });
    expect((await s.closed).code).toBe(4401);
  });

  it('refuses a second socket for the same peer id with 4409', async () => {
    const token = await getToken(server.url, server.adminKey!, `dup-${runtime}`);
    const a = await joinWith(server.wsUrl, token);
    const s = await openSocket(server.wsUrl);
    s.send({ type: 'hello', token });
    expect((await s.closed).code).toBe(4409);
    a.close();
  });

  it('answers /health and stops on SIGTERM within 8 s, closing sockets with 1001', async () => {
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', version: '0.1.0' });
    const a = await joinWith(server.wsUrl, await getToken(server.url, server.adminKey!, `t-${runtime}`));
    const started = Date.now();
    const exit = server.stop('SIGTERM');
    expect((await a.closed).code).toBe(1001);
    expect(await exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
