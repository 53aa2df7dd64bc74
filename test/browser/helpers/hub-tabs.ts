import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { getToken } from '../../helpers/server-process.ts';

export interface HubTab {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (printed when a test fails). */
  problems: string[];
}

export const ADMIN_KEY = 'browser-suite-admin-key-0123456789';
/**
 * How long the suite waits for mesh state (a link, a rejoin, a link report). Generous: on two
 * busy cores a first DataChannel attempt can time out, and the mesh retries with backoff (≤ 30 s).
 */
export const MESH_WAIT_MS = 45_000;
/** Server env for browser tests: a known admin key, quiet logs. */
export const HUB_ENV = { TABMESH_API_KEYS: `admin:${ADMIN_KEY}`, LOG_LEVEL: 'warn' };

/** Opens `url` in a fresh browser context (its own IndexedDB: a separate device). */
export async function openTab(browser: Browser, url: string, context?: BrowserContext): Promise<HubTab> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1100, height: 800 } }));
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { context: ctx, page, problems };
}

/** Opens the hub with `#admin=KEY` and waits until the dashboard shows this tab's peer id. */
export async function openAdminTab(browser: Browser, baseUrl: string, context?: BrowserContext): Promise<HubTab & { peerId: string }> {
  const tab = await openTab(browser, `${baseUrl}/#admin=${ADMIN_KEY}`, context);
  const peerId = await peerIdOf(tab.page);
  return { ...tab, peerId };
}

/** This tab's peer id as the status bar shows it (waits for the dashboard). */
export async function peerIdOf(page: Page): Promise<string> {
  // The status bar shows a name and a shortened id; the full id is its data-peer-id.
  const text = await page.getByTestId('peer-id').getAttribute('data-peer-id', { timeout: MESH_WAIT_MS });
  expect(text).toMatch(/^k[0-9a-f]{32}$/);
  return text!;
}

/** Switches the hub to one of its views (the nav bar's buttons). */
export async function openView(page: Page, view: 'mesh' | 'tasks' | 'chat' | 'admin'): Promise<void> {
  await page.locator(`nav.tabs button[data-tab="${view}"]`).click();
}

/**
 * Every record of one object store in the hub's IndexedDB database, read inside the page.
 * CryptoKeys (not serialisable out of the page) come back as `{ type, extractable, algorithm }`.
 */
export function hubRecords<T>(page: Page, store: 'meta' | 'identities' | 'outbox'): Promise<T[]> {
  return page.evaluate(async (name) => {
    const plain = (v: unknown): unknown => {
      if (v instanceof CryptoKey) return { type: v.type, extractable: v.extractable, algorithm: v.algorithm.name };
      if (Array.isArray(v)) return v.map(plain);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
      return v;
    };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tabmesh-hub');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction(name).objectStore(name).getAll();
      req.onsuccess = () => (db.close(), resolve(req.result.map(plain)));
      req.onerror = () => reject(req.error);
    });
  }, store) as Promise<T[]>;
}

/** Opens the chat with `peerId`'s browser agent and sends `text`. */
export async function chatTo(page: Page, peerId: string, text: string): Promise<void> {
  await openView(page, 'chat');
  const agent = `${peerId}:basic`;
  await page.locator(`select[name=chat-agent] option[value="${agent}"]`).waitFor({ state: 'attached' });
  await page.locator('select[name=chat-agent]').selectOption(agent);
  await page.locator('input[name=message]').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Creates an invite as the admin (`POST /api/invites`); the URL carries the code in its fragment. */
export async function createInvite(serverUrl: string, autoApprove: boolean): Promise<{ url: string; code: string }> {
  const token = await getToken(serverUrl, ADMIN_KEY, 'invite-maker');
  const res = await fetch(`${serverUrl}/api/invites`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ autoApprove }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { url: string; code: string };
}
