import { describe, expect, it } from 'vitest';
import { startServer, type Runtime } from '../helpers/server-process.ts';
import { joinWith, openSocket } from '../helpers/ws-client.ts';
import { issueToken, join, pings, serverForSuite } from './support/signaling.ts';
import { idFor } from '../helpers/test-identity.ts';

const KEY = 'admin-key-session-0123456789';
// TABMESH_TOKEN_TTL_SECONDS' floor is 5 s precisely so that expiry is observable here.
const ENV = { TABMESH_API_KEYS: `admin:${KEY}`, TABMESH_TOKEN_TTL_SECONDS: '5', TABMESH_AUTH_TIMEOUT_MS: '500', TABMESH_IDLE_TIMEOUT_MS: '1000' };

describe.each<Runtime>(['node', 'deno'])('signaling sessions on %s', (runtime) => {
  const server = serverForSuite(runtime, ENV);

  it('closes with 4408 when no welcome is reached within TABMESH_AUTH_TIMEOUT_MS', async () => {
    const silent = await openSocket(server.wsUrl);
    const chatty = await openSocket(server.wsUrl);
    chatty.sendRaw('not json');
    await chatty.next('error');
    for (const s of [silent, chatty]) expect(await s.closed).toEqual({ code: 4408, reason: 'no welcome within auth timeout' });
  });

  it.concurrent('closes with 4401 when the token expires', async () => {
    const s = await join(server, KEY, `expire-${runtime}`);
    const expiresAt = s.welcome.tokenExpiresAt as number;
    expect(await s.closed).toEqual({ code: 4401, reason: 'token expired' });
    // Same host, same clock: the close came at the expiry, not before.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
  });

  it.concurrent('extends the session when the client sends {type:"auth", token} with a fresh token', async () => {
    const peerId = `refresh-${runtime}`;
    const first = await issueToken(server, KEY, peerId);
    const s = await joinWith(server.wsUrl, first.token);
    expect(s.welcome.tokenExpiresAt).toBe(first.expiresAt);
    // Expiry has one-second granularity: ask until the server's clock gives a later one.
    let fresh = first;
    await expect.poll(async () => (fresh = await issueToken(server, KEY, peerId)).expiresAt, { interval: 100, timeout: 3000 }).toBeGreaterThan(first.expiresAt);

    const other = await issueToken(server, KEY, `someone-else-${runtime}`);
    s.send({ type: 'auth', token: other.token });
    expect(await s.next('error')).toEqual({ type: 'error', code: 'bad-token', message: 'a refreshed token must have the same peer id, mesh and role' });
    s.send({ type: 'auth', token: `${fresh.token.slice(0, -3)}AAA` });
    expect(await s.next('error')).toMatchObject({ code: 'bad-token', message: 'token is not valid' });

    s.send({ type: 'auth', token: fresh.token });
    expect(await s.next('auth-ok')).toEqual({ type: 'auth-ok', tokenExpiresAt: fresh.expiresAt });
    expect(await s.closed).toEqual({ code: 4401, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(first.expiresAt + 500);
  });

  it.concurrent('keeps an idle client that answers pings, drops one that does not', async () => {
    const live = await join(server, KEY, `live-${runtime}`);
    const other = await join(server, KEY, `other-${runtime}`);
    // Node pings every TABMESH_IDLE_TIMEOUT_MS / 3, Deno every half of it: 4 pings outlast the timeout either way.
    await pings(live, 4);
    other.send({ type: 'relay', to: idFor(`live-${runtime}`), payload: { still: 'here' } });
    expect(await live.next('relay')).toMatchObject({ from: idFor(`other-${runtime}`), payload: { still: 'here' } });

    const dead = await join(server, KEY, `dead-${runtime}`, { autoPong: false });
    const closed = await dead.closed;
    // Node's hub closes 4408; Deno's own idleTimeout closes 1001 ("No response from ping frame.").
    expect(closed.code).toBe(runtime === 'node' ? 4408 : 1001);
    expect(await live.next('peer-left')).toEqual({ type: 'peer-left', peerId: idFor(`dead-${runtime}`) });
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    live.close();
    other.close();
  });
});

describe.each<Runtime>(['node', 'deno'])('SIGINT on %s', (runtime) => {
  it('closes sockets with 1001 and exits 0', async () => {
    const server = await startServer({ runtime, env: ENV });
    const a = await join(server, KEY, 'a');
    const exit = server.stop('SIGINT');
    expect((await a.closed).code).toBe(1001);
    expect(await exit).toBe(0);
  });
});
