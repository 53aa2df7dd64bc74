import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startNodeChild } from '../lib/child-process.ts';

/** The admin key of the benchmarks' server. */
export const ADMIN = 'bench-admin-key-0123456789';

/** The real server (dist/, serving the built hub) on a random loopback port, with the admin key. */
export async function startHubServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const { child, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${ADMIN}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-')), LOG_LEVEL: 'warn' },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  return { url: `http://127.0.0.1:${match![1]}`, stop: () => child.stop() };
}

/** A hub tab signed in as admin in `context` (default: a new one, i.e. a new identity); resolves with its page and peer id. */
export async function newTab(browser: Browser, url: string, context?: BrowserContext): Promise<{ page: Page; peerId: string; close(): Promise<void> }> {
  const ctx = context ?? (await browser.newContext());
  const page = await ctx.newPage();
  await page.goto(`${url}/#admin=${ADMIN}`);
  const peerId = (await page.getByTestId('peer-id').getAttribute('data-peer-id', { timeout: 20_000 }))!;
  return { page, peerId, close: () => ctx.close() };
}
