import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { HUB_CSP } from '../../server/http/security-headers.ts';
import { decodeSvgQr } from './helpers/qr-decode.ts';
import { MESH_WAIT_MS, openAdminTab, openView, type HubTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';

const suite = hubSuite();

/** What Chromium says about a policy: CSP refusals and Permissions-Policy header errors. */
const POLICY_TEXT = /Content Security Policy|Content-Security-Policy|Refused to|Permissions-Policy/i;

/**
 * Collects every policy complaint of a context: `securitypolicyviolation` events in each page
 * (recorded by an init script, which CSP does not govern) and console lines from the pages,
 * their workers and the service worker.
 */
async function watchPolicies(context: BrowserContext): Promise<{ violations(page: Page): Promise<string[]>; console: string[] }> {
  const console: string[] = [];
  await context.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
  });
  const onConsole = (m: { text(): string }) => void (POLICY_TEXT.test(m.text()) && console.push(m.text()));
  context.on('console', onConsole);
  context.on('page', (p) => p.on('worker', (w) => w.on('console', onConsole)));
  return {
    console,
    violations: (page) => page.evaluate(() => [...(globalThis as unknown as { __csp?: string[] }).__csp ?? []]),
  };
}

describe('hub under its Content-Security-Policy', () => {
  it('join, QR invite, chat with a worker agent, service worker and an offline reload raise no policy violation', async () => {
    const contexts = await Promise.all([0, 1].map(() => suite.browser.newContext({ viewport: { width: 1100, height: 800 } })));
    const watches = await Promise.all(contexts.map(watchPolicies));
    const [a, b] = [await openAdminTab(suite.browser, suite.server.url, contexts[0]), await openAdminTab(suite.browser, suite.server.url, contexts[1])] as [HubTab & { peerId: string }, HubTab & { peerId: string }];
    expect(await (await a.page.request.get(suite.server.url)).headers()['content-security-policy']).toBe(HUB_CSP);

    // QR: the invite link as an SVG QR code.
    await openView(a.page, 'admin');
    await a.page.getByRole('button', { name: 'Create invite link' }).click();
    const inviteUrl = (await a.page.getByTestId('invite-url').textContent())!;
    expect(await decodeSvgQr(a.page.getByRole('img', { name: 'invite QR code' }))).toBe(inviteUrl);

    // Chat with b's browser agent: runs in b's Web Worker, streams back over the DataChannel.
    await openView(a.page, 'chat');
    const agent = `${b.peerId}:basic`;
    await a.page.locator(`select[name=chat-agent] option[value="${agent}"]`).waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    await a.page.locator('select[name=chat-agent]').selectOption(agent);
    await a.page.locator('input[name=message]').fill('policy check');
    await a.page.getByRole('button', { name: 'Send' }).click();
    await a.page.locator('.msg[data-who="them"][data-state="done"]', { hasText: 'You said: policy check' }).waitFor({ timeout: MESH_WAIT_MS });

    // Service worker: it controls the page, and an offline reload comes from its precache.
    await a.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await a.context.setOffline(true);
    await a.page.reload();
    await a.page.locator('#app > *').first().waitFor();
    expect(await a.page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await a.context.setOffline(false);

    for (const [i, tab] of [a, b].entries()) {
      expect(await watches[i]!.violations(tab.page)).toEqual([]);
      expect(watches[i]!.console).toEqual([]);
    }
    for (const c of contexts) await c.close();
  });

  it('the watch catches a violation (an injected inline script and a data: worker are refused)', async () => {
    const context = await suite.browser.newContext();
    const watch = await watchPolicies(context);
    const page = await context.newPage();
    await page.goto(`${suite.server.url}/`);
    await page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.head.append(s);
      try {
        new Worker('data:text/javascript,postMessage(1)');
      } catch {
        // Refused synchronously in some versions; the violation is reported either way.
      }
    });
    await expect.poll(() => watch.violations(page)).toEqual(expect.arrayContaining([expect.stringMatching(/^script-src-elem blocked inline/), expect.stringMatching(/^worker-src blocked data/)]));
    expect(await page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    expect(watch.console.length).toBeGreaterThan(0);
    await context.close();
  });
});
