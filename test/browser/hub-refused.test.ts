import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { launchChromium } from './helpers/chromium.ts';
import { ADMIN_KEY, chatTo, createInvite, HUB_ENV, hubRecords, MESH_WAIT_MS, openAdminTab, openTab, openView, peerIdOf, type HubTab } from './helpers/hub-tabs.ts';

// A device whose credential the server refuses keeps what it queued offline and says what
// happened: once revoked by an admin, once refused by a server that lost its data.
let browser: Browser;
const servers: ServerProcess[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});

async function serve(env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServer({ env: { ...HUB_ENV, ...env }, dataDir: mkdtempSync(join(tmpdir(), 'tabmesh-refused-')) });
  servers.push(s);
  return s;
}

type QueuedRecord = { to: string; agent?: string; text: string };
const queuedShown = (page: Page, text: string) => page.locator('[data-testid=refused-outbox] li', { hasText: text });

/** An admin tab (the chat target) and a device joined by an auto-approved invite that sees it. */
async function adminAndDevice(server: ServerProcess): Promise<[HubTab & { peerId: string }, HubTab & { peerId: string }]> {
  const admin = await openAdminTab(browser, server.url);
  const device = await openTab(browser, (await createInvite(server.url, true)).url);
  const peerId = await peerIdOf(device.page);
  await device.page.locator(`li[data-peer="${admin.peerId}"] [data-agent="${admin.peerId}:basic"]`).waitFor({ timeout: MESH_WAIT_MS });
  return [admin, { ...device, peerId }];
}

/**
 * The admin's page closes and the device sees it leave; then, offline, the device types `text` to
 * the admin's agent: with the peer gone it surely lands in the outbox and stays there (an open
 * link would deliver it as soon as the device is back online, before the server's refusal).
 */
async function queueForAbsentPeer(device: HubTab, admin: HubTab & { peerId: string }, text: string): Promise<void> {
  // The device must have learnt the admin's agent from the registry before it goes offline (it
  // cannot refresh the agent list offline, and the admin's tab registers after its first render).
  await openView(device.page, 'chat');
  await device.page.locator(`select[name=chat-agent] option[value="${admin.peerId}:basic"]`).waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
  await admin.page.close();
  await openView(device.page, 'mesh');
  const openLink = device.page.locator(`li[data-peer="${admin.peerId}"] [data-link-state="open"]`);
  await expect.poll(() => openLink.count(), { timeout: MESH_WAIT_MS }).toBe(0);
  await device.context.setOffline(true);
  await chatTo(device.page, admin.peerId, text);
  await device.page.locator('.msg[data-who="me"][data-state="queued"]', { hasText: text }).waitFor();
  expect(await hubRecords<QueuedRecord>(device.page, 'outbox')).toMatchObject([{ to: admin.peerId, agent: 'basic', text }]);
}

describe('hub: a refused credential loses nothing', () => {
  it('revoked: says an admin revoked it, keeps the queued message across a reload, discards it only when asked', async () => {
    const server = await serve();
    const [admin, device] = await adminAndDevice(server);
    await queueForAbsentPeer(device, admin, 'queued before the revocation');

    const token = await getToken(server.url, ADMIN_KEY, 'refusal-admin');
    const headers = { authorization: `Bearer ${token}` };
    const { devices } = (await (await fetch(`${server.url}/api/devices`, { headers })).json()) as { devices: Array<{ id: string; name: string }> };
    const mine = devices.find((d) => d.name.endsWith(device.peerId.slice(1, 7)))!;
    expect((await fetch(`${server.url}/api/devices/${mine.id}`, { method: 'DELETE', headers })).status).toBe(200);
    await device.context.setOffline(false);

    await device.page.getByRole('heading', { name: 'This device was revoked' }).waitFor({ timeout: MESH_WAIT_MS });
    await device.page.getByText('This device was revoked by an admin.').waitFor();
    await queuedShown(device.page, 'queued before the revocation').waitFor();
    expect(await hubRecords<QueuedRecord>(device.page, 'outbox')).toMatchObject([{ text: 'queued before the revocation' }]);

    // A reload (or a closed tab) still explains, and still has the message.
    await device.page.reload();
    await device.page.getByRole('heading', { name: 'This device was revoked' }).waitFor();
    await queuedShown(device.page, 'queued before the revocation').waitFor();
    // Trying the credential again changes nothing but says so.
    await device.page.getByRole('button', { name: 'Try again' }).click();
    await device.page.getByText('Tried again: the server still refuses this device.').waitFor();
    await queuedShown(device.page, 'queued before the revocation').waitFor();

    // Discarding is an explicit, confirmed choice; then the device is forgotten.
    device.page.once('dialog', (d) => {
      expect(d.message()).toBe('Discard 1 queued message and forget this device?');
      void d.accept();
    });
    await device.page.getByRole('button', { name: 'Discard queued messages and sign out' }).click();
    await device.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    expect(await hubRecords(device.page, 'outbox')).toEqual([]);
    expect(await hubRecords(device.page, 'meta')).toEqual([]);
    await Promise.all([admin.context.close(), device.context.close()]);
  });

  it('unknown to a server that lost its data: says so, and after pairing again sends what it queued', async () => {
    // Short tokens: the device exchanges its credential again within seconds of the new server.
    const first = await serve({ TABMESH_TOKEN_TTL_SECONDS: '10' });
    const [admin, device] = await adminAndDevice(first);
    await queueForAbsentPeer(device, admin, 'queued before the reset');

    // The same address, a fresh data dir: every device the first server paired is unknown here.
    await first.stop('SIGKILL');
    const second = await serve({ TABMESH_TOKEN_TTL_SECONDS: '10', PORT: String(first.port) });
    await device.context.setOffline(false);

    await device.page.getByRole('heading', { name: 'This server no longer knows this device' }).waitFor({ timeout: MESH_WAIT_MS });
    await queuedShown(device.page, 'queued before the reset').waitFor();
    expect(await hubRecords<QueuedRecord>(device.page, 'outbox')).toMatchObject([{ text: 'queued before the reset' }]);

    // Pairing again with a new code keeps the identity and the outbox; once the admin's tab is
    // back (same browser profile: same peer id), the message goes out.
    const { code } = await createInvite(second.url, true);
    await device.page.locator('input[name=code]').fill(code);
    await device.page.getByRole('button', { name: 'Pair again' }).click();
    expect(await peerIdOf(device.page)).toBe(device.peerId);
    expect((await openAdminTab(browser, second.url, admin.context)).peerId).toBe(admin.peerId);
    await openView(device.page, 'chat');
    await device.page.locator(`select[name=chat-agent] option[value="${admin.peerId}:basic"]`).waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    await device.page.locator('select[name=chat-agent]').selectOption(`${admin.peerId}:basic`);
    await device.page.locator('.msg[data-who="them"][data-state="done"]', { hasText: 'You said: queued before the reset' }).waitFor({ timeout: MESH_WAIT_MS });
    await expect.poll(() => hubRecords(device.page, 'outbox'), { timeout: 10_000 }).toEqual([]);
    await Promise.all([admin.context.close(), device.context.close()]);
  });
});
