import { describe, expect, it } from 'vitest';
import { launchChromium, launchProfile } from './helpers/chromium.ts';
import { openTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';

const suite = hubSuite();

describe('hub PWA', () => {
  it('serves index.html uncached, hashed assets immutable, and a manifest with icons', async () => {
    const index = await fetch(`${suite.server.url}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${suite.server.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const manifest = (await (await fetch(`${suite.server.url}/manifest.webmanifest`)).json()) as { icons: Array<{ src: string; sizes: string; purpose?: string }>; start_url: string; display: string };
    expect(manifest.display).toBe('standalone');
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    for (const icon of manifest.icons) {
      const res = await fetch(`${suite.server.url}${icon.src}`);
      expect(res.status, icon.src).toBe(200);
    }
    const sw = await fetch(`${suite.server.url}/sw.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
  });

  it('is installable by Chromium and serves the app shell offline from its service worker', async () => {
    // Installability is only reported outside incognito, so this test uses a profile on disk.
    const profile = await launchProfile();
    const tab = await openTab(suite.browser, `${suite.server.url}/`, profile);
    const { page } = tab;
    await page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${suite.server.url}/`);
    const cdp = await tab.context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
    expect(installabilityErrors).toEqual([]);
    // The worker claims the page; from now on navigations are answered from the precache.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await tab.context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    expect(await page.title()).toBe('tabmesh hub');
    await tab.context.setOffline(false);
    expect(tab.problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
    await profile.close();
  });

  it('explains the fix on an insecure origin instead of failing silently', async () => {
    // lan.test resolves to the server but, unlike 127.0.0.1, is not a secure origin.
    const lan = await launchChromium([`--host-resolver-rules=MAP lan.test 127.0.0.1`]);
    try {
      const page = await lan.newPage();
      await page.goto(`http://lan.test:${suite.server.port}/#admin=whatever`);
      await page.getByRole('heading', { name: 'This page needs a secure origin' }).waitFor();
      const text = await page.locator('main').textContent();
      expect(text).toContain('HTTPS');
      expect(text).toContain('tunnel');
      expect(text).toContain(`http://localhost:${suite.server.port}/`);
      expect(text).toContain('WebCrypto');
      expect(text).toContain('service workers');
    } finally {
      await lan.close();
    }
  });
});
