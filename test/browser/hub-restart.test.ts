import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getToken, startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { launchChromium } from './helpers/chromium.ts';
import { ADMIN_KEY, chatTo, createInvite, HUB_ENV, MESH_WAIT_MS, openAdminTab, openTab, peerIdOf } from './helpers/hub-tabs.ts';

// The tab's side of test/restart/server-restart.test.ts: a tab joined by invite while the server
// is killed with SIGKILL and started again on the same data dir (Node entry, then Deno entry).
// It must stay signed in and keep working past the expiry of every token it held before the
// kill. On TABMESH_STORE=memory its device token is unknown after the restart and this fails.
const TOKEN_TTL_SECONDS = 15;
const ENV: Record<string, string> = {
  ...HUB_ENV,
  TABMESH_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS),
  ...(process.env.TABMESH_STORE ? { TABMESH_STORE: process.env.TABMESH_STORE } : {}),
};

let browser: Browser;
const servers: ServerProcess[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});

const status = (page: Page, s: string) => page.locator(`[data-testid=signaling-status][data-status="${s}"]`);
const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

describe.each<Runtime>(['node', 'deno'])('hub across a server kill -9 (%s entry, same data dir)', (runtime) => {
  it('a tab joined by invite stays signed in and keeps working past its next token refresh', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `tabmesh-hub-restart-${runtime}-`));
    let server = await startServer({ runtime, dataDir, env: ENV, timeoutMs: 60_000 });
    servers.push(server);
    const admin = await openAdminTab(browser, server.url);
    const device = await openTab(browser, (await createInvite(server.url, true)).url);
    const peerId = await peerIdOf(device.page);
    await status(device.page, 'online').waitFor({ timeout: MESH_WAIT_MS });

    const killedAt = Date.now();
    expect(await server.stop('SIGKILL')).toBe(null);
    await status(device.page, 'reconnecting').waitFor({ timeout: MESH_WAIT_MS });
    server = await startServer({ runtime, dataDir, env: { ...ENV, PORT: String(server.port) }, timeoutMs: 60_000 });
    servers.push(server);
    await status(device.page, 'online').waitFor({ timeout: MESH_WAIT_MS });

    // Every token from before the kill has expired: a socket still open now was given a token
    // by the new process (the server closes a socket whose token expires unrefreshed).
    await until(killedAt + TOKEN_TTL_SECONDS * 1000 + 2000);
    await status(device.page, 'online').waitFor({ timeout: MESH_WAIT_MS });
    expect(await device.page.getByTestId('peer-id').getAttribute('data-peer-id')).toBe(peerId);
    const adminToken = await getToken(server.url, ADMIN_KEY, `hub-restart-admin-${runtime}`);
    const peers = await api(server, 'GET', '/api/peers', { token: adminToken });
    expect((peers.body as { peers: Array<{ peerId: string }> }).peers.map((p) => p.peerId)).toContain(peerId);
    const devices = await api(server, 'GET', '/api/devices', { token: adminToken });
    expect((devices.body as { devices: Array<{ name: string; revokedAt?: number }> }).devices).toMatchObject([{ name: expect.stringMatching(new RegExp(`${peerId.slice(1, 7)}$`)) }]);

    // And it still talks to the mesh: a chat to the admin tab's agent gets its answer.
    await chatTo(device.page, admin.peerId, 'after the restart');
    await device.page.locator('.msg[data-who="them"][data-state="done"]', { hasText: 'You said: after the restart' }).waitFor({ timeout: MESH_WAIT_MS });
    expect(device.problems.filter((p) => !/ERR_CONNECTION_REFUSED|WebSocket|Failed to load resource/.test(p))).toEqual([]);
    await Promise.all([admin.context.close(), device.context.close()]);
  });
});
