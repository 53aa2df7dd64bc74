import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Debian's firefox-esr: the real binary, not /usr/bin/firefox-esr (a shell wrapper that puppeteer
 * cannot drive). FIREFOX_PATH overrides it.
 */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/lib/firefox-esr/firefox-esr';

/**
 * Launches Firefox headless over WebDriver BiDi (puppeteer-core). Host candidates are real IPs
 * (no mDNS obfuscation), as Chromium gets with WebRtcHideLocalIpsWithMdns off; the closed network
 * needs no updates, telemetry or first-run pages.
 */
export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'app.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
      'browser.shell.checkDefaultBrowser': false,
    },
  });
}

export interface FirefoxTab {
  page: Page;
  /** Console errors and page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** Opens `url` in a fresh browser context (its own storage: a separate device); `initScript` runs before the page's scripts. */
export async function openFirefoxTab(browser: Browser, url: string, initScript?: () => void): Promise<FirefoxTab> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  if (initScript) await page.evaluateOnNewDocument(initScript);
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`));
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

/** Waits for `selector` (generous timeout) and returns its text. */
export async function textOf(page: Page, selector: string, timeoutMs: number): Promise<string> {
  const el = await page.waitForSelector(selector, { timeout: timeoutMs });
  return (await el!.evaluate((e) => e.textContent)) ?? '';
}

/** The hub tab's full peer id: the status bar shows a name and a shortened id, the full id is its `data-peer-id`. */
export async function hubPeerIdOf(page: Page, timeoutMs: number): Promise<string> {
  const el = await page.waitForSelector('[data-testid=peer-id][data-peer-id]', { timeout: timeoutMs });
  return (await el!.evaluate((e) => e.getAttribute('data-peer-id'))) ?? '';
}
