import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';

/**
 * Drives the library example's call form (examples/browser-library) the same way in Chromium
 * (playwright) and Firefox (puppeteer): both take a selector-level page.
 */
export interface FormPage {
  fill(selector: string, value: string): Promise<void>;
  select(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  waitFor(selector: string, timeoutMs: number): Promise<void>;
  text(selector: string): Promise<string>;
  attr(selector: string, name: string): Promise<string | null>;
}

export interface ExampleCall {
  output: string;
  state: 'done' | 'failed';
  tier: string | null;
  peer: string | null;
  code: string | null;
}

/** Calls `skill` on `peerId` ('' = by skill name) through the page's form; resolves when it finished. */
export async function callThroughForm(p: FormPage, peerId: string, skill: string, input: unknown, timeoutMs: number): Promise<ExampleCall> {
  await p.waitFor(`#call select[name=peer] option[value="${peerId}"]`, timeoutMs);
  await p.select('#call select[name=peer]', peerId);
  await p.fill('#call input[name=skill]', skill);
  await p.fill('#call input[name=input]', JSON.stringify(input));
  const next = Number((await p.attr('#output', 'data-call')) ?? '0') + 1;
  await p.click('#call button:not([type])');
  await p.waitFor(`#output[data-call="${next}"][data-state="done"], #output[data-call="${next}"][data-state="failed"]`, timeoutMs);
  return {
    output: await p.text('#output'),
    state: (await p.attr('#output', 'data-state')) as 'done' | 'failed',
    tier: await p.attr('#output', 'data-tier'),
    peer: await p.attr('#output', 'data-peer'),
    code: await p.attr('#output', 'data-code'),
  };
}

/** A Chromium (playwright) page as a FormPage. */
export function playwrightForm(page: PlaywrightPage): FormPage {
  return {
    fill: (s, v) => page.locator(s).fill(v),
    select: async (s, v) => void (await page.locator(s).selectOption(v)),
    click: (s) => page.locator(s).click(),
    waitFor: (s, timeout) => page.locator(s).first().waitFor({ state: 'attached', timeout }),
    text: async (s) => (await page.locator(s).textContent()) ?? '',
    attr: (s, n) => page.locator(s).getAttribute(n),
  };
}

/** A Firefox (puppeteer) page as a FormPage. */
export function puppeteerForm(page: PuppeteerPage): FormPage {
  return {
    fill: (s, v) => page.locator(s).fill(v),
    select: async (s, v) => void (await page.select(s, v)),
    click: (s) => page.click(s),
    waitFor: async (s, timeout) => void (await page.waitForSelector(s, { timeout })),
    text: (s) => page.$eval(s, (e) => e.textContent ?? ''),
    attr: (s, n) => page.$eval(s, (e, name) => e.getAttribute(name), n),
  };
}
