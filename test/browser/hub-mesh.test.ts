import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MESH_WAIT_MS, openAdminTab, openView, peerIdOf, type HubTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';

const suite = hubSuite();

/** Waits until the peer list of `tab` shows an open direct link to each of `peers`. */
async function waitForDirectLinks(tab: HubTab, peers: string[]): Promise<void> {
  for (const p of peers) await tab.page.locator(`li[data-peer="${p}"] [data-link-state="open"][data-tier="direct"]`).waitFor({ timeout: MESH_WAIT_MS });
}

/** Runs `skill` on `agentId` from the Tasks view and returns the completed call's output. */
async function runTask(page: Page, skill: string, agentId: string, input = '{}'): Promise<unknown> {
  await openView(page, 'tasks');
  await page.locator('select[name=skill] option', { hasText: new RegExp(`^${skill}$`) }).waitFor({ state: 'attached' });
  await page.locator('select[name=skill]').selectOption(skill);
  await page.locator(`select[name=agent] option[value="${agentId}"]`).waitFor({ state: 'attached' });
  await page.locator('select[name=agent]').selectOption(agentId);
  await page.locator('textarea[name=input]').fill(input);
  const before = await page.locator('[data-testid=call-list] li').count();
  await page.getByRole('button', { name: 'Run task' }).click();
  const call = page.locator('[data-testid=call-list] li').first();
  await expect.poll(() => page.locator('[data-testid=call-list] li').count()).toBe(before + 1);
  await page.locator('[data-testid=call-list] li').first().and(page.locator('[data-state="completed"]')).waitFor();
  expect(await call.getAttribute('data-via')).toBe('direct');
  return JSON.parse((await call.getByTestId('call-output').textContent())!);
}

describe('tabs as peers', () => {
  it('three tabs form a full mesh of measured direct links and run each other\'s worker agents', async () => {
    const tabs: Array<HubTab & { peerId: string }> = [];
    for (let i = 0; i < 3; i++) tabs.push(await openAdminTab(suite.browser, suite.server.url));
    const ids = tabs.map((t) => t.peerId);
    expect(new Set(ids).size).toBe(3);
    for (const t of tabs) await waitForDirectLinks(t, ids.filter((id) => id !== t.peerId));
    // Every tab reports its links; the server's topology has exactly the three measured edges.
    const edges = tabs[0]!.page.locator('[data-edge][data-state="open"][data-tier="direct"]');
    await expect.poll(() => edges.count(), { timeout: MESH_WAIT_MS }).toBe(3);
    // RTT: measured by this tab at once, and reported to the server with the next link report.
    await tabs[0]!.page.locator(`li[data-peer="${ids[1]}"] [data-link-state="open"][data-rtt]`).waitFor();
    await expect.poll(() => tabs[0]!.page.locator('[data-edge][data-rtt]').count(), { timeout: MESH_WAIT_MS }).toBe(3);
    const rtt = Number(await tabs[0]!.page.locator('[data-edge][data-rtt]').first().getAttribute('data-rtt'));
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(1000);

    const [a, b] = tabs as [HubTab & { peerId: string }, HubTab & { peerId: string }];
    expect(await runTask(a.page, 'echo', `${b.peerId}:basic`, '{"hello":"mesh"}')).toEqual({ hello: 'mesh' });
    const info = (await runTask(a.page, 'page-info', `${b.peerId}:page`)) as { title: string; visibility: string };
    expect(info.title).toBe('tabmesh hub');
    if (process.env.TABMESH_UPDATE_SCREENSHOT === '1') {
      await openView(a.page, 'mesh');
      await a.page.screenshot({ path: new URL('../../docs/hub.png', import.meta.url).pathname });
    }
    for (const t of tabs) expect(t.problems).toEqual([]);
    for (const t of tabs) await t.context.close();
  });

  it('gives two tabs of one browser their own identities, and signs both out together', async () => {
    const first = await openAdminTab(suite.browser, suite.server.url);
    const second = await openAdminTab(suite.browser, suite.server.url, first.context);
    expect(second.peerId).not.toBe(first.peerId);
    await waitForDirectLinks(first, [second.peerId]);
    // A reload gets the same identity slot back (the other tab still holds its own).
    await second.page.reload();
    expect(await peerIdOf(second.page)).toBe(second.peerId);
    first.page.once('dialog', (d) => void d.accept());
    await first.page.getByRole('button', { name: 'Sign out' }).click();
    await second.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    await first.context.close();
  });

  it('fits a phone screen: no view scrolls sideways', async () => {
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const tab = await openAdminTab(suite.browser, suite.server.url, context);
    for (const view of ['mesh', 'tasks', 'chat', 'admin'] as const) {
      await openView(tab.page, view);
      if (view === 'admin') await tab.page.getByRole('button', { name: 'Create invite link' }).click();
      if (view === 'admin') await tab.page.getByTestId('invite-url').waitFor();
      const overflow = await tab.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${view} view overflows by ${overflow}px`).toBeLessThanOrEqual(0);
    }
    await context.close();
  });
});
