import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { getToken } from '../helpers/server-process.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab, openTab, openView, peerIdOf, type HubTab } from './helpers/hub-tabs.ts';

const suite = hubSuite();
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const HEX_ID = /\bk[0-9a-f]{32}\b/;

/** axe-core injected into the page; the rules that fail, with the elements, for a readable failure. */
async function axeViolations(page: Page): Promise<string[]> {
  // Through evaluate, not a <script> tag: the hub's CSP refuses inline scripts (docs/hub.md).
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

async function apiAsAdmin(path: string, init: RequestInit = {}) {
  const token = await getToken(suite.server.url, ADMIN_KEY, 'people-test-admin');
  return fetch(`${suite.server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
}

describe('the hub as a person uses it', () => {
  let admin: HubTab & { peerId: string };
  let device: HubTab;
  let deviceName: string;

  it('an empty mesh shows the two next steps: invite a device, add a Pi with a copyable command', async () => {
    const context = await suite.browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.server.url });
    admin = await openAdminTab(suite.browser, suite.server.url, context);
    const empty = admin.page.getByTestId('empty-mesh');
    await empty.waitFor();
    await empty.getByRole('button', { name: 'Create invite link' }).waitFor();
    await empty.getByRole('button', { name: 'Get a pairing code' }).click();
    const command = empty.getByTestId('command');
    await expect.poll(() => command.textContent()).toMatch(new RegExp(`^tabmesh node --url ${suite.server.url} --code \\d{6} --name pi-kitchen`));
    await empty.getByRole('button', { name: 'Copy tabmesh node command' }).click();
    expect(await admin.page.evaluate(() => navigator.clipboard.readText())).toBe(await command.textContent());
    expect(await axeViolations(admin.page), 'axe on the empty mesh').toEqual([]);
  });

  it('keeps invites and pairing codes listed across views; revoked, an invite can no longer be redeemed and a code is withdrawn', async () => {
    const { page } = admin;
    await page.getByTestId('empty-mesh').getByRole('button', { name: 'Create invite link' }).click();
    const item = page.locator('[data-testid=invite-list] li[data-invite]');
    await item.waitFor();
    const code = (await item.getAttribute('data-invite'))!;
    await openView(page, 'tasks');
    await openView(page, 'admin');
    await page.locator(`[data-testid=invite-list] li[data-invite="${code}"]`).waitFor();
    expect(((await (await apiAsAdmin('/api/invites')).json()) as { invites: Array<{ code: string }> }).invites.map((i) => i.code)).toEqual([code]);
    page.once('dialog', (d) => void d.accept());
    await page.locator(`li[data-invite="${code}"]`).getByRole('button', { name: 'Revoke' }).click();
    await page.locator(`li[data-invite="${code}"]`).waitFor({ state: 'detached' });
    const redeem = await fetch(`${suite.server.url}/api/pairing/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'late' }) });
    expect(redeem.status).toBe(404);

    // A CLI pairing code is listed next to the invites and revoked the same way.
    const addNode = page.getByTestId('add-node');
    await addNode.getByRole('button', { name: /^(Get a|New) pairing code$/ }).click();
    const shown = addNode.getByTestId('pairing-code').locator('strong');
    await shown.waitFor();
    const pin = (await shown.textContent())!;
    const listedCode = addNode.locator(`[data-testid=pairing-code-list] li[data-pairing-code="${pin}"]`);
    await listedCode.waitFor();
    expect(((await (await apiAsAdmin('/api/pairing/codes')).json()) as { codes: Array<{ code: string }> }).codes.map((c) => c.code)).toContain(pin);
    page.once('dialog', (d) => void d.accept());
    await listedCode.getByRole('button', { name: `Revoke pairing code ${pin}` }).click();
    await listedCode.waitFor({ state: 'detached' });
    await addNode.getByTestId('pairing-code').waitFor({ state: 'detached' });
    // Withdrawn on the server (not redeemed here: redemptions share a 5-a-minute limit per address;
    // test/control-plane/pairing-codes.test.ts redeems a revoked code).
    expect(((await (await apiAsAdmin('/api/pairing/codes')).json()) as { codes: Array<{ code: string }> }).codes.map((c) => c.code)).not.toContain(pin);

    // A pairing request puts a badge on the Admin tab until it is decided.
    const fresh = (await (await apiAsAdmin('/api/invites', { method: 'POST', body: JSON.stringify({}) })).json()) as { code: string };
    const waiting = (await (await fetch(`${suite.server.url}/api/pairing/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: fresh.code, name: 'kitchen-tablet' }) })).json()) as { requestId: string };
    await openView(page, 'mesh');
    expect(await page.getByTestId('pending-badge').textContent({ timeout: MESH_WAIT_MS })).toBe('1');
    await apiAsAdmin(`/api/pairing/requests/${waiting.requestId}/reject`, { method: 'POST' });
    await page.getByTestId('pending-badge').waitFor({ state: 'detached', timeout: MESH_WAIT_MS });
  });

  it('shows peers by name with one RTT per link in graph, link list and peer list; the status in words', async () => {
    const inv = (await (await apiAsAdmin('/api/invites', { method: 'POST', body: JSON.stringify({ autoApprove: true }) })).json()) as { url: string };
    device = await openTab(suite.browser, inv.url);
    const devicePeer = await peerIdOf(device.page);
    const { page } = admin;
    await openView(page, 'mesh');
    const row = page.locator(`li[data-peer="${devicePeer}"]`);
    await row.locator('[data-link-state="open"][data-rtt]').waitFor({ timeout: MESH_WAIT_MS });
    deviceName = (await row.getAttribute('data-name'))!;
    // The name it was paired under (the browser and OS, plus 6 hex of its id).
    expect(deviceName).toMatch(/^Chromium on Linux · [0-9a-f]{6}$/);
    await expect.poll(() => page.locator(`[data-node="${devicePeer}"]`).getAttribute('data-name'), { timeout: MESH_WAIT_MS }).toBe(deviceName);
    expect(await page.locator(`[data-node="${admin.peerId}"]`).getAttribute('data-name')).toBe('This tab');
    // No 32-hex id is on screen as text (ids live in tooltips and the folded details).
    const visibleText = await page.evaluate(() => document.body.innerText);
    expect(visibleText).not.toMatch(HEX_ID);
    await page.locator('[data-edge][data-rtt]').first().waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    // Read in one task so all three come from the same render.
    const rtts = await page.evaluate((peer) => {
      const attr = (sel: string) => document.querySelector(sel)?.getAttribute('data-rtt');
      return [attr('[data-edge][data-rtt]'), attr('[data-link][data-rtt]'), attr(`li[data-peer="${peer}"] [data-rtt]`)];
    }, devicePeer);
    expect(rtts[0]).toBeTruthy();
    expect(new Set(rtts).size, `graph, link list and peer list RTTs ${rtts.join(', ')}`).toBe(1);
    expect(await page.getByTestId('signaling-status').textContent()).toContain('Online');
    expect(await page.getByTestId('tier').textContent()).toBe('1 direct link');
    // The admin lists both the API-key tab and the paired device.
    await openView(page, 'admin');
    await page.locator(`[data-testid=devices] li[data-name="${deviceName}"]`).waitFor();
    await page.locator(`[data-testid=devices] li[data-key-peer="${admin.peerId}"]`).getByText('API key').waitFor();
  });

  it('generates the task input form from the skill schema, with a message per invalid field', async () => {
    const { page } = admin;
    await openView(page, 'tasks');
    await page.locator('select[name=skill] option', { hasText: /^time$/ }).waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    await page.locator('select[name=skill]').selectOption('time');
    await page.locator('select[name=agent]').selectOption(`${admin.peerId}:basic`);
    const field = page.getByTestId('schema-form').locator('input[name=in-timeZone]');
    await field.fill('x'.repeat(65));
    const calls = page.locator('[data-testid=call-list] li');
    const before = await calls.count();
    await page.getByRole('button', { name: 'Run task' }).click();
    expect(await page.locator('[data-problem=timeZone]').textContent()).toBe('timeZone: must be at most 64 characters');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await calls.count()).toBe(before);
    await field.fill('UTC');
    await page.getByRole('button', { name: 'Run task' }).click();
    const done = calls.first().and(page.locator('[data-state="completed"]'));
    await done.waitFor({ timeout: MESH_WAIT_MS });
    expect(JSON.parse((await done.getByTestId('call-output').textContent())!)).toMatchObject({ timeZone: 'UTC' });
    await page.getByRole('button', { name: 'Edit as JSON' }).click();
    expect(JSON.parse(await page.locator('textarea[name=input]').inputValue())).toEqual({ timeZone: 'UTC' });
  });

  it('axe-core finds no violations on the join, mesh, tasks, chat and admin views', async () => {
    const { page } = admin;
    for (const view of ['mesh', 'tasks', 'chat', 'admin'] as const) {
      await openView(page, view);
      if (view === 'mesh') await page.locator('[data-edge]').first().waitFor({ state: 'attached' });
      if (view === 'admin') await page.getByTestId('devices').waitFor();
      expect(await axeViolations(page), `axe on the ${view} view`).toEqual([]);
    }
    const join = await openTab(suite.browser, `${suite.server.url}/`);
    await join.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    expect(await axeViolations(join.page), 'axe on the join screen').toEqual([]);
    await join.context.close();
  });

  it('sends the hub brotli-compressed, byte-identical to the build', async () => {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    const script = page.waitForResponse((r) => /\/assets\/index-[^/]+\.js$/.test(r.url()));
    await page.goto(`${suite.server.url}/`);
    const res = await script;
    expect(res.headers()['content-encoding']).toBe('br');
    const file = readdirSync('web/dist/assets').find((f) => new URL(res.url()).pathname === `/assets/${f}`)!;
    expect((await res.body()).equals(readFileSync(`web/dist/assets/${file}`))).toBe(true);
    await context.close();
  });

  it('on a 390 px phone: no view scrolls sideways, touch targets are at least 44 px, no hex ids', async () => {
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const phone = await openAdminTab(suite.browser, suite.server.url, context);
    for (const view of ['mesh', 'tasks', 'chat', 'admin'] as const) {
      await openView(phone.page, view);
      if (view === 'admin') await phone.page.getByTestId('devices').waitFor();
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${view} view overflows by ${overflow}px`).toBeLessThanOrEqual(0);
      const small = await phone.page.evaluate(() => [...document.querySelectorAll('button, select, input:not([type=checkbox]), summary')]
        .map((e) => [e.textContent?.trim() || e.getAttribute('name') || e.tagName, e.getBoundingClientRect()] as const)
        .filter(([, r]) => r.width > 0 && r.height < 44).map(([n, r]) => `${n} (${r.height}px)`));
      expect(small, `${view} view controls under 44 px`).toEqual([]);
      expect(await phone.page.evaluate(() => document.body.innerText), `${view} view`).not.toMatch(HEX_ID);
    }
    if (process.env.TABMESH_UPDATE_SCREENSHOT === '1') {
      await openView(phone.page, 'mesh');
      await phone.page.locator('[data-edge]').first().waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
      await phone.page.screenshot({ path: new URL('../../docs/hub-phone.png', import.meta.url).pathname });
    }
    await Promise.all([context.close(), device.context.close(), admin.context.close()]);
  });

  it('tells a guest with a dead invite what to do, without admin fields; a pasted #admin=admin:… link signs in', async () => {
    const guest = await openTab(suite.browser, `${suite.server.url}/#invite=AAAAAAAAAAAA`);
    await guest.page.getByRole('alert').filter({ hasText: 'unknown, expired, revoked or already used. Ask your admin for a new invite link.' }).waitFor();
    expect(await guest.page.locator('input[name=key]').count()).toBe(0);
    expect(await guest.page.getByText('I run this server').count()).toBe(0);
    // The admin link as admin.key stores the key, pasted into the open page: only the fragment changes.
    await guest.page.evaluate((key) => (location.hash = `#admin=admin:${key}`), ADMIN_KEY);
    await peerIdOf(guest.page);
    expect(guest.page.url()).toBe(`${suite.server.url}/`);
    await guest.context.close();
  });
});
