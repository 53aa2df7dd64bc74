import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

/** Flags for Debian's Chromium on a closed network; mDNS hiding off so host candidates are real IPs. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** True when the suite runs inside the private network namespace made by scripts/test-browser.mjs. */
export const inNetns = process.env.TABMESH_NETNS === 'inside';

const launchOptions = (extraArgs: string[]): LaunchOptions => ({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, ...extraArgs],
  headless: true,
});

/** Launches the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium), headless, with `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch(launchOptions(extraArgs));
}

/**
 * A Chromium profile on disk (not incognito, unlike `browser.newContext()`): needed where the
 * browser treats incognito differently, e.g. PWA installability.
 */
export function launchProfile(extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tabmesh-chromium-')), launchOptions(extraArgs));
}
