import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { launchChromium } from './helpers/chromium.ts';
import { chatTo, HUB_ENV, hubRecords, MESH_WAIT_MS, openAdminTab, openView } from './helpers/hub-tabs.ts';

let browser: Browser;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'tabmesh-hub-'))): Promise<ServerProcess> {
  const s = await startServer({ env: { ...HUB_ENV, ...env }, dataDir });
  servers.push(s);
  return s;
}

const linkTo = (page: Page, peerId: string, state = 'open') => page.locator(`li[data-peer="${peerId}"] [data-link-state="${state}"]`);
const agentShown = (page: Page, peerId: string) => page.locator(`li[data-peer="${peerId}"] [data-agent="${peerId}:basic"]`);
const status = (page: Page, s: string) => page.locator(`[data-testid=signaling-status][data-status="${s}"]`);

/** Two admin tabs with an open link, each knowing the other's agents. */
async function linkedPair(server: ServerProcess) {
  const a = await openAdminTab(browser, server.url);
  const b = await openAdminTab(browser, server.url);
  await linkTo(a.page, b.peerId).waitFor({ timeout: MESH_WAIT_MS });
  await agentShown(a.page, b.peerId).waitFor();
  return [a, b] as const;
}

describe('hub resilience', () => {
  it('keeps DataChannels through a server restart, then rejoins', async () => {
    const server = await serve();
    const [a, b] = await linkedPair(server);

    await server.stop();
    await status(a.page, 'reconnecting').waitFor();
    await status(b.page, 'reconnecting').waitFor();
    // No server, yet the tabs still talk peer-to-peer.
    await chatTo(a.page, b.peerId, 'during the outage');
    await a.page.locator('.msg[data-who="them"][data-state="done"]', { hasText: 'You said: during the outage' }).waitFor();
    expect(await a.page.locator('[data-testid=tier][data-tier="direct"]').count()).toBe(1);
    await openView(a.page, 'mesh');
    expect(await linkTo(a.page, b.peerId).count()).toBe(1);

    // Same port and data dir: the tabs reconnect to the same URL and their tokens stay valid.
    await serve({ PORT: String(server.port) }, server.dataDir);
    await status(a.page, 'online').waitFor({ timeout: MESH_WAIT_MS });
    await status(b.page, 'online').waitFor({ timeout: MESH_WAIT_MS });
    // Both re-registered their agents with the fresh server, and the link is reported again.
    await agentShown(a.page, b.peerId).waitFor({ timeout: MESH_WAIT_MS });
    // data-reported: the server's topology has it again, not only this tab's own view of the link.
    await a.page.locator('[data-edge][data-state="open"][data-reported]').first().waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    expect([...a.problems, ...b.problems].filter((p) => !/ERR_CONNECTION_REFUSED|WebSocket|Failed to load resource/.test(p))).toEqual([]);
    await Promise.all([a.context.close(), b.context.close()]);
  });

  it('keeps chat typed while offline in the outbox, across a reload, and sends it on reconnect', async () => {
    const server = await serve();
    const [a, b] = await linkedPair(server);
    // The service worker must have precached the shell before the network goes, as for any PWA
    // (seen once: offline within a second of the first load, the reload failed).
    await a.page.evaluate(async () => void (await navigator.serviceWorker.ready));

    await a.context.setOffline(true);
    await chatTo(a.page, b.peerId, 'typed offline');
    await a.page.getByTestId('chat-offline').waitFor();
    await a.page.locator('.msg[data-who="me"][data-state="queued"]', { hasText: 'typed offline' }).waitFor();
    // Still offline: the service worker serves the hub and IndexedDB still has the message.
    await a.page.reload();
    await a.page.getByTestId('peer-id').waitFor();
    await openView(a.page, 'chat');
    await a.page.locator('select[name=chat-agent]').selectOption(`${b.peerId}:basic`);
    await a.page.locator('.msg[data-who="me"][data-state="queued"]', { hasText: 'typed offline' }).waitFor();

    await a.context.setOffline(false);
    await a.page.locator('.msg[data-who="them"][data-state="done"]', { hasText: 'You said: typed offline' }).waitFor({ timeout: 30_000 });
    await a.page.locator('.msg[data-who="me"][data-state="done"]', { hasText: 'typed offline' }).waitFor();
    expect(await hubRecords(a.page, 'outbox')).toEqual([]);
    await Promise.all([a.context.close(), b.context.close()]);
  });
});
